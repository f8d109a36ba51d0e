#pragma once
/// The bump-hunt networks of the data-directed paradigm (docs/bump_hunt_network.md): they map an
/// invariant-mass histogram (entries per bin) to a per-bin significance z of a bump.
///   Znet  (the original DDP network): a dense layer, then six 1-D convolutions, on a fixed
///         number of bins (100); histograms with fewer bins are zero-padded and masked.
///   Znet3 (the thesis's, §5.1): four parallel branches of five 1-D convolutions (kernels
///         25, 15, 9, 3; 'same' padding), concatenated with the input, then two per-bin MLP
///         heads (1-wide convolutions: the same weights at every bin) predicting z and the
///         smooth background. Fully convolutional: any number of bins.
/// Both take raw counts and a mask and scale internally with constants fitted on the training
/// set and held as buffers, so a stored model carries its own input scaling.
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cwola::models {

/// A bump network's per-bin outputs for histograms padded to a common length L.
struct BumpPrediction {
  torch::Tensor z;           ///< [N, L] predicted significance (0 at padded bins)
  torch::Tensor background;  ///< [N, L] predicted scaled background (Znet3 only; else undefined)
};

/// Shape of a Znet.
struct ZnetConfig {
  int bins = 100;         ///< fixed input length (the thesis's 100)
  int dense_width = 100;  ///< the dense layer maps bins -> dense_width (= bins: one per bin)
  int channels = 32;      ///< channels of the hidden convolutions
  int kernel = 5;         ///< kernel of every convolution (odd, 'same' padding)
  int convolutions = 6;   ///< the thesis's six (the last maps to one channel)
  /// Throws core::InputError naming the field and value.
  void validate() const;
  /// Trainable parameters of the network this config builds (the test checks it against
  /// LibTorch's count).
  std::int64_t parameter_count() const;
};

/// Dense(bins -> dense_width) + ReLU, reshaped to one channel, then `convolutions` Conv1d
/// ('same'), ReLU after all but the last. Input: counts scaled by the training set's global
/// minimum and maximum to [0, 1] (the thesis's "globally scaled to [0, 1] under a linear
/// transformation"). Sub-modules "dense", "conv0".."conv5"; buffers "input_low", "input_high".
class ZnetImpl : public torch::nn::Module {
 public:
  explicit ZnetImpl(const ZnetConfig& config);
  /// counts float32 [N, L] (L <= bins; zero-padded past each histogram's end), mask [N, L]
  /// (1 at real bins) -> z [N, L] (0 at padded bins). Throws core::InputError if L > bins.
  BumpPrediction forward(const torch::Tensor& counts, const torch::Tensor& mask);
  /// Sets the linear input scaling from the training counts' minimum and maximum.
  void set_input_range(double low, double high);
  /// The scaled input the network sees (masked).
  torch::Tensor scale_counts(const torch::Tensor& counts, const torch::Tensor& mask) const;
  const ZnetConfig& config() const { return config_; }

 private:
  ZnetConfig config_;
  torch::nn::Linear dense_{nullptr};
  std::vector<torch::nn::Conv1d> convolutions_;
  torch::Tensor input_low_, input_high_;
};
TORCH_MODULE(Znet);

/// Shape of a Znet3.
struct Znet3Config {
  std::vector<int> kernels = {25, 15, 9, 3};  ///< one branch per kernel (each odd)
  int branch_depth = 5;                       ///< convolutions per branch
  int channels = 64;                          ///< channels of every branch convolution
  std::vector<int> head_hidden = {64, 64};    ///< widths of each per-bin MLP head
  /// Throws core::InputError naming the field and value.
  void validate() const;
  /// Trainable parameters of the network this config builds:
  /// branches Σ_K [K c + c + (depth − 1)(K c² + c)], each head (1 + kc) h1 + h1 + ... + h_last + 1
  /// with kc = 1 + (number of kernels) c the concatenated channels.
  std::int64_t parameter_count() const;
};

/// Four branches of `branch_depth` Conv1d + ReLU ('same' padding; activations zeroed past each
/// histogram's end after every layer, so a padded histogram's prediction is the unpadded one),
/// concatenated with the scaled input, then two per-bin MLP heads (z; scaled background).
/// Input scaling: s = (√n − low)/(high − low), low/high the minimum and maximum of √n over
/// the training bins: the thesis's global linear map to [0, 1], taken of √n (Anscombe's
/// variance-stabilising transform: a Poisson count's √n fluctuates by 1/2 at any n, so
/// 2(√n − √b) ≈ (n − b)/√b and z is nearly linear in the scaled input). Sub-modules
/// "branch<b>_conv<d>", "z_head<i>", "background_head<i>"; buffers "input_low", "input_high".
class Znet3Impl : public torch::nn::Module {
 public:
  explicit Znet3Impl(const Znet3Config& config);
  /// counts float32 [N, L], mask [N, L] -> z [N, L] and scaled background [N, L] (both 0 at
  /// padded bins).
  BumpPrediction forward(const torch::Tensor& counts, const torch::Tensor& mask);
  void set_input_range(double low, double high);
  /// The network's scaling of entries per bin (counts or a background), masked.
  torch::Tensor scale_counts(const torch::Tensor& counts, const torch::Tensor& mask) const;
  const Znet3Config& config() const { return config_; }

 private:
  Znet3Config config_;
  std::vector<std::vector<torch::nn::Conv1d>> branches_;
  std::vector<torch::nn::Conv1d> z_head_, background_head_;
  torch::Tensor input_low_, input_high_;
};
TORCH_MODULE(Znet3);

/// Which bump network.
enum class BumpArchitecture { kZnet, kZnet3 };

/// Parses "znet" or "znet3" (core::InputError naming `key` and the value otherwise).
BumpArchitecture parse_bump_architecture(const std::string& name, const std::string& key);
std::string to_string(BumpArchitecture architecture);

/// Either network behind one interface (what training and evaluation need).
struct BumpNetwork {
  BumpArchitecture architecture = BumpArchitecture::kZnet3;
  std::shared_ptr<torch::nn::Module> module;
  /// counts [N, L], mask [N, L] -> per-bin predictions.
  std::function<BumpPrediction(const torch::Tensor&, const torch::Tensor&)> forward;
  /// The network's input scaling applied to entries per bin (counts or a background).
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> scale_counts;
  /// Sets the scaling from the global minimum and maximum of scaling_variable.
  std::function<void(double, double)> set_input_range;
  /// What the scaling's minimum and maximum are taken of: n (Znet) or √n (Znet3).
  std::function<double(double)> scaling_variable;
  /// Whether forward() predicts the background too (the loss then adds its MSE).
  bool predicts_background = false;
};

/// Builds the network (LibTorch's default initialisation: seed it first).
BumpNetwork make_bump_network(BumpArchitecture architecture, const ZnetConfig& znet = {},
                              const Znet3Config& znet3 = {});

}  // namespace cwola::models
