#include "core/utc_time.hpp"

#include <chrono>

namespace cwola::core {

std::string format_utc(std::time_t time) {
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string utc_now() {
  return format_utc(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
}

}  // namespace cwola::core
