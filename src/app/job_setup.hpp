#pragma once
/// From command line to a validated job: read the file, apply --set, expand the
/// task plan, build the study (which reads and checks every point's settings) and
/// reject keys nobody read. Pure and identical on every rank.
#include <memory>
#include <string>

#include "app/command_line.hpp"
#include "core/job_config.hpp"
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
  std::string output;           ///< store path
};

struct PreparedJob {
  core::JobConfig config;  ///< effective job, defaults recorded
  studies::TaskPlan plan;
  std::unique_ptr<studies::Study> study;
  RunSettings run;
  std::string effective_text;  ///< INI text of everything (as --dump-config prints it)
  std::string hash;            ///< of everything but [run]
};

PreparedJob prepare_job(const CommandLine& line);

}  // namespace cwola::app
