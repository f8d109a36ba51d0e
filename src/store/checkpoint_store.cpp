#include "store/checkpoint_store.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cwola::store {

namespace {
std::string group_path(const std::string& name) { return "/checkpoints/" + name; }

std::vector<hsize_t> slot_dims(std::size_t tasks, const std::vector<std::int64_t>& shape) {
  std::vector<hsize_t> dims = {2 * static_cast<hsize_t>(tasks)};
  for (auto d : shape) dims.push_back(static_cast<hsize_t>(d));
  return dims;
}
}  // namespace

bool CheckpointGroup::holds(std::uint64_t task) const {
  return std::binary_search(tasks.begin(), tasks.end(), task);
}

std::size_t CheckpointGroup::row_of(std::uint64_t task) const {
  CWOLA_EXPECT(holds(task));
  return static_cast<std::size_t>(std::lower_bound(tasks.begin(), tasks.end(), task) -
                                  tasks.begin());
}

std::size_t checkpoint_bytes(const core::CheckpointLayout& layout) {
  std::size_t floats = 0;
  for (const auto& tensor : layout.tensors.tensors) floats += tensor.size();
  return 2 * (4 * floats + 8 * layout.numbers + layout.bytes) + 8;
}

void create_checkpoint_datasets(Hdf5File& file, const std::vector<CheckpointGroup>& groups) {
  if (groups.empty()) return;
  std::vector<std::string> names;
  for (const auto& group : groups) {
    names.push_back(group.name);
    const std::string path = group_path(group.name);
    const std::size_t rows = group.tasks.size();
    file.create_dataset(path + "/task", ColumnType::kInt64, {static_cast<hsize_t>(rows)});
    std::vector<std::string> tensors;
    for (const auto& tensor : group.layout.tensors.tensors) {
      file.create_dataset(path + "/" + tensor.name, ColumnType::kFloat32,
                          slot_dims(rows, tensor.shape));
      tensors.push_back(tensor.name);
    }
    // Zero-length rows are not allowed: a layout without numbers or bytes keeps one unused.
    file.create_dataset(path + "/numbers", ColumnType::kFloat64,
                        slot_dims(rows, {static_cast<std::int64_t>(
                                                     std::max<std::size_t>(1, group.layout.numbers))}));
    file.create_dataset(path + "/bytes", ColumnType::kInt8,
                        slot_dims(rows, {static_cast<std::int64_t>(
                                                     std::max<std::size_t>(1, group.layout.bytes))}));
    file.create_dataset(path + "/epochs_done", ColumnType::kInt64,
                        {static_cast<hsize_t>(rows)});
    file.write_string_list_attribute(path, "tensors", tensors);
    file.write_string_list_attribute(
        path, "layout",
        {std::to_string(group.layout.numbers), std::to_string(group.layout.bytes)});
  }
  file.write_string_list_attribute("/checkpoints", "groups", names);
}

void fill_checkpoint_datasets(Hdf5File& file, const std::vector<CheckpointGroup>& groups) {
  for (const auto& group : groups) {
    file.write_int64s(group_path(group.name) + "/task", 0,
                      std::vector<std::int64_t>(group.tasks.begin(), group.tasks.end()));
  }
}

std::vector<CheckpointGroup> read_checkpoint_groups(const Hdf5File& file) {
  std::vector<CheckpointGroup> groups;
  if (!file.exists("/checkpoints")) return groups;
  for (const auto& name : file.read_string_list_attribute("/checkpoints", "groups")) {
    CheckpointGroup group;
    group.name = name;
    const std::string path = group_path(name);
    const auto layout = file.read_string_list_attribute(path, "layout");
    if (layout.size() != 2) {
      throw core::InputError("store '" + file.path() + "': " + path +
                             " has a damaged 'layout' attribute (" +
                             std::to_string(layout.size()) +
                             " values, 2 expected); start again with --overwrite");
    }
    group.layout.numbers = std::stoull(layout[0]);
    group.layout.bytes = std::stoull(layout[1]);
    for (const auto task : file.read_int64s(path + "/task")) {
      group.tasks.push_back(static_cast<std::uint64_t>(task));
    }
    for (const auto& name : file.read_string_list_attribute(path, "tensors")) {
      const auto dims = file.shape(path + "/" + name);
      group.layout.tensors.tensors.push_back({name, {dims.begin() + 1, dims.end()}});
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

void write_checkpoint(Hdf5File& file, const CheckpointGroup& group, std::uint64_t task,
                      const core::Checkpoint& checkpoint, const std::function<void()>& between) {
  CWOLA_EXPECT(checkpoint.epochs_done > 0);
  CWOLA_EXPECT(checkpoint.tensors.size() == group.layout.tensors.tensors.size());
  CWOLA_EXPECT(checkpoint.numbers.size() == group.layout.numbers);
  CWOLA_EXPECT(checkpoint.bytes.size() == group.layout.bytes);
  const hsize_t local = group.row_of(task);
  // The slot the flag does not name: the last complete checkpoint stays intact meanwhile.
  const hsize_t row = 2 * local + static_cast<hsize_t>(checkpoint.epochs_done % 2);
  const std::string path = group_path(group.name);
  for (std::size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    CWOLA_EXPECT(checkpoint.tensors[i].size() == group.layout.tensors.tensors[i].size());
    file.write_floats(path + "/" + group.layout.tensors.tensors[i].name, row,
                      checkpoint.tensors[i]);
  }
  if (group.layout.numbers > 0) file.write_doubles(path + "/numbers", row, checkpoint.numbers);
  if (group.layout.bytes > 0) {
    file.write_int8s(path + "/bytes", row,
                     std::vector<std::int8_t>(checkpoint.bytes.begin(), checkpoint.bytes.end()));
  }
  if (between) between();
  file.write_int64s(path + "/epochs_done", local, {checkpoint.epochs_done});
}

std::optional<core::Checkpoint> read_checkpoint(const Hdf5File& file, const CheckpointGroup& group,
                                                std::uint64_t task) {
  const hsize_t local = group.row_of(task);
  const std::string path = group_path(group.name);
  core::Checkpoint checkpoint;
  checkpoint.epochs_done =
      static_cast<std::int64_t>(file.read_double_row(path + "/epochs_done", local).at(0));
  if (checkpoint.epochs_done <= 0) return std::nullopt;
  const hsize_t row = 2 * local + static_cast<hsize_t>(checkpoint.epochs_done % 2);
  for (const auto& tensor : group.layout.tensors.tensors) {
    checkpoint.tensors.push_back(file.read_float_rows(path + "/" + tensor.name, row, 1));
  }
  if (group.layout.numbers > 0) {
    checkpoint.numbers = file.read_double_row(path + "/numbers", row);
  }
  if (group.layout.bytes > 0) {
    const auto bytes = file.read_int8_rows(path + "/bytes", row, 1);
    checkpoint.bytes.assign(bytes.begin(), bytes.end());
  }
  return checkpoint;
}

}  // namespace cwola::store
