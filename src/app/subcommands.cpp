#include "app/subcommands.hpp"

#include <boost/program_options.hpp>
#include <iostream>

#include "core/error.hpp"

namespace cwola::app {

std::optional<int> parse_store_arguments(const parallel::MpiRuntime& mpi,
                                         const std::vector<std::string>& arguments,
                                         const std::string& command,
                                         boost::program_options::options_description& options,
                                         std::string& store) {
  namespace po = boost::program_options;
  options.add_options()("help,h", "show this help");
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
    throw core::InputError("cwola " + command + ": " + e.what());
  }
  if (vm.count("help") == 0 && !store.empty()) return std::nullopt;
  if (mpi.rank() == 0) std::cout << options;
  return store.empty() && vm.count("help") == 0 ? static_cast<int>(core::ExitCode::kBadInput) : 0;
}

// Declarations of the handlers, one per app/<name>_command.cpp.
int plot_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int generate_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int merge_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int fit_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int images_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int inspect_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int assign_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int bumpnet_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int hunt_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);
int compact_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments);

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> kSubcommands = {
      {"plot", "remake the plots of a store: cwola plot STORE [--out-dir DIR]", plot_command},
      {"merge", "join the part stores of one study (--part i/n runs): cwola merge --output "
                "STORE PART...", merge_command},
      {"generate", "write an event file from a generator card: cwola generate --card FILE "
                   "--output EVENTS.h5", generate_command},
      {"fit", "background fit, F-test, bump significance, look-elsewhere toys and limits on a "
              "mass spectrum: cwola fit --csv SPECTRUM.csv --output FIT.h5", fit_command},
      {"inspect", "stages, task states, models and sizes of a store: cwola inspect STORE [--json]",
       inspect_command},
      {"compact", "a copy of a finished store with its per-event artifacts compressed: cwola "
                  "compact STORE --output COPY [--level N]",
       compact_command},
      {"images", "time the jet images of an event file: cwola images --events FILE "
                 "[--pixels P] [--max-events N]", images_command},
      {"hunt", "select and fit the windows of a hunt run (docs/hunt.md): cwola hunt STORE "
               "--output HUNT.h5 [--efficiencies 0.1,0.03,0.01]", hunt_command},
      {"bumpnet", "train and evaluate the bump-hunt networks (Znet3, Znet) data-parallel on a "
                  "histogram file: cwola bumpnet --card FILE --data H.h5 --output OUT.h5",
       bumpnet_command},
      {"assign", "jet assignment with the attention network on a SPANet data set: cwola "
                 "assign --spec EVENT.yaml --data EVENTS.h5 [--epochs N]", assign_command},
  };
  return kSubcommands;
}

const Subcommand* find_subcommand(const std::string& name) {
  for (const auto& subcommand : subcommands()) {
    if (name == subcommand.name) return &subcommand;
  }
  return nullptr;
}

}  // namespace cwola::app
