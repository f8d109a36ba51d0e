#pragma once
/// K DenseNetworks of one shape trained as one stacked model: every Linear layer becomes a
/// batched matrix product over a leading member axis (torch::baddbmm), so one kernel call
/// serves all members. Follows the stacked-model contract of models/ensemble_model.hpp.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "models/dense_network.hpp"
#include "models/ensemble_model.hpp"
#include "models/member_layers.hpp"

namespace cwola::models {

/// K Linear layers of one shape stacked: weight [K, out, in] (each member's slice laid out as
/// its torch::nn::Linear weight), bias [K, out]; forward is ensemble_linear.
class EnsembleLinearImpl : public torch::nn::Module {
 public:
  /// Takes stacked parameters (see models::stack_members) and registers them.
  EnsembleLinearImpl(torch::Tensor weight, torch::Tensor bias, ComputePrecision precision);
  /// x [K, N, in] -> [K, N, out].
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor weight_;
  torch::Tensor bias_;
  ComputePrecision precision_;
};

TORCH_MODULE(EnsembleLinear);

/// Stacked form of K DenseNetworks with the same DenseNetworkConfig. Parameters are named as in
/// DenseNetwork ("hidden0.weight", ..., "output.bias") with the member axis prepended:
/// weight [K, out, in] (each member's slice laid out exactly as its Linear weight), bias
/// [K, out]. Member k computes what DenseNetwork k computes on x[k].
class EnsembleDenseNetworkImpl : public torch::nn::Module {
 public:
  /// Stacks the current parameters of `members` (copies; the members stay independent). Build
  /// each member as the single-network path would (seeded with training::seed_weight_init) and
  /// member k starts from exactly those weights. Throws core::InputError if `members` is empty
  /// or their configs differ.
  explicit EnsembleDenseNetworkImpl(const std::vector<DenseNetwork>& members,
                                    ComputePrecision precision = ComputePrecision::kFloat32);

  /// x float32 [K, N, inputs] -> logits [K, N].
  torch::Tensor forward(torch::Tensor x);

  /// A standalone DenseNetwork holding a copy of member k's current weights (on the CPU).
  DenseNetwork member(std::int64_t k) const;

  std::int64_t members() const { return members_; }
  const DenseNetworkConfig& config() const { return config_; }
  ComputePrecision precision() const { return precision_; }

 private:
  DenseNetworkConfig config_;
  std::int64_t members_ = 0;
  ComputePrecision precision_;
  std::vector<EnsembleLinear> layers_;  // hidden layers then output
  std::vector<MemberBatchNorm> norms_;  // with batch norm: one per hidden layer
  torch::Tensor dropout_seed_;          // with dropout: [K]
  torch::Tensor dropout_step_;          // with dropout: [K]
};

TORCH_MODULE(EnsembleDenseNetwork);

/// One stacked Linear layer: x [K, N, in], weight [K, out, in], bias [K, out] -> [K, N, out],
/// computed as baddbmm(bias, x, weight^T) in float32 or, with kBFloat16, on bfloat16 copies
/// of the operands with a float32 result.
torch::Tensor ensemble_linear(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& bias, ComputePrecision precision);

}  // namespace cwola::models
