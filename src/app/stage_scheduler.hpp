#pragma once
/// Hand-out of a staged job's tasks on the dynamic queue (docs/stages.md). Items of the queue
/// are batches of pending tasks, each within one stage, in task-id order, so every task a
/// batch reads lies in an earlier item. A rank that takes an item waits until what it reads is
/// finished: with "dependency" sync only the tasks it reads (one-sided reads of per-task states
/// in the queue's window), with "barrier" sync every task of the earlier stages. That never
/// deadlocks: each earlier item is held by a rank that waits only on still earlier items.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "parallel/task_queue.hpp"
#include "store/results_store.hpp"
#include "studies/stage_plan.hpp"

namespace cwola::app {

/// Splits `pending` (ascending task ids) into batches of at most `batch` tasks that never
/// cross a stage boundary; with one stage this is pending[bK, (b + 1)K) as before.
std::vector<std::vector<std::uint64_t>> make_stage_batches(const std::vector<std::uint64_t>& pending,
                                                           const studies::JobStages& stages,
                                                           std::size_t batch);

class StageScheduler {
 public:
  enum class Sync { kDependency, kBarrier };
  /// `status`: the store's task states at the start of this run.
  StageScheduler(const studies::JobStages& stages, const std::vector<store::TaskStatus>& status,
                 Sync sync);

  /// The queue's shared counters and their initial values: per stage its finished tasks,
  /// then per task its state (0 pending, 1 done, 2 failed). Empty for a job without stages.
  const std::vector<std::int64_t>& counters() const { return counters_; }

  /// Outcome of waiting for a task's inputs.
  struct Inputs {
    enum class State { kReady, kUpstreamFailed, kStopped } state = State::kReady;
    std::int64_t failed_task = -1;  ///< the upstream task that failed
  };
  /// Blocks until what `task` reads is finished, polling the queue; kStopped when
  /// `keep_going` turns false or the queue is closed (a graceful stop elsewhere).
  Inputs wait_for(std::uint64_t task, parallel::TaskQueue& queue,
                  const std::function<bool()>& keep_going) const;
  /// Publishes a finished task (done or failed) to the other ranks.
  void finished(std::uint64_t task, store::TaskStatus status, parallel::TaskQueue& queue) const;

 private:
  const studies::JobStages& stages_;
  Sync sync_;
  std::vector<std::int64_t> counters_;
};

}  // namespace cwola::app
