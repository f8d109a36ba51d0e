#include "models/dense_network.hpp"

#include <torch/torch.h>

#include <string>

#include "core/error.hpp"

namespace cwola::models {

void DenseNetworkConfig::validate() const {
  if (inputs <= 0) {
    throw core::InputError("dense network", "inputs", std::to_string(inputs),
                           "the number of input features must be positive (check the feature "
                           "list of the study)");
  }
  if (!(dropout >= 0.0 && dropout < 1.0)) {
    throw core::InputError("dense network", "dropout", std::to_string(dropout),
                           "the dropout rate must be in [0, 1)");
  }
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    if (hidden[i] <= 0) {
      throw core::InputError("dense network", "hidden[" + std::to_string(i) + "]",
                             std::to_string(hidden[i]),
                             "hidden layer widths must be positive (leave the list empty for "
                             "logistic regression)");
    }
  }
}

DenseNetworkImpl::DenseNetworkImpl(const DenseNetworkConfig& config) : config_(config) {
  config_.validate();
  std::int64_t width = config_.inputs;
  hidden_.reserve(config_.hidden.size());
  for (std::size_t i = 0; i < config_.hidden.size(); ++i) {
    hidden_.push_back(register_module("hidden" + std::to_string(i),
                                      torch::nn::Linear(width, config_.hidden[i])));
    width = config_.hidden[i];
  }
  output_ = register_module("output", torch::nn::Linear(width, 1));
  if (config_.batch_norm) {
    for (std::size_t i = 0; i < config_.hidden.size(); ++i) {
      norms_.push_back(
          register_module("norm" + std::to_string(i), MemberBatchNorm(config_.hidden[i])));
    }
  }
  if (config_.dropout > 0.0) {
    dropout_seed_ = register_buffer("dropout_seed", draw_dropout_seed());
    dropout_step_ = register_buffer("dropout_step", torch::zeros({}, torch::kInt64));
  }
}

void DenseNetworkImpl::set_output_bias(double bias) {
  torch::NoGradGuard no_grad;
  output_->bias.fill_(bias);
}

torch::Tensor DenseNetworkImpl::forward(torch::Tensor x) {
  const bool dropout = is_training() && config_.dropout > 0.0;
  for (std::size_t i = 0; i < hidden_.size(); ++i) {
    x = hidden_[i]->forward(x);
    if (!norms_.empty()) x = norms_[i]->forward(x);
    x = torch::relu(x);
    if (dropout) {
      x = member_dropout(x.unsqueeze(0), config_.dropout, dropout_seed_.view({1}),
                         dropout_step_.view({1}), static_cast<std::int64_t>(i))
              .squeeze(0);
    }
  }
  if (dropout) {
    torch::NoGradGuard no_grad;
    dropout_step_.add_(1);
  }
  return output_->forward(x).squeeze(-1);
}

}  // namespace cwola::models
