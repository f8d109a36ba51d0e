#include "app/stage_scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace cwola::app {

std::vector<std::vector<std::uint64_t>> make_stage_batches(const std::vector<std::uint64_t>& pending,
                                                           const studies::JobStages& stages,
                                                           std::size_t batch) {
  std::vector<std::vector<std::uint64_t>> batches;
  std::size_t current_stage = 0;
  for (const std::uint64_t task : pending) {
    const std::size_t stage = stages.stages.size() > 1 ? stages.locate(task).stage : 0;
    if (batches.empty() || batches.back().size() == batch || stage != current_stage) {
      batches.emplace_back();
    }
    current_stage = stage;
    batches.back().push_back(task);
  }
  return batches;
}

StageScheduler::StageScheduler(const studies::JobStages& stages,
                               const std::vector<store::TaskStatus>& status, Sync sync)
    : stages_(stages), sync_(sync) {
  if (!stages.declared) return;
  counters_.assign(stages.stages.size() + status.size(), 0);
  for (std::size_t t = 0; t < status.size(); ++t) {
    if (status[t] == store::TaskStatus::kPending) continue;
    counters_[stages.locate(t).stage] += 1;
    counters_[stages.stages.size() + t] = static_cast<std::int64_t>(status[t]);
  }
}

StageScheduler::Inputs StageScheduler::wait_for(std::uint64_t task, parallel::TaskQueue& queue,
                                                const std::function<bool()>& keep_going) const {
  Inputs inputs;
  if (!stages_.declared) return inputs;
  const auto where = stages_.locate(task);
  auto pause = std::chrono::microseconds(500);
  auto wait_once = [&] {
    if (!keep_going() || queue.closed()) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(50000));
    return true;
  };
  if (sync_ == Sync::kBarrier) {
    for (std::size_t s = 0; s < where.stage; ++s) {
      const auto total = static_cast<std::int64_t>(stages_.stages[s].n_tasks());
      while (queue.counter(s) < total) {
        if (!wait_once()) {
          inputs.state = Inputs::State::kStopped;
          return inputs;
        }
      }
    }
  }
  if (where.upstream >= 0) {
    const std::size_t slot = stages_.stages.size() + static_cast<std::size_t>(where.upstream);
    std::int64_t state = 0;
    while ((state = queue.counter(slot)) == 0) {
      if (!wait_once()) {
        inputs.state = Inputs::State::kStopped;
        return inputs;
      }
    }
    if (state == static_cast<std::int64_t>(store::TaskStatus::kFailed)) {
      inputs.state = Inputs::State::kUpstreamFailed;
      inputs.failed_task = where.upstream;
    }
  }
  return inputs;
}

void StageScheduler::finished(std::uint64_t task, store::TaskStatus status,
                              parallel::TaskQueue& queue) const {
  if (!stages_.declared) return;
  // The task's state first: a barrier waiter that sees the stage count also sees the state.
  queue.add_to(stages_.stages.size() + task, static_cast<std::int64_t>(status));
  queue.add_to(stages_.locate(task).stage, 1);
}

}  // namespace cwola::app
