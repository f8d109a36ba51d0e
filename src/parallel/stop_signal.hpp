#pragma once
/// Graceful stop: SIGTERM, SIGUSR1 (SLURM's --signal) and SIGINT set a flag that the
/// task loop polls; the current task is abandoned or finished, the store stays
/// consistent and the program exits with ExitCode::kInterrupted.
namespace cwola::parallel {

class StopSignalGuard {
 public:
  StopSignalGuard();   ///< installs the handlers
  ~StopSignalGuard();  ///< restores the previous ones
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;
};

/// True once a stop signal arrived in this process.
bool stop_requested();
/// The signal number that asked for the stop (0 if none).
int stop_signal_number();
/// For tests: behave as if a stop signal had arrived.
void request_stop_for_testing();

}  // namespace cwola::parallel
