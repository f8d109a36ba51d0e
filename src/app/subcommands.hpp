#pragma once
/// Subcommands besides `run` (`cwola merge`, `cwola generate`, ...): each lives in
/// its own app/<name>_command.cpp and is listed once in subcommands.cpp.
#include <boost/program_options/options_description.hpp>
#include <optional>
#include <string>
#include <vector>

#include "parallel/mpi_runtime.hpp"

namespace cwola::app {

/// A handler gets the arguments after the subcommand name, parses them itself
/// (Boost.Program_options), and returns the process exit code (core::ExitCode).
/// It may throw core::InputError for bad input found on every rank alike.
using SubcommandHandler = int (*)(const parallel::MpiRuntime& mpi,
                                  const std::vector<std::string>& arguments);

struct Subcommand {
  const char* name;
  const char* summary;  ///< one line for `cwola --help`
  SubcommandHandler handler;
};

/// Parses `cwola COMMAND STORE [options]` for subcommands that read one store: `options`
/// (a help switch is added) and the positional STORE into `store`. Returns the exit code to
/// return at once (0 after --help; kBadInput, with the usage, when STORE is missing), or
/// nullopt to go on. A malformed option throws core::InputError naming the command.
std::optional<int> parse_store_arguments(const parallel::MpiRuntime& mpi,
                                         const std::vector<std::string>& arguments,
                                         const std::string& command,
                                         boost::program_options::options_description& options,
                                         std::string& store);

const std::vector<Subcommand>& subcommands();
/// nullptr when `name` is not a subcommand.
const Subcommand* find_subcommand(const std::string& name);

}  // namespace cwola::app
