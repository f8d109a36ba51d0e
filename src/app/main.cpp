/// cwola: weak-supervision (CWoLa) studies over MPI ranks. Thin by design:
/// parse, validate on every rank, run inside one try/catch, exit with a code
/// that batch scripts act on.
#include <iostream>
#include <new>
#include <optional>

#include "app/command_line.hpp"
#include "app/job_setup.hpp"
#include "app/study_runner.hpp"
#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/memory_limit.hpp"
#include "parallel/agreed_step.hpp"
#include "parallel/mpi_runtime.hpp"
#include "parallel/stop_signal.hpp"
#include "store/hdf5_file.hpp"
#include "store/store_lock.hpp"

using cwola::core::ExitCode;

namespace {
cwola::app::RunRequest request_of(const cwola::app::CommandLine& line) {
  return {line.resume, line.overwrite, line.plots};
}

/// Gathers every rank's verdict (empty = fine); true, with rank 0 printing the first
/// problem, when any rank refused.
bool refused(const cwola::parallel::MpiRuntime& mpi, const std::string& problem) {
  const auto problems = mpi.all_gather(problem);
  for (std::size_t r = 0; r < problems.size(); ++r) {
    if (problems[r].empty()) continue;
    if (mpi.rank() == 0) {
      std::cerr << "cwola: error: " << problems[r]
                << (r != 0 ? " [rank " + std::to_string(r) + "]" : "") << "\n";
    }
    return true;
  }
  return false;
}

/// Rank 0 takes the store's lock (one writer per store) and every rank learns the outcome
/// before the first collective on the store: InputError on all ranks when it is held.
std::optional<cwola::store::StoreLock> lock_store(const cwola::parallel::MpiRuntime& mpi,
                                                  const std::string& output) {
  std::optional<cwola::store::StoreLock> lock;
  cwola::parallel::run_agreed(mpi.comm(), [&] {
    if (mpi.rank() == 0) lock = cwola::store::StoreLock::acquire(output);
  });
  if (lock && !lock->taken_over_from().empty()) {
    cwola::core::log_info("took over the lock '" + lock->path() + "' left by a job that ended "
                          "without releasing it (" + lock->taken_over_from() + ")");
  }
  return lock;
}
}  // namespace

int run_subcommand(const cwola::parallel::MpiRuntime& mpi, const cwola::app::Subcommand& command,
                   int argc, char** argv) {
  const std::vector<std::string> arguments(argv + 2, argv + argc);
  try {
    return command.handler(mpi, arguments);
  } catch (const cwola::core::InputError& e) {
    if (mpi.rank() == 0) std::cerr << "cwola: error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kBadInput);
  } catch (const std::exception& e) {
    cwola::core::log_rank_error(e.what());
    if (mpi.size() > 1) mpi.abort(static_cast<int>(ExitCode::kFailure));
    return static_cast<int>(ExitCode::kFailure);
  }
}

int main(int argc, char** argv) {
  cwola::core::keep_freed_memory_for_reuse();
  cwola::parallel::MpiRuntime mpi(argc, argv);
  cwola::core::init_logging(mpi.rank(), mpi.size(), cwola::core::LogLevel::kInfo);
  if (argc > 1) {
    if (const auto* command = cwola::app::find_subcommand(argv[1])) {
      return run_subcommand(mpi, *command, argc, argv);
    }
  }

  // Stop signals (SLURM's --signal, scancel) are caught from here on, not only once the
  // task loop starts: a signal during validation or store creation then ends in a
  // complete store and exit 3 (resumable) instead of a kill by the default action.
  cwola::parallel::StopSignalGuard stop_signals;

  // Validation: every rank reads the same inputs and must reach the same verdict
  // before the first collective that could hang on a disagreement.
  cwola::app::CommandLine line;
  cwola::app::PreparedJob job;
  std::string problem;
  try {
    line = cwola::app::parse_command_line(argc, argv);
    cwola::core::init_logging(mpi.rank(), mpi.size(), line.log_level);
    if (line.command == cwola::app::Command::kRun) {
      job = cwola::app::prepare_job(line);
      if (!line.dump_config) cwola::app::preflight(mpi, job, request_of(line));
    }
  } catch (const cwola::core::InputError& e) {
    problem = e.what();
  } catch (const std::bad_alloc&) {
    // Sizes that can be computed are checked with their numbers; this is the rest.
    problem = "out of memory while reading job file '" + line.job_file +
              "' and its inputs (a size in the job or an input file is far too large); "
              "check the sizes it sets and the files it reads";
  }
  if (refused(mpi, problem)) return static_cast<int>(ExitCode::kBadInput);

  if (line.command == cwola::app::Command::kHelp) {
    if (mpi.rank() == 0) {
      std::cout << line.help_text << "\nOther commands:\n";
      for (const auto& command : cwola::app::subcommands()) {
        std::cout << "  " << command.name << ": " << command.summary << "\n";
      }
    }
    return 0;
  }
  if (line.command == cwola::app::Command::kVersion) {
    if (mpi.rank() == 0) std::cout << "cwola " << CWOLA_VERSION << " (" << CWOLA_GIT_COMMIT << ")\n";
    return 0;
  }
  if (line.dump_config) {
    if (mpi.rank() == 0) std::cout << job.effective_text;
    return 0;
  }

  // One writer per store: held from before the store is touched until the run ends.
  std::optional<cwola::store::StoreLock> lock;
  try {
    lock = lock_store(mpi, job.run.output);
  } catch (const cwola::core::InputError& e) {
    problem = e.what();
  } catch (const std::exception& e) {  // agreed by all ranks: the lock file cannot be written
    if (mpi.rank() == 0) std::cerr << "cwola: error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kFailure);
  }
  if (refused(mpi, problem)) return static_cast<int>(ExitCode::kBadInput);

  int code = static_cast<int>(ExitCode::kFailure);
  std::string error;
  bool input_error = false;
  bool agreed = false;  // every rank threw it together: no rank waits in a collective
  try {
    code = static_cast<int>(cwola::app::run_study(mpi, job, request_of(line)));
  } catch (const cwola::parallel::AgreedInputError& e) {
    error = e.what();
    input_error = agreed = true;
  } catch (const cwola::parallel::AgreedFailure& e) {
    error = e.what();
    agreed = true;
  } catch (const cwola::core::InputError& e) {
    error = e.what();
    input_error = true;
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty()) {
    const int exit_code = static_cast<int>(input_error ? ExitCode::kBadInput : ExitCode::kFailure);
    if (agreed || mpi.size() == 1) {
      if (mpi.rank() == 0) std::cerr << "cwola: error: " << error << "\n";
      cwola::store::close_hdf5_library();  // a store whose close failed: before MPI ends
      return exit_code;
    }
    // Anything else may leave other ranks waiting in a collective: abort the job, after
    // giving the lock back (an abort runs no destructors).
    cwola::core::log_rank_error(error);
    lock.reset();
    mpi.abort(exit_code);
  }
  return code;
}
