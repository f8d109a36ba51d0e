#pragma once
/// K CnnJetNetworks of one configuration trained as one stacked model (issue 5): every
/// convolution is one grouped convolution over the members (EnsembleConv2d, groups = K), every
/// dense layer one batched matrix product (EnsembleLinear). Between convolutions the activations
/// stay in the folded layout [N, K*C, H, W], where ReLU and 2×2 pooling act per channel and so
/// per member; only at the flatten do they turn into [K, N, C*H*W] for the dense head (an
/// EnsembleDenseNetwork of the members' heads, batch norm and dropout included). Follows
/// the stacked-model contract of models/ensemble_model.hpp, so it trains with
/// training::train_ensemble. Member k computes what CnnJetNetwork k computes on x[k], for every
/// architecture (the per-jet batch norm of two_image_jet_norm is a MemberBatchNorm over [K, 2]
/// tensors: each member normalises over its own minibatch) and with or without the
/// extra-feature branch.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/cnn_jet_network.hpp"
#include "models/ensemble_conv.hpp"
#include "models/ensemble_dense_network.hpp"
#include "models/ensemble_model.hpp"
#include "models/member_layers.hpp"

namespace cwola::models {

class EnsembleCnnJetNetworkImpl : public torch::nn::Module {
 public:
  /// Stacks copies of the current parameters of `members` (build each as the single-network
  /// path does, seeded with training::seed_weight_init, and member k starts from exactly those
  /// weights). Members with a frozen image network (CnnJetNetworkImpl::freeze_images) give a
  /// stack whose convolutions are frozen alike (no gradient, so no update). Throws
  /// core::InputError if `members` is empty, their configurations differ, only some are
  /// frozen, or they have scale-and-shift weights (cnn.fine_tune = scale_shift: such tasks
  /// train one by one).
  explicit EnsembleCnnJetNetworkImpl(const std::vector<CnnJetNetwork>& members,
                                     ComputePrecision precision = ComputePrecision::kFloat32);

  /// x float32 [K, N, 2 P² + F] -> logits [K, N].
  torch::Tensor forward(const torch::Tensor& x);

  /// Module::train, except that a frozen per-jet batch norm stays in eval mode (as in
  /// CnnJetNetworkImpl::train).
  void train(bool on = true) override;

  /// A standalone CnnJetNetwork holding a copy of member k's current weights (on the CPU).
  CnnJetNetwork member(std::int64_t k) const;

  /// Members currently stacked (the ensemble trainer drops members that stop).
  std::int64_t members() const { return convs_.front()->members(); }
  const CnnJetNetworkConfig& config() const { return config_; }

 private:
  /// Image network on folded images [M, K*C, P, P] -> logits [K, M]; `appended` [K, M, f]
  /// (extra_merge = concatenate) joins the flattened features before the head, if defined.
  torch::Tensor image_logits(torch::Tensor folded, const torch::Tensor& appended);
  /// The stacked extra-feature branch (ReLU between layers) on [K, M, in] -> logits [K, M].
  static torch::Tensor dense_logits(const std::vector<EnsembleLinear>& layers, torch::Tensor x);

  CnnJetNetworkConfig config_;
  ComputePrecision precision_;
  bool frozen_ = false;
  MemberBatchNorm jet_norm_{nullptr};
  std::vector<EnsembleConv2d> convs_;
  EnsembleDenseNetwork head_{nullptr};
  std::vector<EnsembleLinear> extra_dense_;
  /// Registered name of each stacked layer -> the member module's parameter prefix.
  std::vector<std::pair<std::string, std::string>> member_prefixes_;
};

TORCH_MODULE(EnsembleCnnJetNetwork);

}  // namespace cwola::models
