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
}  // namespace

std::string plot_command(const std::string& store_path, const std::string& out_dir) {
  const char* python = std::getenv("CWOLA_PYTHON");
  return quoted(python != nullptr ? python : CWOLA_PYTHON) + " " + quoted(CWOLA_PLOT_SCRIPT) + " " +
         quoted(store_path) + " --out-dir " + quoted(out_dir);
}

int make_plots(const std::string& store_path, const std::string& out_dir) {
  const int status = std::system(plot_command(store_path, out_dir).c_str());
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace cwola::report
