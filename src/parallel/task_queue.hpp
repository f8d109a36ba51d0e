#pragma once
/// Dynamic self-scheduling over MPI ranks without a coordinating rank: a shared
/// counter in an MPI window (one-sided fetch-and-add). A rank that finishes early
/// simply takes the next item; every rank, rank 0 included, does work.
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace cwola::parallel {

class TaskQueue {
 public:
  /// Collective over `comm`: items 0..n_items-1 are handed out once each. `counters` (the same
  /// on every rank) are extra shared int64 values with their initial values, for ranks to
  /// publish progress others wait on (stages: per-task states and per-stage finished counts).
  TaskQueue(MPI_Comm comm, std::uint64_t n_items, const std::vector<std::int64_t>& counters = {});
  /// Collective (frees the window) unless unwinding from an error, when the job aborts anyway.
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  /// The next item for this rank, or nothing once all are handed out or the queue was closed.
  std::optional<std::uint64_t> next();
  /// Stops handing out items on every rank (graceful stop seen by one rank).
  void close();
  /// Counts one finished item (for progress at rank 0).
  void mark_done();
  /// Items finished so far over all ranks.
  std::uint64_t done();
  /// Whether close() was called by any rank.
  bool closed();
  /// Atomically adds `value` to shared counter `index`.
  void add_to(std::size_t index, std::int64_t value);
  /// The current value of shared counter `index` (an atomic read).
  std::int64_t counter(std::size_t index);

 private:
  std::int64_t fetch_add(int slot, std::int64_t value);

  MPI_Comm comm_;
  MPI_Win window_ = MPI_WIN_NULL;
  std::int64_t* memory_ = nullptr;  // [next item, items done, counters...], on rank 0
  std::uint64_t n_items_;
  std::size_t n_counters_ = 0;
};

}  // namespace cwola::parallel
