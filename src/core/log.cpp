#include "core/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace cwola::core {

namespace {
struct LogState {
  int rank = 0;
  int size = 1;
  LogLevel level = LogLevel::kInfo;
  std::mutex mutex;
};

LogState& state() {
  static LogState s;
  return s;
}

void emit(const char* tag, bool with_rank, const std::string& message) {
  auto& s = state();
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[16];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
  std::lock_guard<std::mutex> lock(s.mutex);
  if (with_rank) {
    std::fprintf(stderr, "%s cwola %s[rank %d/%d] %s\n", stamp, tag, s.rank, s.size,
                 message.c_str());
  } else {
    std::fprintf(stderr, "%s cwola %s%s\n", stamp, tag, message.c_str());
  }
  std::fflush(stderr);
}

bool enabled(LogLevel level) { return static_cast<int>(level) <= static_cast<int>(state().level); }
}  // namespace

void init_logging(int rank, int size, LogLevel level) {
  auto& s = state();
  s.rank = rank;
  s.size = size;
  s.level = level;
}

LogLevel log_level() { return state().level; }

void log_info(const std::string& message) {
  if (state().rank == 0 && enabled(LogLevel::kInfo)) emit("", false, message);
}
void log_warning(const std::string& message) {
  if (state().rank == 0 && enabled(LogLevel::kWarning)) emit("warning: ", false, message);
}
void log_debug(const std::string& message) {
  if (enabled(LogLevel::kDebug)) emit("debug: ", true, message);
}
void log_rank_info(const std::string& message) {
  if (enabled(LogLevel::kInfo)) emit("", true, message);
}
void log_rank_warning(const std::string& message) {
  if (enabled(LogLevel::kWarning)) emit("warning: ", true, message);
}
void log_rank_error(const std::string& message) { emit("error: ", true, message); }

}  // namespace cwola::core
