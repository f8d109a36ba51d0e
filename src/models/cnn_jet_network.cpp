#include "models/cnn_jet_network.hpp"

#include <torch/torch.h>

#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::models {

namespace {
std::string join_ints(const std::vector<int>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

torch::nn::Sequential dense_stack(int inputs, const std::vector<int>& hidden) {
  torch::nn::Sequential stack;
  int width = inputs;
  for (int h : hidden) {
    stack->push_back(torch::nn::Linear(width, h));
    stack->push_back(torch::nn::ReLU());
    width = h;
  }
  stack->push_back(torch::nn::Linear(width, 1));
  return stack;
}
}  // namespace

CnnArchitecture parse_cnn_architecture(const std::string& name) {
  if (name == "two_channel") return CnnArchitecture::kTwoChannel;
  if (name == "two_image") return CnnArchitecture::kTwoImage;
  if (name == "two_image_jet_norm") return CnnArchitecture::kTwoImageJetNorm;
  throw core::InputError("CNN architecture '" + name +
                         "' is not known; choose two_channel, two_image or two_image_jet_norm");
}

std::string to_string(CnnArchitecture architecture) {
  switch (architecture) {
    case CnnArchitecture::kTwoChannel:
      return "two_channel";
    case CnnArchitecture::kTwoImage:
      return "two_image";
    case CnnArchitecture::kTwoImageJetNorm:
      return "two_image_jet_norm";
  }
  return "unknown";
}

ExtraFeaturesMerge parse_extra_features_merge(const std::string& name) {
  if (name == "product") return ExtraFeaturesMerge::kProduct;
  if (name == "concatenate") return ExtraFeaturesMerge::kConcatenate;
  throw core::InputError("extra-feature merge '" + name +
                         "' is not known; choose product or concatenate");
}

std::string to_string(ExtraFeaturesMerge merge) {
  return merge == ExtraFeaturesMerge::kProduct ? "product" : "concatenate";
}

int CnnJetNetworkConfig::head_extra_inputs() const {
  if (extra_features == 0 || extra_merge != ExtraFeaturesMerge::kConcatenate) return 0;
  return scores_each_jet(architecture) ? extra_features / 2 : extra_features;
}

bool scores_each_jet(CnnArchitecture architecture) {
  return architecture != CnnArchitecture::kTwoChannel;
}

bool has_jet_norm(CnnArchitecture architecture) {
  return architecture == CnnArchitecture::kTwoImageJetNorm;
}

std::vector<int> default_pool(CnnArchitecture architecture) {
  if (has_jet_norm(architecture)) return {1, 1, 1, 0};
  return {1, 1, 0, 1};
}

std::vector<int> default_dense(CnnArchitecture architecture) {
  if (has_jet_norm(architecture)) return {128, 128, 128};
  return {128, 128};
}

void CnnJetNetworkConfig::validate() const {
  if (pixels < 2 || pixels > 1024) {
    throw core::InputError("cnn", "pixels", std::to_string(pixels),
                           "images need 2..1024 pixels per side");
  }
  if (filters.empty() || filters.size() != kernels.size() || filters.size() != pool.size()) {
    throw core::InputError("cnn", "filters", join_ints(filters),
                           "filters, kernels and pool need one entry per conv layer (e.g. "
                           "64,64,128,128 / 5,5,3,3 / 1,1,0,1)");
  }
  int size = pixels;
  for (std::size_t i = 0; i < filters.size(); ++i) {
    if (filters[i] < 1)
      throw core::InputError("cnn", "filters", join_ints(filters), "each layer needs >= 1 filter");
    if (kernels[i] < 1 || kernels[i] % 2 == 0) {
      throw core::InputError("cnn", "kernels", join_ints(kernels),
                             "kernel sizes must be odd and >= 1 ('same' padding)");
    }
    if (pool[i] != 0) size /= 2;
    if (size < 1) {
      throw core::InputError(
          "cnn", "pool", join_ints(pool),
          "too many 2×2 poolings for " + std::to_string(pixels) + "-pixel images");
    }
  }
  for (int d : dense) {
    if (d < 1) throw core::InputError("cnn", "dense", join_ints(dense), "widths must be >= 1");
  }
  if (!(dropout >= 0.0 && dropout < 1.0)) {
    throw core::InputError("cnn", "dropout", std::to_string(dropout), "must be in [0, 1)");
  }
  if (extra_features < 0) {
    throw core::InputError("cnn", "extra_features", std::to_string(extra_features), "must be >= 0");
  }
  if (extra_merge == ExtraFeaturesMerge::kConcatenate && scores_each_jet(architecture) &&
      extra_features % 2 != 0) {
    throw core::InputError("cnn", "extra_features", std::to_string(extra_features),
                           "concatenated per jet, the features must be an even count (half "
                           "per jet)");
  }
  for (int d : extra_hidden) {
    if (d < 1)
      throw core::InputError("cnn", "extra_hidden", join_ints(extra_hidden), "widths must be >= 1");
  }
}

CnnJetNetworkImpl::CnnJetNetworkImpl(const CnnJetNetworkConfig& config) : config_(config) {
  config_.validate();
  if (has_jet_norm(config_.architecture)) {
    jet_norm_ = register_module("jet_norm", MemberBatchNorm(2));
  }
  torch::nn::Sequential images;
  int channels = scores_each_jet(config_.architecture) ? 1 : 2;
  int size = config_.pixels;
  for (std::size_t i = 0; i < config_.filters.size(); ++i) {
    const int k = config_.kernels[i];
    images->push_back(torch::nn::Conv2d(
        torch::nn::Conv2dOptions(channels, config_.filters[i], k).padding(k / 2)));
    images->push_back(torch::nn::ReLU());
    if (config_.pool[i] != 0) {
      images->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
      size /= 2;
    }
    channels = config_.filters[i];
  }
  images->push_back(torch::nn::Flatten());
  convs_ = register_module("images", images);
  // Built after the convolutions, so the seeded weight draws keep their order.
  DenseNetworkConfig head;
  head.inputs = channels * size * size + config_.head_extra_inputs();
  head.hidden = config_.dense;
  head.dropout = config_.dropout;
  head.batch_norm = config_.batch_norm;
  head_ = register_module("head", DenseNetwork(head));
  if (config_.has_extra_branch()) {
    extra_ = register_module("extra", dense_stack(config_.extra_features, config_.extra_hidden));
  }
  // Last, so the other tensors keep their order (and their seeded draws: Φ draws nothing).
  if (config_.scale_shift) {
    auto phi = register_module("scale_shift", std::make_shared<torch::nn::Module>());
    int in = scores_each_jet(config_.architecture) ? 1 : 2;
    for (std::size_t i = 0; i < config_.filters.size(); ++i) {
      const int out = config_.filters[i];
      scales_.push_back(
          phi->register_parameter("scale" + std::to_string(i), torch::ones({out, in})));
      shifts_.push_back(phi->register_parameter("shift" + std::to_string(i), torch::zeros({out})));
      in = out;
    }
  }
}

torch::Tensor CnnJetNetworkImpl::scale(std::size_t layer) const {
  return layer < scales_.size() ? scales_[layer] : torch::Tensor();
}

torch::Tensor CnnJetNetworkImpl::shift(std::size_t layer) const {
  return layer < shifts_.size() ? shifts_[layer] : torch::Tensor();
}

torch::Tensor CnnJetNetworkImpl::image_features(const torch::Tensor& images) {
  if (!config_.scale_shift) return convs_->forward(images);
  torch::Tensor x = images;
  std::size_t layer = 0;
  for (auto& module : *convs_) {
    const auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(module.ptr());
    if (!conv) {
      x = module.forward(x);
      continue;
    }
    // W ⊙ Φ¹ (one factor per (output, input) kernel slice) and b + Φ².
    const auto weight = conv->weight * scales_[layer].unsqueeze(-1).unsqueeze(-1);
    const std::int64_t padding = config_.kernels[layer] / 2;  // 'same', as the Conv2d
    x = torch::conv2d(x, weight, conv->bias + shifts_[layer], 1, padding);
    ++layer;
  }
  return x;
}

void CnnJetNetworkImpl::set_prior(double prior) {
  if (!(prior > 0.0 && prior < 1.0)) {
    throw core::InputError("cnn", "prior", std::to_string(prior), "must be in (0, 1)");
  }
  const int factors =
      (scores_each_jet(config_.architecture) ? 2 : 1) + (config_.has_extra_branch() ? 1 : 0);
  const double p = std::pow(prior, 1.0 / factors);
  const double bias = std::log(p / (1.0 - p));
  head_->set_output_bias(bias);
  if (config_.has_extra_branch()) {
    torch::NoGradGuard no_grad;
    extra_->ptr<torch::nn::LinearImpl>(extra_->size() - 1)->bias.fill_(bias);
  }
}

bool CnnJetNetworkImpl::is_scale_shift_tensor(const std::string& name) {
  return name.rfind("scale_shift.", 0) == 0;
}

bool CnnJetNetworkImpl::is_image_tensor(const std::string& name) {
  return name.rfind("images.", 0) == 0 || name.rfind("jet_norm.", 0) == 0;
}

void CnnJetNetworkImpl::freeze_images() {
  for (auto& item : named_parameters()) {
    if (is_image_tensor(item.key())) item.value().set_requires_grad(false);
  }
  images_frozen_ = true;
  convs_->eval();
  if (jet_norm_) jet_norm_->eval();
}

void CnnJetNetworkImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (!images_frozen_) return;
  convs_->eval();
  if (jet_norm_) jet_norm_->eval();
}

torch::Tensor logit_from_log_probability(const torch::Tensor& log_p) {
  const auto clamped = log_p.clamp(-30.0, -1e-7);
  return clamped - torch::log(-torch::expm1(clamped));
}

torch::Tensor CnnJetNetworkImpl::forward(torch::Tensor x) {
  const std::int64_t n = x.size(0);
  const std::int64_t p = config_.pixels;
  auto image = x.narrow(1, 0, 2 * p * p);
  if (jet_norm_) image = jet_norm_->forward(image.reshape({n, 2, p, p}));
  const auto features =
      config_.extra_features > 0 ? x.narrow(1, 2 * p * p, config_.extra_features) : torch::Tensor();
  // extra_merge = concatenate: the features join the flattened image features (per jet, rows
  // 2i + j of jet j of event i: the features are ordered jet 1's, then jet 2's).
  const bool concatenate = config_.head_extra_inputs() > 0;
  auto image_logits = [this](const torch::Tensor& images, const torch::Tensor& appended) {
    auto flat = image_features(images);
    if (appended.defined()) flat = torch::cat({flat, appended}, 1);
    return head_->forward(flat);
  };
  const bool each_jet = scores_each_jet(config_.architecture);
  if (!each_jet && !config_.has_extra_branch()) {
    return image_logits(image.reshape({n, 2, p, p}), concatenate ? features : torch::Tensor())
        .reshape({n});
  }
  torch::Tensor log_p;
  if (!each_jet) {
    log_p = torch::log_sigmoid(image_logits(image.reshape({n, 2, p, p}), {}).reshape({n}));
  } else {
    const auto appended =
        concatenate ? features.reshape({n * 2, config_.head_extra_inputs()}) : torch::Tensor();
    const auto per_jet = image_logits(image.reshape({n * 2, 1, p, p}), appended).reshape({n, 2});
    log_p = torch::log_sigmoid(per_jet).sum(1);
  }
  if (config_.has_extra_branch()) {
    log_p = log_p + torch::log_sigmoid(extra_->forward(features).reshape({n}));
  }
  return logit_from_log_probability(log_p);
}

}  // namespace cwola::models
