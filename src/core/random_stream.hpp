#pragma once
/// A random stream whose output is fixed by the C++ standard and by this file
/// alone: std::mt19937_64 bits, our own uniform/normal transforms (the standard
/// library's distributions differ between implementations).
#include <cstdint>
#include <random>
#include <vector>

namespace cwola::core {

class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) : engine_(seed) {}

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11U) * 0x1.0p-53; }
  /// Standard normal (Marsaglia polar method; caches the second value).
  double normal();
  /// Uniform integer in [0, n) without modulo bias; n > 0.
  std::uint64_t below(std::uint64_t n);
  /// A uniformly random permutation of 0..n-1 (Fisher–Yates).
  std::vector<std::size_t> permutation(std::size_t n);

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cwola::core
