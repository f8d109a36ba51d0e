#pragma once
/// An Adam optimizer state (training::OptimizerState) as plain model tensors, so that a stage
/// can store it beside its model and a later stage can continue the training where it stopped
/// (docs/stages.md, [stage.NAME] optimizer = continue). Stored after the model's own tensors:
/// "optimizer.exp_avg.<parameter>" and "optimizer.exp_avg_sq.<parameter>" for every parameter
/// in module.parameters() order, then "optimizer.step" [1].
#include <torch/nn/module.h>

#include <cstddef>
#include <utility>

#include "core/model_tensors.hpp"
#include "training/trainer.hpp"

namespace cwola::training {

/// The tensors an Adam state of `module` adds to its stored model.
core::ModelLayout optimizer_layout(const torch::nn::Module& module);

/// `state` as optimizer_layout values (a fresh state: zero moments, step 0).
std::vector<std::vector<float>> export_optimizer(const torch::nn::Module& module,
                                                 const OptimizerState& state);

/// Splits a stored model into the module's own tensors (the first `model_tensors`) and the
/// optimizer state after them (empty when none was stored). Throws core::InputError when the
/// remainder is not a state of `module` (count or shape).
std::pair<core::ModelTensors, OptimizerState> split_optimizer(const torch::nn::Module& module,
                                                              const core::ModelTensors& stored,
                                                              std::size_t model_tensors);

}  // namespace cwola::training
