#include "models/conditional_flow.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace cwola::models {

namespace {

constexpr double kLogTwoPi = 1.8378770664093453;
/// The scaled feature s in (0, 1) is clamped to [kClamp, 1 - kClamp] before the logit, so an
/// event outside the training range (a held-out or signal-region event) maps to a finite
/// value (|logit| <= 13.8) instead of +-inf or NaN.
constexpr double kClamp = 1e-6;

/// Degrees of a MADE's hidden units: cyclic over 1..D-1, so that unit k depends on the first
/// deg[k] inputs; with D = 1 every unit has degree 0 (it sees only the context).
std::vector<int> hidden_degrees(int features, int hidden) {
  std::vector<int> degrees(static_cast<std::size_t>(hidden), 0);
  if (features > 1) {
    for (int k = 0; k < hidden; ++k) degrees[static_cast<std::size_t>(k)] = k % (features - 1) + 1;
  }
  return degrees;
}

/// mask[o][i] = 1 where output unit o may see input unit i.
torch::Tensor make_mask(const std::vector<int>& out_degrees, const std::vector<int>& in_degrees,
                        bool strict) {
  auto mask = torch::zeros({static_cast<std::int64_t>(out_degrees.size()),
                            static_cast<std::int64_t>(in_degrees.size())});
  auto a = mask.accessor<float, 2>();
  for (std::size_t o = 0; o < out_degrees.size(); ++o) {
    for (std::size_t i = 0; i < in_degrees.size(); ++i) {
      const bool on = strict ? out_degrees[o] > in_degrees[i] : out_degrees[o] >= in_degrees[i];
      a[static_cast<std::int64_t>(o)][static_cast<std::int64_t>(i)] = on ? 1.0F : 0.0F;
    }
  }
  return mask;
}

void check_rows(const torch::Tensor& t, std::int64_t columns, const char* what) {
  if (!t.defined() || t.dim() != 2 || t.size(1) != columns) {
    throw core::InputError(std::string("conditional flow: ") + what + " must have shape [N, " +
                           std::to_string(columns) + "] (got " +
                           (t.defined() ? std::to_string(t.dim()) + "-d" : std::string("none")) +
                           ") pass one row per event");
  }
}

}  // namespace

void ConditionalFlowConfig::validate() const {
  if (features < 1) {
    throw core::InputError("flow", "features", std::to_string(features),
                           "a flow needs at least one feature");
  }
  if (context < 0) {
    throw core::InputError("flow", "context", std::to_string(context),
                           "the context dimension cannot be negative");
  }
  if (blocks < 1) {
    throw core::InputError("flow", "blocks", std::to_string(blocks),
                           "a flow needs at least one MADE block");
  }
  if (hidden < 1 || hidden < features - 1) {
    throw core::InputError("flow", "hidden", std::to_string(hidden),
                           "a MADE needs at least features - 1 (and 1) hidden units so that every "
                           "autoregressive degree is present");
  }
  if (hidden_layers < 1) {
    throw core::InputError("flow", "hidden_layers", std::to_string(hidden_layers),
                           "a MADE needs at least one hidden layer");
  }
  if (!(logit_margin > 0.0 && logit_margin < 0.5)) {
    throw core::InputError("flow", "logit_margin", std::to_string(logit_margin),
                           "the margin around the training range must be in (0, 0.5)");
  }
}

MadeBlockImpl::MadeBlockImpl(int features, int context, int hidden, int hidden_layers)
    : features_(features), context_(context) {
  std::vector<int> inputs(static_cast<std::size_t>(features));
  for (int i = 0; i < features; ++i) inputs[static_cast<std::size_t>(i)] = i + 1;
  const auto degrees = hidden_degrees(features, hidden);
  std::vector<int> outputs = inputs;  // shifts, then log-scales: output i has degree i + 1
  outputs.insert(outputs.end(), inputs.begin(), inputs.end());

  layers_.push_back(register_module("input", torch::nn::Linear(features, hidden)));
  masks_.push_back(make_mask(degrees, inputs, false));
  for (int k = 1; k < hidden_layers; ++k) {
    layers_.push_back(
        register_module("hidden" + std::to_string(k), torch::nn::Linear(hidden, hidden)));
    masks_.push_back(make_mask(degrees, degrees, false));
  }
  layers_.push_back(register_module("output", torch::nn::Linear(hidden, 2 * features)));
  masks_.push_back(make_mask(outputs, degrees, true));
  if (context > 0) {
    context_layer_ = register_module("context", torch::nn::Linear(context, hidden));
  }
}

std::pair<torch::Tensor, torch::Tensor> MadeBlockImpl::shift_and_log_scale(const torch::Tensor& x,
                                                                           const torch::Tensor& c) {
  torch::Tensor h = x;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    auto& layer = layers_[l];
    if (masks_[l].device() != layer->weight.device())
      masks_[l] = masks_[l].to(layer->weight.device());
    h = torch::nn::functional::linear(h, layer->weight * masks_[l], layer->bias);
    if (l == 0 && context_ > 0) h = h + context_layer_->forward(c);
    if (l + 1 < layers_.size()) h = torch::relu(h);
  }
  const auto shift = h.narrow(1, 0, features_);
  const auto raw = h.narrow(1, features_, features_);
  return {shift, kLogScaleLimit * torch::tanh(raw / kLogScaleLimit)};
}

torch::Tensor MadeBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& c,
                                     torch::Tensor& log_det) {
  const auto [shift, log_scale] = shift_and_log_scale(x, c);
  log_det = log_det - log_scale.sum(1);
  return (x - shift) * torch::exp(-log_scale);
}

torch::Tensor MadeBlockImpl::inverse(const torch::Tensor& u, const torch::Tensor& c) {
  auto x = torch::zeros_like(u);
  // After pass d the first d + 1 coordinates are exact: each depends only on earlier ones.
  for (int d = 0; d < features_; ++d) {
    const auto [shift, log_scale] = shift_and_log_scale(x, c);
    x = u * torch::exp(log_scale) + shift;
  }
  return x;
}

ConditionalFlowImpl::ConditionalFlowImpl(const ConditionalFlowConfig& config) : config_(config) {
  config_.validate();
  for (int b = 0; b < config_.blocks; ++b) {
    blocks_.push_back(register_module(
        "block" + std::to_string(b),
        MadeBlock(config_.features, config_.context, config_.hidden, config_.hidden_layers)));
  }
  feature_min_ = register_buffer("feature_min", torch::zeros({config_.features}));
  feature_max_ = register_buffer("feature_max", torch::ones({config_.features}));
  logit_mean_ = register_buffer("logit_mean", torch::zeros({config_.features}));
  logit_std_ = register_buffer("logit_std", torch::ones({config_.features}));
  context_mean_ = register_buffer("context_mean", torch::zeros({config_.context}));
  context_std_ = register_buffer("context_std", torch::ones({config_.context}));
}

void ConditionalFlowImpl::fit_scaling(const torch::Tensor& x, const torch::Tensor& c) {
  check_rows(x, config_.features, "training features");
  const auto n = x.size(0);
  const auto context = checked_context(c, n);
  if (n < 2) {
    throw core::InputError("conditional flow: fit_scaling got " + std::to_string(n) +
                           " events (a range and a spread need at least 2) give the flow its "
                           "training events");
  }
  torch::NoGradGuard no_grad;
  const auto xd = x.to(torch::kFloat64).cpu();
  const auto cd = context.to(torch::kFloat64).cpu();
  if (!torch::isfinite(xd).all().item<bool>() || !torch::isfinite(cd).all().item<bool>()) {
    throw core::InputError(
        "conditional flow: the training events hold NaN or inf values (a flow cannot model "
        "them) remove or repair those events");
  }
  const auto lo = std::get<0>(xd.min(0));
  const auto hi = std::get<0>(xd.max(0));
  for (int i = 0; i < config_.features; ++i) {
    if (!(hi[i].item<double>() > lo[i].item<double>())) {
      throw core::InputError("conditional flow: feature " + std::to_string(i) +
                             " is constant over the training events (" +
                             std::to_string(lo[i].item<double>()) +
                             ") a density needs a spread; drop that feature");
    }
  }
  feature_min_.copy_(lo);
  feature_max_.copy_(hi);
  logit_mean_.fill_(0.0);
  logit_std_.fill_(1.0);
  torch::Tensor unused = torch::zeros({n}, xd.options());
  const auto logits = preprocess(xd.to(feature_min_.dtype()).to(feature_min_.device()), unused);
  logit_mean_.copy_(logits.mean(0));
  logit_std_.copy_(logits.std(0).clamp_min(1e-6));
  if (config_.context > 0) {
    const auto spread = cd.std(0);
    for (int i = 0; i < config_.context; ++i) {
      if (!(spread[i].item<double>() > 0)) {
        throw core::InputError("conditional flow: context " + std::to_string(i) +
                               " is constant over the training events (a conditional density "
                               "needs a spread of the context) check the mass window");
      }
    }
    context_mean_.copy_(cd.mean(0));
    context_std_.copy_(spread);
  }
}

torch::Tensor ConditionalFlowImpl::preprocess(const torch::Tensor& x,
                                              torch::Tensor& log_det) const {
  check_rows(x, config_.features, "features");
  const auto range = feature_max_ - feature_min_;
  const auto low = feature_min_ - config_.logit_margin * range;
  const auto width = range * (1 + 2 * config_.logit_margin);
  const auto s = ((x - low) / width).clamp(kClamp, 1 - kClamp);
  const auto logit = torch::log(s) - torch::log1p(-s);
  log_det = log_det - (torch::log(width) + torch::log(logit_std_)).sum() -
            (torch::log(s) + torch::log1p(-s)).sum(1);
  return (logit - logit_mean_) / logit_std_;
}

torch::Tensor ConditionalFlowImpl::inside_range(const torch::Tensor& x) const {
  check_rows(x, config_.features, "features");
  const auto range = feature_max_ - feature_min_;
  const auto low = feature_min_ - config_.logit_margin * range;
  const auto high = feature_max_ + config_.logit_margin * range;
  return ((x >= low) & (x <= high)).all(1);
}

torch::Tensor ConditionalFlowImpl::postprocess(const torch::Tensor& y) const {
  const auto range = feature_max_ - feature_min_;
  const auto low = feature_min_ - config_.logit_margin * range;
  const auto width = range * (1 + 2 * config_.logit_margin);
  return low + torch::sigmoid(y * logit_std_ + logit_mean_) * width;
}

torch::Tensor ConditionalFlowImpl::scaled_context(const torch::Tensor& c) const {
  if (config_.context == 0) return c;
  return (c - context_mean_) / context_std_;
}

torch::Tensor ConditionalFlowImpl::checked_context(const torch::Tensor& c, std::int64_t n) const {
  if (config_.context == 0) return torch::zeros({n, 0});
  check_rows(c, config_.context, "context");
  if (c.size(0) != n) {
    throw core::InputError("conditional flow: " + std::to_string(c.size(0)) + " context rows for " +
                           std::to_string(n) + " events (one context per event is needed)");
  }
  return c;
}

torch::Tensor ConditionalFlowImpl::to_base(const torch::Tensor& y, const torch::Tensor& c,
                                           torch::Tensor& log_det) {
  const auto context = scaled_context(checked_context(c, y.size(0)));
  torch::Tensor h = y;
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    if (b > 0) h = h.flip(1);
    h = blocks_[b]->forward(h, context, log_det);
  }
  return h;
}

torch::Tensor ConditionalFlowImpl::from_base(const torch::Tensor& z, const torch::Tensor& c) {
  const auto context = scaled_context(checked_context(c, z.size(0)));
  torch::Tensor h = z;
  for (std::size_t b = blocks_.size(); b-- > 0;) {
    h = blocks_[b]->inverse(h, context);
    if (b > 0) h = h.flip(1);
  }
  return h;
}

torch::Tensor ConditionalFlowImpl::latent_log_prob(const torch::Tensor& y, const torch::Tensor& c) {
  check_rows(y, config_.features, "features");
  auto log_det = torch::zeros({y.size(0)}, y.options());
  const auto z = to_base(y, c, log_det);
  return log_det - 0.5 * z.pow(2).sum(1) - 0.5 * kLogTwoPi * config_.features;
}

torch::Tensor ConditionalFlowImpl::log_prob(const torch::Tensor& x, const torch::Tensor& c) {
  auto log_det = torch::zeros({x.size(0)}, x.options());
  const auto y = preprocess(x, log_det);
  return log_det + latent_log_prob(y, c);
}

torch::Tensor ConditionalFlowImpl::sample(const torch::Tensor& c, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = config_.context > 0 ? c.size(0) : (c.defined() ? c.size(0) : 0);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto z = torch::randn({n, config_.features}, generator, torch::kFloat32)
                     .to(feature_min_.device(), feature_min_.scalar_type());
  return postprocess(from_base(z, c));
}

}  // namespace cwola::models
