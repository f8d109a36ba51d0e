/// `cwola hunt STORE --output HUNT.h5`: the select → fit steps of a sliding-window hunt from a
/// hunt run's store (report/hunt_analysis.hpp), without training; rerun it with other
/// efficiencies or binning at will. Rank 0 works alone: the fits take seconds.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <stdexcept>

#include "app/hunt_fit.hpp"
#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "report/hunt_analysis.hpp"
#include "report/plot_runner.hpp"
#include "store/hunt_output.hpp"
#include "store/results_store.hpp"

namespace cwola::app {

int hunt_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string path;
  std::string output;
  std::string efficiencies = "0.1, 0.03, 0.01";
  bool overwrite = false;
  bool no_plots = false;
  report::HuntAnalysisSettings settings;
  po::options_description options("Usage: cwola hunt STORE --output HUNT.h5 [options]");
  options.add_options()("output,o", po::value(&output), "the hunt's HDF5 file (required)")(
      "efficiencies", po::value(&efficiencies)->default_value(efficiencies),
      "sideband efficiencies of the cuts (the no-cut spectrum is always added)")(
      "fit-bins", po::value(&settings.bins)->default_value(settings.bins),
      "uniform m_jj bins over a window's span")(
      "scan-points", po::value(&settings.scan_points)->default_value(settings.scan_points),
      "signal masses scanned inside the signal region")(
      "signal-width", po::value(&settings.signal_width)->default_value(settings.signal_width),
      "Gaussian signal σ / mass")(
      "max-params", po::value(&settings.max_params)->default_value(settings.max_params),
      "most dijet-function parameters the F-test tries")(
      "signal-mass", po::value(&settings.signal_mass)->default_value(settings.signal_mass),
      "GeV, the injected signal's mass: z there, excluded yields, the CMS limit (0: none)")(
      "overwrite", po::bool_switch(&overwrite), "replace an existing --output")(
      "no-plots", po::bool_switch(&no_plots), "skip the plots (remake them with plot_hunt.py)");
  if (const auto code = parse_store_arguments(mpi, arguments, "hunt", options, path)) return *code;
  if (output.empty()) {
    throw core::InputError("cwola hunt: --output is missing; name the HDF5 file to write");
  }
  settings.efficiencies.clear();
  for (const auto& item : core::split(efficiencies, ',')) {
    try {
      std::size_t used = 0;
      settings.efficiencies.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw core::InputError("--efficiencies", "efficiencies", efficiencies,
                             "'" + item + "' is not a number");
    }
  }
  settings.validate("cwola hunt option ");
  if (mpi.rank() != 0) return 0;
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    throw core::InputError("store '" + path +
                           "' does not exist or is not a file; give the path "
                           "of a hunt run's store");
  }
  if (access(output.c_str(), F_OK) == 0 && !overwrite) {
    throw core::InputError("hunt output '" + output +
                           "' already exists; use --overwrite to replace it or choose another "
                           "--output");
  }
  fit_hunt_store(path, output, settings, !no_plots);
  return 0;
}

void fit_hunt_store(const std::string& store_path, const std::string& output,
                    const stats::HuntFitSettings& settings, bool plots) {
  auto results = store::ResultsStore::open_read_only(MPI_COMM_SELF, store_path);
  const auto hunt = report::analyse_hunt(results, settings);
  results.close();
  store::write_hunt_output(output, hunt);
  std::cout << "\nHunt of '" << store_path << "' (mean ± std over injection seeds; z_max: the "
            << "largest local significance inside the signal region)\n"
            << report::format_hunt_table(hunt) << std::flush;
  core::log_info("hunt: " + std::to_string(hunt.samples()) + " sample(s) written to " + output);
  if (!plots) return;
  const auto slash = output.find_last_of('/');
  const std::string out_dir = slash == std::string::npos ? "." : output.substr(0, slash);
  const int status = report::make_hunt_plots(output, out_dir);
  if (status != 0) {
    core::log_warning("plot script failed (exit " + std::to_string(status) +
                      "); the results are in the file. Retry with: " +
                      report::hunt_plot_command(output, out_dir));
  }
}

std::string hunt_fit_path(const std::string& store_path) {
  const bool h5 = store_path.size() > 3 && store_path.compare(store_path.size() - 3, 3, ".h5") == 0;
  return (h5 ? store_path.substr(0, store_path.size() - 3) : store_path) + "_hunt.h5";
}

}  // namespace cwola::app
