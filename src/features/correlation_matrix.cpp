#include "features/correlation_matrix.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace cwola::features {

std::vector<double> correlation_matrix(const std::vector<float>& rows, std::size_t columns) {
  CWOLA_EXPECT(columns > 0 && rows.size() % columns == 0);
  const std::size_t n = rows.size() / columns;
  std::vector<double> mean(columns, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < columns; ++c) mean[c] += rows[r * columns + c];
  }
  for (auto& m : mean) m /= static_cast<double>(std::max<std::size_t>(n, 1));
  std::vector<double> covariance(columns * columns, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t a = 0; a < columns; ++a) {
      const double da = rows[r * columns + a] - mean[a];
      for (std::size_t b = a; b < columns; ++b) {
        covariance[a * columns + b] += da * (rows[r * columns + b] - mean[b]);
      }
    }
  }
  std::vector<double> out(columns * columns);
  for (std::size_t a = 0; a < columns; ++a) {
    for (std::size_t b = a; b < columns; ++b) {
      double value = 1.0;
      if (a != b) {
        const double denominator =
            std::sqrt(covariance[a * columns + a] * covariance[b * columns + b]);
        value = denominator > 0 ? covariance[a * columns + b] / denominator
                                : std::numeric_limits<double>::quiet_NaN();
      }
      out[a * columns + b] = value;
      out[b * columns + a] = value;
    }
  }
  return out;
}

}  // namespace cwola::features
