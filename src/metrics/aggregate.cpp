#include "metrics/aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::metrics {

double quantile_of_sorted(const std::vector<double>& sorted_values, double q) {
  if (sorted_values.empty() || !(q >= 0.0 && q <= 1.0)) {
    throw core::InputError("quantile " + core::format_double(q) + " of " +
                           std::to_string(sorted_values.size()) +
                           " values is undefined (needs q in [0, 1] and at least one "
                           "value): check the caller");
  }
  const double position = q * static_cast<double>(sorted_values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  if (below + 1 >= sorted_values.size()) {
    return sorted_values.back();
  }
  const double fraction = position - static_cast<double>(below);
  const double lo = sorted_values[below];
  const double hi = sorted_values[below + 1];
  return lo + fraction * (hi - lo);
}

Aggregate aggregate(const std::vector<double>& values) {
  std::vector<double> finite;
  finite.reserve(values.size());
  std::copy_if(values.begin(), values.end(), std::back_inserter(finite),
               [](double v) { return std::isfinite(v); });
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Aggregate result{kNaN, kNaN, kNaN, kNaN, kNaN, finite.size()};
  if (finite.empty()) {
    return result;
  }
  const auto n = static_cast<double>(finite.size());
  double sum = 0.0;
  for (const double v : finite) {
    sum += v;
  }
  result.mean = sum / n;
  // Two passes: the variance of values far from zero loses no digits to cancellation.
  double sum_sq = 0.0;
  for (const double v : finite) {
    sum_sq += (v - result.mean) * (v - result.mean);
  }
  result.std = std::sqrt(sum_sq / n);
  std::sort(finite.begin(), finite.end());
  result.median = quantile_of_sorted(finite, 0.5);
  result.q16 = quantile_of_sorted(finite, 0.16);
  result.q84 = quantile_of_sorted(finite, 0.84);
  return result;
}

}  // namespace cwola::metrics
