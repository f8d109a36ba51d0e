#include "report/plot_runner.hpp"

#include <sys/wait.h>

#include <cstdlib>

namespace cwola::report {

namespace {
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string script_command(const char* script, const std::string& input,
                           const std::string& out_dir) {
  const char* python = std::getenv("CWOLA_PYTHON");
  return quoted(python != nullptr ? python : CWOLA_PYTHON) + " " + quoted(script) + " " +
         quoted(input) + " --out-dir " + quoted(out_dir);
}

int run_command(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

std::string plot_command(const std::string& store_path, const std::string& out_dir) {
  return script_command(CWOLA_PLOT_SCRIPT, store_path, out_dir);
}

int make_plots(const std::string& store_path, const std::string& out_dir) {
  return run_command(plot_command(store_path, out_dir));
}

std::string fit_plot_command(const std::string& fit_path, const std::string& out_dir) {
  return script_command(CWOLA_FIT_PLOT_SCRIPT, fit_path, out_dir);
}

int make_fit_plots(const std::string& fit_path, const std::string& out_dir) {
  return run_command(fit_plot_command(fit_path, out_dir));
}

std::string hunt_plot_command(const std::string& hunt_path, const std::string& out_dir) {
  return script_command(CWOLA_HUNT_PLOT_SCRIPT, hunt_path, out_dir);
}

int make_hunt_plots(const std::string& hunt_path, const std::string& out_dir) {
  return run_command(hunt_plot_command(hunt_path, out_dir));
}

}  // namespace cwola::report
