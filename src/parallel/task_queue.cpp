#include "parallel/task_queue.hpp"

#include <algorithm>
#include <exception>
#include <limits>

#include "core/error.hpp"

namespace cwola::parallel {

namespace {
constexpr int kNextSlot = 0;
constexpr int kDoneSlot = 1;
// Added to the counter to close the queue: far beyond any task count, far from overflow.
constexpr std::int64_t kClosedOffset = std::numeric_limits<std::int64_t>::max() / 4;

void check(int status, const char* what) {
  if (status != MPI_SUCCESS) throw core::Error(std::string("MPI one-sided call failed: ") + what);
}
}  // namespace

TaskQueue::TaskQueue(MPI_Comm comm, std::uint64_t n_items, const std::vector<std::int64_t>& counters)
    : comm_(comm), n_items_(n_items), n_counters_(counters.size()) {
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  const MPI_Aint bytes =
      rank == 0 ? static_cast<MPI_Aint>((2 + counters.size()) * sizeof(std::int64_t)) : 0;
  check(MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, comm_, &memory_, &window_),
        "MPI_Win_allocate");
  if (rank == 0) {
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_);
    memory_[kNextSlot] = 0;
    memory_[kDoneSlot] = 0;
    std::copy(counters.begin(), counters.end(), memory_ + 2);
    MPI_Win_unlock(0, window_);
  }
  MPI_Barrier(comm_);  // nobody fetches before the counter is zeroed
}

TaskQueue::~TaskQueue() {
  if (std::uncaught_exceptions() == 0 && window_ != MPI_WIN_NULL) MPI_Win_free(&window_);
}

std::int64_t TaskQueue::fetch_add(int slot, std::int64_t value) {
  std::int64_t previous = 0;
  check(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_), "MPI_Win_lock");
  check(MPI_Fetch_and_op(&value, &previous, MPI_INT64_T, 0, slot, MPI_SUM, window_),
        "MPI_Fetch_and_op");
  check(MPI_Win_unlock(0, window_), "MPI_Win_unlock");
  return previous;
}

std::optional<std::uint64_t> TaskQueue::next() {
  const std::int64_t item = fetch_add(kNextSlot, 1);
  if (item < 0 || static_cast<std::uint64_t>(item) >= n_items_) return std::nullopt;
  return static_cast<std::uint64_t>(item);
}

void TaskQueue::close() { fetch_add(kNextSlot, kClosedOffset); }

void TaskQueue::mark_done() { fetch_add(kDoneSlot, 1); }

std::uint64_t TaskQueue::done() { return static_cast<std::uint64_t>(fetch_add(kDoneSlot, 0)); }

bool TaskQueue::closed() { return fetch_add(kNextSlot, 0) >= kClosedOffset / 2; }

void TaskQueue::add_to(std::size_t index, std::int64_t value) {
  CWOLA_EXPECT(index < n_counters_);
  fetch_add(static_cast<int>(2 + index), value);
}

std::int64_t TaskQueue::counter(std::size_t index) {
  CWOLA_EXPECT(index < n_counters_);
  return fetch_add(static_cast<int>(2 + index), 0);
}

}  // namespace cwola::parallel
