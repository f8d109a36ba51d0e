#include "store/artifact_store.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace cwola::store {

namespace {

constexpr const char* kRoot = "/artifacts";
// A chunk holds at most this many events (a row of a very large test set spans several).
constexpr hsize_t kMaxChunkRows = hsize_t{1} << 20U;
// Per-task datasets next to the columns; a column may not take one of these names.
const std::vector<std::string> kPerTask = {"rows", "seed", "events_id", "written"};

std::string group_of(const std::string& name) { return std::string(kRoot) + "/" + name; }

void check_task(const ArtifactLayout& artifact, std::uint64_t task) {
  if (!artifact.holds(task)) {
    throw core::Error("artifact " + artifact.name + " belongs to stage " + artifact.stage +
                      " (tasks " + std::to_string(artifact.first_task) + " to " +
                      std::to_string(artifact.first_task + artifact.n_tasks - 1) + "), not task " +
                      std::to_string(task) + " (a bug in the caller)");
  }
}

}  // namespace

void ArtifactLayout::validate() const {
  const std::string where = "artifact " + (name.empty() ? std::string("(unnamed)") : name);
  if (name.empty() || name.find('/') != std::string::npos || name.find(' ') != std::string::npos) {
    throw core::InputError(where, "name", name,
                           "an artifact needs a non-empty name without '/' or spaces");
  }
  if (stage.empty()) {
    throw core::InputError(where, "stage", stage, "an artifact must name the stage making it");
  }
  if (n_tasks == 0) {
    throw core::InputError(where, "n_tasks", "0", "an artifact needs the stage's tasks");
  }
  if (max_rows == 0) {
    throw core::InputError(where, "max_rows", "0", "an artifact needs room for events");
  }
  if (columns.empty()) {
    throw core::InputError(where, "columns", "(none)", "an artifact needs at least one column");
  }
  std::set<std::string> seen;
  for (const auto& column : columns) {
    const bool reserved = std::find(kPerTask.begin(), kPerTask.end(), column) != kPerTask.end();
    if (column.empty() || column.find('/') != std::string::npos || reserved ||
        !seen.insert(column).second) {
      throw core::InputError(where, "columns", column,
                             "a column needs a name of its own, without '/', and not rows, seed, "
                             "events_id or written");
    }
  }
}

std::string artifact_group(const std::string& name) { return group_of(name); }

std::size_t artifact_bytes(const ArtifactLayout& artifact) {
  return artifact.n_tasks * (artifact.max_rows * artifact.columns.size() * 4 + 8 + 8 + 8 + 1);
}

void create_artifacts(Hdf5File& file, const std::vector<ArtifactLayout>& artifacts) {
  if (artifacts.empty()) return;
  std::set<std::string> seen;
  std::vector<std::string> names;
  for (const auto& a : artifacts) {
    a.validate();
    if (!seen.insert(a.name).second) {
      throw core::InputError("artifact " + a.name, "name", a.name,
                             "two artifacts of one store cannot share a name");
    }
    names.push_back(a.name);
  }
  for (const auto& a : artifacts) {
    const std::string group = group_of(a.name);
    const hsize_t tasks = a.n_tasks;
    const hsize_t rows = a.max_rows;
    for (const auto& column : a.columns) {
      file.create_chunked_dataset(group + "/" + column, ColumnType::kFloat32, {tasks, rows},
                                  {1, std::min(rows, kMaxChunkRows)});
    }
    file.create_dataset(group + "/rows", ColumnType::kInt64, {tasks});
    file.create_dataset(group + "/seed", ColumnType::kUInt64, {tasks});
    file.create_dataset(group + "/events_id", ColumnType::kUInt64, {tasks});
    file.create_dataset(group + "/written", ColumnType::kInt8, {tasks});
    file.write_string_list_attribute(group, "stage", {a.stage});
    file.write_string_list_attribute(group, "first_task", {std::to_string(a.first_task)});
    file.write_string_list_attribute(group, "columns", a.columns);
    file.write_string_list_attribute(group, "seed_purpose", {a.seed_purpose});
    file.write_string_list_attribute(group, "description", {a.description});
  }
  file.write_string_list_attribute(kRoot, "names", names);
}

ArtifactLayout read_artifact_layout(const Hdf5File& file, const std::string& name) {
  const std::string group = group_of(name);
  if (!file.exists(group + "/written")) {
    throw core::InputError("store " + file.path() + " has no artifact '" + name +
                           "' (cwola inspect lists the artifacts of a store)");
  }
  ArtifactLayout a;
  a.name = name;
  a.stage = file.read_string_list_attribute(group, "stage").at(0);
  a.first_task = std::stoull(file.read_string_list_attribute(group, "first_task").at(0));
  a.columns = file.read_string_list_attribute(group, "columns");
  a.seed_purpose = file.read_string_list_attribute(group, "seed_purpose").at(0);
  a.description = file.read_string_list_attribute(group, "description").at(0);
  const auto dims = file.shape(group + "/" + a.columns.at(0));
  a.n_tasks = dims.at(0);
  a.max_rows = dims.at(1);
  return a;
}

std::vector<ArtifactLayout> read_artifact_layouts(const Hdf5File& file) {
  std::vector<ArtifactLayout> out;
  if (!file.exists(kRoot)) return out;
  for (const auto& name : file.read_string_list_attribute(kRoot, "names")) {
    out.push_back(read_artifact_layout(file, name));
  }
  return out;
}

void write_artifact(Hdf5File& file, const ArtifactLayout& artifact, std::uint64_t task,
                    const std::vector<float>& values, std::uint64_t seed, std::uint64_t events_id) {
  check_task(artifact, task);
  const std::size_t columns = artifact.columns.size();
  if (values.size() % columns != 0 || values.size() / columns > artifact.max_rows) {
    throw core::Error("artifact " + artifact.name + ": task " + std::to_string(task) + " has " +
                      std::to_string(values.size()) + " values for " + std::to_string(columns) +
                      " columns and at most " + std::to_string(artifact.max_rows) +
                      " rows (the store was sized from the plan; a bug in the producing study)");
  }
  const hsize_t row = task - artifact.first_task;
  const std::string group = group_of(artifact.name);
  const std::size_t rows = values.size() / columns;
  for (std::size_t c = 0; c < columns; ++c) {
    std::vector<float> padded(artifact.max_rows, std::numeric_limits<float>::quiet_NaN());
    for (std::size_t r = 0; r < rows; ++r) padded[r] = values[r * columns + c];
    file.write_floats(group + "/" + artifact.columns[c], row, padded);
  }
  file.write_int64s(group + "/rows", row, {static_cast<std::int64_t>(rows)});
  file.write_uint64s(group + "/seed", row, {seed});
  file.write_uint64s(group + "/events_id", row, {events_id});
  file.write_int8s(group + "/written", row, {1});
}

bool artifact_written(const Hdf5File& file, const ArtifactLayout& artifact, std::uint64_t task) {
  check_task(artifact, task);
  const hsize_t row = task - artifact.first_task;
  return file.read_int8_rows(group_of(artifact.name) + "/written", row, 1).at(0) != 0;
}

ArtifactRows read_artifact(const Hdf5File& file, const ArtifactLayout& artifact,
                           std::uint64_t task) {
  if (!artifact_written(file, artifact, task)) {
    throw core::Error("artifact " + artifact.name + " of store " + file.path() + ": task " +
                      std::to_string(task) +
                      " has not written it (the task is not done) resume the job first");
  }
  const auto block = read_artifact_block(file, artifact, task, 1);
  const std::size_t columns = artifact.columns.size();
  ArtifactRows out;
  out.rows = static_cast<std::size_t>(block.rows.at(0));
  out.seed = block.seed.at(0);
  out.events_id = block.events_id.at(0);
  out.values.resize(out.rows * columns);
  for (std::size_t c = 0; c < columns; ++c) {
    for (std::size_t r = 0; r < out.rows; ++r) out.values[r * columns + c] = block.columns[c][r];
  }
  return out;
}

ArtifactBlock read_artifact_block(const Hdf5File& file, const ArtifactLayout& artifact,
                                  std::uint64_t first_task, std::size_t tasks) {
  if (tasks == 0) return {};
  check_task(artifact, first_task);
  check_task(artifact, first_task + tasks - 1);
  const hsize_t first = first_task - artifact.first_task;
  const std::string group = group_of(artifact.name);
  ArtifactBlock block;
  block.max_rows = artifact.max_rows;
  for (const auto& column : artifact.columns) {
    block.columns.push_back(file.read_float_rows(group + "/" + column, first, tasks));
  }
  const auto written = file.read_int8_rows(group + "/written", first, tasks);
  const auto rows = file.read_int64s(group + "/rows");
  const auto seeds = file.read_uint64s(group + "/seed");
  const auto ids = file.read_uint64s(group + "/events_id");
  for (std::size_t i = 0; i < tasks; ++i) {
    const bool whole = written.at(i) != 0;
    // A row that was never whole counts as empty, never as stale or partial numbers.
    block.rows.push_back(whole ? std::clamp<std::int64_t>(rows.at(first + i), 0,
                                                          static_cast<std::int64_t>(block.max_rows))
                               : 0);
    block.seed.push_back(whole ? seeds.at(first + i) : 0);
    block.events_id.push_back(whole ? ids.at(first + i) : 0);
  }
  return block;
}

}  // namespace cwola::store
