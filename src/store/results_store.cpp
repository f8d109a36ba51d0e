#include "store/results_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "core/text.hpp"
#include "parallel/agreed_step.hpp"

namespace cwola::store {

namespace {
// Fixed string widths; generous because they cannot grow after creation.
constexpr std::size_t kReasonLength = 160;
constexpr std::size_t kDeviceLength = 64;
constexpr std::size_t kTimeLength = 32;
constexpr std::size_t kProvenanceLength = kMaxProvenanceLength;

bool is_number(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

bool all_numeric(const StoreLayout& layout, std::size_t axis) {
  return std::all_of(layout.point_axis_values.begin(), layout.point_axis_values.end(),
                     [axis](const auto& point) { return is_number(point[axis]); });
}

std::size_t widest(const StoreLayout& layout, std::size_t axis) {
  std::size_t width = 1;
  for (const auto& point : layout.point_axis_values) width = std::max(width, point[axis].size());
  return width;
}

bool file_exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

void write_scalar_string(Hdf5File& file, const std::string& name, const std::string& value) {
  file.write_strings(name, 0, {value});
}

/// The studies' artifacts, after the job's scores when it keeps them.
std::vector<ArtifactLayout> all_artifacts(const StoreLayout& layout) {
  std::vector<ArtifactLayout> artifacts;
  if (layout.score_width > 0) {
    std::string stages;
    for (const auto& stage : layout.stages) stages += (stages.empty() ? "" : ",") + stage.name;
    artifacts.push_back(score_artifact(layout.n_tasks(), layout.score_width, layout.score_masses,
                                       stages.empty() ? "main" : stages));
  }
  artifacts.insert(artifacts.end(), layout.artifacts.begin(), layout.artifacts.end());
  return artifacts;
}

void create_skeleton(Hdf5File& file, const StoreLayout& layout, const Provenance& provenance) {
  const hsize_t tasks = layout.n_tasks();
  const hsize_t points = layout.n_points();
  const hsize_t epochs = std::max<std::size_t>(layout.max_epochs, 1);
  const hsize_t grid = layout.roc_grid.size();

  // /job: provenance; strings sized to their content (all known now).
  struct Text {
    const char* name;
    std::string value;
    std::size_t width;
  };
  const std::vector<Text> texts = {
      {"study", layout.study, kProvenanceLength},
      {"name", layout.job_name, kProvenanceLength},
      {"text", layout.job_text, std::max<std::size_t>(layout.job_text.size(), 1)},
      {"hash", layout.job_hash, kProvenanceLength},
      {"code_version", provenance.code_version, kProvenanceLength},
      {"git_commit", provenance.git_commit, kProvenanceLength},
      {"torch_version", provenance.torch_version, kProvenanceLength},
      {"mpi_version", provenance.mpi_version, kProvenanceLength},
      {"hdf5_version", hdf5_version(), kProvenanceLength},
      {"devices", provenance.devices, std::max<std::size_t>(provenance.devices.size(), 1)},
      {"start_time", provenance.start_time, kTimeLength},
      {"end_time", "", kTimeLength},
  };
  for (const auto& text : texts) {
    file.create_dataset(std::string("/job/") + text.name, ColumnType::kString, {}, text.width);
  }
  file.create_dataset("/job/ranks", ColumnType::kInt64, {});
  file.create_dataset("/job/complete", ColumnType::kInt8, {});

  // /tasks
  for (const char* name : {"id", "point", "repeat"}) {
    file.create_dataset(std::string("/tasks/") + name, ColumnType::kInt64, {tasks});
  }
  file.create_dataset("/tasks/seed", ColumnType::kUInt64, {tasks});
  file.create_dataset("/tasks/fold", ColumnType::kInt64, {tasks});
  file.create_dataset("/tasks/inner_fold", ColumnType::kInt64, {tasks});
  for (std::size_t a = 0; a < layout.axes.size(); ++a) {
    const bool numeric = all_numeric(layout, a);
    for (const char* group : {"/tasks/", "/summary/"}) {
      file.create_dataset(group + layout.axes[a],
                          numeric ? ColumnType::kFloat64 : ColumnType::kString,
                          {std::string(group) == "/tasks/" ? tasks : points}, widest(layout, a));
    }
  }

  // /results
  file.create_dataset("/results/status", ColumnType::kInt8, {tasks});
  file.create_dataset("/results/failure_reason", ColumnType::kString, {tasks}, kReasonLength);
  file.create_dataset("/results/device", ColumnType::kString, {tasks}, kDeviceLength);
  file.create_dataset("/results/rank", ColumnType::kInt64, {tasks});
  for (const auto& column : layout.result_columns) {
    file.create_dataset("/results/" + column, ColumnType::kFloat64, {tasks});
  }

  // /curves
  for (const char* name : {"train_loss", "val_loss", "train_accuracy", "val_accuracy"}) {
    file.create_dataset(std::string("/curves/") + name, ColumnType::kFloat64, {tasks, epochs});
  }
  file.create_dataset("/curves/roc_eps_b", ColumnType::kFloat64, {grid});
  file.create_dataset("/curves/roc_eps_s", ColumnType::kFloat64, {tasks, grid});
  std::vector<std::string> array_names;
  for (const auto& [name, length] : layout.task_arrays) {
    file.create_dataset("/curves/" + name, ColumnType::kFloat64,
                        {tasks, static_cast<hsize_t>(std::max<std::size_t>(length, 1))});
    array_names.push_back(name);
  }
  if (!array_names.empty()) file.write_string_list_attribute("/curves", "task_arrays", array_names);

  // /summary
  file.create_dataset("/summary/point", ColumnType::kInt64, {points});
  file.create_dataset("/summary/n_done", ColumnType::kInt64, {points});
  file.create_dataset("/summary/n_failed", ColumnType::kInt64, {points});
  for (const auto& column : layout.result_columns) {
    for (const auto& stat : summary_statistics()) {
      file.create_dataset("/summary/" + column + "_" + stat, ColumnType::kFloat64, {points});
    }
  }
  if (layout.score_width > 0) create_ensemble_columns(file, points, layout.roc_grid.size());
  if (!layout.stages.empty()) {
    create_stage_datasets(file, layout.stages, layout.n_tasks());
    file.create_dataset("/summary/n_upstream_failed", ColumnType::kInt64, {points});
  }
  create_checkpoint_datasets(file, layout.checkpoints);
  create_artifacts(file, all_artifacts(layout));
  file.write_string_list_attribute("/tasks", "axes", layout.axes);
  file.write_string_list_attribute("/summary", "axes", layout.axes);
  file.write_string_list_attribute("/results", "columns", layout.result_columns);
}

/// An upper estimate of the finished store's size: every dataset's raw bytes plus room
/// for HDF5's metadata (object headers, group B-trees and heaps; a few kB per dataset).
std::uint64_t estimated_store_bytes(const StoreLayout& layout, const Provenance& provenance) {
  const double tasks = static_cast<double>(layout.n_tasks());
  const double points = static_cast<double>(layout.n_points());
  const double epochs = static_cast<double>(std::max<std::size_t>(layout.max_epochs, 1));
  const double grid = static_cast<double>(layout.roc_grid.size());
  const double columns = static_cast<double>(layout.result_columns.size());
  double raw = 12.0 * kProvenanceLength + static_cast<double>(layout.job_text.size()) +
               static_cast<double>(provenance.devices.size()) + 16.0;
  raw += tasks *
         (6 * 8 + 1 + kReasonLength + kDeviceLength + 8 + columns * 8 + 4 * epochs * 8 + grid * 8);
  raw +=
      grid * 8 + points * (3 * 8 + columns * static_cast<double>(summary_statistics().size()) * 8);
  for (std::size_t a = 0; a < layout.axes.size(); ++a) {
    raw += (tasks + points) * static_cast<double>(std::max<std::size_t>(widest(layout, a), 8));
  }
  double datasets = 30 + 2.0 * static_cast<double>(layout.axes.size()) +
                    columns * (1 + static_cast<double>(summary_statistics().size()));
  for (const auto& array : layout.task_arrays) {
    raw += tasks * static_cast<double>(std::max<std::size_t>(array.second, 1)) * 8;
    datasets += 1;
  }
  for (const auto& artifact : all_artifacts(layout)) {
    raw += static_cast<double>(artifact_bytes(artifact));
    datasets += 4 + static_cast<double>(artifact.columns.size());
  }
  for (const auto& group : layout.checkpoints) {
    raw += static_cast<double>(group.tasks.size() * (checkpoint_bytes(group.layout) + 8));
    datasets += 4 + static_cast<double>(group.layout.tensors.tensors.size());
  }
  return static_cast<std::uint64_t>(raw * 1.1 + datasets * 1024 + (64 << 10));
}

void fill_skeleton(Hdf5File& file, const StoreLayout& layout, const Provenance& provenance) {
  write_scalar_string(file, "/job/study", layout.study);
  write_scalar_string(file, "/job/name", layout.job_name);
  write_scalar_string(file, "/job/text", layout.job_text);
  write_scalar_string(file, "/job/code_version", provenance.code_version);
  write_scalar_string(file, "/job/git_commit", provenance.git_commit);
  write_scalar_string(file, "/job/torch_version", provenance.torch_version);
  write_scalar_string(file, "/job/mpi_version", provenance.mpi_version);
  write_scalar_string(file, "/job/hdf5_version", hdf5_version());
  write_scalar_string(file, "/job/devices", provenance.devices);
  write_scalar_string(file, "/job/start_time", provenance.start_time);
  file.write_int64s("/job/ranks", 0, {provenance.ranks});
  file.write_int8s("/job/complete", 0, {0});

  const std::size_t n = layout.n_tasks();
  std::vector<std::int64_t> ids(n);
  std::vector<std::int64_t> points(n);
  std::vector<std::int64_t> repeats(n);
  for (std::size_t t = 0; t < n; ++t) {
    ids[t] = static_cast<std::int64_t>(t);
    points[t] = static_cast<std::int64_t>(layout.task_point[t]);
    repeats[t] = static_cast<std::int64_t>(layout.task_repeat[t]);
  }
  file.write_int64s("/tasks/id", 0, ids);
  file.write_int64s("/tasks/point", 0, points);
  file.write_int64s("/tasks/repeat", 0, repeats);
  file.write_uint64s("/tasks/seed", 0, layout.task_seed);
  for (std::size_t a = 0; a < layout.axes.size(); ++a) {
    const bool numeric = all_numeric(layout, a);
    std::vector<double> point_numbers;
    std::vector<std::string> point_texts;
    for (const auto& point : layout.point_axis_values) {
      point_texts.push_back(point[a]);
      point_numbers.push_back(numeric ? std::strtod(point[a].c_str(), nullptr) : 0.0);
    }
    if (numeric) {
      std::vector<double> per_task(n);
      for (std::size_t t = 0; t < n; ++t) per_task[t] = point_numbers[layout.task_point[t]];
      file.write_doubles("/tasks/" + layout.axes[a], 0, per_task);
      file.write_doubles("/summary/" + layout.axes[a], 0, point_numbers);
    } else {
      std::vector<std::string> per_task(n);
      for (std::size_t t = 0; t < n; ++t) per_task[t] = point_texts[layout.task_point[t]];
      file.write_strings("/tasks/" + layout.axes[a], 0, per_task);
      file.write_strings("/summary/" + layout.axes[a], 0, point_texts);
    }
  }
  std::vector<std::int64_t> point_ids(layout.n_points());
  for (std::size_t p = 0; p < point_ids.size(); ++p) point_ids[p] = static_cast<std::int64_t>(p);
  file.write_int64s("/summary/point", 0, point_ids);
  file.write_doubles("/curves/roc_eps_b", 0, layout.roc_grid);
  std::vector<std::int64_t> fold = layout.task_fold;
  std::vector<std::int64_t> inner = layout.task_inner_fold;
  fold.resize(n, 0);
  inner.resize(n, 0);
  file.write_int64s("/tasks/fold", 0, fold);
  file.write_int64s("/tasks/inner_fold", 0, inner);
  if (!layout.stages.empty()) {
    fill_stage_datasets(file, layout.stages, layout.task_stage, layout.task_upstream);
  }
  fill_checkpoint_datasets(file, layout.checkpoints);
  // The hash goes last: a store whose hash is set was fully laid out.
  write_scalar_string(file, "/job/hash", layout.job_hash);
}

bool single_rank(MPI_Comm comm) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  return size == 1;
}

/// The full skeleton in `partial`. A failure on any rank (a full disk) is agreed by all,
/// and then no `partial` is left: nothing half-made stays behind.
void create_partial(MPI_Comm comm, const std::string& partial, const StoreLayout& layout,
                    const Provenance& provenance) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  auto discard = [&](Hdf5File* file) {
    // Emptied first: the close still writes metadata, and on a full disk it can only do
    // so in the space the half-made file gave back.
    if (rank == 0) {
      const int emptied = truncate(partial.c_str(), 0);  // -1 where it was never created
      static_cast<void>(emptied);
    }
    MPI_Barrier(comm);
    if (file != nullptr) file->close_after_failure();
    if (rank == 0) std::remove(partial.c_str());
  };
  std::unique_ptr<Hdf5File> file;
  try {
    file = std::make_unique<Hdf5File>(comm, partial, Hdf5File::Mode::kCreate);
    file->reserve_space(estimated_store_bytes(layout, provenance));
    create_skeleton(*file, layout, provenance);
    // Rank 0 writes alone (independent writes); the others learn how it went before the
    // collective flush.
    parallel::run_agreed(comm, [&] {
      if (rank == 0) fill_skeleton(*file, layout, provenance);
    });
    file->flush();
    file->close();
  } catch (const parallel::AgreedFailure&) {
    discard(file.get());
    throw;
  } catch (const parallel::AgreedInputError&) {
    discard(file.get());
    throw;
  } catch (...) {
    if (single_rank(comm)) discard(file.get());
    throw;  // on one rank of several: the job is aborted, other ranks may be mid-collective
  }
}

void check_mpi(int status, const char* what) {
  if (status != MPI_SUCCESS) throw core::Error(std::string("MPI call failed: ") + what);
}
}  // namespace

const std::vector<std::string>& summary_statistics() {
  static const std::vector<std::string> kStats = {"mean", "std", "median", "q16", "q84", "count"};
  return kStats;
}

ResultsStore::ResultsStore(std::unique_ptr<Hdf5File> file) : file_(std::move(file)) {}

ResultsStore ResultsStore::create(MPI_Comm comm, const std::string& path, const StoreLayout& layout,
                                  const Provenance& provenance, bool overwrite) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Checked again here, under the store lock (preflight ran before it): a job that
  // finished in between left a store that must not be replaced. Rank 0 decides for all.
  parallel::run_agreed(comm, [&] {
    if (rank == 0 && file_exists(path) && !overwrite) {
      throw core::InputError("store '" + path +
                             "' already exists (its finished tasks would be lost); use --resume "
                             "to continue it, --overwrite to replace it, or another --output");
    }
  });
  const std::string partial = path + ".partial";
  create_partial(comm, partial, layout, provenance);
  int renamed = 1;
  if (rank == 0) renamed = std::rename(partial.c_str(), path.c_str()) == 0 ? 1 : 0;
  check_mpi(MPI_Bcast(&renamed, 1, MPI_INT, 0, comm), "MPI_Bcast");
  if (renamed == 0) {
    throw core::Error("cannot rename '" + partial + "' to '" + path + "': " + std::strerror(errno));
  }
  ResultsStore store(std::make_unique<Hdf5File>(comm, path, Hdf5File::Mode::kReadWrite));
  store.load_shape();
  return store;
}

ResultsStore ResultsStore::resume(MPI_Comm comm, const std::string& path,
                                  const std::string& expected_hash) {
  return open_checked(comm, path, expected_hash, Hdf5File::Mode::kReadWrite);
}

std::size_t ResultsStore::check_resumable(const std::string& path,
                                          const std::string& expected_hash) {
  auto store = open_checked(MPI_COMM_SELF, path, expected_hash, Hdf5File::Mode::kReadOnly);
  const std::size_t tasks = store.n_tasks();
  store.close();
  return tasks;
}

ResultsStore ResultsStore::open_checked(MPI_Comm comm, const std::string& path,
                                        const std::string& expected_hash, Hdf5File::Mode mode) {
  if (!file_exists(path)) {
    throw core::InputError("store '" + path +
                           "' does not exist, so there is nothing to resume; run without "
                           "--resume to start the study");
  }
  ResultsStore store(std::make_unique<Hdf5File>(comm, path, mode));
  if (!store.file_->exists("/job/hash")) {
    throw core::InputError("store '" + path +
                           "' is not a cwola results store (no /job/hash); choose another "
                           "--output or use --overwrite");
  }
  std::string hash;
  try {
    hash = store.file_->read_strings("/job/hash").at(0);
  } catch (const core::Error& e) {
    throw core::InputError("store '" + path + "' has an unreadable /job/hash (" + e.what() +
                           "); the file is damaged: start again with --overwrite");
  }
  if (hash != expected_hash) {
    throw core::InputError("store '" + path + "' was made by a different job (job hash " + hash +
                           ", this job " + expected_hash +
                           "); resuming would mix results of two studies. Use the job file that "
                           "made it, or another --output");
  }
  store.check_layout();
  return store;
}

void ResultsStore::check_layout() {
  // A store with the right hash can still be damaged or edited; find that before any
  // task runs instead of failing mid-run on a missing or short dataset.
  auto damaged = [this](const std::string& what) {
    return core::InputError("store '" + path() + "' is damaged: " + what +
                            " (a cwola store has every dataset, one row per task); start again "
                            "with --overwrite or use another --output");
  };
  try {
    load_shape();
  } catch (const std::exception& e) {
    throw damaged(std::string("its layout cannot be read (") + e.what() + ")");
  }
  std::vector<std::string> per_task = {"/results/status",
                                       "/results/failure_reason",
                                       "/results/device",
                                       "/results/rank",
                                       "/tasks/id",
                                       "/curves/train_loss",
                                       "/curves/val_loss",
                                       "/curves/train_accuracy",
                                       "/curves/val_accuracy",
                                       "/curves/roc_eps_s"};
  for (const auto& column : result_columns_) per_task.push_back("/results/" + column);
  for (const auto& name : per_task) {
    if (!file_->exists(name)) throw damaged("dataset '" + name + "' is missing");
    std::vector<hsize_t> dims;
    try {
      dims = file_->shape(name);
    } catch (const std::exception& e) {
      throw damaged("dataset '" + name + "' cannot be read (" + e.what() + ")");
    }
    if (dims.empty() || dims[0] != n_tasks_) {
      throw damaged("dataset '" + name + "' has " +
                    (dims.empty() ? std::string("no rows") : std::to_string(dims[0]) + " rows") +
                    ", /results/status has " + std::to_string(n_tasks_));
    }
  }
  const auto status = file_->read_int8s("/results/status");
  for (std::size_t t = 0; t < status.size(); ++t) {
    if (status[t] < 0 || status[t] > 2) {
      throw damaged("/results/status[" + std::to_string(t) + "] = " + std::to_string(status[t]) +
                    " is not 0 (pending), 1 (done) or 2 (failed)");
    }
  }
}

ResultsStore ResultsStore::open_read_only(MPI_Comm comm, const std::string& path) {
  ResultsStore store(std::make_unique<Hdf5File>(comm, path, Hdf5File::Mode::kReadOnly));
  store.load_shape();
  return store;
}

void ResultsStore::load_shape() {
  n_tasks_ = file_->shape("/results/status").at(0);
  n_points_ = file_->shape("/summary/point").at(0);
  max_epochs_ = file_->shape("/curves/train_loss").at(1);
  roc_points_ = file_->shape("/curves/roc_eps_b").at(0);
  result_columns_ = file_->read_string_list_attribute("/results", "columns");
  task_arrays_.clear();
  std::vector<std::string> array_names;
  try {
    array_names = file_->read_string_list_attribute("/curves", "task_arrays");
  } catch (const std::exception&) {
    array_names.clear();  // a store without study arrays
  }
  for (const auto& name : array_names) {
    task_arrays_.emplace_back(name, file_->shape("/curves/" + name).at(1));
  }
  score_width_ = score_table_width(*file_);
  task_seeds_ = file_->read_uint64s("/tasks/seed");
  stages_ = read_stage_layouts(*file_);
  checkpoints_ = read_checkpoint_groups(*file_);
}

ScoreRows ResultsStore::read_scores(std::uint64_t first_task, std::size_t tasks) const {
  return read_score_rows(*file_, first_task, tasks);
}

const StageLayout& ResultsStore::stage_of(std::uint64_t task) const {
  for (const auto& stage : stages_) {
    if (stage.holds(task)) return stage;
  }
  throw core::Error("store '" + path() + "': task " + std::to_string(task) + " is in no stage");
}

void ResultsStore::write_model(std::uint64_t task, const core::ModelTensors& model) {
  store::write_model(*file_, stage_of(task), task, model);
}

void ResultsStore::write_named_model(std::uint64_t task, const std::string& name,
                                     const core::ModelTensors& model) {
  store::write_named_model(*file_, stage_of(task), name, task, model);
}

core::ModelTensors ResultsStore::read_named_model(std::uint64_t task,
                                                  const std::string& name) const {
  return store::read_named_model(*file_, stage_of(task), name, task);
}

void ResultsStore::write_artifact(std::uint64_t task, const std::string& name,
                                  const std::vector<float>& values, std::uint64_t seed,
                                  std::uint64_t events_id) {
  const auto artifact = read_artifact_layout(*file_, name);
  if (!artifact.holds(task)) {
    throw core::Error("artifact '" + name + "' has no row for task " + std::to_string(task));
  }
  store::write_artifact(*file_, artifact, task, values, seed, events_id);
}

core::ModelTensors ResultsStore::read_model(std::uint64_t task) const {
  return store::read_model(*file_, stage_of(task), task);
}

const CheckpointGroup* ResultsStore::checkpoint_group_of(std::uint64_t task) const {
  for (const auto& group : checkpoints_) {
    if (group.holds(task)) return &group;
  }
  return nullptr;
}

bool ResultsStore::keeps_checkpoints(std::uint64_t task) const {
  return checkpoint_group_of(task) != nullptr;
}

void ResultsStore::write_checkpoint(std::uint64_t task, const core::Checkpoint& checkpoint,
                                    const std::function<void()>& between) {
  const auto* group = checkpoint_group_of(task);
  CWOLA_EXPECT(group != nullptr);
  store::write_checkpoint(*file_, *group, task, checkpoint, between);
}

std::optional<core::Checkpoint> ResultsStore::read_checkpoint(std::uint64_t task) const {
  const auto* group = checkpoint_group_of(task);
  if (group == nullptr) return std::nullopt;
  return store::read_checkpoint(*file_, *group, task);
}

std::vector<TaskStatus> ResultsStore::read_status() const {
  const auto raw = file_->read_int8s("/results/status");
  std::vector<TaskStatus> status(raw.size());
  std::transform(raw.begin(), raw.end(), status.begin(),
                 [](std::int8_t s) { return static_cast<TaskStatus>(s); });
  return status;
}

std::vector<std::int64_t> ResultsStore::read_task_points() const {
  return file_->read_int64s("/tasks/point");
}

std::vector<double> ResultsStore::read_result_column(const std::string& name) const {
  return file_->read_doubles("/results/" + name);
}

std::vector<double> ResultsStore::read_roc_grid() const {
  return file_->read_doubles("/curves/roc_eps_b");
}

std::vector<double> ResultsStore::read_roc_rows() const {
  return file_->read_doubles("/curves/roc_eps_s");
}

std::vector<std::string> ResultsStore::read_failure_reasons() const {
  return file_->read_strings("/results/failure_reason");
}

std::vector<std::string> ResultsStore::axes() const {
  return file_->read_string_list_attribute("/tasks", "axes");
}

std::vector<std::string> ResultsStore::read_job_text() const {
  return file_->read_strings("/job/text");
}

std::vector<std::vector<std::string>> ResultsStore::read_point_values() const {
  std::vector<std::vector<std::string>> values(n_points_);
  for (const auto& axis : axes()) {
    const std::string name = "/summary/" + axis;
    std::vector<std::string> texts;
    if (file_->is_string(name)) {
      texts = file_->read_strings(name);
    } else {
      for (double v : file_->read_doubles(name)) texts.push_back(core::format_double(v));
    }
    for (std::size_t p = 0; p < n_points_; ++p) values[p].push_back(texts.at(p));
  }
  return values;
}

void ResultsStore::write_task(const TaskRecord& record) {
  CWOLA_EXPECT(record.task < n_tasks_);
  const hsize_t row = record.task;
  if (record.status == TaskStatus::kDone) {
    CWOLA_EXPECT(record.results.size() == result_columns_.size());
  }
  for (std::size_t c = 0; c < result_columns_.size() && c < record.results.size(); ++c) {
    file_->write_doubles("/results/" + result_columns_[c], row, {record.results[c]});
  }
  auto padded = [this](const std::vector<double>& values) {
    std::vector<double> row_values(max_epochs_, std::numeric_limits<double>::quiet_NaN());
    std::copy_n(values.begin(), std::min(values.size(), max_epochs_), row_values.begin());
    return row_values;
  };
  file_->write_doubles("/curves/train_loss", row, padded(record.train_loss));
  file_->write_doubles("/curves/val_loss", row, padded(record.val_loss));
  file_->write_doubles("/curves/train_accuracy", row, padded(record.train_accuracy));
  file_->write_doubles("/curves/val_accuracy", row, padded(record.val_accuracy));
  if (record.roc.size() == roc_points_) file_->write_doubles("/curves/roc_eps_s", row, record.roc);
  for (std::size_t a = 0; a < task_arrays_.size() && a < record.arrays.size(); ++a) {
    std::vector<double> values = record.arrays[a];
    values.resize(task_arrays_[a].second, std::numeric_limits<double>::quiet_NaN());
    file_->write_doubles("/curves/" + task_arrays_[a].first, row, values);
  }
  if (score_width_ > 0 && !record.scores.empty()) {
    write_score_row(*file_, record.task, record.scores, record.score_labels, record.score_masses,
                    task_seeds_.at(record.task), record.scored_events_id);
  }
  file_->write_strings("/results/failure_reason", row, {record.failure_reason});
  file_->write_strings("/results/device", row, {record.device});
  file_->write_int64s("/results/rank", row, {record.rank});
  // Last: the status flag makes the rows above count.
  file_->write_int8s("/results/status", row, {static_cast<std::int8_t>(record.status)});
}

void ResultsStore::write_summary(const SummaryColumns& summary) {
  for (const auto& [name, values] : summary.doubles) {
    file_->write_doubles("/summary/" + name, 0, values);
  }
  for (const auto& [name, values] : summary.integers) {
    file_->write_int64s("/summary/" + name, 0, values);
  }
  for (const auto& [name, values] : summary.strings) {
    file_->write_strings("/summary/" + name, 0, values);
  }
}

void ResultsStore::write_completion(const std::string& end_time, bool complete) {
  file_->write_strings("/job/end_time", 0, {end_time});
  file_->write_int8s("/job/complete", 0, {static_cast<std::int8_t>(complete ? 1 : 0)});
}

void ResultsStore::close() {
  if (file_) file_->close();
}

}  // namespace cwola::store
