#pragma once
/// Runs a prepared job over all ranks: opens or creates the store, hands out the
/// pending tasks dynamically, writes each result as it finishes, reports
/// progress at rank 0, and at the end summarises, prints and plots.
#include "app/job_setup.hpp"
#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"

namespace cwola::app {

struct RunRequest {
  bool resume = false;
  bool overwrite = false;
  bool plots = true;
};

/// Checks that need no communication and give every rank the same verdict (they
/// read the same files): output location, an existing store without --resume or
/// --overwrite, the job hash of a store to resume, the device. InputError if not.
void preflight(const parallel::MpiRuntime& mpi, const PreparedJob& job, const RunRequest& request);

core::ExitCode run_study(const parallel::MpiRuntime& mpi, PreparedJob& job,
                         const RunRequest& request);

}  // namespace cwola::app
