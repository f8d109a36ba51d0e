#pragma once
/// Per-event outputs of a stage (each task's test scores, samples a flow generated,
/// selections): named artifacts in the results store, all stored and read by this one module
/// (docs/stages.md, "Artifacts"). Created up front, collectively, with the rest of the store;
/// afterwards the rank that ran a task writes only that task's rows, independently, before the
/// task's status flag (its `written` flag last), so an artifact of a task marked done is
/// complete and a kill mid-write leaves a row that --resume rewrites.
///
///   /artifacts/<name>/<column>  float32 [stage tasks, max_rows]  one per column; NaN past `rows`
///   /artifacts/<name>/rows      int64   [stage tasks]  rows the task wrote
///   /artifacts/<name>/seed      uint64  [stage tasks]  the seed of the stream that made them
///   /artifacts/<name>/events_id uint64  [stage tasks]  fingerprint of the events the rows
///                                                      describe (0: none); equal ids = same events
///   /artifacts/<name>/written   int8    [stage tasks]  1 once the row is whole (written last)
///   attributes of /artifacts/<name>: stage, first_task, columns, seed_purpose, description
///   attribute of /artifacts: names (every artifact, in creation order)
///
/// Chunked by task (one chunk per task row and column, so a task's write touches its own chunks
/// only); not compressed in the running store: parallel HDF5 writes filtered datasets only
/// collectively, and tasks end on their own schedule. `cwola compact` writes a compressed copy of
/// a finished store (app/compact_command).
#include <cstdint>
#include <string>
#include <vector>

#include "store/hdf5_file.hpp"

namespace cwola::store {

/// One named artifact of one stage.
struct ArtifactLayout {
  std::string name;   ///< e.g. "cathode_samples" (a group name: no '/')
  std::string stage;  ///< the producing stage ("main" without stages)
  std::size_t first_task = 0;
  std::size_t n_tasks = 0;           ///< the stage's tasks: one row each
  std::size_t max_rows = 0;          ///< events per task at most (> 0)
  std::vector<std::string> columns;  ///< one name per value of an event (>= 1; not a name above)
  std::string seed_purpose;          ///< which core::SeedPurpose stream made it ("" none)
  std::string description;           ///< free text, e.g. "flow samples of the signal region, 4x"

  bool holds(std::uint64_t task) const { return task >= first_task && task < first_task + n_tasks; }
  /// Throws core::InputError naming the artifact and the field.
  void validate() const;
};

/// One task's rows of an artifact.
struct ArtifactRows {
  std::vector<float> values;  ///< rows x columns, row-major
  std::size_t rows = 0;
  std::uint64_t seed = 0;
  std::uint64_t events_id = 0;
};

/// Rows of consecutive tasks of one artifact, column by column (a reader of many tasks).
struct ArtifactBlock {
  std::size_t max_rows = 0;
  std::vector<std::vector<float>> columns;  ///< per column: [tasks][max_rows], NaN past rows
  std::vector<std::int64_t> rows;           ///< per task; 0 where the task has not written
  std::vector<std::uint64_t> seed, events_id;
};

/// Collective, at store creation: every artifact's datasets and attributes, and /artifacts'
/// list of names. Throws core::InputError for an invalid layout or a repeated name.
void create_artifacts(Hdf5File& file, const std::vector<ArtifactLayout>& artifacts);
/// The artifacts of a store (empty for a store without any).
std::vector<ArtifactLayout> read_artifact_layouts(const Hdf5File& file);
/// The artifact called `name`; core::InputError naming the store and the name if absent.
ArtifactLayout read_artifact_layout(const Hdf5File& file, const std::string& name);

/// Independent: `task`'s rows (values.size() = rows x columns, rows <= max_rows, row-major),
/// the seed of the stream they came from and the fingerprint of the events they describe;
/// values first, then rows, seed and fingerprint, then the written flag.
void write_artifact(Hdf5File& file, const ArtifactLayout& artifact, std::uint64_t task,
                    const std::vector<float>& values, std::uint64_t seed,
                    std::uint64_t events_id = 0);
/// Whether `task`'s row of the artifact is whole.
bool artifact_written(const Hdf5File& file, const ArtifactLayout& artifact, std::uint64_t task);
/// Independent: `task`'s rows; core::Error naming artifact and task if it was never written.
ArtifactRows read_artifact(const Hdf5File& file, const ArtifactLayout& artifact,
                           std::uint64_t task);

/// Rows of tasks [first_task, first_task + tasks) of the artifact, whether written or not
/// (rows 0 for a task that has not written).
ArtifactBlock read_artifact_block(const Hdf5File& file, const ArtifactLayout& artifact,
                                  std::uint64_t first_task, std::size_t tasks);

/// The group of the artifact called `name` (/artifacts/<name>).
std::string artifact_group(const std::string& name);

/// Bytes the artifact takes in the store (its pre-allocated values and per-task columns).
std::size_t artifact_bytes(const ArtifactLayout& artifact);

}  // namespace cwola::store
