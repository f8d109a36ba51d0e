#include "metrics/roc.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::metrics {

using core::InputError;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_roc(const RocCurve& roc) {
  const auto n = roc.background_efficiency.size();
  if (n < 2 || roc.signal_efficiency.size() != n || roc.thresholds.size() != n) {
    throw InputError("ROC curve is malformed (" + std::to_string(n) + " background, " +
                     std::to_string(roc.signal_efficiency.size()) + " signal efficiencies, " +
                     std::to_string(roc.thresholds.size()) +
                     " thresholds; need at least 2 points of matching length): build it with "
                     "cwola::metrics::roc_curve");
  }
  if (roc.background_efficiency.front() != 0.0 || roc.background_efficiency.back() != 1.0) {
    throw InputError("ROC curve does not run from background efficiency 0 to 1 (it runs from " +
                     core::format_double(roc.background_efficiency.front()) + " to " +
                     core::format_double(roc.background_efficiency.back()) +
                     ", so some efficiencies cannot be interpolated): build it with "
                     "cwola::metrics::roc_curve");
  }
}

void check_background_efficiency(double eps_b) {
  if (!(eps_b > 0.0 && eps_b <= 1.0)) {
    throw InputError("background efficiency " + core::format_double(eps_b) +
                     " is outside (0, 1] (it is a fraction of background events passing a "
                     "cut): give a working point such as 0.01");
  }
}

}  // namespace

void validate_scored_sample(const std::vector<float>& scores,
                            const std::vector<std::uint8_t>& labels) {
  if (scores.size() != labels.size()) {
    throw InputError("scores and labels differ in length (" + std::to_string(scores.size()) +
                     " scores, " + std::to_string(labels.size()) +
                     " labels; each test event needs one of each): pass matching vectors");
  }
  if (scores.empty()) {
    throw InputError(
        "test set is empty (no scores and labels, so no metric is defined): check the test "
        "split and the event files");
  }
  std::uint64_t n_signal = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 1) {
      throw InputError("label[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                       " is not 0 or 1 (labels are 1 = signal, 0 = background): fix the "
                       "labels of the test set");
    }
    if (!std::isfinite(scores[i])) {
      throw InputError("score[" + std::to_string(i) + "] = " +
                       core::format_double(static_cast<double>(scores[i])) +
                       " is not finite (no cut can rank it; typically a diverged "
                       "training): check the run that produced the scores");
    }
    n_signal += labels[i];
  }
  if (n_signal == 0 || n_signal == labels.size()) {
    throw InputError(std::string("test set has no ") +
                     (n_signal == 0 ? "signal (label 1)" : "background (label 0)") +
                     " events (" + std::to_string(labels.size()) +
                     " events; the AUC and efficiencies are undefined without both "
                     "classes): put both classes in the test set");
  }
}

ThresholdScan scan_thresholds(const std::vector<float>& scores,
                              const std::vector<std::uint8_t>& labels) {
  validate_scored_sample(scores, labels);
  std::vector<std::pair<float, std::uint8_t>> events(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    events[i] = {scores[i], labels[i]};
  }
  std::sort(events.begin(), events.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });

  ThresholdScan scan;
  std::uint64_t n_sig = 0;
  std::uint64_t n_bkg = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    n_sig += events[i].second;
    n_bkg += 1U - events[i].second;
    // One entry per distinct score: tied events pass or fail a cut together.
    if (i + 1 == events.size() || events[i + 1].first != events[i].first) {
      scan.thresholds.push_back(static_cast<double>(events[i].first));
      scan.signal_passing.push_back(n_sig);
      scan.background_passing.push_back(n_bkg);
    }
  }
  scan.signal_total = n_sig;
  scan.background_total = n_bkg;
  return scan;
}

RocCurve roc_curve(const ThresholdScan& scan) {
  RocCurve roc;
  const auto n = scan.thresholds.size() + 1;
  roc.background_efficiency.reserve(n);
  roc.signal_efficiency.reserve(n);
  roc.thresholds.reserve(n);
  roc.background_efficiency.push_back(0.0);
  roc.signal_efficiency.push_back(0.0);
  roc.thresholds.push_back(kInf);
  const auto n_sig = static_cast<double>(scan.signal_total);
  const auto n_bkg = static_cast<double>(scan.background_total);
  for (std::size_t i = 0; i < scan.thresholds.size(); ++i) {
    roc.background_efficiency.push_back(static_cast<double>(scan.background_passing[i]) / n_bkg);
    roc.signal_efficiency.push_back(static_cast<double>(scan.signal_passing[i]) / n_sig);
    roc.thresholds.push_back(scan.thresholds[i]);
  }
  return roc;
}

RocCurve roc_curve(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels) {
  return roc_curve(scan_thresholds(scores, labels));
}

double auc(const ThresholdScan& scan) {
  // Trapezoids between consecutive cuts in integer counts: a tie group with db background
  // and ds signal events adds db * (2 s_before + ds) = 2 * (pairs won + pairs tied / 2).
  // Exact while 2 n_s n_b < 2^64, so AUC(-x) = 1 - AUC(x) to rounding.
  std::uint64_t twice_u = 0;
  std::uint64_t s_before = 0;
  std::uint64_t b_before = 0;
  for (std::size_t i = 0; i < scan.thresholds.size(); ++i) {
    const auto db = scan.background_passing[i] - b_before;
    twice_u += db * (s_before + scan.signal_passing[i]);
    s_before = scan.signal_passing[i];
    b_before = scan.background_passing[i];
  }
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(scan.signal_total) *
          static_cast<double>(scan.background_total));
}

double auc(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels) {
  return auc(scan_thresholds(scores, labels));
}

double best_accuracy(const ThresholdScan& scan, double* best_threshold) {
  // All-background cut first: it classifies every background event correctly.
  std::uint64_t best_correct = scan.background_total;
  double best_cut = kInf;
  for (std::size_t i = 0; i < scan.thresholds.size(); ++i) {
    const auto correct =
        scan.signal_passing[i] + (scan.background_total - scan.background_passing[i]);
    if (correct > best_correct) {
      best_correct = correct;
      best_cut = scan.thresholds[i];
    }
  }
  if (best_threshold != nullptr) {
    *best_threshold = best_cut;
  }
  return static_cast<double>(best_correct) /
         static_cast<double>(scan.signal_total + scan.background_total);
}

double best_accuracy(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels,
                     double* best_threshold) {
  return best_accuracy(scan_thresholds(scores, labels), best_threshold);
}

double accuracy_at(const std::vector<float>& scores, const std::vector<std::uint8_t>& labels,
                   double threshold) {
  validate_scored_sample(scores, labels);
  if (std::isnan(threshold)) {
    throw InputError(
        "accuracy threshold is NaN (no event can be compared with it): give a number such as "
        "0.5");
  }
  std::uint64_t correct = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool predicted_signal = static_cast<double>(scores[i]) >= threshold;
    correct += static_cast<std::uint64_t>(predicted_signal == (labels[i] == 1));
  }
  return static_cast<double>(correct) / static_cast<double>(scores.size());
}

double signal_efficiency_at(const RocCurve& roc, double background_efficiency) {
  check_roc(roc);
  check_background_efficiency(background_efficiency);
  const auto& x = roc.background_efficiency;
  const auto& y = roc.signal_efficiency;
  // Last point with x <= eps_b: it has the highest signal efficiency among them since y is
  // non-decreasing. It exists because x.front() == 0 < eps_b.
  const auto upper = std::upper_bound(x.begin(), x.end(), background_efficiency);
  const auto j = static_cast<std::size_t>(upper - x.begin()) - 1;
  if (x[j] == background_efficiency || j + 1 == x.size()) {
    return y[j];
  }
  const double t = (background_efficiency - x[j]) / (x[j + 1] - x[j]);
  return y[j] + t * (y[j + 1] - y[j]);
}

double background_efficiency_at(const RocCurve& roc, double signal_efficiency) {
  check_roc(roc);
  if (!(signal_efficiency >= 0.0 && signal_efficiency <= 1.0)) {
    throw InputError("signal efficiency " + core::format_double(signal_efficiency) +
                     " is outside [0, 1] (it is a fraction of signal events passing a cut): "
                     "give a working point such as 0.5");
  }
  const auto& x = roc.background_efficiency;
  const auto& y = roc.signal_efficiency;
  // First point reaching eps_s: the ROC's x rises strictly, so it is the cheapest one.
  const auto reached = std::lower_bound(y.begin(), y.end(), signal_efficiency);
  const auto j = static_cast<std::size_t>(reached - y.begin());
  if (j == 0 || y[j] == signal_efficiency) return x[j];
  const double t = (signal_efficiency - y[j - 1]) / (y[j] - y[j - 1]);
  return x[j - 1] + t * (x[j] - x[j - 1]);
}

std::vector<double> sample_roc(const RocCurve& roc,
                               const std::vector<double>& background_efficiency_grid) {
  std::vector<double> out;
  out.reserve(background_efficiency_grid.size());
  for (const double eps_b : background_efficiency_grid) {
    out.push_back(signal_efficiency_at(roc, eps_b));
  }
  return out;
}

std::vector<double> log_grid(double lo, double hi, std::size_t n) {
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo > 0.0 && hi > lo) || n < 2) {
    throw InputError("log grid from " + core::format_double(lo) + " to " +
                     core::format_double(hi) + " with " + std::to_string(n) +
                     " points is not valid (a log-spaced grid needs finite 0 < lo < hi and at "
                     "least 2 points): e.g. 1e-4 to 1 with 41 points");
  }
  std::vector<double> grid(n);
  const double log_lo = std::log10(lo);
  const double step = (std::log10(hi) - log_lo) / static_cast<double>(n - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const double exponent = log_lo + step * static_cast<double>(i);
    const double decade = std::round(exponent);
    // A point meant to sit on a decade is that decade exactly: strtod rounds "1e-3" correctly,
    // whereas exp/pow of a rounded logarithm can miss it by an ulp.
    grid[i] = std::fabs(exponent - decade) < 1e-9
                  ? std::strtod(("1e" + std::to_string(static_cast<int>(decade))).c_str(), nullptr)
                  : std::pow(10.0, exponent);
  }
  grid.front() = lo;
  grid.back() = hi;
  return grid;
}

}  // namespace cwola::metrics
