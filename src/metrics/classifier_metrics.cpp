#include "metrics/classifier_metrics.hpp"

#include <cstddef>

#include "metrics/roc.hpp"
#include "metrics/significance.hpp"

namespace cwola::metrics {

ClassifierMetrics evaluate_classifier(const std::vector<float>& scores,
                                      const std::vector<std::uint8_t>& labels, Rectify rectify,
                                      double expected_signal, double expected_background,
                                      const std::vector<double>& roc_grid) {
  ClassifierMetrics m;
  // Checks the counts (InputError) before the sort, so bad input fails fast.
  m.significance_before = significance(expected_signal, expected_background);

  ThresholdScan scan = scan_thresholds(scores, labels);
  m.auc = auc(scan);
  m.rectified = rectify == Rectify::kIfBelowHalf && m.auc < 0.5;
  std::vector<float> flipped;
  if (m.rectified) {
    // Negation is exact in float and strictly decreasing, so ranks and ties are preserved
    // exactly (1 - s in float would merge distinct small scores) and the AUC becomes 1 - a.
    flipped.resize(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
      flipped[i] = -scores[i];
    }
    scan = scan_thresholds(flipped, labels);
    m.auc = auc(scan);
  }
  const auto& reported = m.rectified ? flipped : scores;

  double cut = 0.0;
  m.best_accuracy = best_accuracy(scan, &cut);
  // Thresholds are quoted on the rectified score 1 - s: the cut -s >= t is 1 - s >= 1 + t,
  // and 1 - s >= 0.5 is -s >= -0.5.
  m.best_threshold = m.rectified ? 1.0 + cut : cut;
  m.accuracy_at_half = accuracy_at(reported, labels, m.rectified ? -0.5 : 0.5);

  const RocCurve roc = roc_curve(scan);
  for (const double eps_b : working_points()) {
    const double eps_s = signal_efficiency_at(roc, eps_b);
    m.signal_efficiency.push_back(eps_s);
    m.significance_improvement.push_back(significance_improvement(eps_s, eps_b));
    m.significance_after.push_back(
        significance(eps_s * expected_signal, eps_b * expected_background));
  }
  m.roc_on_grid = sample_roc(roc, roc_grid);
  return m;
}

}  // namespace cwola::metrics
