#include "metrics/classifier_metrics.hpp"

#include <cmath>
#include <cstddef>
#include <limits>

#include "metrics/roc.hpp"
#include "metrics/significance.hpp"

namespace cwola::metrics {

namespace {
/// -s for every score: exact in float and strictly decreasing, so ranks and ties are kept
/// exactly (1 - s in float would merge distinct small scores) and the AUC becomes 1 - a.
std::vector<float> negated(const std::vector<float>& scores) {
  std::vector<float> flipped(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) flipped[i] = -scores[i];
  return flipped;
}

WorkingPoint working_point(const ThresholdScan& scan, double eps_s, double eps_b) {
  return {eps_s, eps_b, eps_s * static_cast<double>(scan.signal_total),
          eps_b * static_cast<double>(scan.background_total)};
}
}  // namespace

ClassifierMetrics evaluate_classifier(const ScoredSample& test, const ScoredSample& validation,
                                      const EvaluationSettings& settings, double expected_signal,
                                      double expected_background) {
  settings.sic_floor.validate();
  ClassifierMetrics m;
  // Checks the counts (InputError) before the sort, so bad input fails fast.
  m.significance_before = significance(expected_signal, expected_background);

  ThresholdScan scan = scan_thresholds(test.scores, test.labels);
  m.auc = auc(scan);
  m.rectified = settings.rectify == Rectify::kIfBelowHalf && m.auc < 0.5;
  std::vector<float> flipped;
  std::vector<float> flipped_validation;
  if (m.rectified) {
    flipped = negated(test.scores);
    flipped_validation = negated(validation.scores);
    scan = scan_thresholds(flipped, test.labels);
    m.auc = auc(scan);
  }
  const auto& reported = m.rectified ? flipped : test.scores;
  const auto& reported_validation = m.rectified ? flipped_validation : validation.scores;
  m.test_signal_events = scan.signal_total;
  m.test_background_events = scan.background_total;

  // Thresholds are quoted on the rectified score 1 - s: the cut -s >= t is 1 - s >= 1 + t,
  // and 1 - s >= 0.5 is -s >= -0.5.
  const auto quoted = [&m](double cut) { return m.rectified ? 1.0 + cut : cut; };
  double cut = 0.0;
  m.best_accuracy = best_accuracy(scan, &cut);
  m.best_threshold = quoted(cut);
  m.accuracy_at_half = accuracy_at(reported, test.labels, m.rectified ? -0.5 : 0.5);
  double validation_cut = 0.0;
  best_accuracy(reported_validation, validation.labels, &validation_cut);
  m.validation_threshold = quoted(validation_cut);
  m.accuracy_at_validation_threshold = accuracy_at(reported, test.labels, validation_cut);

  const RocCurve roc = roc_curve(scan);
  for (const double eps_b : working_points()) {
    const double eps_s = signal_efficiency_at(roc, eps_b);
    m.at_working_points.push_back(working_point(scan, eps_s, eps_b));
    m.signal_efficiency.push_back(eps_s);
    m.significance_improvement.push_back(significance_improvement(eps_s, eps_b));
    m.significance_after.push_back(
        significance(eps_s * expected_signal, eps_b * expected_background));
  }
  m.sic_floor = settings.sic_floor.min_background_efficiency(scan.background_total);
  const auto best = max_sic(roc, m.sic_floor);
  m.max_sic = best.sic;
  m.at_max_sic = working_point(scan, best.signal_efficiency, best.background_efficiency);
  for (const double eps_s : rejection_points()) {
    const double eps_b = background_efficiency_at(roc, eps_s);
    m.at_rejection_points.push_back(working_point(scan, eps_s, eps_b));
    m.rejection.push_back(eps_b > 0.0 ? 1.0 / eps_b : std::numeric_limits<double>::infinity());
  }
  m.mean_sic = mean_sic(roc, kMeanSicLow, kMeanSicHigh);
  m.mean_sic_background_events = background_efficiency_at(roc, kMeanSicLow) *
                                 static_cast<double>(scan.background_total);
  m.roc_on_grid = sample_roc(roc, settings.roc_grid);
  return m;
}

}  // namespace cwola::metrics
