#pragma once
/// Stages (docs/stages.md) as every trained study meets them: a task starts from the model it
/// reads (TaskContext::input_model, optionally with the Adam state stored after it) and hands
/// back the model it trained (TaskOutput::model). One place for this, so that the dense
/// studies and the hidden-valley CNN study load, continue and keep models alike.
#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <vector>

#include "core/model_tensors.hpp"
#include "studies/study.hpp"
#include "training/trainer.hpp"
#include "training/training_loop.hpp"

namespace cwola::studies {

/// Loads the task's input model, if any, into `model` (parameters and buffers, overwriting its
/// fresh initialisation) and returns the optimizer state stored after it when the task
/// continues it (empty otherwise: a fresh Adam). Throws core::InputError naming the tensor when
/// the stored model does not fit `model`'s shape.
training::OptimizerState import_input_model(torch::nn::Module& model, const TaskContext& context);

/// Transfer learning: loads only the input model's tensors whose names `loads` accepts (e.g.
/// CnnJetNetworkImpl::is_image_tensor for a CNN's image network) into `model`, which keeps its own
/// fresh initialisation everywhere else. Throws core::InputError naming `key` when the task reads
/// no model or continues an optimizer state (a fresh head has no Adam state to continue), and
/// naming the tensor when the stored model does not fit `model`'s shape.
void import_input_tensors(torch::nn::Module& model, const TaskContext& context,
                          const std::function<bool(const std::string&)>& loads,
                          const std::string& key);

/// As above for a model that adds tensors to the one it reads (the scale-and-shift weights of
/// cnn.fine_tune = scale_shift): the stored model has `stored`'s layout (names and shapes, in
/// order), and each of `model`'s tensors that `loads` accepts is taken from the stored tensor
/// of its name. Throws core::InputError naming `key` as above, and naming the tensor when the
/// stored model does not have `stored`'s shape or lacks a tensor `loads` accepts.
void import_input_tensors(torch::nn::Module& model, const TaskContext& context,
                          const core::ModelLayout& stored,
                          const std::function<bool(const std::string&)>& loads,
                          const std::string& key);

/// The model a task hands back (TaskOutput::model) when context.keep_model, else empty: the
/// trained module's tensors (models::export_tensors), with context.keep_optimizer the Adam
/// state of `outcome` after them (training::export_optimizer), and the outcome's best epoch and
/// epoch count.
core::ModelTensors kept_model(const torch::nn::Module& model, const TaskContext& context,
                              const training::TrainOutcome& outcome);

/// Per-epoch checkpoints ([run] checkpoint = epoch) of a task's network alone: the loop's
/// hooks that resume from the context's stored checkpoint and save through the context. One
/// object per training (the hooks point into it).
class TaskCheckpoints {
 public:
  /// Throws core::InputError when the stored checkpoint does not fit `model`.
  TaskCheckpoints(const torch::nn::Module& model, const TaskContext& context, int max_epochs);
  TaskCheckpoints(const TaskCheckpoints&) = delete;
  TaskCheckpoints& operator=(const TaskCheckpoints&) = delete;
  /// The hooks for train_classifier, or nullptr when the task neither resumes nor saves.
  const training::EpochCheckpoints* hooks() const;

 private:
  training::LoopState resumed_;
  training::EpochCheckpoints hooks_;
};

/// Whether some of `contexts` store or continue an optimizer state, or save per-epoch
/// checkpoints. Such tasks train one by one: only the single-network loop hands back its Adam
/// state (TrainOutcome::optimizer is empty for stacked members) and checkpoints its loop.
/// Tasks that only read or keep models stack like any other.
bool must_train_alone(const std::vector<TaskContext>& contexts);

}  // namespace cwola::studies
