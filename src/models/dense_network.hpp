#pragma once
/// Fully connected binary classifier: the CWoLa baseline network on event features.
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

namespace cwola::models {

/// Shape of a DenseNetwork.
struct DenseNetworkConfig {
  /// Number of input features per event (> 0).
  int inputs = 0;
  /// Widths of the hidden layers, input side first (each > 0). Empty gives logistic regression.
  std::vector<int> hidden = {64, 64};

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// Linear + ReLU per hidden layer, then Linear(width, 1). Sub-modules are registered as
/// "hidden0", "hidden1", ..., "output", so state names are stable across versions.
class DenseNetworkImpl : public torch::nn::Module {
 public:
  /// Validates `config` and builds the layers with LibTorch's default initialisation
  /// (seed it with training::seed_weight_init first for reproducible weights).
  explicit DenseNetworkImpl(const DenseNetworkConfig& config);

  /// x float32 [N, inputs] -> logits [N] (no sigmoid: the loss and predict_scores apply it).
  torch::Tensor forward(torch::Tensor x);

  /// The configuration the network was built from.
  const DenseNetworkConfig& config() const { return config_; }

 private:
  DenseNetworkConfig config_;
  std::vector<torch::nn::Linear> hidden_;
  torch::nn::Linear output_{nullptr};
};

TORCH_MODULE(DenseNetwork);

}  // namespace cwola::models
