#include "models/feature_vae.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <string>

#include "core/error.hpp"
#include "core/seed.hpp"

namespace cwola::models {

namespace {

void check_rows(const torch::Tensor& x, std::int64_t columns, const char* what) {
  if (!x.defined() || x.dim() != 2 || x.size(1) != columns) {
    throw core::InputError(std::string("feature VAE: ") + what + " must have shape [N, " +
                           std::to_string(columns) + "] (got " +
                           (x.defined() ? std::to_string(x.dim()) + "-d" : std::string("none")) +
                           ") pass one row per event");
  }
}

/// log σ² is clamped so that exp() of it stays finite in float32 however far an event lies.
constexpr double kLogVarLimit = 20.0;

}  // namespace

void FeatureVaeConfig::validate() const {
  if (features < 1) {
    throw core::InputError("vae", "features", std::to_string(features),
                           "a VAE needs at least one input feature");
  }
  if (latent < 1) {
    throw core::InputError("vae", "latent", std::to_string(latent),
                           "the latent space needs at least one dimension");
  }
  for (const int width : hidden) {
    if (width < 1) {
      throw core::InputError("vae", "hidden", std::to_string(width),
                             "every hidden layer needs at least one unit");
    }
  }
  if (!(kl_weight >= 0.0) || !std::isfinite(kl_weight)) {
    throw core::InputError("vae", "kl_weight", std::to_string(kl_weight),
                           "the KL weight must be finite and >= 0 (1 is the ELBO)");
  }
}

torch::Tensor gaussian_kl(const torch::Tensor& mu, const torch::Tensor& log_var) {
  return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(1);
}

FeatureVaeImpl::FeatureVaeImpl(const FeatureVaeConfig& config) : config_(config) {
  config_.validate();
  int width = config_.features;
  for (std::size_t k = 0; k < config_.hidden.size(); ++k) {
    encoder_.push_back(register_module("encoder" + std::to_string(k),
                                       torch::nn::Linear(width, config_.hidden[k])));
    width = config_.hidden[k];
  }
  mean_ = register_module("mean", torch::nn::Linear(width, config_.latent));
  log_var_ = register_module("log_var", torch::nn::Linear(width, config_.latent));
  width = config_.latent;
  for (std::size_t k = config_.hidden.size(); k-- > 0;) {
    decoder_.push_back(register_module("decoder" + std::to_string(decoder_.size()),
                                       torch::nn::Linear(width, config_.hidden[k])));
    width = config_.hidden[k];
  }
  output_ = register_module("output", torch::nn::Linear(width, config_.features));
  feature_mean_ = register_buffer("feature_mean", torch::zeros({config_.features}));
  feature_std_ = register_buffer("feature_std", torch::ones({config_.features}));
  noise_seed_ = register_buffer("noise_seed", torch::zeros({}, torch::kInt64));
  noise_step_ = register_buffer("noise_step", torch::zeros({}, torch::kInt64));
}

void FeatureVaeImpl::fit_scaling(const torch::Tensor& x) {
  check_rows(x, config_.features, "training features");
  if (x.size(0) < 2) {
    throw core::InputError("feature VAE: fit_scaling got " + std::to_string(x.size(0)) +
                           " events (a spread needs at least 2) give the VAE its training events");
  }
  torch::NoGradGuard no_grad;
  const auto xd = x.to(torch::kFloat64).cpu();
  if (!torch::isfinite(xd).all().item<bool>()) {
    throw core::InputError(
        "feature VAE: the training events hold NaN or inf values (no score can be learned from "
        "them) remove or repair those events");
  }
  const auto spread = xd.std(0);
  for (int i = 0; i < config_.features; ++i) {
    if (!(spread[i].item<double>() > 0)) {
      throw core::InputError("feature VAE: feature " + std::to_string(i) +
                             " is constant over the training events (it cannot be standardised) "
                             "drop that feature");
    }
  }
  feature_mean_.copy_(xd.mean(0));
  feature_std_.copy_(spread);
}

void FeatureVaeImpl::set_noise_seed(std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  // Below 2^24: exact in the float32 model store.
  noise_seed_.fill_(static_cast<std::int64_t>(core::mix64(seed) >> 40));
  noise_step_.fill_(0);
}

torch::Tensor FeatureVaeImpl::standardise(const torch::Tensor& x) const {
  check_rows(x, config_.features, "features");
  return (x - feature_mean_) / feature_std_;
}

std::pair<torch::Tensor, torch::Tensor> FeatureVaeImpl::encode(const torch::Tensor& y) {
  torch::Tensor h = y;
  for (auto& layer : encoder_) h = torch::relu(layer->forward(h));
  return {mean_->forward(h), log_var_->forward(h).clamp(-kLogVarLimit, kLogVarLimit)};
}

torch::Tensor FeatureVaeImpl::decode(const torch::Tensor& z) {
  torch::Tensor h = z;
  for (auto& layer : decoder_) h = torch::relu(layer->forward(h));
  return output_->forward(h);
}

VaeLoss FeatureVaeImpl::loss_of_standardised(const torch::Tensor& y) {
  const auto [mu, log_var] = encode(y);
  torch::Tensor z = mu;
  if (is_training()) {
    torch::Tensor eps;
    {
      torch::NoGradGuard no_grad;
      const auto seed = static_cast<std::uint64_t>(noise_seed_.item<std::int64_t>());
      const auto step = static_cast<std::uint64_t>(noise_step_.item<std::int64_t>());
      auto generator = at::make_generator<at::CPUGeneratorImpl>(
          core::stream_seed(seed, step, core::SeedPurpose::kVaeNoise));
      eps = torch::randn(mu.sizes(), generator, torch::kFloat32).to(mu.device(), mu.scalar_type());
      noise_step_.add_(1);
    }
    z = mu + torch::exp(0.5 * log_var) * eps;
  }
  VaeLoss loss;
  loss.reconstruction = 0.5 * (decode(z) - y).pow(2).sum(1);
  loss.kl = gaussian_kl(mu, log_var);
  loss.total = loss.reconstruction + config_.kl_weight * loss.kl;
  return loss;
}

torch::Tensor FeatureVaeImpl::score(const torch::Tensor& x, std::int64_t batch_size) {
  check_rows(x, config_.features, "features");
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  const auto device = feature_mean_.device();
  std::vector<torch::Tensor> parts;
  for (std::int64_t start = 0; start < x.size(0); start += batch_size) {
    const auto count = std::min(batch_size, x.size(0) - start);
    const auto y = standardise(x.narrow(0, start, count).to(device, torch::kFloat32));
    parts.push_back(loss_of_standardised(y).total.cpu());
  }
  if (was_training) train();
  return parts.empty() ? torch::zeros({0}) : torch::cat(parts);
}

}  // namespace cwola::models
