#pragma once
/// A conditional masked autoregressive flow (MAF, Papamakarios et al. 2017) for densities
/// p(x | c) of event features x given a context c (CATHODE: the substructure features given
/// m_jj). Exact log-density and sampling. The features are brought to an unbounded space
/// first, as the CATHODE authors do: min-max scaling with the training set's range, the logit
/// (its argument clamped so that no event maps to +-inf), then standardisation; all scaling
/// constants are buffers of the module, so they are stored and loaded with the weights.
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace cwola::models {

/// Shape and preprocessing of a ConditionalFlow.
struct ConditionalFlowConfig {
  /// Dimension of x (>= 1).
  int features = 0;
  /// Dimension of the context c (>= 0; 0: an unconditional flow).
  int context = 1;
  /// MADE blocks (>= 1); the feature order is reversed between consecutive blocks.
  int blocks = 4;
  /// Units per hidden layer of each MADE (>= features - 1 so every degree is present, >= 1).
  int hidden = 64;
  /// Hidden layers per MADE (>= 1).
  int hidden_layers = 2;
  /// Fraction of the training range added on each side before the logit (in (0, 0.5)):
  /// events at the training set's minimum or maximum map to a finite logit
  /// (logit(margin / (1 + 2 margin)) = -3.0 for 0.05), not -inf, and held-out events up to
  /// this far outside the training range still get an exact density.
  double logit_margin = 0.05;

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// One MADE with affine transforms: u_i = (x_i - m_i) * exp(-a_i), where (m_i, a_i) depend
/// only on x_1..x_{i-1} and the context (masked weights; the context feeds every hidden unit).
/// a_i is soft-clamped to (-kLogScaleLimit, kLogScaleLimit) (a * tanh(raw / a)) so that one
/// step cannot blow a scale up. Sub-modules: "input", "context", "hidden<k>", "output".
class MadeBlockImpl : public torch::nn::Module {
 public:
  static constexpr double kLogScaleLimit = 5.0;

  MadeBlockImpl(int features, int context, int hidden, int hidden_layers);

  /// Shift m and log-scale a, each [N, features], of x [N, features] given c [N, context].
  std::pair<torch::Tensor, torch::Tensor> shift_and_log_scale(const torch::Tensor& x,
                                                              const torch::Tensor& c);
  /// x -> u; adds log|det du/dx| (= -sum_i a_i) to `log_det` [N].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c, torch::Tensor& log_det);
  /// u -> x: `features` passes, each fixing one more coordinate (the autoregressive order).
  torch::Tensor inverse(const torch::Tensor& u, const torch::Tensor& c);

 private:
  int features_;
  int context_;
  std::vector<torch::Tensor> masks_;  // per masked layer, [out, in] (buffers)
  std::vector<torch::nn::Linear> layers_;
  torch::nn::Linear context_layer_{nullptr};
};

TORCH_MODULE(MadeBlock);

/// The flow: preprocessing (scaling, logit, standardisation) then `blocks` MADEs with feature
/// reversals between them onto a standard normal base density. Buffers "feature_min",
/// "feature_max", "logit_mean", "logit_std" [features], "context_mean", "context_std"
/// [context]: set by fit_scaling from the training set before training.
class ConditionalFlowImpl : public torch::nn::Module {
 public:
  /// Validates `config` and builds the blocks with LibTorch's default initialisation (seed it
  /// with training::seed_weight_init first for reproducible weights). The scaling buffers
  /// start as the identity-like range [0, 1]; call fit_scaling before training.
  explicit ConditionalFlowImpl(const ConditionalFlowConfig& config);

  /// Sets the scaling buffers from training events x [N, features] and contexts c [N, context]
  /// (float32). Throws core::InputError for non-finite values or a feature (or context) that is
  /// constant over the set, naming its index.
  void fit_scaling(const torch::Tensor& x, const torch::Tensor& c);

  /// x [N, features] in the original units -> y [N, features] in the unbounded space the MADEs
  /// model; adds log|det dy/dx| [N] to `log_det`. Arguments outside the training range
  /// (widened by the margin) are clamped to it (the CATHODE clamp of +-inf).
  torch::Tensor preprocess(const torch::Tensor& x, torch::Tensor& log_det) const;
  /// The inverse of preprocess (no clamp needed: the sigmoid lands inside the range).
  torch::Tensor postprocess(const torch::Tensor& y) const;
  /// bool [N]: whether each event lies inside the training range widened by the margin, where
  /// log_prob is an exact, normalised density (outside it the clamp keeps it finite only).
  torch::Tensor inside_range(const torch::Tensor& x) const;
  /// The standardised context the MADEs see.
  torch::Tensor scaled_context(const torch::Tensor& c) const;

  /// y (preprocessed) -> base-space z [N, features]; adds the blocks' log|det dz/dy| to
  /// `log_det` [N].
  torch::Tensor to_base(const torch::Tensor& y, const torch::Tensor& c, torch::Tensor& log_det);
  /// z -> y: the blocks inverted in reverse order.
  torch::Tensor from_base(const torch::Tensor& z, const torch::Tensor& c);

  /// log p(y | c) [N] of preprocessed y (the density the MADEs model).
  torch::Tensor latent_log_prob(const torch::Tensor& y, const torch::Tensor& c);
  /// log p(x | c) [N] in the original units of x (the preprocessing's Jacobian included).
  torch::Tensor log_prob(const torch::Tensor& x, const torch::Tensor& c);
  /// One sample x [N, features] (original units) per context row c [N, context], from a
  /// standard normal drawn with a CPU generator seeded by `seed` (the same on any device).
  torch::Tensor sample(const torch::Tensor& c, std::uint64_t seed);

  const ConditionalFlowConfig& config() const { return config_; }
  /// Block `i` (for tests of the autoregressive structure).
  MadeBlock block(std::size_t i) const { return blocks_.at(i); }

 private:
  /// A [N, context] tensor of the right shape (an empty one for an unconditional flow).
  torch::Tensor checked_context(const torch::Tensor& c, std::int64_t n) const;

  ConditionalFlowConfig config_;
  std::vector<MadeBlock> blocks_;
  torch::Tensor feature_min_;
  torch::Tensor feature_max_;
  torch::Tensor logit_mean_;
  torch::Tensor logit_std_;
  torch::Tensor context_mean_;
  torch::Tensor context_std_;
};

TORCH_MODULE(ConditionalFlow);

}  // namespace cwola::models
