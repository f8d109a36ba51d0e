#include "models/ensemble_dense_network.hpp"

#include <torch/torch.h>

#include <string>

#include "core/error.hpp"

namespace cwola::models {

namespace {
/// Layer names in DenseNetwork's order: hidden0, hidden1, ..., output.
std::vector<std::string> layer_names(const DenseNetworkConfig& config) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < config.hidden.size(); ++i) {
    names.push_back("hidden" + std::to_string(i));
  }
  names.emplace_back("output");
  return names;
}

}  // namespace

torch::Tensor ensemble_linear(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& bias, ComputePrecision precision) {
  // weight.transpose(1, 2) is a view: member k's product is the GEMM x W^T (W stored
  // [out, in]) that torch::nn::Linear issues, only batched over the member axis.
  if (precision == ComputePrecision::kFloat32) {
    return torch::baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2));
  }
  // bfloat16 operands, float32 result; autograd differentiates through the casts.
  return torch::baddbmm(bias.unsqueeze(1).to(torch::kBFloat16), x.to(torch::kBFloat16),
                        weight.to(torch::kBFloat16).transpose(1, 2))
      .to(torch::kFloat32);
}

EnsembleDenseNetworkImpl::EnsembleDenseNetworkImpl(const std::vector<DenseNetwork>& members,
                                                   ComputePrecision precision)
    : precision_(precision) {
  if (members.empty()) {
    throw core::InputError("an ensemble dense network needs at least one member (got none) "
                           "pass the networks to stack");
  }
  config_ = members.front()->config();
  for (const auto& member : members) {
    if (member->config().inputs != config_.inputs || member->config().hidden != config_.hidden ||
        member->config().dropout != config_.dropout ||
        member->config().batch_norm != config_.batch_norm) {
      throw core::InputError("ensemble members have different shapes (inputs " +
                             std::to_string(member->config().inputs) + " vs " +
                             std::to_string(config_.inputs) +
                             ", or other hidden widths, dropout or batch norm; stacked members must share one shape) "
                             "group tasks by model configuration before stacking");
    }
  }
  members_ = static_cast<std::int64_t>(members.size());
  for (const auto& layer : layer_names(config_)) {
    std::vector<torch::Tensor> weights;
    std::vector<torch::Tensor> biases;
    for (const auto& member : members) {
      const auto params = member->named_parameters();
      weights.push_back(params[layer + ".weight"]);
      biases.push_back(params[layer + ".bias"]);
    }
    layers_.push_back(register_module(
        layer, EnsembleLinear(stack_members(weights, layer + ".weight"),
                              stack_members(biases, layer + ".bias"), precision_)));
  }
  // Stacks one named tensor (a parameter or a buffer) over the members.
  const auto stacked = [&members](const std::string& name) {
    std::vector<torch::Tensor> tensors;
    for (const auto& member : members) {
      const auto* parameter = member->named_parameters().find(name);
      tensors.push_back(parameter != nullptr ? *parameter : *member->named_buffers().find(name));
    }
    return stack_members(tensors, name);
  };
  if (config_.batch_norm) {
    for (std::size_t i = 0; i < config_.hidden.size(); ++i) {
      const std::string norm = "norm" + std::to_string(i);
      norms_.push_back(register_module(
          norm, MemberBatchNorm(stacked(norm + ".weight"), stacked(norm + ".bias"),
                                stacked(norm + ".running_mean"), stacked(norm + ".running_var"))));
    }
  }
  if (config_.dropout > 0.0) {
    dropout_seed_ = register_buffer("dropout_seed", stacked("dropout_seed"));
    dropout_step_ = register_buffer("dropout_step", stacked("dropout_step"));
  }
}

EnsembleLinearImpl::EnsembleLinearImpl(torch::Tensor weight, torch::Tensor bias,
                                       ComputePrecision precision)
    : precision_(precision) {
  weight_ = register_parameter("weight", std::move(weight));
  bias_ = register_parameter("bias", std::move(bias));
}

torch::Tensor EnsembleLinearImpl::forward(const torch::Tensor& x) {
  return ensemble_linear(x, weight_, bias_, precision_);
}

torch::Tensor EnsembleDenseNetworkImpl::forward(torch::Tensor x) {
  const std::size_t last = layers_.size() - 1;
  const bool dropout = is_training() && config_.dropout > 0.0;
  for (std::size_t i = 0; i < last; ++i) {
    x = layers_[i]->forward(x);
    if (!norms_.empty()) x = norms_[i]->forward(x);
    x = torch::relu(x);
    if (dropout) {
      x = member_dropout(x, config_.dropout, dropout_seed_, dropout_step_,
                         static_cast<std::int64_t>(i));
    }
  }
  if (dropout) {
    torch::NoGradGuard no_grad;
    dropout_step_.add_(1);
  }
  return layers_[last]->forward(x).squeeze(-1);
}

DenseNetwork EnsembleDenseNetworkImpl::member(std::int64_t k) const {
  if (k < 0 || k >= members_) {
    throw core::InputError("ensemble member " + std::to_string(k) + " does not exist (the " +
                           "ensemble has " + std::to_string(members_) +
                           " members) use an index in [0, members)");
  }
  DenseNetwork network(config_);
  torch::NoGradGuard no_grad;
  auto target = network->named_parameters();
  for (const auto& item : named_parameters()) {
    target[item.key()].copy_(item.value()[k].to(torch::kCPU));
  }
  auto buffers = network->named_buffers();
  for (const auto& item : named_buffers()) {
    buffers[item.key()].copy_(item.value()[k].to(torch::kCPU));
  }
  return network;
}

}  // namespace cwola::models
