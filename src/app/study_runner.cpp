#include "app/study_runner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <thread>

#include "app/hunt_fit.hpp"
#include "app/stage_scheduler.hpp"
#include "core/log.hpp"
#include "core/utc_time.hpp"
#include "parallel/agreed_step.hpp"
#include "parallel/stop_signal.hpp"
#include "parallel/task_queue.hpp"
#include "report/ensemble_summary.hpp"
#include "report/plot_runner.hpp"
#include "report/summary.hpp"
#include "store/results_store.hpp"
#include "studies/hunt_study.hpp"
#include "training/compute_device.hpp"
#include "training/ensemble_trainer.hpp"

namespace cwola::app {

namespace {
using Clock = std::chrono::steady_clock;

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", s / 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lds", s);
  }
  return buffer;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

/// [run] checkpoint = epoch: per stage, one group for the tasks of each network shape (a stage
/// that scans the network's shape has several), named after the stage ("<stage>_<k>" then).
std::vector<store::CheckpointGroup> checkpoint_groups(const PreparedJob& job) {
  std::vector<store::CheckpointGroup> groups;
  for (const auto& stage : job.stages.stages) {
    // The group of each of the stage's points (a layout builds a network: once per point).
    std::vector<store::CheckpointGroup> own;
    std::vector<std::size_t> group_of_point;
    for (std::size_t p = 0; p < stage.plan.n_points(); ++p) {
      const auto layout = stage.study->checkpoint_layout(p);
      const auto same = std::find_if(own.begin(), own.end(),
                                     [&layout](const auto& g) { return g.layout == layout; });
      group_of_point.push_back(static_cast<std::size_t>(same - own.begin()));
      if (same == own.end()) own.push_back({stage.name, {}, layout});
    }
    for (std::uint64_t t = stage.first_task; t < stage.first_task + stage.n_tasks(); ++t) {
      own[group_of_point.at(job.stages.locate(t).point)].tasks.push_back(t);
    }
    for (std::size_t k = 0; own.size() > 1 && k < own.size(); ++k) {
      own[k].name += "_" + std::to_string(k);
    }
    for (auto& group : own) groups.push_back(std::move(group));
  }
  return groups;
}

/// The store name of a study's artifact: its own name, prefixed by the stage's when the job
/// declares stages (two stages may run the same study).
std::string artifact_name(bool stages_declared, const std::string& stage, const std::string& name) {
  return stages_declared ? stage + "_" + name : name;
}

store::StoreLayout make_layout(const PreparedJob& job) {
  const auto& stages = job.stages;
  store::StoreLayout layout;
  layout.study = job.plan.study;
  layout.job_name = job.plan.name;
  layout.job_text = job.effective_text;
  layout.job_hash = job.hash;
  // The store records the stages when the job declares them, and the implicit stage "main" of
  // a plain job that keeps models ([job] models = all): models are stored per stage.
  const bool record_stages =
      stages.declared || std::any_of(stages.stages.begin(), stages.stages.end(), [](const auto& s) {
        return s.keep_models || s.keep_named_models;
      });
  // Axes: the union over stages in order of appearance; a stage that does not scan an axis
  // shows the value its settings give the key (or "" when it has no such setting).
  for (const auto& stage : stages.stages) {
    for (const auto& axis : stage.plan.axes) {
      if (std::find(layout.axes.begin(), layout.axes.end(), axis.key) == layout.axes.end()) {
        layout.axes.push_back(axis.key);
      }
    }
  }
  for (const auto& stage : stages.stages) {
    for (const auto& config : stage.plan.point_configs) {
      std::vector<std::string> values;
      for (const auto& axis : layout.axes)
        values.push_back(config.has(axis) ? config.raw(axis) : "");
      layout.point_axis_values.push_back(std::move(values));
    }
  }
  for (std::uint64_t t = 0; t < stages.n_tasks(); ++t) {
    const auto where = stages.locate(t);
    layout.task_point.push_back(stages.stages[where.stage].first_point + where.point);
    layout.task_repeat.push_back(where.repeat);
    layout.task_seed.push_back(job.plan.task_seed(t));
    layout.task_fold.push_back(static_cast<std::int64_t>(where.fold));
    layout.task_inner_fold.push_back(static_cast<std::int64_t>(where.inner));
    if (record_stages) {
      layout.task_stage.push_back(static_cast<std::int64_t>(where.stage));
      layout.task_upstream.push_back(where.upstream);
    }
  }
  // Columns: the union over stages (all of one study type share them).
  for (const auto& stage : stages.stages) {
    for (const auto& column : stage.study->result_columns()) {
      if (std::find(layout.result_columns.begin(), layout.result_columns.end(), column) ==
          layout.result_columns.end()) {
        layout.result_columns.push_back(column);
      }
    }
    layout.max_epochs = std::max(layout.max_epochs, stage.study->max_epochs());
    layout.score_width = std::max(layout.score_width, stage.study->kept_score_width());
    layout.score_masses = layout.score_masses || stage.study->scores_carry_mass();
  }
  layout.roc_grid = job.study->roc_grid();
  for (const auto& array : job.study->task_arrays()) {
    layout.task_arrays.emplace_back(array.name, array.length);
  }
  if (record_stages) {
    for (const auto& stage : stages.stages) {
      store::StageLayout stored;
      stored.name = stage.name;
      stored.first_task = stage.first_task;
      stored.n_tasks = stage.n_tasks();
      stored.reads =
          stage.reads >= 0 ? stages.stages[static_cast<std::size_t>(stage.reads)].name : "";
      stored.per_task = stage.per_task;
      stored.keep_models = stage.keep_models;
      if (stage.keep_models) stored.model = stage.study->model_layout(0);
      if (stage.keep_named_models) stored.named_models = stage.study->named_models(0);
      if (stage.keep_optimizer) {
        for (auto& tensor : stage.study->optimizer_layout(0).tensors) {
          stored.model.tensors.push_back(std::move(tensor));
        }
      }
      layout.stages.push_back(std::move(stored));
    }
  }
  if (job.run.checkpoint == "epoch") layout.checkpoints = checkpoint_groups(job);
  // Artifacts: each stage's study declares them; named <stage>_<name> when stages are set.
  for (const auto& stage : stages.stages) {
    for (const auto& spec : stage.study->artifacts()) {
      store::ArtifactLayout artifact;
      artifact.name = artifact_name(stages.declared, stage.name, spec.name);
      artifact.stage = stages.declared ? stage.name : "main";
      artifact.first_task = stage.first_task;
      artifact.n_tasks = stage.n_tasks();
      artifact.max_rows = spec.max_rows;
      artifact.columns = spec.columns;
      artifact.seed_purpose = spec.seed_purpose;
      artifact.description = spec.description;
      layout.artifacts.push_back(std::move(artifact));
    }
  }
  return layout;
}

/// A stage's result row in the store's column order (the union over stages; NaN elsewhere).
std::vector<double> to_store_columns(const std::vector<double>& values,
                                     const std::vector<std::string>& columns,
                                     const std::vector<std::string>& store_columns) {
  if (columns == store_columns || values.size() != columns.size()) return values;
  std::vector<double> row(store_columns.size(), std::nan(""));
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const auto at = std::find(store_columns.begin(), store_columns.end(), columns[c]);
    row[static_cast<std::size_t>(at - store_columns.begin())] = values[c];
  }
  return row;
}

/// Fault injection for the kill tests (tests/faults/test_kills.py): with
/// CWOLA_FAULT_PAUSE_AFTER_MODEL = "7", the rank that trained task 7 pauses 30 s after writing
/// its model and before its status flag, so a kill lands between the two.
void pause_after_model_fault(std::uint64_t task) {
  const char* text = std::getenv("CWOLA_FAULT_PAUSE_AFTER_MODEL");
  if (text == nullptr || std::to_string(task) != text) return;
  core::log_rank_info("model of task " + std::to_string(task) + " written; pausing (fault test)");
  std::this_thread::sleep_for(std::chrono::seconds(30));
}

/// Fault injection for the kill tests: with CWOLA_FAULT_PAUSE_IN_CHECKPOINT = "7:3", the rank
/// that trains task 7 pauses 30 s after writing the slot of its checkpoint after epoch 3 and
/// before the flag that names it, so a kill lands inside a checkpoint write.
void pause_in_checkpoint_fault(std::uint64_t task, const core::Checkpoint& checkpoint) {
  const char* text = std::getenv("CWOLA_FAULT_PAUSE_IN_CHECKPOINT");
  if (text == nullptr ||
      std::to_string(task) + ":" + std::to_string(checkpoint.epochs_done) != text) {
    return;
  }
  core::log_rank_info("checkpoint slot of task " + std::to_string(task) + " after epoch " +
                      std::to_string(checkpoint.epochs_done) + " written; pausing (fault test)");
  std::this_thread::sleep_for(std::chrono::seconds(30));
}

/// Rank 0's progress line: tasks done over all ranks, rate and ETA of this run.
class ProgressReporter {
 public:
  ProgressReporter(std::size_t total, std::size_t done_before, double interval_seconds)
      : total_(total), done_before_(done_before), interval_(interval_seconds) {}

  void report(std::uint64_t done_this_run, bool force) {
    const auto now = Clock::now();
    const double since_last = std::chrono::duration<double>(now - last_).count();
    if (!force && since_last < interval_) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done_this_run) / elapsed : 0.0;
    const std::size_t done = done_before_ + done_this_run;
    const double eta =
        rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : std::nan("");
    char line[160];
    std::snprintf(line, sizeof line, "progress: %zu/%zu tasks (%.0f%%), %.2f tasks/min, ETA %s",
                  done, total_, total_ > 0 ? 100.0 * static_cast<double>(done) / total_ : 100.0,
                  60.0 * rate, format_duration(eta).c_str());
    core::log_info(line);
  }

 private:
  std::size_t total_;
  std::size_t done_before_;
  double interval_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_ = Clock::now();
};

store::TaskRecord to_record(const studies::TaskOutput& output, std::uint64_t task,
                            const std::string& device, int rank) {
  store::TaskRecord record;
  record.task = task;
  record.status = output.status == studies::TaskOutput::Status::kDone ? store::TaskStatus::kDone
                                                                      : store::TaskStatus::kFailed;
  record.failure_reason = output.failure_reason;
  record.results = output.results;
  record.train_loss = output.train_loss;
  record.val_loss = output.val_loss;
  record.train_accuracy = output.train_accuracy;
  record.val_accuracy = output.val_accuracy;
  record.roc = output.roc;
  record.arrays = output.arrays;
  record.scores = output.scores;
  record.score_labels = output.score_labels;
  record.score_masses = output.score_masses;
  record.scored_events_id = output.scored_events_id;
  record.device = device;
  record.rank = rank;
  return record;
}
/// Tasks per batched call: [run] ensemble, or with auto the most that fit half the memory
/// budget, are worth stacking on this device, and still leave every rank equally many rounds.
std::size_t ensemble_size(const PreparedJob& job, const training::DeviceChoice& device,
                          const parallel::MpiRuntime& mpi, std::size_t pending) {
  if (job.run.ensemble > 0) return static_cast<std::size_t>(job.run.ensemble);
  auto cap = static_cast<std::size_t>(training::max_useful_ensemble(device.device));
  if (!device.device.is_cuda()) cap = std::min(cap, job.study->useful_cpu_ensemble());
  const std::size_t bytes = job.study->task_device_bytes();
  const auto budget =
      static_cast<std::size_t>(training::ensemble_memory_budget(device.device, mpi.local_size()));
  const std::size_t by_memory = bytes > 0 ? std::max<std::size_t>(1, budget / bytes) : cap;
  const std::size_t most = std::max<std::size_t>(1, std::min(cap, by_memory));
  // Rounds each rank needs at that size, then the smallest size with the same rounds: the
  // last round is then about as full as the others (less tail imbalance).
  const std::size_t ranks = static_cast<std::size_t>(std::max(1, mpi.size()));
  const std::size_t per_rank = std::max<std::size_t>(1, (pending + ranks - 1) / ranks);
  const std::size_t rounds = (per_rank + most - 1) / most;
  const std::size_t k = std::max<std::size_t>(1, (per_rank + rounds - 1) / rounds);
  core::log_info("ensemble = auto: " + std::to_string(k) +
                 " task(s) per batched training (device "
                 "cap " +
                 std::to_string(cap) + ", memory for " + std::to_string(by_memory) + ", " +
                 std::to_string(per_rank) + " task(s) per rank)");
  return k;
}
}  // namespace

void preflight(const parallel::MpiRuntime& mpi, const PreparedJob& job, const RunRequest& request) {
  const std::string& output = job.run.output;
  const std::string directory = directory_of(output);
  struct stat info {};
  // access() alone passes a regular file for root; the store needs a directory.
  if (access(directory.c_str(), W_OK) != 0 || stat(directory.c_str(), &info) != 0 ||
      !S_ISDIR(info.st_mode)) {
    throw core::InputError("output directory '" + directory + "' of store '" + output +
                           "' does not exist or is not writable; create it or choose another "
                           "--output");
  }
  const bool exists = access(output.c_str(), F_OK) == 0;
  if (exists && !request.resume && !request.overwrite) {
    throw core::InputError("store '" + output +
                           "' already exists (its finished tasks would be lost); use --resume "
                           "to continue it, --overwrite to replace it, or another --output");
  }
  if (request.resume) {
    // Each rank reads the hash on its own, so a bad store is refused before any collective.
    const std::size_t tasks = store::ResultsStore::check_resumable(output, job.hash);
    if (tasks != job.stages.n_tasks()) {
      throw core::InputError("store '" + output + "' has " + std::to_string(tasks) +
                             " task rows but its job has " + std::to_string(job.stages.n_tasks()) +
                             " tasks (the store was altered or damaged); start again with "
                             "--overwrite or use another --output");
    }
  }
  training::choose_device(training::parse_device_request(job.run.device), mpi.local_rank(),
                          mpi.local_size());
}

core::ExitCode run_study(const parallel::MpiRuntime& mpi, PreparedJob& job,
                         const RunRequest& request) {
  const std::string& output = job.run.output;

  // Device and threads, per rank.
  const auto device_request = training::parse_device_request(job.run.device);
  const auto device = training::choose_device(device_request, mpi.local_rank(), mpi.local_size());
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  const int threads = job.run.threads > 0
                          ? job.run.threads
                          : std::max(1, static_cast<int>(cores) / std::max(1, mpi.local_size()));
  training::set_compute_threads(threads, job.run.blas_threads);
  training::set_deterministic(job.run.deterministic);
  core::log_rank_info("host " + mpi.host() + ", local rank " + std::to_string(mpi.local_rank()) +
                      "/" + std::to_string(mpi.local_size()) + ", device " + device.description +
                      ", " + std::to_string(threads) + " thread(s)");
  const std::string device_name = device.device.str();

  // Store: created or resumed, collectively.
  store::ResultsStore results = [&] {
    if (request.resume) return store::ResultsStore::resume(mpi.comm(), output, job.hash);
    store::Provenance provenance;
    provenance.code_version = CWOLA_VERSION;
    provenance.git_commit = CWOLA_GIT_COMMIT;
    provenance.torch_version = training::torch_version();
    provenance.mpi_version = parallel::MpiRuntime::library_version();
    provenance.ranks = mpi.size();
    const auto devices = mpi.all_gather(mpi.host() + ":" + device_name);
    for (std::size_t r = 0; r < devices.size(); ++r) {
      provenance.devices += (r ? "; " : "") + std::to_string(r) + "=" + devices[r];
    }
    provenance.start_time = core::utc_now();
    return store::ResultsStore::create(mpi.comm(), output, make_layout(job), provenance,
                                       request.overwrite);
  }();

  const auto status = results.read_status();
  std::vector<std::uint64_t> pending;
  for (std::uint64_t t = 0; t < status.size(); ++t) {
    if (status[t] == store::TaskStatus::kPending && job.run.in_part(t)) pending.push_back(t);
  }
  std::size_t total = 0;  // tasks of this run's part (all tasks unless run.part is set)
  for (std::uint64_t t = 0; t < status.size(); ++t) total += job.run.in_part(t) ? 1 : 0;
  core::log_info("study '" + job.plan.name + "' (" + job.plan.study + "): " +
                 (job.stages.declared ? std::to_string(job.stages.stages.size()) + " stages"
                                      : std::to_string(job.plan.n_points()) + " points x " +
                                            std::to_string(job.plan.repeats) + " repeats") +
                 " = " + std::to_string(status.size()) + " tasks" +
                 (job.run.parts > 1
                      ? " (part " + std::to_string(job.run.part) + "/" +
                            std::to_string(job.run.parts) + ": " + std::to_string(total) + ")"
                      : std::string()) +
                 ", " + std::to_string(pending.size()) + " to run on " +
                 std::to_string(mpi.size()) + " rank(s); store " + output);

  parallel::StopSignalGuard signals;
  // The queue hands out batches: batch b is pending tasks [b K, (b + 1) K). Which tasks share a
  // stacked training is then a pure function of the pending list and K, not of timing or of
  // the rank count, so a run reproduces bit for bit on any number of ranks at the same K.
  const std::size_t batch = ensemble_size(job, device, mpi, pending.size());
  const auto batches = make_stage_batches(pending, job.stages, batch);
  const StageScheduler scheduler(job.stages, status,
                                 job.run.stage_sync == "barrier"
                                     ? StageScheduler::Sync::kBarrier
                                     : StageScheduler::Sync::kDependency);
  parallel::TaskQueue queue(mpi.comm(), batches.size(), scheduler.counters());
  ProgressReporter progress(total, total - pending.size(), job.run.progress_seconds);
  bool closed_by_us = false;
  auto keep_going = [&] {
    if (parallel::stop_requested()) {
      if (!closed_by_us) {
        queue.close();
        closed_by_us = true;
      }
      return false;
    }
    if (mpi.rank() == 0) progress.report(queue.done(), false);
    return true;
  };

  // A store made without checkpoint slots keeps none, whatever this run's [run] says.
  const bool checkpointing = job.run.checkpoint == "epoch" && !results.checkpoint_groups().empty();
  if (job.run.checkpoint == "epoch" && results.checkpoint_groups().empty()) {
    core::log_warning("[run] checkpoint = epoch, but store '" + output +
                      "' was created without checkpoint slots; this run keeps none");
  }
  std::size_t ran_here = 0;
  double write_seconds = 0;  // store writes of this rank (for the scaling model, --verbose)
  double wait_seconds = 0;   // waiting for tasks of earlier stages (docs/stages.md)
  bool abandoned = false;
  const auto& columns = results.result_columns();  // the union over stages
  std::vector<std::string> failure_reasons;        // read once, when an upstream task failed
  auto write_record = [&](const studies::TaskOutput& task_output, std::uint64_t task) {
    const auto write_started = Clock::now();
    results.write_task(to_record(task_output, task, device_name, mpi.rank()));
    write_seconds += std::chrono::duration<double>(Clock::now() - write_started).count();
    scheduler.finished(task,
                       task_output.status == studies::TaskOutput::Status::kDone
                           ? store::TaskStatus::kDone
                           : store::TaskStatus::kFailed,
                       queue);
    queue.mark_done();
    ++ran_here;
    core::log_debug("task " + std::to_string(task) + " done");
  };
  while (!abandoned && keep_going()) {
    // The next batch of up to `batch` tasks of one stage; with batch = 1 the one-task path.
    const auto item = queue.next();
    if (!item) break;
    const auto& tasks = batches.at(*item);
    const auto& stage = job.stages.stages[job.stages.locate(tasks.front()).stage];
    std::vector<studies::TaskContext> contexts;
    std::vector<core::ModelTensors> inputs;
    inputs.reserve(tasks.size());  // contexts point into it
    std::vector<core::Checkpoint> checkpoints;
    checkpoints.reserve(tasks.size());  // likewise
    const auto wait_started = Clock::now();
    for (const std::uint64_t task : tasks) {
      const auto where = job.stages.locate(task);
      const auto ready = scheduler.wait_for(task, queue, keep_going);
      if (ready.state == StageScheduler::Inputs::State::kStopped) {
        abandoned = true;
        break;
      }
      if (ready.state == StageScheduler::Inputs::State::kUpstreamFailed) {
        // Never trained from scratch: the task fails with its input's reason.
        if (failure_reasons.empty()) failure_reasons = results.read_failure_reasons();
        studies::TaskOutput failed;
        failed.status = studies::TaskOutput::Status::kFailed;
        failed.failure_reason = "upstream task " + std::to_string(ready.failed_task) + " failed: " +
                                failure_reasons.at(static_cast<std::size_t>(ready.failed_task));
        core::log_rank_warning("task " + std::to_string(task) +
                               " failed: " + failed.failure_reason);
        write_record(failed, task);
        continue;
      }
      studies::TaskContext context;
      context.task_id = task;
      context.point = where.point;
      context.repeat = where.repeat;
      context.fold = where.fold;
      context.folds = stage.plan.folds;
      context.inner = where.inner;
      context.inner_folds = stage.plan.inner_folds;
      context.sample = where.sample;
      context.master_seed = job.plan.master_seed;
      context.device = device_name;
      context.precision = job.run.precision;
      context.keep_going = keep_going;
      context.keep_model = stage.keep_models;
      context.keep_named_models = stage.keep_named_models;
      context.keep_optimizer = stage.keep_optimizer;
      context.continue_optimizer = stage.continue_optimizer;
      if (where.upstream >= 0) {
        inputs.push_back(results.read_model(static_cast<std::uint64_t>(where.upstream)));
        context.input_model = &inputs.back();
      }
      if (checkpointing && results.keeps_checkpoints(task)) {
        if (auto stored = results.read_checkpoint(task)) {
          core::log_rank_info("task " + std::to_string(task) + " resumes after epoch " +
                              std::to_string(stored->epochs_done) + " (its checkpoint)");
          checkpoints.push_back(std::move(*stored));
          context.resume_checkpoint = &checkpoints.back();
        }
        context.save_checkpoint = [&results, task](const core::Checkpoint& checkpoint) {
          results.write_checkpoint(task, checkpoint,
                                   [&] { pause_in_checkpoint_fault(task, checkpoint); });
          core::log_debug("task " + std::to_string(task) + " checkpoint after epoch " +
                          std::to_string(checkpoint.epochs_done));
        };
      }
      contexts.push_back(std::move(context));
    }
    wait_seconds += std::chrono::duration<double>(Clock::now() - wait_started).count();
    if (abandoned) {
      core::log_rank_info(
          "stopped while waiting for an earlier stage; the remaining tasks stay "
          "pending for --resume");
      break;
    }
    if (contexts.empty()) continue;
    const auto started = Clock::now();
    auto outputs = contexts.size() == 1
                       ? std::vector<studies::TaskOutput>{stage.study->run_task(contexts[0])}
                       : stage.study->run_tasks(contexts);
    // A batch's wall time is shared by its tasks (the amortised cost per task).
    const double wall = std::chrono::duration<double>(Clock::now() - started).count() /
                        static_cast<double>(contexts.size());
    const auto& stage_columns = stage.study->result_columns();
    const auto wall_column = std::find(stage_columns.begin(), stage_columns.end(), "wall_seconds");
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const std::uint64_t task = contexts[i].task_id;
      auto& task_output = outputs.at(i);
      if (task_output.status == studies::TaskOutput::Status::kAbandoned) {
        core::log_rank_info("task " + std::to_string(task) +
                            " abandoned on stop signal; it "
                            "stays pending for --resume");
        abandoned = true;
        continue;
      }
      if (wall_column != stage_columns.end() &&
          task_output.results.size() == stage_columns.size()) {
        task_output.results[static_cast<std::size_t>(wall_column - stage_columns.begin())] = wall;
      }
      task_output.results = to_store_columns(task_output.results, stage_columns, columns);
      if (task_output.status == studies::TaskOutput::Status::kDone && contexts[i].keep_model) {
        if (task_output.model.empty()) {
          throw core::Error("study of stage '" + stage.name + "' returned no model for task " +
                            std::to_string(task) + " (a bug: its stage keeps models)");
        }
        // The model before the status flag: a task marked done has its model.
        const auto write_started = Clock::now();
        results.write_model(task, task_output.model);
        write_seconds += std::chrono::duration<double>(Clock::now() - write_started).count();
        pause_after_model_fault(task);
      }
      if (task_output.status == studies::TaskOutput::Status::kDone &&
          contexts[i].keep_named_models) {
        // The named models before the status flag too (e.g. CATHODE's flow), as laid out.
        const auto& named = results.stage_of(task).named_models;
        if (task_output.named_models.size() != named.size()) {
          throw core::Error("study of stage '" + stage.name + "' returned " +
                            std::to_string(task_output.named_models.size()) +
                            " named models for task " + std::to_string(task) + ", not " +
                            std::to_string(named.size()) + " (a bug)");
        }
        const auto write_started = Clock::now();
        for (std::size_t m = 0; m < named.size(); ++m) {
          results.write_named_model(task, named[m].name, task_output.named_models[m]);
        }
        write_seconds += std::chrono::duration<double>(Clock::now() - write_started).count();
      }
      if (task_output.status == studies::TaskOutput::Status::kDone) {
        // Artifacts before the status flag too: a task marked done has its artifacts.
        const auto specs = stage.study->artifacts();
        if (task_output.artifacts.size() != specs.size()) {
          throw core::Error("study of stage '" + stage.name + "' returned " +
                            std::to_string(task_output.artifacts.size()) + " artifacts for task " +
                            std::to_string(task) + ", not " + std::to_string(specs.size()) +
                            " (a bug)");
        }
        const auto write_started = Clock::now();
        for (std::size_t a = 0; a < specs.size(); ++a) {
          results.write_artifact(task,
                                 artifact_name(job.stages.declared, stage.name, specs[a].name),
                                 task_output.artifacts[a].values, task_output.artifacts[a].seed);
        }
        write_seconds += std::chrono::duration<double>(Clock::now() - write_started).count();
      }
      if (task_output.status == studies::TaskOutput::Status::kFailed) {
        core::log_rank_warning("task " + std::to_string(task) +
                               " failed: " + task_output.failure_reason);
      }
      write_record(task_output, task);
    }
  }
  core::log_debug("ran " + std::to_string(ran_here) + " task(s) on this rank; store writes " +
                  std::to_string(write_seconds) + " s; waited for earlier stages " +
                  std::to_string(wait_seconds) + " s");
  mpi.barrier();
  if (mpi.rank() == 0) progress.report(queue.done(), true);

  // Every rank is here: the status column is final for this run.
  const auto final_status = results.read_status();
  // Complete = no task of this run's part is pending (a part store leaves the others pending).
  bool complete = true;
  for (std::uint64_t t = 0; t < final_status.size(); ++t) {
    if (final_status[t] == store::TaskStatus::kPending && job.run.in_part(t)) complete = false;
  }
  const auto failed = static_cast<std::size_t>(
      std::count(final_status.begin(), final_status.end(), store::TaskStatus::kFailed));
  // Rank 0 writes alone; the others wait for its outcome (a full disk) before the close.
  parallel::run_agreed(mpi.comm(), [&] {
    if (mpi.rank() != 0) return;
    auto summary = report::summarize(results);
    report::add_ensemble_summary(results, summary);
    results.write_summary(summary);
    results.write_completion(core::utc_now(), complete);
    std::cout << "\nSummary of '" << job.plan.name << "' (mean ± std over repeats)\n"
              << report::format_summary_table(results, summary) << std::flush;
  });
  results.close();
  const bool interrupted = !mpi.all_true(!parallel::stop_requested()) || !complete;

  if (interrupted) {
    core::log_warning(
        "stopped before all tasks finished; the store is consistent. Continue with "
        "the same command plus --resume");
    return core::ExitCode::kInterrupted;
  }
  if (mpi.rank() == 0 && request.plots) {
    const int plot_status = report::make_plots(output, directory_of(output));
    if (plot_status != 0) {
      core::log_warning("plot script failed (exit " + std::to_string(plot_status) +
                        "); results are in the store. Retry with: " +
                        report::plot_command(output, directory_of(output)));
    }
  }
  // A hunt's select → fit step needs only the store: rank 0 does it now (`cwola hunt` redoes it),
  // with the settings of the first stage that has one (a supervised reference has none).
  for (const auto& stage : job.stages.stages) {
    const auto* fit = studies::hunt_fit_settings(*stage.study);
    if (fit == nullptr) continue;
    if (mpi.rank() == 0) fit_hunt_store(output, hunt_fit_path(output), *fit, request.plots);
    break;
  }
  if (failed > 0) {
    core::log_warning(std::to_string(failed) +
                      " task(s) failed (see /results/failure_reason); "
                      "summaries exclude them");
    return core::ExitCode::kTasksFailed;
  }
  return core::ExitCode::kSuccess;
}

}  // namespace cwola::app
