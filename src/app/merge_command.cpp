/// `cwola merge --output STORE PART...`: joins the part stores of one study (runs
/// with --part i/n, e.g. a SLURM job array) into one store, then summarises it as a
/// finished run would. Exit codes as for `cwola run`: 0 every task done, 4 every
/// task finished but some failed, 3 some tasks are in no part (finish them with
/// `cwola run --resume` on the merged store), 2 input rejected (nothing written).
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>

#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/utc_time.hpp"
#include "report/plot_runner.hpp"
#include "report/ensemble_summary.hpp"
#include "report/summary.hpp"
#include "store/results_store.hpp"
#include "store/store_merge.hpp"

namespace cwola::app {

namespace {
std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

void check_output(const std::string& output, const std::vector<std::string>& parts,
                  bool overwrite) {
  const std::string directory = directory_of(output);
  if (access(directory.c_str(), W_OK) != 0) {
    throw core::InputError("output directory '" + directory + "' of merged store '" + output +
                           "' does not exist or is not writable; create it or choose another "
                           "--output");
  }
  for (const auto& part : parts) {
    if (part == output || same_file(part, output)) {
      throw core::InputError("merged store '" + output + "' is also a part store ('" + part +
                             "'); writing it would destroy an input. Choose another --output");
    }
  }
  if (access(output.c_str(), F_OK) == 0 && !overwrite) {
    throw core::InputError("merged store '" + output +
                           "' already exists; use --overwrite to replace it (the parts are not "
                           "touched) or choose another --output");
  }
}
}  // namespace

int merge_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string output;
  std::vector<std::string> parts;
  po::options_description options(
      "Usage: cwola merge --output STORE [--overwrite] PART_STORE...\n"
      "Joins the part stores of one study (runs with --part i/n) into one store");
  options.add_options()("help,h", "show this help")("output,o", po::value(&output),
                                                    "the merged store")(
      "overwrite", "replace an existing merged store")("no-plots", "do not make the plots");
  po::options_description hidden;
  hidden.add_options()("part", po::value(&parts)->composing());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("part", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("cwola merge: ") + e.what() + " (see 'cwola merge --help')");
  }
  if (vm.count("help") != 0) {
    if (mpi.rank() == 0) std::cout << options;
    return 0;
  }
  if (mpi.size() > 1) {
    throw core::InputError(
        "cwola merge runs as one process (it only copies rows); start it "
        "without mpiexec/srun");
  }
  if (output.empty()) {
    throw core::InputError("cwola merge: --output STORE is missing (where the merged store goes)");
  }
  if (parts.empty()) {
    throw core::InputError("cwola merge: no part stores given; list the stores of the parts");
  }
  check_output(output, parts, vm.count("overwrite") != 0);

  const std::string staging = output + ".partial";
  store::MergeOutcome outcome;
  try {
    outcome = store::merge_part_stores(parts, staging);
    auto merged = store::ResultsStore::resume(MPI_COMM_SELF, staging, outcome.job_hash);
    auto summary = report::summarize(merged);
    report::add_ensemble_summary(merged, summary);
    merged.write_summary(summary);
    merged.write_completion(core::utc_now(), outcome.pending == 0);
    std::cout << "\nSummary of the merged store (mean ± std over repeats)\n"
              << report::format_summary_table(merged, summary) << std::flush;
    merged.close();
  } catch (...) {
    std::remove(staging.c_str());
    throw;
  }
  if (std::rename(staging.c_str(), output.c_str()) != 0) {
    throw core::Error("cannot rename '" + staging + "' to '" + output +
                      "': " + std::strerror(errno));
  }

  for (const auto& part : outcome.parts) {
    core::log_info("merged " + part.path + " (part " + part.part +
                   "): " + std::to_string(part.done) + " done, " + std::to_string(part.failed) +
                   " failed task(s) taken");
  }
  if (outcome.duplicates > 0) {
    core::log_warning(std::to_string(outcome.duplicates) +
                      " task(s) were finished in more than one part; the row of the first "
                      "part listed was kept");
  }
  core::log_info("merged store " + output + ": " + std::to_string(outcome.n_tasks) + " tasks, " +
                 std::to_string(outcome.done) + " done, " + std::to_string(outcome.failed) +
                 " failed, " + std::to_string(outcome.pending) + " pending");
  if (outcome.pending > 0) {
    core::log_warning(std::to_string(outcome.pending) +
                      " task(s) are finished in no part (a part is missing or unfinished): "
                      "finish the missing parts and merge again, or run the study's job with "
                      "--output " +
                      output + " --resume");
    return static_cast<int>(core::ExitCode::kInterrupted);
  }
  if (vm.count("no-plots") == 0) {
    const int plot_status = report::make_plots(output, directory_of(output));
    if (plot_status != 0) {
      core::log_warning("plot script failed (exit " + std::to_string(plot_status) +
                        "); retry with: " + report::plot_command(output, directory_of(output)));
    }
  }
  if (outcome.failed > 0) {
    core::log_warning(std::to_string(outcome.failed) +
                      " task(s) failed (see /results/failure_reason); summaries exclude them");
    return static_cast<int>(core::ExitCode::kTasksFailed);
  }
  return static_cast<int>(core::ExitCode::kSuccess);
}

}  // namespace cwola::app
