/// `cwola compact STORE --output COPY [--level N]`: a compressed copy of a finished store
/// (store/store_compaction.hpp). The per-event artifacts (scores, flow samples, ...) are
/// rewritten with shuffle + deflate; everything else is copied as it is. The input is never
/// touched; the copy appears under its name only when whole.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "store/store_compaction.hpp"

namespace cwola::app {

namespace {
std::string megabytes(std::uint64_t bytes) {
  std::ostringstream out;
  out.precision(3);
  out << static_cast<double>(bytes) / 1e6 << " MB";
  return out.str();
}
}  // namespace

int compact_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string output;
  int level = 4;
  bool overwrite = false;
  po::options_description options(
      "Usage: cwola compact STORE --output COPY [--level N] [--overwrite]\n"
      "Writes a copy of a finished store with its per-event artifacts compressed");
  options.add_options()("output,o", po::value(&output), "the compressed copy")(
      "level", po::value(&level)->default_value(4), "deflate level, 1 (fast) to 9 (small)")(
      "overwrite", po::bool_switch(&overwrite), "replace an existing copy (never the store)");
  std::string input;
  if (const auto code = parse_store_arguments(mpi, arguments, "compact", options, input)) {
    return *code;
  }
  if (mpi.size() > 1) {
    throw core::InputError(
        "cwola compact runs as one process (it copies a file); start it without mpiexec/srun");
  }
  if (output.empty()) {
    throw core::InputError("cwola compact: --output COPY is missing (where the copy goes)");
  }
  if (output == input) {
    throw core::InputError("cwola compact", "--output", output,
                           "the copy cannot replace its store; choose another path");
  }
  if (access(output.c_str(), F_OK) == 0) {
    if (overwrite) {
      std::remove(output.c_str());
    } else {
      throw core::InputError("cwola compact", "--output", output,
                             "the file exists; use --overwrite to replace it or choose another "
                             "path");
    }
  }
  const std::string staging = output + ".partial";
  std::remove(staging.c_str());
  const auto outcome = store::compact_store(input, staging, level);
  if (std::rename(staging.c_str(), output.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(staging.c_str());
    throw core::Error("cannot rename '" + staging + "' to '" + output + "': " + reason);
  }
  const double ratio = outcome.compressed_artifact_bytes > 0
                           ? static_cast<double>(outcome.raw_artifact_bytes) /
                                 static_cast<double>(outcome.compressed_artifact_bytes)
                           : 1.0;
  std::ostringstream line;
  line.precision(3);
  line << "compacted " << input << " (" << megabytes(outcome.bytes_before) << ") into " << output
       << " (" << megabytes(outcome.bytes_after) << "): " << outcome.compressed_datasets
       << " artifact columns, " << megabytes(outcome.raw_artifact_bytes) << " -> "
       << megabytes(outcome.compressed_artifact_bytes) << " (" << ratio << "x), deflate level "
       << level;
  core::log_info(line.str());
  return static_cast<int>(core::ExitCode::kSuccess);
}

}  // namespace cwola::app
