#include "store/artifact_store.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace cwola::store {

namespace {

constexpr const char* kRoot = "/artifacts";

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
}

std::size_t artifact_bytes(const ArtifactLayout& artifact) {
  return artifact.n_tasks * (artifact.max_rows * artifact.columns.size() * 4 + 8 + 8 + 1);
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
    const hsize_t columns = a.columns.size();
    file.create_chunked_dataset(group + "/values", ColumnType::kFloat32, {tasks, rows, columns},
                                {1, rows, columns});
    file.create_dataset(group + "/rows", ColumnType::kInt64, {tasks});
    file.create_dataset(group + "/seed", ColumnType::kUInt64, {tasks});
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
  if (!file.exists(group + "/values")) {
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
  const auto dims = file.shape(group + "/values");
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
                    const std::vector<float>& values, std::uint64_t seed) {
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
  std::vector<float> padded(artifact.max_rows * columns, std::numeric_limits<float>::quiet_NaN());
  std::copy(values.begin(), values.end(), padded.begin());
  file.write_floats(group + "/values", row, padded);
  file.write_int64s(group + "/rows", row, {static_cast<std::int64_t>(values.size() / columns)});
  file.write_uint64s(group + "/seed", row, {seed});
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
  const hsize_t row = task - artifact.first_task;
  const std::string group = group_of(artifact.name);
  ArtifactRows out;
  out.rows = static_cast<std::size_t>(file.read_double_row(group + "/rows", row).at(0));
  out.seed = file.read_uint64s(group + "/seed").at(row);
  auto values = file.read_float_rows(group + "/values", row, 1);
  values.resize(out.rows * artifact.columns.size());
  out.values = std::move(values);
  return out;
}

}  // namespace cwola::store
