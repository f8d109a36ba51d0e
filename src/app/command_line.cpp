#include "app/command_line.hpp"

#include <boost/program_options.hpp>
#include <sstream>

#include "core/error.hpp"

namespace cwola::app {

namespace po = boost::program_options;

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine line;
  po::options_description options(
      "Usage: cwola run --job FILE [options]\n"
      "Runs a weak-supervision study over MPI ranks (start with mpirun/srun).\n\nOptions");
  int threads = 0;
  std::string device;
  std::string part;
  options.add_options()
      ("help,h", "show this help")
      ("version", "print the version")
      ("job,j", po::value(&line.job_file), "study (job) file, INI")
      ("set,s", po::value(&line.overrides)->composing(),
       "override a job setting: section.key=value (repeatable)")
      ("output,o", po::value(&line.output), "results store (default: <job.name>.h5)")
      ("resume", po::bool_switch(&line.resume), "continue a store: run only unfinished tasks")
      ("overwrite", po::bool_switch(&line.overwrite), "replace an existing store")
      ("dump-config", po::bool_switch(&line.dump_config),
       "print the effective job (defaults included) and exit")
      ("threads", po::value(&threads), "intra-op threads per rank (default: cores / local ranks)")
      ("device", po::value(&device), "cpu, cuda or auto (default: the job's run.device)")
      ("part", po::value(&part), "i/n: run only part i of n of the tasks (a job array; "
                                 "join the part stores with 'cwola merge')")
      ("no-plots", "do not run the plot script at the end")
      ("quiet,q", "warnings and errors only")
      ("verbose,v", "debug output");
  po::positional_options_description positional;
  positional.add("command", 1);
  po::options_description hidden;
  std::string command;
  hidden.add_options()("command", po::value(&command));
  po::options_description all;
  all.add(options).add(hidden);

  std::ostringstream help;
  help << options;
  line.help_text = help.str();

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("command line: ") + e.what() +
                           " (see 'cwola --help' for the accepted options)");
  }
  if (vm.count("help") != 0) return line;
  if (vm.count("version") != 0) {
    line.command = Command::kVersion;
    return line;
  }
  if (command.empty()) return line;
  if (command != "run") {
    throw core::InputError("command line: unknown command '" + command +
                           "' (cwola has 'run'); see 'cwola --help'");
  }
  line.command = Command::kRun;
  if (line.job_file.empty()) {
    throw core::InputError("command line: 'cwola run' needs --job FILE (the study to run)");
  }
  if (line.resume && line.overwrite) {
    throw core::InputError(
        "command line: --resume and --overwrite both given (one keeps the store, the other "
        "replaces it); choose one");
  }
  if (vm.count("threads") != 0) {
    if (threads < 1) {
      throw core::InputError("--threads", "threads", std::to_string(threads), "must be >= 1");
    }
    line.threads = threads;
  }
  if (vm.count("device") != 0) line.device = device;
  if (vm.count("part") != 0) line.part = part;
  line.plots = vm.count("no-plots") == 0;
  if (vm.count("quiet") != 0) line.log_level = core::LogLevel::kWarning;
  if (vm.count("verbose") != 0) line.log_level = core::LogLevel::kDebug;
  return line;
}

}  // namespace cwola::app
