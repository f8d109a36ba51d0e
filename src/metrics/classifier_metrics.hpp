#pragma once
/// Everything a study reports about one trained classifier on its labelled test set.
#include <cstdint>
#include <vector>

#include "metrics/sic.hpp"

namespace cwola::metrics {

/// Background-efficiency working points quoted everywhere (note: SIC at 10%, 1%, 0.1%).
inline const std::vector<double>& working_points() {
  static const std::vector<double> kPoints{1e-1, 1e-2, 1e-3};
  return kPoints;
}

/// Signal efficiencies at which the background rejection 1/eps_b is quoted (LHC Olympics).
inline const std::vector<double>& rejection_points() {
  static const std::vector<double> kPoints{0.2, 0.5};
  return kPoints;
}

/// The eps_s band of the mean SIC (the tree-based weak-supervision study quotes it).
constexpr double kMeanSicLow = 0.18;
constexpr double kMeanSicHigh = 0.23;

/// A working point resting on fewer test background events than this is flagged: its
/// relative statistical error 1/sqrt(N_b) exceeds about 30 %.
constexpr double kFewBackgroundEvents = 10.0;

/// True when `background_events` (passing a cut, possibly fractional for an interpolated
/// cut) is below kFewBackgroundEvents, or NaN.
inline bool rests_on_few_background(double background_events) {
  return !(background_events >= kFewBackgroundEvents);
}

/// One cut on the test set: its efficiencies and the test events behind them. For a cut
/// between two ROC points (interpolated) the counts are eps * N and may be fractional.
struct WorkingPoint {
  double signal_efficiency = 0.0;
  double background_efficiency = 0.0;
  double signal_events = 0.0;      ///< test signal events passing, eps_s N_sig,test
  double background_events = 0.0;  ///< test background events passing, eps_b N_bkg,test
};

/// Metrics of one classifier. Efficiencies are fractions of the test set's signal or
/// background events; significances are in standard deviations. When `rectified`, every
/// field describes the flipped classifier with score 1 - score.
struct ClassifierMetrics {
  double auc = 0.0;  ///< area under the ROC (Mann-Whitney, ties count 1/2)
  /// Best accuracy over all thresholds of the TEST scores: the threshold is tuned on the test
  /// set itself, so it is biased upwards (it can exceed the Bayes optimum). Kept as the
  /// seeds' number; accuracy_at_validation_threshold is the honest one.
  double best_accuracy = 0.0;
  /// Cut (score >= t) giving best_accuracy, on the rectified score 1 - score if rectified;
  /// +inf when predicting "all background" is best.
  double best_threshold = 0.0;
  double accuracy_at_half = 0.0;  ///< accuracy of the fixed cut score >= 0.5
  /// The cut maximising accuracy on the validation events and their (training) labels,
  /// on the rectified score if rectified; +inf for "all background".
  double validation_threshold = 0.0;
  /// Test accuracy of the cut validation_threshold: chosen without the test set.
  double accuracy_at_validation_threshold = 0.0;
  bool rectified = false;  ///< scores were flipped because AUC < 0.5 and that was asked for
  std::uint64_t test_signal_events = 0;
  std::uint64_t test_background_events = 0;
  std::vector<WorkingPoint> at_working_points;   ///< at each eps_b of working_points()
  std::vector<double> signal_efficiency;         ///< eps_s at each working point
  std::vector<double> significance_improvement;  ///< eps_s / sqrt(eps_b) at each working point
  std::vector<double> significance_after;  ///< Z(eps_s s, eps_b b) at each working point
  double significance_before = 0.0;        ///< Z(s, b) before any cut
  double sic_floor = 0.0;                  ///< minimum eps_b of the maximum SIC on this test set
  double max_sic = 0.0;                    ///< exact max of eps_s/sqrt(eps_b), eps_b >= sic_floor
  WorkingPoint at_max_sic;                 ///< where max_sic is reached
  std::vector<WorkingPoint> at_rejection_points;  ///< at each eps_s of rejection_points()
  std::vector<double> rejection;  ///< 1 / eps_b at each eps_s of rejection_points() (+inf at 0)
  double mean_sic = 0.0;          ///< SIC averaged over eps_s in [kMeanSicLow, kMeanSicHigh]
  /// Test background events passing at eps_s = kMeanSicLow, the fewest in the band.
  double mean_sic_background_events = 0.0;
  std::vector<double> roc_on_grid;  ///< eps_s at each eps_b of the requested grid
};

/// Whether a classifier worse than random is flipped ("label flip", the note's practice).
enum class Rectify {
  kNo,           ///< report the classifier as trained
  kIfBelowHalf,  ///< if AUC < 0.5, report the classifier with score 1 - score (AUC 1 - a)
};

/// Scores (higher = more signal-like) of a set of events and their labels (1 / 0). Not owning.
struct ScoredSample {
  const std::vector<float>& scores;
  const std::vector<std::uint8_t>& labels;
};

/// How a classifier is evaluated ([metrics] settings).
struct EvaluationSettings {
  Rectify rectify = Rectify::kNo;
  SicFloor sic_floor;
  /// Background efficiencies in (0, 1] at which to sample the ROC (e.g. log_grid).
  std::vector<double> roc_grid;
};

/// Evaluates a classifier on a truth-labelled test set (1 = signal, 0 = background).
/// `validation`: the classifier's scores on its validation events with the labels it was
/// trained on (for CWoLa the mixture labels); the accuracy threshold is chosen there.
/// expected_signal/background: expected event counts before any cut (finite, >= 0), for the
/// significance before and after a cut at each working point. Sorts the test scores once
/// (twice if rectified). Throws InputError on bad input.
ClassifierMetrics evaluate_classifier(const ScoredSample& test, const ScoredSample& validation,
                                      const EvaluationSettings& settings, double expected_signal,
                                      double expected_background);

}  // namespace cwola::metrics
