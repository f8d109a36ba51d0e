#pragma once
/// The optimizer of every training in training/: the one loop (training_loop.hpp) and the
/// meta-training (meta_trainer.hpp) step with it, so an update means the same in both.
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "training/trainer.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

/// Adam / AdamW with LibTorch's defaults (betas 0.9, 0.999, eps 1e-8), written out with the
/// tensor operations of torch::optim::Adam::step (and AdamW's decoupled decay), so that a
/// stacked member's update is the one a network alone gets. Works on stacked parameters
/// [K, ...] and on one network's own (kSingle: K = 1). One step counter serves all members:
/// they start together, and a member that stops is removed (compact), never updated again.
/// Parameters without a gradient at a step are skipped (neither updated nor decayed).
class AdamOptimizer {
 public:
  /// Uses config.weight_decay (0: Adam, else AdamW); the rate is set by set_learning_rate.
  AdamOptimizer(std::vector<torch::Tensor> parameters, const TrainerConfig& config,
                MemberAxis axis);

  void set_learning_rate(double rate) { learning_rate_ = rate; }
  /// Drops every parameter's gradient (undefined, not zero).
  void zero_grad();
  /// Scales each member's gradient so that its L2 norm over all parameters is at most
  /// `max_norm` (torch::nn::utils::clip_grad_norm_ per member).
  void clip_gradients(double max_norm);
  /// One Adam step on the parameters that have a gradient.
  void step();
  /// A copy of the moments and step count (for a network alone: its own parameters' shapes).
  OptimizerState state() const;
  /// Continues from `state` (a previous training's Adam); its tensors must fit the parameters
  /// (core::InputError otherwise).
  void restore(const OptimizerState& state);
  /// Keeps the optimizer state of the members at rows `keep` (stacked parameters only; the
  /// parameters themselves are compacted by the caller).
  void compact(const torch::Tensor& keep);

 private:
  /// A view of `t` with the member axis first ([1, ...] for a network alone).
  torch::Tensor member_rows(const torch::Tensor& t) const;

  static constexpr double kBeta1 = 0.9;
  static constexpr double kBeta2 = 0.999;
  static constexpr double kEps = 1e-8;
  std::vector<torch::Tensor> parameters_;
  std::vector<torch::Tensor> exp_avg_;
  std::vector<torch::Tensor> exp_avg_sq_;
  TrainerConfig config_;
  MemberAxis axis_;
  double learning_rate_ = 0;
  std::int64_t step_ = 0;
};

}  // namespace cwola::training
