#include "metrics/sic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::metrics {

using core::InputError;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// Integral of y / sqrt(x) dy along the straight segment (x0, y0) -> (x1, y1), y1 > y0,
/// x >= 0. With k = dy/dx it is k * integral (y0 + k (x - x0)) / sqrt(x) dx, which reduces to
/// 2 dy / (sx0 + sx1) * (y0 + dy/3 (1 + sx0 / (sx0 + sx1))), sx = sqrt(x): every term is
/// positive, so nothing cancels, and a vertical piece (x0 = x1) is the same formula.
double segment_integral(double x0, double y0, double x1, double y1) {
  const double sx0 = std::sqrt(x0);
  const double sx1 = std::sqrt(x1);
  const double sum = sx0 + sx1;
  if (sum == 0.0) return kInf;  // eps_b = 0 along the piece: SIC is infinite there
  const double dy = y1 - y0;
  return 2.0 * dy / sum * (y0 + dy / 3.0 * (1.0 + sx0 / sum));
}
}  // namespace

void SicFloor::validate() const {
  if (!(relative_error > 0.0 && relative_error <= 1.0)) {
    throw InputError("metrics.sic_floor_relative_error = " + core::format_double(relative_error) +
                     " is outside (0, 1] (it is the tolerated relative error 1/sqrt(N) of the "
                     "background count behind the maximum SIC): use 0.4 (CATHODE) or 0.2");
  }
  if (!(background_efficiency > 0.0 && background_efficiency <= 1.0)) {
    throw InputError("metrics.sic_floor_background_efficiency = " +
                     core::format_double(background_efficiency) +
                     " is outside (0, 1] (SIC is unbounded as eps_b -> 0): use e.g. 1e-3");
  }
}

double SicFloor::min_background_efficiency(std::uint64_t background_events) const {
  if (rule == SicFloorRule::kBackgroundEfficiency) return background_efficiency;
  return 1.0 / (relative_error * relative_error * static_cast<double>(background_events));
}

MaxSic max_sic(const RocCurve& roc, double min_background_efficiency) {
  if (!(min_background_efficiency > 0.0)) {
    throw InputError("SIC floor eps_b = " + core::format_double(min_background_efficiency) +
                     " is not positive (SIC is unbounded as eps_b -> 0): state a floor");
  }
  // Checks the curve (InputError) before the floor can short-cut.
  const double at_floor = min_background_efficiency <= 1.0
                              ? signal_efficiency_at(roc, min_background_efficiency)
                              : kNaN;
  if (min_background_efficiency > 1.0) return {kNaN, kNaN, kNaN};
  MaxSic best{at_floor / std::sqrt(min_background_efficiency), min_background_efficiency,
              at_floor};
  const auto& x = roc.background_efficiency;
  const auto& y = roc.signal_efficiency;
  for (auto i = static_cast<std::size_t>(
           std::lower_bound(x.begin(), x.end(), min_background_efficiency) - x.begin());
       i < x.size(); ++i) {
    const double sic = y[i] / std::sqrt(x[i]);
    if (sic > best.sic) best = {sic, x[i], y[i]};
  }
  return best;
}

double mean_sic(const RocCurve& roc, double lo, double hi) {
  if (!(lo >= 0.0 && hi <= 1.0 && lo < hi)) {
    throw InputError("signal-efficiency band [" + core::format_double(lo) + ", " +
                     core::format_double(hi) +
                     "] is not inside [0, 1] with lo < hi: give e.g. [0.18, 0.23]");
  }
  // Checks the curve.
  static_cast<void>(background_efficiency_at(roc, lo));
  const auto& x = roc.background_efficiency;
  const auto& y = roc.signal_efficiency;
  // The segments along which eps_s rises partition [0, 1] in eps_s; clip each to the band.
  double total = 0.0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    const double y0 = std::max(y[i - 1], lo);
    const double y1 = std::min(y[i], hi);
    if (!(y1 > y0)) continue;
    const double slope = (x[i] - x[i - 1]) / (y[i] - y[i - 1]);  // d eps_b / d eps_s
    total += segment_integral(x[i - 1] + slope * (y0 - y[i - 1]), y0,
                              x[i - 1] + slope * (y1 - y[i - 1]), y1);
  }
  return total / (hi - lo);
}

}  // namespace cwola::metrics
