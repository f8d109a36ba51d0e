#include "training/vae_trainer.hpp"

#include <torch/torch.h>

#include <string>

#include "core/error.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

namespace {

void check_events(const torch::Tensor& x, int features, const char* what) {
  const auto fail = [what](const std::string& why) {
    throw core::InputError(std::string("VAE training: the ") + what + " events " + why);
  };
  if (!x.defined() || x.dim() != 2 || x.size(1) != features) {
    fail("need features of shape [N, " + std::to_string(features) + "]");
  }
  if (x.size(0) == 0) fail("are none (the VAE has nothing to learn from or validate on)");
  if (!torch::isfinite(x).all().item<bool>()) {
    fail(
        "hold NaN or inf values (a reconstruction loss of them is not defined) remove or "
        "repair them");
  }
}

StackKeepGoing poll_of(const KeepGoing& keep_going) {
  StackKeepGoing poll;
  if (keep_going) poll = keep_going;
  return poll;
}

}  // namespace

TrainOutcome train_vae(models::FeatureVae& vae, const torch::Tensor& train,
                       const torch::Tensor& validation, const TrainerConfig& config,
                       std::uint64_t shuffle_seed, torch::Device device,
                       const KeepGoing& keep_going) {
  config.validate();
  const int features = vae->config().features;
  check_events(train, features, "training");
  check_events(validation, features, "validation");
  vae->fit_scaling(train);
  // A stack of one: the loop hands over [1, b, features]. The scaling is fixed once fitted,
  // so the events go in standardised once; "logits" are zeros (a VAE has no accuracy).
  const auto impl = vae.ptr();
  StackView view{impl, {}, MemberAxis::kSingle, {}};
  view.loss = [impl](const Batch& batch) {
    const auto loss = impl->loss_of_standardised(batch.x.select(0, 0));
    StackLoss out;
    out.objective = loss.total.mean();
    out.loss = out.objective.detach().unsqueeze(0);
    out.logits = torch::zeros_like(batch.y);
    out.terms = {loss.reconstruction.detach().mean().unsqueeze(0),
                 loss.kl.detach().mean().unsqueeze(0)};
    return out;
  };
  const auto as_batch = [&impl](const torch::Tensor& x) {
    torch::NoGradGuard no_grad;
    const auto y = impl->standardise(x.to(torch::kFloat32).cpu());
    return Batch{y, torch::ones({x.size(0)}), {}};
  };
  EnsembleMember member{as_batch(train), as_batch(validation), shuffle_seed};
  vae->to(device);
  return train_stack(view, {member}, config, device, poll_of(keep_going)).front();
}

TrainOutcome train_quantile_regressor(models::QuantileRegressor& regressor,
                                      const torch::Tensor& mass, const torch::Tensor& score,
                                      const TrainerConfig& config, std::uint64_t shuffle_seed,
                                      torch::Device device, const KeepGoing& keep_going) {
  config.validate();
  regressor->fit_scaling(mass, score);
  const auto impl = regressor.ptr();
  const double quantile = impl->config().quantile;
  StackView view{impl, {}, MemberAxis::kSingle, {}};
  view.loss = [impl, quantile](const Batch& batch) {
    const auto f = impl->forward(batch.x.select(0, 0));
    StackLoss out;
    out.objective = models::pinball_loss(batch.extra.at(0).select(0, 0), f, quantile).mean();
    out.loss = out.objective.detach().unsqueeze(0);
    out.logits = torch::zeros_like(batch.y);
    return out;
  };
  const auto n = mass.size(0);
  Batch train{impl->standardised_mass(mass.cpu()).unsqueeze(1),
              torch::ones({n}),
              {},
              {impl->standardised_score(score.cpu())}};
  EnsembleMember member{std::move(train), Batch{}, shuffle_seed};
  regressor->to(device);
  auto outcome = train_stack(view, {member}, config, device, poll_of(keep_going)).front();
  if (outcome.status != TrainStatus::kDiverged && outcome.status != TrainStatus::kAbandoned) {
    regressor->smooth(mass);
  }
  regressor->eval();
  return outcome;
}

}  // namespace cwola::training
