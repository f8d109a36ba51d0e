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
  options.add_options()("help,h", "show this help")(
      "out-dir", po::value(&out_dir), "where the PNG files go (default: next to the store)");
  po::options_description hidden;
  hidden.add_options()("store", po::value(&store));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("store", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("cwola plot: ") + e.what());
  }
  if (vm.count("help") != 0 || store.empty()) {
    if (mpi.rank() == 0) std::cout << options;
    return store.empty() && vm.count("help") == 0 ? static_cast<int>(core::ExitCode::kBadInput) : 0;
  }
  if (out_dir.empty()) {
    const auto slash = store.rfind('/');
    out_dir = slash == std::string::npos ? "." : store.substr(0, slash);
  }
  return mpi.rank() == 0 ? report::make_plots(store, out_dir) : 0;
}

}  // namespace cwola::app
