#include "core/memory_limit.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cwola::core {

namespace {
/// The first number in `path` (cgroup v2 memory.max, v1 limit_in_bytes); 0 when absent or
/// "max".
std::uint64_t read_limit(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  return end != text.c_str() ? value : 0;
}
}  // namespace

std::uint64_t memory_limit_bytes() {
  if (const char* stated = std::getenv("CWOLA_MEMORY_LIMIT_BYTES")) {
    const unsigned long long value = std::strtoull(stated, nullptr, 10);
    if (value > 0) return value;
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  std::uint64_t limit = pages > 0 && page_size > 0
                            ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size)
                            : UINT64_MAX;
  for (const char* path : {"/sys/fs/cgroup/memory.max",
                           "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const std::uint64_t cgroup = read_limit(path);
    if (cgroup > 0 && cgroup < limit) limit = cgroup;
  }
  return limit;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 6) {
    bytes /= 1024.0;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buffer;
}

std::string memory_shortfall(double bytes, const std::string& what) {
  const auto limit = static_cast<double>(memory_limit_bytes());
  if (bytes <= limit) return {};
  return "needs about " + format_bytes(bytes) + " of memory (" + what + "), more than the " +
         format_bytes(limit) +
         " this process may use (physical memory or cgroup limit; CWOLA_MEMORY_LIMIT_BYTES)";
}

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
      std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) {
    return;
  }
  // Both together: a fixed trim threshold alone would also fix the mmap threshold at its
  // 128 KiB default and make every large tensor a fresh mmap.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

}  // namespace cwola::core
