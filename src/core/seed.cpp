#include "core/seed.hpp"

namespace cwola::core {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31U);
}

std::uint64_t stream_seed(std::uint64_t master, std::uint64_t task, SeedPurpose purpose) {
  // Chain through the mixer so that (a, b) and (b, a) differ and no linear relation survives.
  std::uint64_t h = mix64(master);
  h = mix64(h ^ task);
  h = mix64(h ^ static_cast<std::uint64_t>(purpose));
  return h;
}

std::uint64_t point_seed(std::uint64_t master, std::uint64_t point, SeedPurpose purpose) {
  // A domain constant ("point") enters before the point index, so (master, point, purpose)
  // and (master, task, purpose) streams differ even when point == task.
  constexpr std::uint64_t kPointDomain = 0x706f696e74ULL;
  return stream_seed(mix64(master ^ kPointDomain), point, purpose);
}

}  // namespace cwola::core
