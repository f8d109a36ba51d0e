#pragma once
/// A dense variational autoencoder (Kingma & Welling 2014) on per-event features: the VAE of
/// the CMS VAE-QR search (seeds/004) at reduced size. CMS encodes up to 100 constituents per
/// jet; the hunt's LHCO-like tables hold per-jet features (m_j1, Δm_j, τ21 of both jets), so
/// this VAE encodes those (docs/vae_qr.md says why). Its per-event loss is the anomaly score.
///
/// Loss per event (the negative ELBO for kl_weight = 1, up to a constant):
///   L(x) = 0.5 · Σ_i (x̂_i − x_i)² + kl_weight · KL(N(μ, σ²) ‖ N(0, 1)),
/// with x standardised by the training set's mean and standard deviation (buffers
/// "feature_mean", "feature_std", so a stored model carries them), i.e. a Gaussian decoder of
/// unit variance in standardised units, and the analytic KL of the diagonal Gaussian posterior,
///   KL = 0.5 · Σ_j (μ_j² + σ_j² − 1 − log σ_j²).
/// Training draws z = μ + σ ε (the reparameterisation); the score uses z = μ (no noise), so a
/// score is a pure function of the event and the weights.
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace cwola::models {

/// Shape and loss weight of a FeatureVae.
struct FeatureVaeConfig {
  /// Input features per event (>= 1).
  int features = 0;
  /// Latent dimension (>= 1; CMS uses 12 for 100 × 3 constituents, a few suit ~4 features).
  int latent = 4;
  /// Encoder hidden widths, input side first (each >= 1); the decoder mirrors them.
  std::vector<int> hidden = {32, 32};
  /// Weight of the KL term (>= 0; 1 is the ELBO).
  double kl_weight = 1.0;

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// The analytic KL(N(mu, exp(log_var)) ‖ N(0, 1)) per event [N], summed over the latent axis
/// of mu, log_var [N, latent].
torch::Tensor gaussian_kl(const torch::Tensor& mu, const torch::Tensor& log_var);

/// The loss terms of a batch of events, each [N].
struct VaeLoss {
  torch::Tensor reconstruction;  ///< 0.5 Σ_i (x̂_i − x_i)² in standardised units
  torch::Tensor kl;              ///< KL of the posterior to the prior (not yet weighted)
  torch::Tensor total;           ///< reconstruction + kl_weight · kl
};

/// Encoder "encoder<k>" (Linear + ReLU) → "mean", "log_var" (Linear to latent); decoder
/// "decoder<k>" (Linear + ReLU) → "output" (Linear to features). Buffers: "feature_mean",
/// "feature_std" [features] (set by fit_scaling), "noise_seed", "noise_step" (the training
/// noise's stream: seed below 2^24 so the float32 model store keeps it exact, and a counter).
class FeatureVaeImpl : public torch::nn::Module {
 public:
  /// Validates `config` and builds the layers with LibTorch's default initialisation (seed it
  /// with training::seed_weight_init first). Scaling starts as the identity.
  explicit FeatureVaeImpl(const FeatureVaeConfig& config);

  /// Sets the scaling buffers from training events x [N, features]. Throws core::InputError
  /// for fewer than 2 events, NaN/inf, or a constant feature (naming its index).
  void fit_scaling(const torch::Tensor& x);
  /// Sets the training noise's seed (e.g. a core::stream_seed(..., kVaeNoise)); the counter
  /// restarts at 0.
  void set_noise_seed(std::uint64_t seed);

  /// x [N, features] in original units -> standardised units.
  torch::Tensor standardise(const torch::Tensor& x) const;
  /// Standardised x [N, features] -> (mu, log_var), each [N, latent].
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& y);
  /// z [N, latent] -> reconstruction [N, features] in standardised units.
  torch::Tensor decode(const torch::Tensor& z);
  /// The loss terms of standardised events y [N, features]: in training mode with
  /// z = mu + sigma * eps (eps from the noise stream, one draw per call, on the CPU, so the
  /// same on any device), in evaluation mode with z = mu.
  VaeLoss loss_of_standardised(const torch::Tensor& y);
  /// The anomaly score of events x [N, features] in original units: the per-event loss
  /// (reconstruction + kl_weight · KL at z = mu), [N]; evaluation mode, no gradients, batched.
  torch::Tensor score(const torch::Tensor& x, std::int64_t batch_size = 8192);

  const FeatureVaeConfig& config() const { return config_; }

 private:
  FeatureVaeConfig config_;
  std::vector<torch::nn::Linear> encoder_;
  torch::nn::Linear mean_{nullptr};
  torch::nn::Linear log_var_{nullptr};
  std::vector<torch::nn::Linear> decoder_;
  torch::nn::Linear output_{nullptr};
  torch::Tensor feature_mean_;
  torch::Tensor feature_std_;
  torch::Tensor noise_seed_;
  torch::Tensor noise_step_;
};

TORCH_MODULE(FeatureVae);

}  // namespace cwola::models
