#include "parallel/stop_signal.hpp"

#include <csignal>

namespace cwola::parallel {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
constexpr int kSignals[] = {SIGTERM, SIGUSR1, SIGINT};
struct sigaction g_previous[3];

extern "C" void on_stop_signal(int signal_number) { g_stop_signal = signal_number; }
}  // namespace

StopSignalGuard::StopSignalGuard() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &g_previous[i]);
}

StopSignalGuard::~StopSignalGuard() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

bool stop_requested() { return g_stop_signal != 0; }
int stop_signal_number() { return static_cast<int>(g_stop_signal); }
void request_stop_for_testing() { g_stop_signal = SIGUSR1; }

}  // namespace cwola::parallel
