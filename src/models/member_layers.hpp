#pragma once
/// Batch normalisation and dropout written once for a network alone and for K networks
/// stacked along a member axis (models/ensemble_model.hpp), so that member k of a stack
/// computes exactly what the same network computes alone: statistics are per member, and
/// a dropout mask depends only on the member's own seed and step, never on K.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>

namespace cwola::models {

/// Batch normalisation over the events of a minibatch (momentum 0.1, eps 1e-5, as
/// torch::nn::BatchNorm1d). Tensors "weight", "bias" (learned) and "running_mean",
/// "running_var" (buffers) are [H] for one network or [K, H] for a stack.
class MemberBatchNormImpl : public torch::nn::Module {
 public:
  /// A fresh layer of one network: weight 1, bias 0, running mean 0, running variance 1.
  explicit MemberBatchNormImpl(std::int64_t width);
  /// A stacked layer from its members' tensors, already stacked [K, H].
  MemberBatchNormImpl(torch::Tensor weight, torch::Tensor bias, torch::Tensor running_mean,
                      torch::Tensor running_var);

  /// x [N, H] (one network) or [K, N, H] (a stack); also [N, H, ...] or [K, N, H, ...], where
  /// each of the H channels is normalised over the events and the trailing axes (as
  /// torch::nn::BatchNorm2d on [N, H, rows, columns]). In training mode each member normalises
  /// with its minibatch's statistics and updates its running ones; a minibatch of one event
  /// has no variance and uses the running statistics instead. In eval mode: running ones.
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor normalise(const torch::Tensor& x, std::int64_t member);

  torch::Tensor weight_;
  torch::Tensor bias_;
  torch::Tensor running_mean_;
  torch::Tensor running_var_;
};

TORCH_MODULE(MemberBatchNorm);

/// A fresh dropout seed for one network, drawn from torch's global generator (so it follows
/// training::seed_weight_init), as an int64 scalar in [0, 2^24) (exact in the store's float32).
torch::Tensor draw_dropout_seed();

/// Inverted dropout at `rate` (0 <= rate < 1) on x [K, N, H]. The mask of member k is a hash
/// of (seed[k], step[k], layer, event row, unit), so it is the same whether the member trains
/// alone (K = 1) or in any stack, on any device. seed and step are int64 [K]. The caller
/// applies it in training mode only and advances step after each forward pass.
torch::Tensor member_dropout(const torch::Tensor& x, double rate, const torch::Tensor& seed,
                             const torch::Tensor& step, std::int64_t layer);

}  // namespace cwola::models
