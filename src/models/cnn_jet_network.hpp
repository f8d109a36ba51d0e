#pragma once
/// Convolutional networks on dijet images (note §4.6, Figure 19; §4.21.1; transfer-learning
/// report §IV):
///  - two-channel: the two jet images are the two channels of one picture, one CNN;
///  - two-image:   one CNN shared by both jets, each jet image alone (1 channel) gives a score,
///                 and the event score is the product of the two jet scores (Zong-En Chen's model,
///                 JHEP 02 (2024) 138);
///  - two-image with jet norm: the seeds' group CNN (Beauchesne, Chen and Chiang, JHEP 02 (2024)
///                 138; transfer-learning report Fig. 1): each jet image first through its own
///                 batch norm (one per jet, over the minibatch and the pixels), then the
///                 two-image network; its own defaults pool 1,1,1,0 and dense 128,128,128;
///  - extra jet features (jet mass, Les Houches angularity per jet) enter either through a
///    parallel dense network whose sigmoid output multiplies the image network's score (product,
///    report §IV), or appended to the flattened image features before the dense head
///    (concatenate; per jet for the two-image networks, each jet with its own features).
/// A product of probabilities p = Π σ(a_k) is returned as the logit log p − log(1 − p), so the
/// trainer's binary cross-entropy on logits applies unchanged.
///
/// Layers (defaults): Conv2D 5×5 → Conv2D 5×5 → Conv2D 3×3 → Conv2D 3×3 (kernel sizes from the
/// note's Figure 19 caption), ReLU after each, 'same' padding, 2×2 max-pooling after layers 1, 2
/// and 4, then Flatten → Dense → Dense → 1 (ReLU). The filter counts 64, 64, 128, 128 and dense
/// widths 128, 128 are our reading of the figure (its text did not survive); all are settings.
/// The dense head after the flatten is a models::DenseNetwork, so its optional batch norm and
/// dropout are the dense studies' own (alone and stacked alike); the convolutions have neither.
///
/// Input: one flat row per event, [N, 2 P² + F]: channel-major images (jet 1 then jet 2, row =
/// η' bin, column = φ' bin), then the F extra features.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "models/dense_network.hpp"
#include "models/member_layers.hpp"

namespace cwola::models {

enum class CnnArchitecture { kTwoChannel, kTwoImage, kTwoImageJetNorm };

/// "two_channel" / "two_image" / "two_image_jet_norm".
CnnArchitecture parse_cnn_architecture(const std::string& name);
std::string to_string(CnnArchitecture architecture);
/// How the extra jet features enter the network (cnn.extra_features_merge).
enum class ExtraFeaturesMerge {
  kProduct,      ///< a parallel dense branch whose sigmoid multiplies the image score (report §IV)
  kConcatenate,  ///< appended to the flattened image features, before the dense head
};

/// "product" / "concatenate".
ExtraFeaturesMerge parse_extra_features_merge(const std::string& name);
std::string to_string(ExtraFeaturesMerge merge);

/// Whether each jet image alone goes through one shared network (event score = product of the
/// two jet scores), rather than both as the two channels of one picture.
bool scores_each_jet(CnnArchitecture architecture);
/// Whether the jet images pass through a per-jet batch norm first (tensors `jet_norm.*`).
bool has_jet_norm(CnnArchitecture architecture);
/// The architecture's 2×2 pooling after each of four conv layers: 1,1,1,0 for the seeds' group
/// CNN (pool after the first three), 1,1,0,1 (our reading of the note's Figure 19) otherwise.
std::vector<int> default_pool(CnnArchitecture architecture);
/// The architecture's dense head widths: 128,128,128 for the seeds' group CNN, else 128,128.
std::vector<int> default_dense(CnnArchitecture architecture);

struct CnnJetNetworkConfig {
  CnnArchitecture architecture = CnnArchitecture::kTwoChannel;
  int pixels = 25;  ///< P
  std::vector<int> filters = {64, 64, 128, 128};
  std::vector<int> kernels = {5, 5, 3, 3};
  std::vector<int> pool = {1, 1, 0, 1};  ///< 1: 2×2 max-pool after that conv layer
  std::vector<int> dense = {128, 128};
  double dropout = 0.0;     ///< dropout after each hidden layer of the dense head, in [0, 1)
  bool batch_norm = false;  ///< batch norm in the dense head (before each hidden ReLU)
  int extra_features = 0;   ///< F (0: no dense branch)
  std::vector<int> extra_hidden = {32, 32};  ///< the product branch's hidden widths
  ExtraFeaturesMerge extra_merge = ExtraFeaturesMerge::kProduct;
  /// Meta-transfer learning's scale and shift (cnn.fine_tune = scale_shift; Sun et al.,
  /// "Meta-transfer learning for few-shot learning", 2019): every convolution gets the
  /// trainable Φ¹ [out, in] (init 1) and Φ² [out] (init 0), tensors `scale_shift.scale<i>` and
  /// `scale_shift.shift<i>` (i = conv layer), and computes with W ⊙ Φ¹ and b + Φ².
  bool scale_shift = false;

  /// Throws core::InputError naming the field and value.
  void validate() const;
  /// Length of one input row, 2 P² + F.
  int input_size() const { return 2 * pixels * pixels + extra_features; }
  /// Extra features appended to each input of the dense head: F (two-channel) or F / 2 (each
  /// jet its own half) with extra_merge = concatenate, else 0.
  int head_extra_inputs() const;
  /// Whether the network has the parallel extra-feature branch (F > 0 and product).
  bool has_extra_branch() const {
    return extra_features > 0 && extra_merge == ExtraFeaturesMerge::kProduct;
  }
};

class CnnJetNetworkImpl : public torch::nn::Module {
 public:
  explicit CnnJetNetworkImpl(const CnnJetNetworkConfig& config);
  /// x float32 [N, 2 P² + F] -> logits [N].
  torch::Tensor forward(torch::Tensor x);
  const CnnJetNetworkConfig& config() const { return config_; }
  /// Starts the network at event probability `prior` for every input (model.output_bias =
  /// prior): the event score is a product of n sigmoids (one image score or two jet scores,
  /// times the extra-feature score), so each output bias is set to logit(prior^(1/n)).
  void set_prior(double prior);
  /// The convolutions (with their ReLUs and pooling) up to the flatten, and the dense head
  /// after it, for stacking (EnsembleCnnJetNetwork).
  const torch::nn::Sequential& conv_layers() const { return convs_; }
  const DenseNetwork& head() const { return head_; }
  /// The extra-feature dense branch; empty holder without one (has_extra_branch).
  const torch::nn::Sequential& extra_layers() const { return extra_; }
  /// The per-jet batch norm over the [N, 2, P, P] jet images; empty holder without one.
  const MemberBatchNorm& jet_norm() const { return jet_norm_; }
  /// Conv layer i's Φ¹ [out, in] and Φ² [out]; undefined tensors without config.scale_shift.
  torch::Tensor scale(std::size_t layer) const;
  torch::Tensor shift(std::size_t layer) const;

  /// Whether a tensor (a name of layout_of) belongs to the image network: the convolutions
  /// `images.*` and the per-jet batch norm `jet_norm.*` (what cnn.fine_tune = head loads
  /// and freezes).
  static bool is_image_tensor(const std::string& name);

  /// Whether a tensor is a scale-and-shift weight Φ (`scale_shift.*`, config.scale_shift):
  /// not part of the image network, so it trains when the image network is frozen.
  static bool is_scale_shift_tensor(const std::string& name);

  /// Freezes the image network (is_image_tensor: the convolutions up to the flatten and the
  /// per-jet batch norm, if any) for fine-tuning
  /// the head alone (cnn.fine_tune = head, transfer-learning report §III.C): its parameters
  /// no longer require gradients, so the optimizer, which skips parameters without a gradient,
  /// neither updates nor decays them, and train() leaves it in eval mode, so the per-jet batch
  /// norm normalises with its stored running statistics and keeps them. Irreversible.
  void freeze_images();
  bool images_frozen() const { return images_frozen_; }
  /// Module::train, except that a frozen image network stays in eval mode.
  void train(bool on = true) override;

 private:
  /// The convolutions up to the flatten; with scale_shift each conv uses W ⊙ Φ¹, b + Φ².
  torch::Tensor image_features(const torch::Tensor& images);

  CnnJetNetworkConfig config_;
  bool images_frozen_ = false;
  std::vector<torch::Tensor> scales_;  ///< Φ¹ per conv layer (config.scale_shift)
  std::vector<torch::Tensor> shifts_;  ///< Φ² per conv layer
  MemberBatchNorm jet_norm_{nullptr};
  torch::nn::Sequential convs_{nullptr};
  DenseNetwork head_{nullptr};
  torch::nn::Sequential extra_{nullptr};
};

TORCH_MODULE(CnnJetNetwork);

/// log(p / (1 − p)) from log p (p = product of probabilities), clamped to stay finite.
torch::Tensor logit_from_log_probability(const torch::Tensor& log_p);

}  // namespace cwola::models
