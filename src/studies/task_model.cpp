#include "studies/task_model.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "models/module_tensors.hpp"
#include "training/loop_checkpoint.hpp"
#include "training/optimizer_tensors.hpp"

namespace cwola::studies {

training::OptimizerState import_input_model(torch::nn::Module& model, const TaskContext& context) {
  if (context.input_model == nullptr) return {};
  auto [own, state] = training::split_optimizer(model, *context.input_model,
                                                models::layout_of(model, "").tensors.size());
  models::import_tensors(model, own);
  if (!context.continue_optimizer) return {};
  if (state.empty()) {
    throw core::Error("task " + std::to_string(context.task_id) +
                      " continues an optimizer "
                      "state, but its input model has none (a bug: the stage it reads must "
                      "store it)");
  }
  return std::move(state);
}

void import_input_tensors(torch::nn::Module& model, const TaskContext& context,
                          const std::function<bool(const std::string&)>& loads,
                          const std::string& key) {
  if (context.input_model == nullptr) {
    throw core::InputError(key + ": task " + std::to_string(context.task_id) +
                           " reads no model (fine-tuning part of a network needs a stage "
                           "that reads one) set reads = STAGE in its stage");
  }
  if (context.continue_optimizer) {
    throw core::InputError(key + ": task " + std::to_string(context.task_id) +
                           " continues the stored optimizer state, but only part of the model "
                           "is loaded (the rest starts fresh) use optimizer = fresh");
  }
  const auto layout = models::layout_of(model, "");
  const auto stored =
      training::split_optimizer(model, *context.input_model, layout.tensors.size()).first;
  // Checks the stored model's shape as a whole (InputError naming the tensor) before mixing.
  auto own = models::export_tensors(model);
  models::import_tensors(model, stored);
  for (std::size_t t = 0; t < layout.tensors.size(); ++t) {
    if (loads(layout.tensors[t].name)) own.values[t] = stored.values[t];
  }
  models::import_tensors(model, own);
}

void import_input_tensors(torch::nn::Module& model, const TaskContext& context,
                          const core::ModelLayout& stored,
                          const std::function<bool(const std::string&)>& loads,
                          const std::string& key) {
  if (context.input_model == nullptr || context.continue_optimizer) {
    // The same refusals as the plain form (its messages name the key).
    import_input_tensors(model, context, loads, key);
    return;
  }
  const auto& values = context.input_model->values;
  // Optimizer moments stored after the model (for another reading stage) are not read here.
  if (values.size() < stored.tensors.size()) {
    throw core::InputError(key + ": the stored model has " + std::to_string(values.size()) +
                           " tensors, but the network it was stored from has " +
                           std::to_string(stored.tensors.size()) +
                           " give both stages the same network settings");
  }
  const auto layout = models::layout_of(model, "");
  auto own = models::export_tensors(model);
  for (std::size_t t = 0; t < layout.tensors.size(); ++t) {
    const auto& spec = layout.tensors[t];
    if (!loads(spec.name)) continue;
    const auto found =
        std::find_if(stored.tensors.begin(), stored.tensors.end(),
                     [&spec](const core::TensorSpec& s) { return s.name == spec.name; });
    const auto index = static_cast<std::size_t>(found - stored.tensors.begin());
    if (found == stored.tensors.end() || !(found->shape == spec.shape) ||
        values[index].size() != spec.size()) {
      throw core::InputError(
          key + ": the stored model's tensor '" + spec.name + "' is missing or of another shape (" +
          std::to_string(found == stored.tensors.end() ? 0 : values[index].size()) +
          " values, this network needs " + std::to_string(spec.size()) +
          ") give both stages the same network settings");
    }
    own.values[t] = values[index];
  }
  models::import_tensors(model, own);
}

core::ModelTensors kept_model(const torch::nn::Module& model, const TaskContext& context,
                              const training::TrainOutcome& outcome) {
  if (!context.keep_model) return {};
  auto kept = models::export_tensors(model);
  if (context.keep_optimizer) {
    for (auto& values : training::export_optimizer(model, outcome.optimizer)) {
      kept.values.push_back(std::move(values));
    }
  }
  kept.best_epoch = outcome.best_epoch;
  kept.epochs = static_cast<std::int64_t>(outcome.history.size());
  return kept;
}

TaskCheckpoints::TaskCheckpoints(const torch::nn::Module& model, const TaskContext& context,
                                 int max_epochs) {
  if (context.resume_checkpoint != nullptr) {
    resumed_ = training::import_checkpoint(model, *context.resume_checkpoint, max_epochs);
    hooks_.resume = &resumed_;
  }
  if (context.save_checkpoint) {
    hooks_.save = [&model, &context, max_epochs](const training::LoopState& state) {
      context.save_checkpoint(training::export_checkpoint(model, state, max_epochs));
    };
  }
}

const training::EpochCheckpoints* TaskCheckpoints::hooks() const {
  return hooks_.resume != nullptr || hooks_.save ? &hooks_ : nullptr;
}

bool must_train_alone(const std::vector<TaskContext>& contexts) {
  return std::any_of(contexts.begin(), contexts.end(), [](const TaskContext& c) {
    return c.keep_optimizer || c.continue_optimizer || static_cast<bool>(c.save_checkpoint);
  });
}

}  // namespace cwola::studies
