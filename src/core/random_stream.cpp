#include "core/random_stream.hpp"

#include <cmath>
#include <numeric>

namespace cwola::core {

double RandomStream::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u = 0;
  double v = 0;
  double s = 0;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

std::uint64_t RandomStream::below(std::uint64_t n) {
  // Rejection sampling: discard the top partial block of the 64-bit range.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              std::numeric_limits<std::uint64_t>::max() % n;
  std::uint64_t x = 0;
  do {
    x = engine_();
  } while (x >= limit);
  return x % n;
}

std::vector<std::size_t> RandomStream::permutation(std::size_t n) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) {
    const auto j = static_cast<std::size_t>(below(i));
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

}  // namespace cwola::core
