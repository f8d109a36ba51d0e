#include <boost/program_options.hpp>
#include <iostream>

#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "report/plot_runner.hpp"

namespace cwola::app {

int plot_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string store;
  std::string out_dir;
  po::options_description options("Usage: cwola plot STORE [--out-dir DIR]");
  options.add_options()("out-dir", po::value(&out_dir),
                        "where the PNG files go (default: next to the store)");
  if (const auto code = parse_store_arguments(mpi, arguments, "plot", options, store)) {
    return *code;
  }
  if (out_dir.empty()) {
    const auto slash = store.rfind('/');
    out_dir = slash == std::string::npos ? "." : store.substr(0, slash);
  }
  return mpi.rank() == 0 ? report::make_plots(store, out_dir) : 0;
}

}  // namespace cwola::app
