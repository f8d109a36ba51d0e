#include "data/feature_scaling.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace cwola::data {

FeatureScaling FeatureScaling::fit(const EventTable& table, std::size_t rows) {
  const std::size_t f = table.features;
  const std::size_t n = std::min(rows, table.size());
  FeatureScaling s;
  s.mean.assign(f, 0.0);
  s.sigma.assign(f, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < f; ++c) s.mean[c] += table.rows[r * f + c];
  }
  for (auto& m : s.mean) m /= static_cast<double>(std::max<std::size_t>(n, 1));
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < f; ++c) {
      const double d = table.rows[r * f + c] - s.mean[c];
      s.sigma[c] += d * d;
    }
  }
  for (auto& v : s.sigma) {
    v = std::sqrt(v / static_cast<double>(std::max<std::size_t>(n, 1)));
    if (!(v > 0)) v = 1.0;
  }
  return s;
}

void FeatureScaling::apply(EventTable& table) const {
  const std::size_t f = table.features;
  CWOLA_EXPECT(f == mean.size());
  for (std::size_t r = 0; r < table.size(); ++r) {
    for (std::size_t c = 0; c < f; ++c) {
      auto& x = table.rows[r * f + c];
      x = static_cast<float>((x - mean[c]) / sigma[c]);
    }
  }
}

}  // namespace cwola::data
