#include "models/ensemble_cnn_jet_network.hpp"

#include <torch/torch.h>

#include "core/error.hpp"

namespace cwola::models {

namespace {

bool same_shape(const CnnJetNetworkConfig& a, const CnnJetNetworkConfig& b) {
  return a.architecture == b.architecture && a.pixels == b.pixels && a.filters == b.filters &&
         a.kernels == b.kernels && a.pool == b.pool && a.dense == b.dense &&
         a.dropout == b.dropout && a.batch_norm == b.batch_norm &&
         a.extra_features == b.extra_features && a.extra_merge == b.extra_merge &&
         a.scale_shift == b.scale_shift &&
         (!a.has_extra_branch() || a.extra_hidden == b.extra_hidden);
}

template <typename Impl>
std::shared_ptr<Impl> layer_at(const torch::nn::Sequential& sequence, std::size_t index) {
  return std::dynamic_pointer_cast<Impl>(sequence->ptr(index));
}

/// Stacks the Linear layers of the members' `sequence_of(member)` (same positions in every
/// member); records "<name><i>" -> "<prefix>.<position>" for member extraction.
template <typename SequenceOf>
std::vector<std::pair<torch::Tensor, torch::Tensor>> stacked_linears(
    const std::vector<CnnJetNetwork>& members, SequenceOf sequence_of, const std::string& prefix,
    std::vector<std::string>& member_names) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> layers;
  const auto& first = sequence_of(members.front());
  for (std::size_t i = 0; i < first->size(); ++i) {
    if (!layer_at<torch::nn::LinearImpl>(first, i)) continue;
    std::vector<torch::Tensor> weights;
    std::vector<torch::Tensor> biases;
    for (const auto& member : members) {
      const auto linear = layer_at<torch::nn::LinearImpl>(sequence_of(member), i);
      weights.push_back(linear->weight);
      biases.push_back(linear->bias);
    }
    const std::string name = prefix + "." + std::to_string(i);
    layers.emplace_back(stack_members(weights, name + ".weight"),
                        stack_members(biases, name + ".bias"));
    member_names.push_back(name);
  }
  return layers;
}

}  // namespace

EnsembleCnnJetNetworkImpl::EnsembleCnnJetNetworkImpl(const std::vector<CnnJetNetwork>& members,
                                                     ComputePrecision precision)
    : precision_(precision) {
  if (members.empty()) {
    throw core::InputError(
        "an ensemble CNN needs at least one member (got none) pass the "
        "networks to stack");
  }
  config_ = members.front()->config();
  if (config_.scale_shift) {
    // Φ would need a per-member factor inside the grouped convolutions; such tasks train alone.
    throw core::InputError(
        "cnn.fine_tune = scale_shift: a network with scale-and-shift weights cannot be stacked "
        "(grouped convolutions have no per-member Φ) train such tasks one by one");
  }
  for (const auto& member : members) {
    if (!same_shape(member->config(), config_)) {
      throw core::InputError(
          "ensemble CNN members have different configurations (architecture, "
          "pixels, filters, kernels, pooling, dense widths, dropout or batch norm; stacked members "
          "must share one shape) group tasks by model configuration first");
    }
  }

  frozen_ = members.front()->images_frozen();
  const bool frozen = frozen_;
  for (const auto& member : members) {
    if (member->images_frozen() != frozen) {
      throw core::InputError(
          "ensemble CNN members differ in whether their image network is frozen (cnn.fine_tune) "
          "group tasks by fine-tune mode first");
    }
  }

  if (has_jet_norm(config_.architecture)) {
    const auto stacked = [&members](const std::string& name) {
      std::vector<torch::Tensor> tensors;
      for (const auto& member : members) {
        auto tensors_of_member = member->jet_norm()->named_parameters();
        for (const auto& buffer : member->jet_norm()->named_buffers()) {
          tensors_of_member.insert(buffer.key(), buffer.value());
        }
        tensors.push_back(tensors_of_member[name]);
      }
      return stack_members(tensors, "jet_norm." + name);
    };
    jet_norm_ = register_module(
        "jet_norm", MemberBatchNorm(stacked("weight"), stacked("bias"), stacked("running_mean"),
                                    stacked("running_var")));
    if (frozen) {
      for (auto& parameter : jet_norm_->parameters()) parameter.set_requires_grad(false);
      jet_norm_->eval();
    }
  }

  // Convolutions, in the member's order; the channels they read follow from the architecture.
  const auto& first_images = members.front()->conv_layers();
  std::int64_t channels = scores_each_jet(config_.architecture) ? 1 : 2;
  for (std::size_t i = 0; i < first_images->size(); ++i) {
    if (!layer_at<torch::nn::Conv2dImpl>(first_images, i)) continue;
    const auto layer = static_cast<std::size_t>(convs_.size());
    EnsembleConv2dConfig conv{channels, config_.filters.at(layer), config_.kernels.at(layer), 1,
                              config_.kernels.at(layer) / 2};
    std::vector<torch::nn::Conv2d> member_convs;
    for (const auto& member : members) {
      member_convs.emplace_back(layer_at<torch::nn::Conv2dImpl>(member->conv_layers(), i));
    }
    const std::string name = "conv" + std::to_string(layer);
    convs_.push_back(register_module(name, EnsembleConv2d(conv, member_convs, precision_)));
    if (frozen) {
      for (auto& parameter : convs_.back()->parameters()) parameter.set_requires_grad(false);
    }
    member_prefixes_.emplace_back(name, "images." + std::to_string(i));
    channels = conv.out_channels;
  }

  std::vector<DenseNetwork> heads;
  for (const auto& member : members) heads.push_back(member->head());
  head_ = register_module("head", EnsembleDenseNetwork(heads, precision_));
  std::vector<std::string> member_names;
  if (config_.has_extra_branch()) {
    for (auto& [weight, bias] : stacked_linears(
             members,
             [](const CnnJetNetwork& m) -> const torch::nn::Sequential& {
               return m->extra_layers();
             },
             "extra", member_names)) {
      const std::string name = "extra" + std::to_string(extra_dense_.size());
      extra_dense_.push_back(register_module(name, EnsembleLinear(weight, bias, precision_)));
      member_prefixes_.emplace_back(name, member_names[extra_dense_.size() - 1]);
    }
  }
}

torch::Tensor EnsembleCnnJetNetworkImpl::dense_logits(const std::vector<EnsembleLinear>& layers,
                                                      torch::Tensor x) {
  const std::size_t last = layers.size() - 1;
  for (std::size_t i = 0; i < last; ++i) x = torch::relu(layers[i].ptr()->forward(x));
  return layers[last].ptr()->forward(x).squeeze(-1);
}

torch::Tensor EnsembleCnnJetNetworkImpl::image_logits(torch::Tensor folded,
                                                      const torch::Tensor& appended) {
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    folded = torch::relu(convs_[i]->forward_folded(folded));
    if (config_.pool[i] != 0) folded = torch::max_pool2d(folded, 2);
  }
  // [M, K*C, H, W] -> [K, M, C*H*W]: member k's flattened maps in its Flatten's (C, H, W) order.
  const auto m = folded.size(0);
  auto flat = folded.reshape({m, members(), -1}).transpose(0, 1).contiguous();
  if (appended.defined()) flat = torch::cat({flat, appended}, 2);
  return head_->forward(flat);
}

torch::Tensor EnsembleCnnJetNetworkImpl::forward(const torch::Tensor& x) {
  const std::int64_t k = members();
  if (x.dim() != 3 || x.size(0) != k || x.size(2) != config_.input_size()) {
    throw core::InputError("a stacked CNN of " + std::to_string(k) +
                           " members needs x [K, N, 2 P² + F] with K = " + std::to_string(k) +
                           " and rows of " + std::to_string(config_.input_size()) +
                           " values (jet images then extra features) check the ensemble input");
  }
  const std::int64_t n = x.size(1);
  const std::int64_t p = config_.pixels;
  auto image = x.narrow(2, 0, 2 * p * p);
  if (jet_norm_) image = jet_norm_->forward(image.reshape({k, n, 2, p, p}));
  const auto features =
      config_.extra_features > 0 ? x.narrow(2, 2 * p * p, config_.extra_features) : torch::Tensor();
  const bool concatenate = config_.head_extra_inputs() > 0;
  torch::Tensor log_p;
  if (!scores_each_jet(config_.architecture)) {
    const auto logits = image_logits(members_to_channels(image.reshape({k, n, 2, p, p})),
                                     concatenate ? features : torch::Tensor());
    if (!config_.has_extra_branch()) return logits;
    log_p = torch::log_sigmoid(logits);
  } else {
    // Each jet alone through the shared per-jet network: rows 2i, 2i+1 are event i's jets.
    const auto appended =
        concatenate ? features.reshape({k, n * 2, config_.head_extra_inputs()}) : torch::Tensor();
    const auto per_jet =
        image_logits(members_to_channels(image.reshape({k, n * 2, 1, p, p})), appended);
    log_p = torch::log_sigmoid(per_jet.reshape({k, n, 2})).sum(2);
  }
  if (config_.has_extra_branch()) {
    log_p = log_p + torch::log_sigmoid(dense_logits(extra_dense_, features));
  }
  return logit_from_log_probability(log_p);
}

void EnsembleCnnJetNetworkImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (frozen_ && jet_norm_) jet_norm_->eval();
}

CnnJetNetwork EnsembleCnnJetNetworkImpl::member(std::int64_t k) const {
  if (k < 0 || k >= members()) {
    throw core::InputError("ensemble CNN member " + std::to_string(k) +
                           " does not exist (the ensemble has " + std::to_string(members()) +
                           " members) use an index in [0, members)");
  }
  CnnJetNetwork network(config_);
  torch::NoGradGuard no_grad;
  // The dense head (parameters and buffers) through its own stack's member extraction.
  const auto head = head_->member(k);
  auto head_target = network->head()->named_parameters();
  for (const auto& item : head->named_parameters()) head_target[item.key()].copy_(item.value());
  auto head_buffers = network->head()->named_buffers();
  for (const auto& item : head->named_buffers()) head_buffers[item.key()].copy_(item.value());
  if (jet_norm_) {
    // The per-jet batch norm: parameters and running statistics of member k.
    auto norm_target = network->jet_norm()->named_parameters();
    for (const auto& item : jet_norm_->named_parameters()) {
      norm_target[item.key()].copy_(item.value()[k].to(torch::kCPU));
    }
    auto norm_buffers = network->jet_norm()->named_buffers();
    for (const auto& item : jet_norm_->named_buffers()) {
      norm_buffers[item.key()].copy_(item.value()[k].to(torch::kCPU));
    }
  }
  auto target = network->named_parameters();
  for (const auto& item : named_parameters()) {
    const auto dot = item.key().find('.');
    const std::string layer = item.key().substr(0, dot);
    for (const auto& [stacked, prefix] : member_prefixes_) {
      if (stacked == layer) {
        target[prefix + item.key().substr(dot)].copy_(item.value()[k].to(torch::kCPU));
      }
    }
  }
  return network;
}

}  // namespace cwola::models
