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
  return std::any_of(contexts.begin(), contexts.end(),
                     [](const TaskContext& c) {
                       return c.keep_optimizer || c.continue_optimizer ||
                              static_cast<bool>(c.save_checkpoint);
                     });
}

}  // namespace cwola::studies
