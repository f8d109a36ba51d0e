#pragma once
/// The one logger. A line is either printed once for all ranks (by rank 0) or
/// tagged with the rank that prints it. Output goes to stderr; results never do.
#include <string>

namespace cwola::core {

enum class LogLevel : int { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

/// Set once after MPI start-up; before that every rank logs as rank 0 of 1.
void init_logging(int rank, int size, LogLevel level);
LogLevel log_level();

/// Printed by rank 0 only: statements true for the whole job.
void log_info(const std::string& message);
void log_warning(const std::string& message);
void log_debug(const std::string& message);
/// Printed by every rank, tagged "[rank r/N]": per-rank facts (device, host).
void log_rank_info(const std::string& message);
void log_rank_warning(const std::string& message);
/// Errors are printed by the rank that hit them, tagged, whatever the level.
void log_rank_error(const std::string& message);

}  // namespace cwola::core
