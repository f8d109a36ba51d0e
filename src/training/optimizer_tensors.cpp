#include "training/optimizer_tensors.hpp"

#include <torch/torch.h>

#include <string>

#include "core/error.hpp"

namespace cwola::training {

namespace {
const std::string kExpAvg = "optimizer.exp_avg.";
const std::string kExpAvgSq = "optimizer.exp_avg_sq.";
const std::string kStep = "optimizer.step";

std::vector<float> flat_values(const torch::Tensor& tensor) {
  const auto flat = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous().view({-1});
  return {flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel()};
}
}  // namespace

core::ModelLayout optimizer_layout(const torch::nn::Module& module) {
  core::ModelLayout layout;
  const auto parameters = module.named_parameters(true);
  for (const auto* prefix : {&kExpAvg, &kExpAvgSq}) {
    for (const auto& item : parameters) {
      layout.tensors.push_back({*prefix + item.key(), item.value().sizes().vec()});
    }
  }
  layout.tensors.push_back({kStep, {1}});
  return layout;
}

std::vector<std::vector<float>> export_optimizer(const torch::nn::Module& module,
                                                 const OptimizerState& state) {
  const auto parameters = module.parameters(true);
  std::vector<std::vector<float>> values;
  for (const auto* moments : {&state.exp_avg, &state.exp_avg_sq}) {
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      values.push_back(state.empty() ? std::vector<float>(
                                           static_cast<std::size_t>(parameters[i].numel()), 0.0F)
                                     : flat_values((*moments).at(i)));
    }
  }
  // float32 holds step counts exactly up to 2^24 updates.
  values.push_back({static_cast<float>(state.step)});
  return values;
}

std::pair<core::ModelTensors, OptimizerState> split_optimizer(const torch::nn::Module& module,
                                                              const core::ModelTensors& stored,
                                                              std::size_t model_tensors) {
  core::ModelTensors own = stored;
  if (stored.values.size() <= model_tensors) return {own, {}};
  own.values.resize(model_tensors);
  const auto parameters = module.parameters(true);
  const std::size_t expected = 2 * parameters.size() + 1;
  const std::size_t extra = stored.values.size() - model_tensors;
  if (extra != expected) {
    throw core::InputError("stored model has " + std::to_string(extra) +
                           " tensors after the network's own, but an Adam state of this network "
                           "has " + std::to_string(expected) +
                           " (a state of another architecture); make the reading stage's "
                           "[model] settings equal to the stage it reads");
  }
  OptimizerState state;
  std::size_t next = model_tensors;
  for (auto* moments : {&state.exp_avg, &state.exp_avg_sq}) {
    for (const auto& parameter : parameters) {
      const auto& values = stored.values[next++];
      if (static_cast<std::int64_t>(values.size()) != parameter.numel()) {
        throw core::InputError("stored optimizer moment " + std::to_string(next - 1) + " has " +
                               std::to_string(values.size()) + " values but its parameter has " +
                               std::to_string(parameter.numel()) + " (a state of another shape)");
      }
      moments->push_back(torch::tensor(values).view(parameter.sizes()).clone());
    }
  }
  state.step = static_cast<std::int64_t>(stored.values[next].at(0));
  return {own, state};
}

}  // namespace cwola::training
