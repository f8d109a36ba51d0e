/// cwola: weak-supervision (CWoLa) studies over MPI ranks. Thin by design:
/// parse, validate on every rank, run inside one try/catch, exit with a code
/// that batch scripts act on.
#include <iostream>

#include "app/command_line.hpp"
#include "app/job_setup.hpp"
#include "app/study_runner.hpp"
#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "parallel/mpi_runtime.hpp"
#include "parallel/stop_signal.hpp"

using cwola::core::ExitCode;

namespace {
cwola::app::RunRequest request_of(const cwola::app::CommandLine& line) {
  return {line.resume, line.overwrite, line.plots};
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
  }
  const auto problems = mpi.all_gather(problem);
  for (std::size_t r = 0; r < problems.size(); ++r) {
    if (problems[r].empty()) continue;
    if (mpi.rank() == 0) {
      std::cerr << "cwola: error: " << problems[r] << (r != 0 ? " [rank " + std::to_string(r) + "]" : "")
                << "\n";
    }
    return static_cast<int>(ExitCode::kBadInput);
  }

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

  int code = static_cast<int>(ExitCode::kFailure);
  std::string error;
  bool input_error = false;
  try {
    code = static_cast<int>(cwola::app::run_study(mpi, job, request_of(line)));
  } catch (const cwola::core::InputError& e) {
    error = e.what();
    input_error = true;
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty()) {
    cwola::core::log_rank_error(error);
    const int exit_code = static_cast<int>(input_error ? ExitCode::kBadInput : ExitCode::kFailure);
    // Errors found by all ranks alike (before any task) end quietly; anything
    // else may leave other ranks waiting in a collective, so abort the job.
    if (input_error && mpi.size() == 1) return exit_code;
    mpi.abort(exit_code);
  }
  return code;
}
