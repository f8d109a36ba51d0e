#pragma once
/// ROC curve, AUC, accuracy scan and efficiencies at fixed background efficiency.
///
/// Conventions: labels are 1 = signal, 0 = background; scores are "higher = more
/// signal-like"; a cut at threshold t selects the events with score >= t. Efficiencies are
/// fractions in [0, 1] of the (unweighted) signal or background events in the test set.
/// Every function that takes (scores, labels) validates them first (see
/// validate_scored_sample) and throws cwola::core::InputError on bad input.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cwola::metrics {

/// Receiver operating characteristic: one point per distinct cut, plus the empty cut.
struct RocCurve {
  /// Fraction of background events passing each cut; ascending from 0 to 1.
  std::vector<double> background_efficiency;
  /// Fraction of signal events passing the same cut; non-decreasing, from 0 to 1.
  std::vector<double> signal_efficiency;
  /// The cut "score >= threshold" that gives the point. The first point (0, 0) is the
  /// empty cut with threshold +inf; the last point (1, 1) is the lowest score.
  std::vector<double> thresholds;
};

/// Cumulative counts of events passing each distinct cut, from one sort of the scores.
/// The ROC, the AUC and the accuracy scan all derive from it, so a caller that needs
/// several of them sorts once (evaluate_classifier does).
struct ThresholdScan {
  /// Distinct score values, descending (the cuts "score >= threshold").
  std::vector<double> thresholds;
  /// Number of signal events with score >= thresholds[i].
  std::vector<std::uint64_t> signal_passing;
  /// Number of background events with score >= thresholds[i].
  std::vector<std::uint64_t> background_passing;
  std::uint64_t signal_total = 0;
  std::uint64_t background_total = 0;
};

/// Always-on input check for a labelled, scored test set: same length, not empty, labels
/// only 0/1 with both classes present (else the AUC is undefined), finite scores.
/// Throws cwola::core::InputError naming the offending index and value.
void validate_scored_sample(const std::vector<float>& scores,
                            const std::vector<std::uint8_t>& labels);

/// Sorts the scores once and counts the events passing each distinct cut. O(n log n).
ThresholdScan scan_thresholds(const std::vector<float>& scores,
                              const std::vector<std::uint8_t>& labels);

/// The ROC curve with every distinct cut (no points dropped), so that the trapezoid area
/// under it equals the Mann-Whitney AUC exactly.
RocCurve roc_curve(const ThresholdScan& scan);
RocCurve roc_curve(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels);

/// Area under the ROC: the probability that a random signal event scores above a random
/// background event, ties counting 1/2 (Mann-Whitney U / (n_s n_b)). O(n log n).
double auc(const ThresholdScan& scan);
double auc(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels);

/// Best accuracy over all thresholds (predict signal if score >= t), including the
/// all-signal (t = lowest score) and all-background (t = +inf) cuts. Accuracy = correct /
/// total, unweighted, as in the seeds. The threshold is scanned rather than fixed at 0.5
/// (the note's section 4.22). When several cuts tie, the strictest (highest t) is returned
/// in *best_threshold (if not null).
double best_accuracy(const ThresholdScan& scan, double* best_threshold = nullptr);
double best_accuracy(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels,
                     double* best_threshold = nullptr);

/// Accuracy (correct / total) of the fixed cut score >= threshold, e.g. the 0.5 cut a
/// framework's default accuracy uses. Throws InputError for a NaN threshold.
double accuracy_at(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels,
                   double threshold);

/// Signal efficiency at a target background efficiency eps_b in (0, 1]: the largest signal
/// efficiency among ROC points with background efficiency <= eps_b, linearly interpolated
/// towards the next point (a randomised choice between the two bracketing cuts). On a
/// vertical ROC segment at exactly eps_b the top of the segment is returned.
/// Throws InputError for eps_b outside (0, 1] or a malformed curve.
double signal_efficiency_at(const RocCurve& roc, double background_efficiency);

/// Background efficiency needed for a target signal efficiency eps_s in [0, 1]: the smallest
/// eps_b on the ROC (linear between its points, the same randomised cuts as
/// signal_efficiency_at) whose signal efficiency reaches eps_s. The rejection 1/eps_b at
/// eps_s = 0.2 or 0.5 is quoted from it. Throws InputError for eps_s outside [0, 1] or a
/// malformed curve.
double background_efficiency_at(const RocCurve& roc, double signal_efficiency);

/// The ROC sampled at each eps_b of the grid, with the interpolation of signal_efficiency_at.
std::vector<double> sample_roc(const RocCurve& roc,
                               const std::vector<double>& background_efficiency_grid);

/// n points log-spaced from lo to hi inclusive (e.g. 1e-4..1 with 41 points); the end
/// points are exactly lo and hi, and a point that falls on a power of ten is that power
/// exactly (1e-3, not 9.999999999999994e-4), so working points can be looked up in the grid. Needs finite 0 < lo < hi and n >= 2 (else InputError).
std::vector<double> log_grid(double lo, double hi, std::size_t n);

}  // namespace cwola::metrics
