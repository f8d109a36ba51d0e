#pragma once
/// The command line: `cwola run --job FILE [--set key=value]... [--output STORE]
/// [--resume | --overwrite] [--dump-config] [--threads N] [--device D] [--quiet|--verbose]`.
#include <optional>
#include <string>
#include <vector>

#include "core/log.hpp"

namespace cwola::app {

enum class Command { kRun, kHelp, kVersion };

struct CommandLine {
  Command command = Command::kHelp;
  std::string job_file;
  std::vector<std::string> overrides;  ///< "section.key=value", in order
  std::string output;                  ///< store path; empty = "<job.name>.h5"
  bool resume = false;
  bool overwrite = false;
  bool dump_config = false;
  bool plots = true;
  std::optional<int> threads;
  std::optional<std::string> device;
  std::optional<std::string> part;  ///< "i/n": sets run.part (this run's slice of the tasks)
  core::LogLevel log_level = core::LogLevel::kInfo;
  std::string help_text;
};

/// Parses argv; InputError for unknown options, missing values or conflicts.
CommandLine parse_command_line(int argc, const char* const* argv);

}  // namespace cwola::app
