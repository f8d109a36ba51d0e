#pragma once
/// CWoLa on multivariate Gaussians: the proving study, whose best possible
/// answer is known in closed form. Signal ~ N(μ, Σ), background ~ N(0, Σ); two
/// mixtures with signal fractions f1, f2 are labelled 1/0; the classifier is
/// evaluated on pure signal and background, next to the Bayes-optimal AUC
/// Φ(Δ/√2) and balanced accuracy Φ(Δ/2) (Δ the Mahalanobis distance).
/// f1 = 1, f2 = 0 is full supervision.
#include <memory>
#include <vector>

#include "core/job_config.hpp"
#include "studies/classifier_task.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

struct GaussianSettings {
  std::size_t dimensions = 4;
  std::vector<double> signal_mean;  ///< d values (background mean is 0)
  std::vector<double> sigma;        ///< d per-feature widths
  double correlation = 0.0;         ///< common correlation of all feature pairs
  double f1 = 0.8;                  ///< signal fraction of mixture M1 (label 1)
  double f2 = 0.2;                  ///< signal fraction of mixture M2 (label 0)
  std::size_t events_per_mixture = 20000;
  std::size_t test_events = 20000;  ///< per class
  double expected_signal = 100;     ///< yields for the significance columns
  double expected_background = 10000;
  double mahalanobis_distance = 0;  ///< derived
  ClassifierSettings classifier;
};

/// Reads and validates [gaussian] (and the classifier sections) of one point.
GaussianSettings read_gaussian_settings(core::JobConfig& config);

std::unique_ptr<Study> make_gaussian_study(std::vector<core::JobConfig>& point_configs);

}  // namespace cwola::studies
