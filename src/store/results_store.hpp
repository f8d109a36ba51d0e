#pragma once
/// The study's one HDF5 store, written by all ranks through MPI-IO.
///
/// Every group and dataset is created up front, collectively, sized to the task
/// count; afterwards ranks only write raw rows of pre-allocated datasets, so a
/// kill can never leave half-created metadata behind. A task's results are
/// written before its status flag, so a task marked done is complete.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model_tensors.hpp"
#include "store/hdf5_file.hpp"
#include "store/score_table.hpp"
#include "store/artifact_store.hpp"
#include "store/checkpoint_store.hpp"
#include "store/model_store.hpp"

namespace cwola::store {

/// Longest job name (and other provenance text) a store keeps: its string columns are fixed
/// when it is created, so a longer name is refused during validation instead of cut.
constexpr std::size_t kMaxProvenanceLength = 256;

enum class TaskStatus : std::int8_t { kPending = 0, kDone = 1, kFailed = 2 };

/// What the store must hold; fixed when it is created.
struct StoreLayout {
  std::string study;
  std::string job_name;
  std::string job_text;  ///< effective job (INI), including the runtime section
  std::string job_hash;  ///< hash of the result-defining part of the job
  std::vector<std::string> axes;                            ///< scan-axis keys
  std::vector<std::vector<std::string>> point_axis_values;  ///< [point][axis], as written
  std::vector<std::uint64_t> task_point;                    ///< per task
  std::vector<std::uint64_t> task_repeat;
  std::vector<std::uint64_t> task_seed;
  std::vector<std::int64_t> task_fold;        ///< k-fold model of each task (0 without)
  std::vector<std::int64_t> task_inner_fold;
  std::vector<std::string> result_columns;  ///< float64 columns of /results
  std::size_t max_epochs = 0;
  std::vector<double> roc_grid;  ///< background efficiencies of /curves/roc_eps_b
  /// Study arrays: /curves/<name> [n_tasks, length] (names also in /curves attribute task_arrays).
  std::vector<std::pair<std::string, std::size_t>> task_arrays;
  /// Events per task row of the scores artifact (score_table.hpp); 0 = scores not kept.
  std::size_t score_width = 0;
  /// Also a mass column: each scored event's resonance mass (a study that selects on it later).
  bool score_masses = false;

  /// Stages (docs/stages.md); empty for a job without stages, whose store is then unchanged.
  std::vector<StageLayout> stages;
  std::vector<std::int64_t> task_stage;     ///< per task, when stages are set
  std::vector<std::int64_t> task_upstream;  ///< per task: the task it reads, -1 none
  /// Per-epoch checkpoints ([run] checkpoint = epoch): one group per stage; empty = none.
  std::vector<CheckpointGroup> checkpoints;
  /// Named per-event artifacts of the stages' studies (Study::artifacts); empty = none.
  std::vector<ArtifactLayout> artifacts;

  std::size_t n_tasks() const { return task_point.size(); }
  std::size_t n_points() const { return point_axis_values.size(); }
};

struct Provenance {
  std::string code_version;
  std::string git_commit;
  std::string torch_version;
  std::string mpi_version;
  int ranks = 1;
  std::string devices;  ///< "rank: device" per rank, joined
  std::string start_time;
};

/// One finished (or failed) task.
struct TaskRecord {
  std::uint64_t task = 0;
  TaskStatus status = TaskStatus::kDone;
  std::string failure_reason;
  std::vector<double> results;  ///< in StoreLayout::result_columns order
  std::vector<double> train_loss, val_loss, train_accuracy, val_accuracy;  ///< per epoch
  std::vector<double> roc;  ///< signal efficiency at each roc_grid point
  std::vector<std::vector<double>> arrays;  ///< in StoreLayout::task_arrays order (may be empty)
  /// Per-event scores and truth labels for the scores artifact (empty: none kept), and their
  /// fingerprint.
  std::vector<float> scores;
  std::vector<std::uint8_t> score_labels;
  std::vector<float> score_masses;  ///< empty, or one per score when the store keeps masses
  std::uint64_t scored_events_id = 0;
  std::string device;
  int rank = 0;
};

/// Per-point summary columns (names as in /summary).
struct SummaryColumns {
  std::vector<std::pair<std::string, std::vector<double>>> doubles;
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> integers;
  std::vector<std::pair<std::string, std::vector<std::string>>> strings;
};

class ResultsStore {
 public:
  /// Collective. Writes the complete skeleton to "<path>.partial", then renames it,
  /// so a store at `path` always has its full layout. Refuses an existing `path`
  /// unless `overwrite`.
  static ResultsStore create(MPI_Comm comm, const std::string& path, const StoreLayout& layout,
                             const Provenance& provenance, bool overwrite);
  /// Collective. Opens an existing store for --resume; InputError when it is not
  /// a cwola store or its job hash differs from `expected_hash`.
  static ResultsStore resume(MPI_Comm comm, const std::string& path,
                             const std::string& expected_hash);
  /// The checks of resume() on this rank alone, read-only (a store that another job may be
  /// writing is not opened for writing before its lock is known); returns the task count.
  static std::size_t check_resumable(const std::string& path, const std::string& expected_hash);
  /// Collective, read-only (report, merge, tests).
  static ResultsStore open_read_only(MPI_Comm comm, const std::string& path);

  const std::string& path() const { return file_->path(); }
  std::size_t n_tasks() const { return n_tasks_; }
  std::size_t n_points() const { return n_points_; }
  const std::vector<std::string>& result_columns() const { return result_columns_; }
  std::size_t max_epochs() const { return max_epochs_; }

  std::vector<TaskStatus> read_status() const;
  std::vector<std::int64_t> read_task_points() const;
  std::vector<double> read_result_column(const std::string& name) const;
  std::vector<double> read_roc_grid() const;
  std::vector<double> read_roc_rows() const;  ///< [task][grid], row-major
  std::vector<std::string> read_failure_reasons() const;
  std::vector<std::string> axes() const;
  std::vector<std::string> read_job_text() const;
  /// Scan-axis values of each point as text, [point][axis].
  std::vector<std::vector<std::string>> read_point_values() const;
  /// Events per scores row (0: the store keeps no scores).
  std::size_t score_width() const { return score_width_; }
  /// Score rows of tasks [first_task, first_task + tasks).
  ScoreRows read_scores(std::uint64_t first_task, std::size_t tasks) const;

  /// Independent: writes a task's rows, then its status.
  void write_task(const TaskRecord& record);

  /// The job's stages as stored; empty for a job without stages.
  const std::vector<StageLayout>& stages() const { return stages_; }
  /// The stage holding `task` (stages() must not be empty).
  const StageLayout& stage_of(std::uint64_t task) const;
  /// Independent: the trained model of `task`, written before its status (write_task).
  void write_model(std::uint64_t task, const core::ModelTensors& model);
  /// Independent: the named model `name` of `task` (Study::named_models), before its status.
  void write_named_model(std::uint64_t task, const std::string& name,
                         const core::ModelTensors& model);
  /// Independent: `task`'s rows of the artifact `name` (created with the store), before its
  /// status (write_task); core::Error if the store has no such artifact for the task.
  void write_artifact(std::uint64_t task, const std::string& name, const std::vector<float>& values,
                      std::uint64_t seed, std::uint64_t events_id = 0);
  /// Independent: the stored model of a finished `task`.
  core::ModelTensors read_model(std::uint64_t task) const;
  /// Independent: the stored named model `name` of a finished `task`.
  core::ModelTensors read_named_model(std::uint64_t task, const std::string& name) const;
  /// Whether `task` has checkpoint slots (the store was created with [run] checkpoint = epoch).
  bool keeps_checkpoints(std::uint64_t task) const;
  /// Independent: `task`'s checkpoint (keeps_checkpoints(task) must hold); `between` as in
  /// store::write_checkpoint.
  void write_checkpoint(std::uint64_t task, const core::Checkpoint& checkpoint,
                        const std::function<void()>& between = {});
  /// Independent: `task`'s latest complete checkpoint, if any (none without slots).
  std::optional<core::Checkpoint> read_checkpoint(std::uint64_t task) const;
  /// The checkpoint groups as stored.
  const std::vector<CheckpointGroup>& checkpoint_groups() const { return checkpoints_; }
  /// The underlying file (inspection).
  const Hdf5File& file() const { return *file_; }
  /// Independent (rank 0): fills /summary.
  void write_summary(const SummaryColumns& summary);
  /// Independent (rank 0): end time and whether every task has finished.
  void write_completion(const std::string& end_time, bool complete);
  /// Collective.
  void close();

 private:
  explicit ResultsStore(std::unique_ptr<Hdf5File> file);
  static ResultsStore open_checked(MPI_Comm comm, const std::string& path,
                                   const std::string& expected_hash, Hdf5File::Mode mode);
  void load_shape();
  /// InputError naming the dataset when one is missing or has the wrong row count.
  void check_layout();

  std::unique_ptr<Hdf5File> file_;
  std::size_t n_tasks_ = 0;
  std::size_t n_points_ = 0;
  std::size_t max_epochs_ = 0;
  std::size_t roc_points_ = 0;
  std::vector<std::string> result_columns_;
  std::vector<std::pair<std::string, std::size_t>> task_arrays_;
  std::size_t score_width_ = 0;
  std::vector<std::uint64_t> task_seeds_;  ///< /tasks/seed (each score row's provenance)
  std::vector<StageLayout> stages_;
  std::vector<CheckpointGroup> checkpoints_;
  const CheckpointGroup* checkpoint_group_of(std::uint64_t task) const;
};

/// Names of the per-metric summary statistics, in /summary as "<metric>_<stat>".
const std::vector<std::string>& summary_statistics();

}  // namespace cwola::store
