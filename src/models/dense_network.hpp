#pragma once
/// Fully connected binary classifier: the CWoLa baseline network on event features.
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

#include "models/member_layers.hpp"

namespace cwola::models {

/// Shape of a DenseNetwork.
struct DenseNetworkConfig {
  /// Number of input features per event (> 0).
  int inputs = 0;
  /// Widths of the hidden layers, input side first (each > 0). Empty gives logistic regression.
  std::vector<int> hidden = {64, 64};
  /// Dropout rate after each hidden layer's activation, in [0, 1); 0 is none (the seeds').
  double dropout = 0.0;
  /// Batch normalisation between each hidden Linear and its ReLU.
  bool batch_norm = false;

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// Linear [+ batch norm] + ReLU [+ dropout] per hidden layer, then Linear(width, 1).
/// Sub-modules are registered as "hidden0", ..., "output" (and "norm0", ... with batch
/// norm), so state names are stable across versions. With dropout the network holds its mask
/// seed and step as buffers "dropout_seed" and "dropout_step" (models/member_layers.hpp).
class DenseNetworkImpl : public torch::nn::Module {
 public:
  /// Validates `config` and builds the layers with LibTorch's default initialisation
  /// (seed it with training::seed_weight_init first for reproducible weights; the dropout
  /// seed is drawn after the weights, which are therefore those of the network without).
  explicit DenseNetworkImpl(const DenseNetworkConfig& config);

  /// x float32 [N, inputs] -> logits [N] (no sigmoid: the loss and predict_scores apply it).
  torch::Tensor forward(torch::Tensor x);

  /// The configuration the network was built from.
  const DenseNetworkConfig& config() const { return config_; }

  /// Sets the output layer's bias to `bias` (model.output_bias = prior: the log-odds of the
  /// training labels, so training does not begin by fitting the class prior).
  void set_output_bias(double bias);

 private:
  DenseNetworkConfig config_;
  std::vector<torch::nn::Linear> hidden_;
  std::vector<MemberBatchNorm> norms_;
  torch::nn::Linear output_{nullptr};
  torch::Tensor dropout_seed_;
  torch::Tensor dropout_step_;
};

TORCH_MODULE(DenseNetwork);

}  // namespace cwola::models
