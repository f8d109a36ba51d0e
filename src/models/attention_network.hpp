#pragma once
/// SPANet-style symmetry-preserving attention network: assigns jets to resonance particles
/// (pairs: h1, h2 -> b b; triplets: t1, t2 -> q q b), says per particle whether it is
/// reconstructable (detection), and classifies the event, all from one shared jet encoder.
/// The write-up (conventions, loss, decoding) is docs/attention.md.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/transformercoder.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace cwola::models {

/// Shape of an AttentionNetwork. The defaults are the small CPU setting; SPANet's HH4b setting is
/// hidden = 256, encoder_layers = 8.
struct AttentionNetworkConfig {
  /// Features per jet (e.g. pT, eta, phi, m, b-tag).
  int jet_features = 5;
  /// Most jets per event; inputs carry this many slots, padded with the mask false.
  int max_jets = 10;
  /// Width D of every jet and token vector.
  int hidden = 64;
  /// Attention heads (must divide hidden).
  int heads = 4;
  /// Gated residual blocks in the embedding.
  int embedding_blocks = 2;
  /// Layers of the central transformer encoder.
  int encoder_layers = 4;
  /// Layers of each particle branch's own encoder.
  int branch_layers = 2;
  /// Width of the encoders' feed-forward layers, as a multiple of hidden.
  int feedforward_factor = 2;
  /// Resonance particles (branches), e.g. 2 for h1, h2. All of them are interchangeable (the
  /// loss takes the minimum over their permutations, SPANet's EVENT permutation [h1, h2]).
  int particles = 2;
  /// Jets per particle: 2 (pair head, L[i, j]) or 3 (triplet head, L[i, j, k]).
  int daughters = 2;
  /// Sets of daughter slots that are interchangeable (SPANet's per-particle PERMUTATIONS):
  /// {{0, 1}} for h -> b1 b2 and for t -> q1 q2 b (daughters ordered q1, q2, b).
  std::vector<std::vector<int>> symmetric_daughters = {{0, 1}};
  /// Dropout in the encoders (0 keeps training and evaluation identical).
  double dropout = 0.0;
  /// Per jet feature: take log(1 + x) before normalising (SPANet's `log_normalize`; use it for
  /// pT and mass). Empty means no feature is logged; else one entry per jet feature.
  std::vector<bool> log_features;
  /// Per jet feature: standardise with the training set's mean and spread (SPANet's `normalize`;
  /// false is SPANet's `none`, e.g. for a b-tag bit). Empty means all; else one per feature.
  std::vector<bool> normalize_features;

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// One forward pass.
struct AttentionOutput {
  /// Per particle: log P [N, J, ..., J] (one axis per daughter), invariant under the symmetric
  /// daughter permutations, -inf where two indices coincide or one is padding, logsumexp = 0.
  /// The probability of an assignment up to those symmetries is group_size * P (2 P(i, j) for a
  /// pair).
  std::vector<torch::Tensor> assignment_log_probs;
  /// Number of daughter permutations the assignment is invariant under (2 for a pair).
  int group_size = 1;
  /// Classification logit of the event [N] (signal vs background, no sigmoid).
  torch::Tensor class_logits;
  /// Per particle: detection logit [N] (no sigmoid) that the particle is reconstructable, i.e.
  /// all its daughters are among the event's jets. Empty for outputs not made by the network
  /// (hand-built outputs in tests); then the loss needs a detection weight of 0.
  std::vector<torch::Tensor> detection_logits;
};

/// Embedding (linear + gated residual blocks), central encoder with a learned event token,
/// one branch (own token and encoder) per particle ending in the symmetric pairing head and a
/// detection head on the branch token, and a classification head on the event vector. Jets enter
/// only through masked attention and per-jet layers, so the outputs are equivariant (pairing) and
/// invariant (class) under any permutation of the jets. Sub-modules are registered by name.
class AttentionNetworkImpl : public torch::nn::Module {
 public:
  /// Validates `config` and builds the layers (seed with training::seed_weight_init first).
  explicit AttentionNetworkImpl(const AttentionNetworkConfig& config);

  /// jets float32 [N, J, jet_features] (raw units; normalisation is applied inside),
  /// mask bool [N, J] (true = real jet), J <= max_jets. Each event needs >= 2 real jets.
  AttentionOutput forward(torch::Tensor jets, torch::Tensor mask);

  /// Sets the per-feature normalisation (after the optional log) from the real jets of a
  /// training set: mean and standard deviation over jets with mask true. Stored as buffers,
  /// so they are saved with the model.
  void fit_normalization(const torch::Tensor& jets, const torch::Tensor& mask);

  /// The last linear layers of the assignment heads (one per particle and daughter):
  /// exposed so tests can zero them and check the uniform-pairing loss.
  std::vector<torch::nn::Linear> pairing_projections() const;

  /// The last linear layer of each particle's detection head (exposed so tests can zero it:
  /// a zero logit gives the detection loss log 2).
  std::vector<torch::nn::Linear> detection_outputs() const;

  const AttentionNetworkConfig& config() const { return config_; }

 private:
  torch::Tensor normalize(torch::Tensor jets) const;

  AttentionNetworkConfig config_;
  torch::Tensor feature_mean_;
  torch::Tensor feature_std_;
  torch::Tensor log_mask_;
  torch::Tensor normalize_mask_;
  torch::nn::Linear input_{nullptr};
  torch::nn::ModuleList embedding_blocks_{nullptr};
  torch::Tensor event_token_;
  torch::nn::TransformerEncoder central_{nullptr};
  std::vector<torch::Tensor> branch_tokens_;
  std::vector<torch::nn::TransformerEncoder> branches_;
  std::vector<std::vector<torch::nn::Linear>> projections_;  // [particle][daughter]
  std::vector<std::vector<std::int64_t>> symmetry_group_;     // daughter-axis permutations
  torch::nn::Linear class_hidden_{nullptr};
  torch::nn::Linear class_output_{nullptr};
  // Built after every other layer, so the other layers' initial weights are the ones a seed
  // gave before the detection head existed.
  std::vector<torch::nn::Linear> detection_hidden_;  // [particle]
  std::vector<torch::nn::Linear> detection_output_;  // [particle]
};

TORCH_MODULE(AttentionNetwork);

/// Weights of the loss terms. SPANet's convention: a term whose weight is 0 drops out of the
/// mean (it is not averaged in as a zero).
struct AttentionLossWeights {
  /// lambda_a: weight of each particle's assignment term (SPANet's assignment_loss_scale).
  double assignment = 1.0;
  /// lambda_c: weight of the classification term.
  double classification = 1.0;
  /// lambda_d: weight of each particle's detection term (SPANet's detection_loss_scale; 0 by
  /// default, as SPANet's, which leaves the loss exactly what it was without the head).
  double detection = 0.0;
};

/// Loss terms of one batch.
struct AttentionLoss {
  /// Mean over the active terms of lambda * term (differentiable scalar).
  torch::Tensor total;
  /// Per particle: mean of -log(assignment probability) over events whose (permuted)
  /// target for that particle is complete; 0 when no event has one.
  std::vector<torch::Tensor> assignment;
  /// Binary cross-entropy of the class logits (mean over events).
  torch::Tensor classification;
  /// Per particle: binary cross-entropy of the detection logit against "all daughters of the
  /// target matched to this branch are known" (mean over all events). Empty when the output
  /// has no detection logits.
  std::vector<torch::Tensor> detection;
};

/// The detection targets: bool [N, particles], true where every daughter target of the
/// particle is a jet (>= 0), i.e. the particle is reconstructable from the kept jets. Targets
/// exist only for simulated signal, so this is truth too (docs/attention.md).
torch::Tensor reconstructable(const torch::Tensor& targets);

/// targets int64 [N, particles, daughters]: jet index of each daughter, -1 where unknown; a
/// particle contributes only when all its daughters are known. For each event, the assignment
/// loss is the minimum over permutations of the particles of the sum of -log(group_size P(t));
/// P is invariant under the symmetric daughter permutations, so the loss is too. The detection
/// target of a branch is 1 when the target it is matched to (by that permutation) has all its
/// daughters known, else 0; with weights.detection != 0 the permutation minimises the sum of
/// lambda_a * assignment and lambda_d * detection costs (SPANet), with 0 the assignment costs.
/// labels float32 [N] in {0, 1}.
AttentionLoss attention_loss(const AttentionOutput& output, const torch::Tensor& targets,
                             const torch::Tensor& labels, const AttentionLossWeights& weights);

/// Greedy non-conflicting decoding: repeatedly take the most probable remaining assignment of
/// any unassigned particle among unused jets, assign it, mask its jets. Returns int64
/// [N, particles, daughters] and, via `probs` if given, float32 [N, particles] with the
/// probability (group_size P) of each chosen assignment. Particles that find no free jets (too
/// few real jets) get -1 and probability 0.
torch::Tensor decode_assignments(const AttentionOutput& output, const torch::Tensor& mask,
                                 torch::Tensor* probs = nullptr);

/// Detection probabilities float32 [N, particles]: the sigmoid of each particle's detection
/// logit. Throws core::Error when the output has no detection logits.
torch::Tensor detection_probabilities(const AttentionOutput& output);

}  // namespace cwola::models
