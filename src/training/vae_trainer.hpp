#pragma once
/// Training of the VAE-QR pieces (models/feature_vae.hpp, models/quantile_regressor.hpp)
/// through the one training loop (training_loop.hpp): each a stack of one with its own loss
/// hook, as train_flow does for the flow. A loss that becomes non-finite ends the training as
/// kDiverged with the loop's reason; the caller fails its task (never a NaN score).
#include <cstdint>

#include "models/feature_vae.hpp"
#include "models/quantile_regressor.hpp"
#include "training/trainer.hpp"

namespace cwola::training {

/// Fits the VAE's scaling on `train` [N, features] (original units), then trains it with the
/// mean per-event loss (FeatureVaeImpl::loss_of_standardised: reconstruction + kl_weight · KL,
/// z sampled) on `train`, early-stopped on `validation`'s mean loss at z = mu (config.patience);
/// the VAE ends with the best epoch's weights, in eval mode on `device`. The epoch order comes
/// from std::mt19937_64(shuffle_seed); the sampling noise from the VAE's noise seed (set it
/// with set_noise_seed first). The outcome's loss fields are mean losses per event; its
/// accuracies mean nothing (0). Throws core::InputError for NaN/inf, empty or malformed sets.
TrainOutcome train_vae(models::FeatureVae& vae, const torch::Tensor& train,
                       const torch::Tensor& validation, const TrainerConfig& config,
                       std::uint64_t shuffle_seed, torch::Device device,
                       const KeepGoing& keep_going = {});

/// Fits the regressor's scaling on (mass, score) [N] each, trains it with the mean pinball loss
/// at its quantile for exactly config.max_epochs (no validation set: the network has one input
/// and the polynomial smoothing follows), then smooths it on the same masses. Ends in eval mode
/// on `device`. Throws core::InputError for NaN/inf, mismatched or too few events.
TrainOutcome train_quantile_regressor(models::QuantileRegressor& regressor,
                                      const torch::Tensor& mass, const torch::Tensor& score,
                                      const TrainerConfig& config, std::uint64_t shuffle_seed,
                                      torch::Device device, const KeepGoing& keep_going = {});

}  // namespace cwola::training
