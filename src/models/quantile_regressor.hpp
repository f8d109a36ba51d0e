#pragma once
/// Quantile regression of a score against the resonance mass (the "QR" of the CMS VAE-QR
/// search, seeds/004): a small dense network f(m) trained with the pinball loss at quantile q
/// estimates the q-quantile of the score at each m_jj; a cut score >= threshold(m) then keeps
/// the fraction 1 − q of the background at every mass, so the cut does not sculpt the m_jj
/// spectrum. As CMS does, the network's output is smoothed by a least-squares polynomial in m
/// (degree 3 by default) fitted to the network's output at the training events' masses; the
/// threshold is that polynomial.
///
/// Mass and score are standardised with the training set's mean and standard deviation
/// (buffers "mass_mean", "mass_std", "score_mean", "score_std"); the polynomial's
/// coefficients (standardised units, powers of the standardised mass, lowest first) are the
/// buffer "poly_coefficients", so a stored model carries its whole threshold.
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

namespace cwola::models {

/// Shape and quantile of a QuantileRegressor.
struct QuantileRegressorConfig {
  /// The quantile q in (0, 1): the cut score >= threshold keeps 1 − q of the events.
  double quantile = 0.9;
  /// Hidden widths (each >= 1; CMS: 5 layers of 30).
  std::vector<int> hidden = {32, 32, 32};
  /// Degree of the smoothing polynomial in m (0 to 9).
  int degree = 3;

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// The pinball (quantile) loss per event [N]: max(q r, (q − 1) r) with r = y − f; its
/// expectation over y is smallest where f is the q-quantile of y.
torch::Tensor pinball_loss(const torch::Tensor& y, const torch::Tensor& f, double quantile);

/// Hidden layers "hidden<k>" (Linear + ReLU), then "output" (Linear to 1).
class QuantileRegressorImpl : public torch::nn::Module {
 public:
  /// Validates `config`; LibTorch's default initialisation (seed it first). The scaling starts
  /// as the identity and the polynomial as zero (call fit_scaling, train, then smooth).
  explicit QuantileRegressorImpl(const QuantileRegressorConfig& config);

  /// Sets the scaling buffers from the training events' masses and scores [N] (float32).
  /// Throws core::InputError for fewer than 2 events, NaN/inf, or a constant mass or score.
  void fit_scaling(const torch::Tensor& mass, const torch::Tensor& score);
  /// The network on standardised masses t [N, 1] -> standardised quantile [N].
  torch::Tensor forward(const torch::Tensor& t);
  /// The network's (unsmoothed) quantile in original units at masses m [N].
  torch::Tensor network_threshold(const torch::Tensor& mass);
  /// Fits the smoothing polynomial to the network's output at `mass` [N] (least squares in
  /// float64). Throws core::InputError if fewer distinct masses than coefficients.
  void smooth(const torch::Tensor& mass);
  /// The smoothed threshold in original score units at masses m [N] (float32, CPU).
  torch::Tensor threshold(const torch::Tensor& mass) const;

  torch::Tensor standardised_mass(const torch::Tensor& mass) const;
  torch::Tensor standardised_score(const torch::Tensor& score) const;
  const QuantileRegressorConfig& config() const { return config_; }

 private:
  QuantileRegressorConfig config_;
  std::vector<torch::nn::Linear> hidden_;
  torch::nn::Linear output_{nullptr};
  torch::Tensor mass_mean_;
  torch::Tensor mass_std_;
  torch::Tensor score_mean_;
  torch::Tensor score_std_;
  torch::Tensor coefficients_;
};

TORCH_MODULE(QuantileRegressor);

}  // namespace cwola::models
