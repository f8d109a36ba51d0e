#pragma once
/// Joins the part stores of one study (runs with run.part = i/n, e.g. a SLURM job
/// array) into one store that holds every finished task, exactly as an unsplit run
/// of the same job would have written them.
///
/// Part stores are full-size stores of the same job (same hash, same layout); a
/// part only fills the rows of its own tasks. The merge therefore copies the first
/// part's file (layout, /tasks, provenance) and overwrites every per-task row with
/// the row of the part that finished the task; rows no part finished are reset to
/// pending, so the merged store can be finished with `cwola run --resume`.
#include <cstddef>
#include <string>
#include <vector>

namespace cwola::store {

/// What one input store contributed.
struct MergedPart {
  std::string path;
  std::string part;        ///< its run.part ("2/4"), "1/1" for an unsplit run
  std::size_t done = 0;    ///< rows taken from it with status done
  std::size_t failed = 0;  ///< rows taken from it with status failed
};

struct MergeOutcome {
  std::string job_hash;
  std::size_t n_tasks = 0;
  std::size_t done = 0;
  std::size_t failed = 0;
  std::size_t pending = 0;     ///< finished in no part
  std::size_t duplicates = 0;  ///< finished in more than one part (the first one's row is kept)
  std::vector<MergedPart> parts;
};

/// Serial (one process). Checks every part (readable HDF5, a cwola store, one job
/// hash, one layout) and throws core::InputError naming the file and dataset before
/// anything is written. Then writes the merged rows to `staging` (created or
/// replaced); the caller adds the summary and renames it into place. The parts are
/// only read.
MergeOutcome merge_part_stores(const std::vector<std::string>& parts, const std::string& staging);

/// The job text of a part with its run.part line set back to "1/1" (the job as an
/// unsplit run records it).
std::string whole_study_job_text(const std::string& part_job_text);

}  // namespace cwola::store
