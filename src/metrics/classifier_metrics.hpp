#pragma once
/// Everything a study reports about one trained classifier on its labelled test set.
#include <cstdint>
#include <vector>

namespace cwola::metrics {

/// Background-efficiency working points quoted everywhere (note: SIC at 10%, 1%, 0.1%).
inline const std::vector<double>& working_points() {
  static const std::vector<double> kPoints{1e-1, 1e-2, 1e-3};
  return kPoints;
}

/// Metrics of one classifier. Efficiencies are fractions of the test set's signal or
/// background events; significances are in standard deviations. When `rectified`, every
/// field describes the flipped classifier with score 1 - score.
struct ClassifierMetrics {
  double auc = 0.0;            ///< area under the ROC (Mann-Whitney, ties count 1/2)
  double best_accuracy = 0.0;  ///< best accuracy over all thresholds
  /// Cut (score >= t) giving best_accuracy, on the rectified score 1 - score if rectified;
  /// +inf when predicting "all background" is best.
  double best_threshold = 0.0;
  double accuracy_at_half = 0.0;  ///< accuracy of the fixed cut score >= 0.5
  bool rectified = false;  ///< scores were flipped because AUC < 0.5 and that was asked for
  std::vector<double> signal_efficiency;         ///< eps_s at each working point
  std::vector<double> significance_improvement;  ///< eps_s / sqrt(eps_b) at each working point
  std::vector<double> significance_after;  ///< Z(eps_s s, eps_b b) at each working point
  double significance_before = 0.0;        ///< Z(s, b) before any cut
  std::vector<double> roc_on_grid;         ///< eps_s at each eps_b of the requested grid
};

/// Whether a classifier worse than random is flipped ("label flip", the note's practice).
enum class Rectify {
  kNo,           ///< report the classifier as trained
  kIfBelowHalf,  ///< if AUC < 0.5, report the classifier with score 1 - score (AUC 1 - a)
};

/// Evaluates scores (higher = more signal-like) on a labelled test set (1 = signal,
/// 0 = background). expected_signal/background: expected event counts before any cut
/// (finite, >= 0), for the significance before and after a cut at each working point.
/// roc_grid: background efficiencies in (0, 1] at which to sample the ROC (e.g. log_grid).
/// Sorts the scores once (twice if rectified). Throws InputError on bad input.
ClassifierMetrics evaluate_classifier(const std::vector<float>& scores,
                                      const std::vector<std::uint8_t>& labels, Rectify rectify,
                                      double expected_signal, double expected_background,
                                      const std::vector<double>& roc_grid);

}  // namespace cwola::metrics
