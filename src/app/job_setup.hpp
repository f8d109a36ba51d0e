#pragma once
/// From command line to a validated job: read the file, apply --set, expand the
/// task plan, build the study (which reads and checks every point's settings) and
/// reject keys nobody read. Pure and identical on every rank.
#include <memory>
#include <string>

#include "app/command_line.hpp"
#include "core/job_config.hpp"
#include "studies/stage_plan.hpp"
#include "studies/study.hpp"
#include "studies/task_plan.hpp"

namespace cwola::app {

/// [run]: how to run, not what to compute; left out of the job hash so a study
/// can be resumed with other threads, devices or progress settings.
struct RunSettings {
  std::string device = "cpu";   ///< cpu, cuda or auto
  int threads = 0;              ///< LibTorch intra-op threads; 0 = cores / local ranks
  int blas_threads = 1;         ///< OpenBLAS threads per rank (1: see set_compute_threads)
  double progress_seconds = 10; ///< minimum interval between progress lines
  /// Tasks a rank trains at once as one stacked model (ensemble-batched); 1 = one at a time
  /// (the plain path), 0 = auto (from device memory, the device and the tasks per rank).
  int ensemble = 1;
  std::string precision = "float32";  ///< float32 or bf16 (products of batched training)
  bool deterministic = false;         ///< LibTorch deterministic algorithms (matters on GPUs)
  /// Stages: "dependency" hands out a task as soon as the task it reads is done; "barrier"
  /// waits until every task of all earlier stages is done (docs/stages.md measures both).
  std::string stage_sync = "dependency";
  /// "epoch": every training saves a checkpoint in the store after each epoch, and a task
  /// resumed after a kill continues from its last one (docs/stages.md); "none" (default).
  std::string checkpoint = "none";
  std::string output;           ///< store path
  /// run.part = "i/n" (--part i/n): this run does only the tasks with id % n == i - 1, so
  /// n jobs (a SLURM array) can each fill a store of their own for the same job (same hash);
  /// `cwola merge` joins them. 1/1 = all tasks.
  int part = 1;
  int parts = 1;
  bool in_part(std::uint64_t task) const {
    return task % static_cast<std::uint64_t>(parts) == static_cast<std::uint64_t>(part - 1);
  }
};

struct PreparedJob {
  core::JobConfig config;  ///< effective job, defaults recorded
  /// The stages with their plans and studies (one implicit stage for a job without stages).
  studies::JobStages stages;
  studies::TaskPlan plan;  ///< the first stage's plan (all of a job without stages)
  studies::Study* study = nullptr;  ///< the first stage's study (owned by `stages`)
  RunSettings run;
  std::string effective_text;  ///< INI text of everything (as --dump-config prints it)
  std::string hash;            ///< of everything but [run]
};

PreparedJob prepare_job(const CommandLine& line);

}  // namespace cwola::app
