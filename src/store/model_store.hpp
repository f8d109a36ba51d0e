#pragma once
/// Stages and trained models in the results store (docs/stages.md). Like the rest of the
/// store, every dataset is created up front, collectively, from the stages' model layouts:
/// /models/<stage>/<tensor> is [tasks of the stage, ...tensor shape]; afterwards the rank that
/// trained a model writes only its raw row, before the task's status flag, so a model whose
/// task is marked done is complete, and a kill mid-write leaves a pending task whose row is
/// rewritten on --resume.
///
///   /stages/name, first_task, n_tasks, reads, per_task, keep_models   one row per stage
///   /tasks/stage, /tasks/upstream                                     one row per task
///   /models/<stage>/<tensor name>        float64 [stage tasks, ...]   (float32 values, exact)
///   /models/<stage>/best_epoch, epochs   int64 [stage tasks]          the training outcome
///   attributes of /models/<stage>: tensors (names), description (the network), first_task,
///                                  models (the names of the named models below, if any)
///   /models/<stage>/<name>/...          a named model (core::NamedModelLayout, e.g. "flow"):
///                                       the same tensor rows, best_epoch and epochs, and
///                                       attributes tensors, description, first_task,
///                                       settings (keys) and one attribute per setting
#include <cstdint>
#include <string>
#include <vector>

#include "core/model_tensors.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

/// One stage as the store records it.
struct StageLayout {
  std::string name;
  std::size_t first_task = 0;
  std::size_t n_tasks = 0;
  std::string reads;      ///< stage it reads, "" none
  bool per_task = false;  ///< one set of tasks per task of `reads`
  bool keep_models = false;
  core::ModelLayout model;  ///< empty unless keep_models
  /// Models stored besides `model` under their own names (Study::named_models); empty: none.
  std::vector<core::NamedModelLayout> named_models;

  bool holds(std::uint64_t task) const { return task >= first_task && task < first_task + n_tasks; }
};

/// Collective: the /stages, /tasks/stage, /tasks/upstream and /models datasets.
void create_stage_datasets(Hdf5File& file, const std::vector<StageLayout>& stages,
                           std::size_t n_tasks);
/// Rank 0 at creation: fills /stages and the per-task stage columns.
void fill_stage_datasets(Hdf5File& file, const std::vector<StageLayout>& stages,
                         const std::vector<std::int64_t>& task_stage,
                         const std::vector<std::int64_t>& task_upstream);
/// The stages of a store; empty for a store of a job without stages.
std::vector<StageLayout> read_stage_layouts(const Hdf5File& file);

/// Independent: the model row of `task` (which must belong to a stage that keeps models).
void write_model(Hdf5File& file, const StageLayout& stage, std::uint64_t task,
                 const core::ModelTensors& model);
/// Independent: the stored model of `task`.
core::ModelTensors read_model(const Hdf5File& file, const StageLayout& stage, std::uint64_t task);

/// The named model `name` of `stage`; core::Error if the stage stores none of that name.
const core::NamedModelLayout& named_model(const StageLayout& stage, const std::string& name);
/// Independent: the named model `name`'s row of `task`.
void write_named_model(Hdf5File& file, const StageLayout& stage, const std::string& name,
                       std::uint64_t task, const core::ModelTensors& model);
/// Independent: the stored named model `name` of `task`.
core::ModelTensors read_named_model(const Hdf5File& file, const StageLayout& stage,
                                    const std::string& name, std::uint64_t task);
/// The dataset of a named model's tensor, e.g. /models/main/flow/block0.input.weight.
std::string named_model_dataset(const StageLayout& stage, const std::string& name,
                                const std::string& tensor);

/// Bytes of one stored model (its float64 rows and outcome) and of all of a stage's models.
std::size_t model_bytes(const core::ModelLayout& layout);

}  // namespace cwola::store
