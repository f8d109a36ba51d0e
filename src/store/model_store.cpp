#include "store/model_store.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cwola::store {

namespace {
constexpr std::size_t kNameLength = 64;

std::string group_of(const StageLayout& stage) { return "/models/" + stage.name; }

/// Collective: one model's tensor rows, outcome rows and attributes under `group`.
void create_model_group(Hdf5File& file, const std::string& group, const core::ModelLayout& model,
                        const StageLayout& stage) {
  const hsize_t rows = stage.n_tasks;
  std::vector<std::string> names;
  for (const auto& tensor : model.tensors) {
    std::vector<hsize_t> dims = {rows};
    for (auto d : tensor.shape) dims.push_back(static_cast<hsize_t>(d));
    file.create_dataset(group + "/" + tensor.name, ColumnType::kFloat64, dims);
    names.push_back(tensor.name);
  }
  file.create_dataset(group + "/best_epoch", ColumnType::kInt64, {rows});
  file.create_dataset(group + "/epochs", ColumnType::kInt64, {rows});
  file.write_string_list_attribute(group, "tensors", names);
  file.write_string_list_attribute(group, "description", {model.description});
  file.write_string_list_attribute(group, "first_task", {std::to_string(stage.first_task)});
}

/// A stored model's layout from its group's attributes and dataset shapes.
core::ModelLayout read_model_group(const Hdf5File& file, const std::string& group) {
  core::ModelLayout model;
  model.description = file.read_string_list_attribute(group, "description").at(0);
  for (const auto& name : file.read_string_list_attribute(group, "tensors")) {
    const auto dims = file.shape(group + "/" + name);
    std::vector<std::int64_t> shape(dims.begin() + 1, dims.end());
    model.tensors.push_back({name, shape});
  }
  return model;
}

void write_model_rows(Hdf5File& file, const std::string& group, const core::ModelLayout& layout,
                      hsize_t row, const core::ModelTensors& model) {
  CWOLA_EXPECT(model.values.size() == layout.tensors.size());
  for (std::size_t i = 0; i < model.values.size(); ++i) {
    CWOLA_EXPECT(model.values[i].size() == layout.tensors[i].size());
    file.write_doubles(group + "/" + layout.tensors[i].name, row,
                       std::vector<double>(model.values[i].begin(), model.values[i].end()));
  }
  file.write_int64s(group + "/best_epoch", row, {model.best_epoch});
  file.write_int64s(group + "/epochs", row, {model.epochs});
}

core::ModelTensors read_model_rows(const Hdf5File& file, const std::string& group,
                                   const core::ModelLayout& layout, hsize_t row) {
  core::ModelTensors model;
  for (const auto& tensor : layout.tensors) {
    const auto values = file.read_double_row(group + "/" + tensor.name, row);
    model.values.emplace_back(values.begin(), values.end());
  }
  model.best_epoch =
      static_cast<std::int64_t>(file.read_double_row(group + "/best_epoch", row).at(0));
  model.epochs = static_cast<std::int64_t>(file.read_double_row(group + "/epochs", row).at(0));
  return model;
}

/// The attributes a model group holds besides a named model's settings.
bool reserved_attribute(const std::string& name) {
  return name == "tensors" || name == "description" || name == "first_task" || name == "models" ||
         name == "settings";
}

std::size_t widest(const std::vector<StageLayout>& stages, std::string StageLayout::*field) {
  std::size_t width = 1;
  for (const auto& s : stages) width = std::max(width, (s.*field).size());
  return width;
}
}  // namespace

std::size_t model_bytes(const core::ModelLayout& layout) {
  std::size_t values = 0;
  for (const auto& tensor : layout.tensors) values += tensor.size();
  return 8 * values + 2 * 8;
}

void create_stage_datasets(Hdf5File& file, const std::vector<StageLayout>& stages,
                           std::size_t n_tasks) {
  const hsize_t n = stages.size();
  file.create_dataset("/stages/name", ColumnType::kString, {n}, widest(stages, &StageLayout::name));
  file.create_dataset("/stages/reads", ColumnType::kString, {n},
                      widest(stages, &StageLayout::reads));
  for (const char* name : {"first_task", "n_tasks"}) {
    file.create_dataset(std::string("/stages/") + name, ColumnType::kInt64, {n});
  }
  for (const char* name : {"per_task", "keep_models"}) {
    file.create_dataset(std::string("/stages/") + name, ColumnType::kInt8, {n});
  }
  file.create_dataset("/tasks/stage", ColumnType::kInt64, {n_tasks});
  file.create_dataset("/tasks/upstream", ColumnType::kInt64, {n_tasks});
  for (const auto& stage : stages) {
    if (stage.keep_models) create_model_group(file, group_of(stage), stage.model, stage);
    if (stage.named_models.empty()) continue;
    std::vector<std::string> names;
    for (const auto& named : stage.named_models) {
      // A named model's group sits next to the model's tensors: the names must not meet.
      CWOLA_EXPECT(!named.name.empty() && named.name.find('/') == std::string::npos);
      CWOLA_EXPECT(std::none_of(stage.model.tensors.begin(), stage.model.tensors.end(),
                                [&](const auto& t) { return t.name == named.name; }));
      CWOLA_EXPECT(std::find(names.begin(), names.end(), named.name) == names.end());
      names.push_back(named.name);
      const std::string group = group_of(stage) + "/" + named.name;
      create_model_group(file, group, named.layout, stage);
      std::vector<std::string> keys;
      for (const auto& [key, value] : named.settings) {
        CWOLA_EXPECT(!reserved_attribute(key));
        file.write_string_list_attribute(group, key, {value});
        keys.push_back(key);
      }
      file.write_string_list_attribute(group, "settings", keys);
    }
    file.write_string_list_attribute(group_of(stage), "models", names);
  }
}

void fill_stage_datasets(Hdf5File& file, const std::vector<StageLayout>& stages,
                         const std::vector<std::int64_t>& task_stage,
                         const std::vector<std::int64_t>& task_upstream) {
  std::vector<std::string> names;
  std::vector<std::string> reads;
  std::vector<std::int64_t> first;
  std::vector<std::int64_t> count;
  std::vector<std::int8_t> per_task;
  std::vector<std::int8_t> keep;
  for (const auto& s : stages) {
    names.push_back(s.name);
    reads.push_back(s.reads);
    first.push_back(static_cast<std::int64_t>(s.first_task));
    count.push_back(static_cast<std::int64_t>(s.n_tasks));
    per_task.push_back(s.per_task ? 1 : 0);
    keep.push_back(s.keep_models ? 1 : 0);
  }
  file.write_strings("/stages/name", 0, names);
  file.write_strings("/stages/reads", 0, reads);
  file.write_int64s("/stages/first_task", 0, first);
  file.write_int64s("/stages/n_tasks", 0, count);
  file.write_int8s("/stages/per_task", 0, per_task);
  file.write_int8s("/stages/keep_models", 0, keep);
  file.write_int64s("/tasks/stage", 0, task_stage);
  file.write_int64s("/tasks/upstream", 0, task_upstream);
}

std::vector<StageLayout> read_stage_layouts(const Hdf5File& file) {
  std::vector<StageLayout> stages;
  if (!file.exists("/stages/name")) return stages;
  const auto names = file.read_strings("/stages/name");
  const auto reads = file.read_strings("/stages/reads");
  const auto first = file.read_int64s("/stages/first_task");
  const auto count = file.read_int64s("/stages/n_tasks");
  const auto per_task = file.read_int8s("/stages/per_task");
  const auto keep = file.read_int8s("/stages/keep_models");
  for (std::size_t s = 0; s < names.size(); ++s) {
    StageLayout stage;
    stage.name = names[s];
    stage.reads = reads.at(s);
    stage.first_task = static_cast<std::size_t>(first.at(s));
    stage.n_tasks = static_cast<std::size_t>(count.at(s));
    stage.per_task = per_task.at(s) != 0;
    stage.keep_models = keep.at(s) != 0;
    const std::string group = group_of(stage);
    if (stage.keep_models) stage.model = read_model_group(file, group);
    std::vector<std::string> named;
    if (file.exists(group)) {
      try {
        named = file.read_string_list_attribute(group, "models");
      } catch (const std::exception&) {
        named.clear();  // a store from before named models, or a stage without any
      }
    }
    for (const auto& name : named) {
      core::NamedModelLayout model;
      model.name = name;
      model.layout = read_model_group(file, group + "/" + name);
      const std::string own = group + "/" + name;
      for (const auto& key : file.read_string_list_attribute(own, "settings")) {
        model.settings.emplace_back(key, file.read_string_list_attribute(own, key).at(0));
      }
      stage.named_models.push_back(std::move(model));
    }
    stages.push_back(std::move(stage));
  }
  return stages;
}

void write_model(Hdf5File& file, const StageLayout& stage, std::uint64_t task,
                 const core::ModelTensors& model) {
  CWOLA_EXPECT(stage.keep_models && stage.holds(task));
  write_model_rows(file, group_of(stage), stage.model, task - stage.first_task, model);
}

core::ModelTensors read_model(const Hdf5File& file, const StageLayout& stage, std::uint64_t task) {
  CWOLA_EXPECT(stage.keep_models && stage.holds(task));
  return read_model_rows(file, group_of(stage), stage.model, task - stage.first_task);
}

const core::NamedModelLayout& named_model(const StageLayout& stage, const std::string& name) {
  for (const auto& model : stage.named_models) {
    if (model.name == name) return model;
  }
  throw core::Error("stage '" + stage.name + "' stores no model named '" + name + "'");
}

std::string named_model_dataset(const StageLayout& stage, const std::string& name,
                                const std::string& tensor) {
  return group_of(stage) + "/" + name + "/" + tensor;
}

void write_named_model(Hdf5File& file, const StageLayout& stage, const std::string& name,
                       std::uint64_t task, const core::ModelTensors& model) {
  CWOLA_EXPECT(stage.holds(task));
  write_model_rows(file, group_of(stage) + "/" + name, named_model(stage, name).layout,
                   task - stage.first_task, model);
}

core::ModelTensors read_named_model(const Hdf5File& file, const StageLayout& stage,
                                    const std::string& name, std::uint64_t task) {
  CWOLA_EXPECT(stage.holds(task));
  return read_model_rows(file, group_of(stage) + "/" + name, named_model(stage, name).layout,
                         task - stage.first_task);
}

}  // namespace cwola::store
