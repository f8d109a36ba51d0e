#include "models/quantile_regressor.hpp"

#include <torch/torch.h>

#include <string>

#include "core/error.hpp"

namespace cwola::models {

namespace {

void check_events(const torch::Tensor& t, const char* what) {
  if (!t.defined() || t.dim() != 1) {
    throw core::InputError(std::string("quantile regression: ") + what +
                           " must be one value per event, shape [N]");
  }
}

/// [N, degree + 1]: powers 0..degree of the standardised mass.
torch::Tensor powers(const torch::Tensor& t, int degree) {
  std::vector<torch::Tensor> columns{torch::ones_like(t)};
  for (int k = 1; k <= degree; ++k) columns.push_back(columns.back() * t);
  return torch::stack(columns, 1);
}

}  // namespace

void QuantileRegressorConfig::validate() const {
  if (!(quantile > 0.0 && quantile < 1.0)) {
    throw core::InputError("quantile regression", "quantile", std::to_string(quantile),
                           "the quantile must lie in (0, 1) (0.9 keeps 10 % of the events)");
  }
  for (const int width : hidden) {
    if (width < 1) {
      throw core::InputError("quantile regression", "hidden", std::to_string(width),
                             "every hidden layer needs at least one unit");
    }
  }
  if (degree < 0 || degree > 9) {
    throw core::InputError("quantile regression", "degree", std::to_string(degree),
                           "the smoothing polynomial's degree must be 0 to 9");
  }
}

torch::Tensor pinball_loss(const torch::Tensor& y, const torch::Tensor& f, double quantile) {
  const auto r = y - f;
  return torch::max(quantile * r, (quantile - 1.0) * r);
}

QuantileRegressorImpl::QuantileRegressorImpl(const QuantileRegressorConfig& config)
    : config_(config) {
  config_.validate();
  int width = 1;
  for (std::size_t k = 0; k < config_.hidden.size(); ++k) {
    hidden_.push_back(
        register_module("hidden" + std::to_string(k), torch::nn::Linear(width, config_.hidden[k])));
    width = config_.hidden[k];
  }
  output_ = register_module("output", torch::nn::Linear(width, 1));
  mass_mean_ = register_buffer("mass_mean", torch::zeros({}, torch::kFloat64));
  mass_std_ = register_buffer("mass_std", torch::ones({}, torch::kFloat64));
  score_mean_ = register_buffer("score_mean", torch::zeros({}, torch::kFloat64));
  score_std_ = register_buffer("score_std", torch::ones({}, torch::kFloat64));
  coefficients_ =
      register_buffer("poly_coefficients", torch::zeros({config_.degree + 1}, torch::kFloat64));
}

void QuantileRegressorImpl::fit_scaling(const torch::Tensor& mass, const torch::Tensor& score) {
  check_events(mass, "the masses");
  check_events(score, "the scores");
  if (mass.size(0) != score.size(0) || mass.size(0) < 2) {
    throw core::InputError("quantile regression: " + std::to_string(mass.size(0)) + " masses and " +
                           std::to_string(score.size(0)) +
                           " scores (one of each per event, at least 2 events, are needed)");
  }
  torch::NoGradGuard no_grad;
  const auto m = mass.to(torch::kFloat64).cpu();
  const auto s = score.to(torch::kFloat64).cpu();
  if (!torch::isfinite(m).all().item<bool>() || !torch::isfinite(s).all().item<bool>()) {
    throw core::InputError(
        "quantile regression: the events hold NaN or inf masses or scores (a quantile of them "
        "is not defined) remove those events or find why their score is not finite");
  }
  if (!(m.std().item<double>() > 0) || !(s.std().item<double>() > 0)) {
    throw core::InputError(
        "quantile regression: the masses or the scores are constant over the events (nothing "
        "to regress) check the mass range and the score");
  }
  mass_mean_.copy_(m.mean());
  mass_std_.copy_(m.std());
  score_mean_.copy_(s.mean());
  score_std_.copy_(s.std());
}

torch::Tensor QuantileRegressorImpl::standardised_mass(const torch::Tensor& mass) const {
  return ((mass.to(torch::kFloat64) - mass_mean_.cpu()) / mass_std_.cpu()).to(torch::kFloat32);
}

torch::Tensor QuantileRegressorImpl::standardised_score(const torch::Tensor& score) const {
  return ((score.to(torch::kFloat64) - score_mean_.cpu()) / score_std_.cpu()).to(torch::kFloat32);
}

torch::Tensor QuantileRegressorImpl::forward(const torch::Tensor& t) {
  torch::Tensor h = t;
  for (auto& layer : hidden_) h = torch::relu(layer->forward(h));
  return output_->forward(h).squeeze(1);
}

torch::Tensor QuantileRegressorImpl::network_threshold(const torch::Tensor& mass) {
  check_events(mass, "the masses");
  torch::NoGradGuard no_grad;
  const auto device = output_->weight.device();
  const auto f = forward(standardised_mass(mass.cpu()).unsqueeze(1).to(device)).cpu();
  return (f.to(torch::kFloat64) * score_std_.cpu() + score_mean_.cpu()).to(torch::kFloat32);
}

void QuantileRegressorImpl::smooth(const torch::Tensor& mass) {
  check_events(mass, "the masses");
  torch::NoGradGuard no_grad;
  const auto distinct = std::get<0>(at::_unique(mass.cpu())).size(0);
  if (distinct < config_.degree + 1) {
    throw core::InputError("quantile regression: " + std::to_string(distinct) +
                           " distinct masses cannot fix a polynomial of degree " +
                           std::to_string(config_.degree) + " (use a lower degree or more events)");
  }
  const auto device = output_->weight.device();
  const auto t = standardised_mass(mass.cpu());
  const auto f = forward(t.unsqueeze(1).to(device)).cpu().to(torch::kFloat64);
  const auto a = powers(t.to(torch::kFloat64), config_.degree);
  // The normal equations in float64: the columns are powers of a standardised mass, so the
  // system is well conditioned at these degrees.
  const auto ata = a.t().matmul(a);
  const auto atf = a.t().matmul(f.unsqueeze(1));
  coefficients_.copy_(torch::linalg_solve(ata, atf).squeeze(1));
}

torch::Tensor QuantileRegressorImpl::threshold(const torch::Tensor& mass) const {
  check_events(mass, "the masses");
  torch::NoGradGuard no_grad;
  const auto t = ((mass.cpu().to(torch::kFloat64) - mass_mean_.cpu()) / mass_std_.cpu());
  const auto f = powers(t, config_.degree).matmul(coefficients_.cpu());
  return (f * score_std_.cpu() + score_mean_.cpu()).to(torch::kFloat32);
}

}  // namespace cwola::models
