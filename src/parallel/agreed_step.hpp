#pragma once
/// Collective error agreement: a step that may fail on some ranks only (a full disk seen by
/// the rank that writes, a lock file only rank 0 looks at) is followed by one allreduce of
/// its outcome, so either every rank goes on to the next collective or every rank throws.
/// Without it the ranks that succeeded wait in the next collective for the ones that
/// failed, and the job hangs instead of ending with a message.
#include <mpi.h>

#include <functional>
#include <string>

#include "core/error.hpp"

namespace cwola::parallel {

/// Thrown on every rank of the communicator at once, so the job can end without
/// MPI_Abort: no rank is left waiting in a collective. An unexpected error (exit 1).
class AgreedFailure : public core::Error {
 public:
  /// `message` is the first failed rank's.
  AgreedFailure(const std::string& message, int failed_rank)
      : core::Error(message), failed_rank_(failed_rank) {}
  int failed_rank() const { return failed_rank_; }

 private:
  int failed_rank_;
};

/// As AgreedFailure, for a rejected input (exit 2); still an InputError to its callers.
class AgreedInputError : public core::InputError {
 public:
  AgreedInputError(const std::string& message, int failed_rank)
      : core::InputError(message), failed_rank_(failed_rank) {}
  int failed_rank() const { return failed_rank_; }

 private:
  int failed_rank_;
};

/// Runs `step` on this rank (it may throw), then agrees with every rank of `comm`: if any
/// rank's step threw, every rank throws AgreedInputError (when that failure was an
/// InputError) or AgreedFailure with the lowest failed rank's message. On one rank the
/// step's own exception passes unchanged. Collective over `comm`.
void run_agreed(MPI_Comm comm, const std::function<void()>& step);

/// The agreement alone, for a step already run: `error` is this rank's failure message
/// (empty on success). Collective over `comm`.
void agree(MPI_Comm comm, const std::string& error, bool input_error);

}  // namespace cwola::parallel
