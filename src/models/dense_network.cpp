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
}

torch::Tensor DenseNetworkImpl::forward(torch::Tensor x) {
  for (auto& layer : hidden_) {
    x = torch::relu(layer->forward(x));
  }
  return output_->forward(x).squeeze(-1);
}

}  // namespace cwola::models
