#include "app/study_runner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include "core/log.hpp"
#include "parallel/agreed_step.hpp"
#include "parallel/stop_signal.hpp"
#include "parallel/task_queue.hpp"
#include "report/plot_runner.hpp"
#include "report/summary.hpp"
#include "store/results_store.hpp"
#include "training/compute_device.hpp"
#include "training/ensemble_trainer.hpp"

namespace cwola::app {

namespace {
using Clock = std::chrono::steady_clock;

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

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

store::StoreLayout make_layout(const PreparedJob& job) {
  store::StoreLayout layout;
  layout.study = job.plan.study;
  layout.job_name = job.plan.name;
  layout.job_text = job.effective_text;
  layout.job_hash = job.hash;
  for (const auto& axis : job.plan.axes) layout.axes.push_back(axis.key);
  layout.point_axis_values = job.plan.point_values;
  for (std::uint64_t t = 0; t < job.plan.n_tasks(); ++t) {
    layout.task_point.push_back(job.plan.point_of(t));
    layout.task_repeat.push_back(job.plan.repeat_of(t));
    layout.task_seed.push_back(job.plan.task_seed(t));
  }
  layout.result_columns = job.study->result_columns();
  layout.max_epochs = job.study->max_epochs();
  layout.roc_grid = job.study->roc_grid();
  for (const auto& array : job.study->task_arrays()) {
    layout.task_arrays.emplace_back(array.name, array.length);
  }
  return layout;
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
    const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate
                                : std::nan("");
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
  core::log_info("ensemble = auto: " + std::to_string(k) + " task(s) per batched training (device "
                 "cap " + std::to_string(cap) + ", memory for " + std::to_string(by_memory) + ", " +
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
    if (tasks != job.plan.n_tasks()) {
      throw core::InputError("store '" + output + "' has " + std::to_string(tasks) +
                             " task rows but its job has " + std::to_string(job.plan.n_tasks()) +
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
    provenance.start_time = utc_now();
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
                 std::to_string(job.plan.n_points()) + " points x " +
                 std::to_string(job.plan.repeats) + " repeats = " + std::to_string(status.size()) +
                 " tasks" +
                 (job.run.parts > 1 ? " (part " + std::to_string(job.run.part) + "/" +
                                          std::to_string(job.run.parts) + ": " +
                                          std::to_string(total) + ")"
                                    : std::string()) +
                 ", " + std::to_string(pending.size()) + " to run on " +
                 std::to_string(mpi.size()) + " rank(s); store " + output);

  parallel::StopSignalGuard signals;
  // The queue hands out batches: batch b is pending tasks [b K, (b + 1) K). Which tasks share a
  // stacked training is then a pure function of the pending list and K, not of timing or of
  // the rank count, so a run reproduces bit for bit on any number of ranks at the same K.
  const std::size_t batch = ensemble_size(job, device, mpi, pending.size());
  parallel::TaskQueue queue(mpi.comm(), (pending.size() + batch - 1) / batch);
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

  std::size_t ran_here = 0;
  double write_seconds = 0;  // store writes of this rank (for the scaling model, --verbose)
  bool abandoned = false;
  while (!abandoned && keep_going()) {
    // The next batch of up to `batch` tasks; with batch = 1 this is the plain one-task path.
    const auto item = queue.next();
    if (!item) break;
    std::vector<studies::TaskContext> contexts;
    for (std::size_t i = *item * batch; i < std::min(pending.size(), (*item + 1) * batch); ++i) {
      const std::uint64_t task = pending[i];
      studies::TaskContext context;
      context.task_id = task;
      context.point = job.plan.point_of(task);
      context.repeat = job.plan.repeat_of(task);
      context.master_seed = job.plan.master_seed;
      context.device = device_name;
      context.precision = job.run.precision;
      context.keep_going = keep_going;
      contexts.push_back(std::move(context));
    }
    const auto started = Clock::now();
    auto outputs = batch == 1 ? std::vector<studies::TaskOutput>{job.study->run_task(contexts[0])}
                              : job.study->run_tasks(contexts);
    // A batch's wall time is shared by its tasks (the amortised cost per task).
    const double wall = std::chrono::duration<double>(Clock::now() - started).count() /
                        static_cast<double>(contexts.size());
    const auto& columns = job.study->result_columns();
    const auto wall_column = std::find(columns.begin(), columns.end(), "wall_seconds");
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const std::uint64_t task = contexts[i].task_id;
      auto& task_output = outputs.at(i);
      if (task_output.status == studies::TaskOutput::Status::kAbandoned) {
        core::log_rank_info("task " + std::to_string(task) + " abandoned on stop signal; it "
                            "stays pending for --resume");
        abandoned = true;
        continue;
      }
      if (wall_column != columns.end() && task_output.results.size() == columns.size()) {
        task_output.results[static_cast<std::size_t>(wall_column - columns.begin())] = wall;
      }
      if (task_output.status == studies::TaskOutput::Status::kFailed) {
        core::log_rank_warning("task " + std::to_string(task) + " failed: " +
                               task_output.failure_reason);
      }
      const auto write_started = Clock::now();
      results.write_task(to_record(task_output, task, device_name, mpi.rank()));
      write_seconds += std::chrono::duration<double>(Clock::now() - write_started).count();
      queue.mark_done();
      ++ran_here;
      core::log_debug("task " + std::to_string(task) + " done");
    }
  }
  core::log_debug("ran " + std::to_string(ran_here) + " task(s) on this rank; store writes " +
                  std::to_string(write_seconds) + " s");
  mpi.barrier();
  if (mpi.rank() == 0) progress.report(queue.done(), true);

  // Every rank is here: the status column is final for this run.
  const auto final_status = results.read_status();
  // Complete = no task of this run's part is pending (a part store leaves the others pending).
  bool complete = true;
  for (std::uint64_t t = 0; t < final_status.size(); ++t) {
    if (final_status[t] == store::TaskStatus::kPending && job.run.in_part(t)) complete = false;
  }
  const auto failed = static_cast<std::size_t>(std::count(
      final_status.begin(), final_status.end(), store::TaskStatus::kFailed));
  // Rank 0 writes alone; the others wait for its outcome (a full disk) before the close.
  parallel::run_agreed(mpi.comm(), [&] {
    if (mpi.rank() != 0) return;
    const auto summary = report::summarize(results);
    results.write_summary(summary);
    results.write_completion(utc_now(), complete);
    std::cout << "\nSummary of '" << job.plan.name << "' (mean ± std over repeats)\n"
              << report::format_summary_table(results, summary) << std::flush;
  });
  results.close();
  const bool interrupted = !mpi.all_true(!parallel::stop_requested()) || !complete;

  if (interrupted) {
    core::log_warning("stopped before all tasks finished; the store is consistent. Continue with "
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
  if (failed > 0) {
    core::log_warning(std::to_string(failed) + " task(s) failed (see /results/failure_reason); "
                      "summaries exclude them");
    return core::ExitCode::kTasksFailed;
  }
  return core::ExitCode::kSuccess;
}

}  // namespace cwola::app
