#include <boost/program_options.hpp>
#include <iostream>

#include "app/generators.hpp"
#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::app {

int generate_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string card_path;
  GenerateRequest request;
  std::vector<std::string> overrides;
  po::options_description options(
      "Usage: cwola generate --card FILE --output EVENTS.h5 [--set key=value]... [--overwrite]");
  options.add_options()("help,h", "show this help")(
      "card", po::value(&card_path), "generator card (INI; [generator] process = ...)")(
      "output,o", po::value(&request.output), "event file to write")(
      "set,s", po::value(&overrides)->composing(), "override a card setting: section.key=value")(
      "overwrite", po::bool_switch(&request.overwrite), "replace an existing event file");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(arguments).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("cwola generate: ") + e.what());
  }
  if (vm.count("help") != 0) {
    if (mpi.rank() == 0) {
      std::cout << options << "\nProcesses:\n";
      for (const auto& g : generators()) std::cout << "  " << g.process << ": " << g.summary << "\n";
    }
    return 0;
  }
  if (card_path.empty() || request.output.empty()) {
    throw core::InputError("cwola generate: needs --card FILE and --output EVENTS.h5");
  }
  auto card = core::JobConfig::from_file(card_path);
  for (const auto& assignment : overrides) card.apply_override(assignment);
  std::vector<std::string> names;
  for (const auto& g : generators()) names.emplace_back(g.process);
  const std::string process = card.get_choice("generator.process", "", names);
  for (const auto& g : generators()) {
    if (process == g.process) return g.handler(mpi, card, request);
  }
  return static_cast<int>(core::ExitCode::kBadInput);
}

}  // namespace cwola::app
