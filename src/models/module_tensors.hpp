#pragma once
/// A torch module's parameters and buffers as plain named arrays (core::ModelTensors) and
/// back: how the engine stores a trained model and starts a later stage's training from it.
#include <torch/nn/module.h>

#include <string>

#include "core/model_tensors.hpp"

namespace cwola::models {

/// The module's parameters, then its buffers (named_parameters / named_buffers order, with
/// their full dotted names), and `description`.
core::ModelLayout layout_of(const torch::nn::Module& module, const std::string& description);

/// The module's current values in layout_of order, as float32 on the CPU.
core::ModelTensors export_tensors(const torch::nn::Module& module);

/// Overwrites the module's parameters and buffers with `tensors` (layout_of order). Throws
/// core::InputError naming the tensor when a count or shape differs (a model of another shape).
void import_tensors(torch::nn::Module& module, const core::ModelTensors& tensors);

}  // namespace cwola::models
