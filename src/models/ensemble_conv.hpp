#pragma once
/// Stacked convolutions for ensemble-batched CNNs: K Conv2d layers of one shape run as one
/// grouped convolution (groups = K), member k's channels forming group k. Follows the
/// stacked-model contract of models/ensemble_model.hpp (parameters [K, ...], x [K, N, ...]),
/// so a stacked CNN built from these layers trains with training::train_ensemble.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "models/ensemble_model.hpp"

namespace cwola::models {

/// Shape of one member convolution (square kernel, zero padding, with bias).
struct EnsembleConv2dConfig {
  std::int64_t in_channels = 1;
  std::int64_t out_channels = 1;
  std::int64_t kernel = 3;   ///< kernel height = width
  std::int64_t stride = 1;
  std::int64_t padding = 0;  ///< zero padding on each side

  /// The options of the equivalent torch::nn::Conv2d (build the members with them).
  torch::nn::Conv2dOptions conv_options() const;
  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// K Conv2d layers of one EnsembleConv2dConfig stacked: weight [K, out, in, kernel, kernel],
/// bias [K, out].
class EnsembleConv2dImpl : public torch::nn::Module {
 public:
  /// Stacks copies of the parameters of `members`, each built with config.conv_options() (its
  /// weight must be [out, in, kernel, kernel] and it must have a bias). Throws
  /// core::InputError otherwise or if `members` is empty.
  EnsembleConv2dImpl(const EnsembleConv2dConfig& config,
                     const std::vector<torch::nn::Conv2d>& members,
                     ComputePrecision precision = ComputePrecision::kFloat32);

  /// x float32 [K, N, in, H, W] -> [K, N, out, H', W'] (H', W' as for each member's Conv2d).
  torch::Tensor forward(const torch::Tensor& x);
  /// The same on the folded layout of members_to_channels: [N, K*in, H, W] -> [N, K*out, H',
  /// W']. Stacked CNNs stay folded from layer to layer (ReLU and pooling act per channel), so
  /// no copy is made between convolutions.
  torch::Tensor forward_folded(const torch::Tensor& folded);

  /// Members currently stacked (the ensemble trainer drops members that stop).
  std::int64_t members() const { return weight_.size(0); }

 private:
  EnsembleConv2dConfig config_;
  ComputePrecision precision_;
  torch::Tensor weight_;  // [K, out, in, kh, kw]
  torch::Tensor bias_;    // [K, out]
};

TORCH_MODULE(EnsembleConv2d);

/// Folds the member axis into the channels: [K, N, C, H, W] -> [N, K*C, H, W] (a copy), the
/// input layout of a grouped convolution with groups = K.
torch::Tensor members_to_channels(const torch::Tensor& x);
/// Inverse of members_to_channels for `members` groups: [N, K*C, H, W] -> [K, N, C, H, W].
torch::Tensor channels_to_members(const torch::Tensor& y, std::int64_t members);

}  // namespace cwola::models
