#include "models/module_tensors.hpp"

#include <torch/torch.h>

#include "core/error.hpp"

namespace cwola::models {

namespace {
std::vector<std::pair<std::string, torch::Tensor>> named_tensors(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : module.named_parameters(true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(true)) out.emplace_back(item.key(), item.value());
  return out;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}
}  // namespace

core::ModelLayout layout_of(const torch::nn::Module& module, const std::string& description) {
  core::ModelLayout layout;
  layout.description = description;
  for (const auto& [name, tensor] : named_tensors(module)) {
    layout.tensors.push_back({name, tensor.sizes().vec()});
  }
  return layout;
}

core::ModelTensors export_tensors(const torch::nn::Module& module) {
  core::ModelTensors out;
  for (const auto& [name, tensor] : named_tensors(module)) {
    const auto flat = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous().view({-1});
    out.values.emplace_back(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  }
  return out;
}

void import_tensors(torch::nn::Module& module, const core::ModelTensors& tensors) {
  const auto targets = named_tensors(module);
  if (targets.size() != tensors.values.size()) {
    throw core::InputError("stored model has " + std::to_string(tensors.values.size()) +
                           " tensors but the network that loads it has " +
                           std::to_string(targets.size()) +
                           " (a model of another architecture); make the reading stage's "
                           "[model] settings equal to the stage it reads");
  }
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& [name, target] = targets[i];
    const auto& values = tensors.values[i];
    if (static_cast<std::int64_t>(values.size()) != target.numel()) {
      throw core::InputError("stored model tensor '" + name + "' has " +
                             std::to_string(values.size()) + " values but the network's " +
                             shape_text(target.sizes().vec()) + " needs " +
                             std::to_string(target.numel()) + " (a model of another shape)");
    }
    const auto source = torch::from_blob(const_cast<float*>(values.data()), target.sizes(),
                                         torch::kFloat32);
    target.copy_(source.to(target.device(), target.scalar_type()));
  }
}

}  // namespace cwola::models
