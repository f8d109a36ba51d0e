#pragma once
/// Error types. Messages follow "problem (why it is a problem) what to do" and
/// name the file, key and value involved.
#include <stdexcept>
#include <string>

namespace cwola::core {

/// Process exit codes: a batch system and the resubmission scripts act on them.
enum class ExitCode : int {
  kSuccess = 0,
  kFailure = 1,      ///< unexpected error (a bug, an I/O failure)
  kBadInput = 2,     ///< job file, command line or input file rejected before work
  kInterrupted = 3,  ///< stopped by a signal; the store is consistent, run again with --resume
  kTasksFailed = 4,  ///< all tasks ran but some failed (e.g. diverged); summaries exclude them
};

/// Generic runtime error (I/O, library failures).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Rejected user input: a job file, a command-line value or an input file.
class InputError : public Error {
 public:
  /// `where` is a file (and line) or "--set"; `key` and `value` as the user wrote them.
  InputError(const std::string& where, const std::string& key, const std::string& value,
             const std::string& problem);
  explicit InputError(const std::string& message) : Error(message) {}
};

/// Debug-only contract for internal invariants (always-on input checks throw InputError).
#ifdef NDEBUG
#define CWOLA_EXPECT(cond) ((void)0)
#else
#define CWOLA_EXPECT(cond) \
  ((cond) ? (void)0 : ::cwola::core::contract_failed(#cond, __FILE__, __LINE__))
#endif
[[noreturn]] void contract_failed(const char* condition, const char* file, int line);

}  // namespace cwola::core
