#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "training/vae_trainer.hpp"

using cwola::models::FeatureVae;
using cwola::models::FeatureVaeConfig;
using cwola::models::QuantileRegressor;
using cwola::models::QuantileRegressorConfig;

namespace {

/// m ~ U(2000, 5000) GeV; score ~ exponential with the scale 0.5 + (m / 2000)^2, so its
/// q-quantile is -scale(m) log(1 - q): it grows six-fold over the range.
std::pair<torch::Tensor, torch::Tensor> exponential_scores(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto m = torch::rand({n}, torch::kFloat64) * 3000 + 2000;
  const auto scale = 0.5 + (m / 2000).pow(2);
  const auto score = -scale * torch::log1p(-torch::rand({n}, torch::kFloat64));
  return {m.to(torch::kFloat32), score.to(torch::kFloat32)};
}

QuantileRegressor fitted_regressor(double q, std::uint64_t seed) {
  torch::manual_seed(seed);
  QuantileRegressorConfig config;
  config.quantile = q;
  config.hidden = {16, 16};
  QuantileRegressor qr(config);
  const auto [m, s] = exponential_scores(20000, 11);
  cwola::training::TrainerConfig trainer;
  trainer.max_epochs = 30;
  trainer.batch_size = 256;
  trainer.learning_rate = 3e-3;
  const auto outcome = cwola::training::train_quantile_regressor(qr, m, s, trainer, 5, torch::kCPU);
  BOOST_TEST(cwola::training::to_string(outcome.status) == "completed");
  return qr;
}

/// Correlated Gaussian features (one latent direction carries most of the variance).
torch::Tensor correlated_events(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto u = torch::randn({n, 1});
  const auto e = torch::randn({n, 4}) * 0.2;
  return torch::cat({3 * u + 10, -u, 2 * u + 0.5 * e.narrow(1, 0, 1), u * u}, 1) + e;
}

FeatureVae small_vae(std::uint64_t seed) {
  torch::manual_seed(seed);
  FeatureVaeConfig config;
  config.features = 4;
  config.latent = 2;
  config.hidden = {16, 16};
  return FeatureVae(config);
}

cwola::training::TrainerConfig vae_settings() {
  cwola::training::TrainerConfig trainer;
  trainer.max_epochs = 25;
  trainer.batch_size = 128;
  trainer.learning_rate = 3e-3;
  trainer.patience = 5;
  return trainer;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(vae_trainer)

BOOST_AUTO_TEST_CASE(the_quantile_cut_keeps_one_minus_q_in_every_mass_bin) {
  const double q = 0.9;
  auto qr = fitted_regressor(q, 3);
  // Fresh events: 6 mass bins of ~5,000 events each; the binomial sd of 10 % is 0.0042.
  const auto [m, s] = exponential_scores(30000, 12);
  const auto threshold = qr->threshold(m);
  const auto pass = (s >= threshold).to(torch::kFloat64);
  // The null: one cut for all masses at the same overall efficiency is not flat at all.
  const auto global = std::get<0>(s.kthvalue(static_cast<std::int64_t>(0.9 * 30000)));
  const auto pass_global = (s >= global).to(torch::kFloat64);
  double lowest_global = 1;
  double highest_global = 0;
  for (int b = 0; b < 6; ++b) {
    const auto in_bin = (m >= 2000 + 500 * b) & (m < 2500 + 500 * b);
    const double events = in_bin.sum().item<double>();
    const double efficiency = pass.index({in_bin}).sum().item<double>() / events;
    BOOST_TEST_MESSAGE("bin " << b << ": " << events << " events, efficiency " << efficiency);
    BOOST_TEST(std::abs(efficiency - (1 - q)) < 0.02);
    const double e_global = pass_global.index({in_bin}).sum().item<double>() / events;
    lowest_global = std::min(lowest_global, e_global);
    highest_global = std::max(highest_global, e_global);
  }
  BOOST_TEST(lowest_global < 0.03);
  BOOST_TEST(highest_global > 0.2);
  // The threshold is the analytic quantile within 6 % inside the range.
  const auto grid = torch::linspace(2200, 4800, 14);
  const auto truth = -(0.5 + (grid.to(torch::kFloat64) / 2000).pow(2)) * std::log(1 - q);
  const auto relative = (qr->threshold(grid).to(torch::kFloat64) - truth).abs() / truth;
  BOOST_TEST(relative.max().item<double>() < 0.06);
}

BOOST_AUTO_TEST_CASE(the_same_seeds_give_the_same_regression) {
  auto a = fitted_regressor(0.7, 3);
  auto b = fitted_regressor(0.7, 3);
  const auto grid = torch::linspace(2000, 5000, 50);
  BOOST_TEST(torch::equal(a->threshold(grid), b->threshold(grid)));
  auto c = fitted_regressor(0.7, 4);
  BOOST_TEST(!torch::equal(a->threshold(grid), c->threshold(grid)));
}

BOOST_AUTO_TEST_CASE(training_lowers_the_held_out_loss_and_flags_outliers) {
  const auto train = correlated_events(4000, 1);
  const auto validation = correlated_events(1000, 2);
  const auto test = correlated_events(2000, 3);
  auto vae = small_vae(4);
  vae->set_noise_seed(9);
  vae->fit_scaling(train);
  const double untrained = vae->score(test).mean().item<double>();
  const auto outcome =
      cwola::training::train_vae(vae, train, validation, vae_settings(), 5, torch::kCPU);
  BOOST_TEST(outcome.best_epoch >= 0);
  const double trained = vae->score(test).mean().item<double>();
  BOOST_TEST_MESSAGE("mean held-out loss: untrained " << untrained << ", trained " << trained);
  BOOST_TEST(trained < 0.5 * untrained);
  // The loop's best validation loss is the VAE's mean score on those events (z = mu).
  BOOST_TEST(outcome.history.at(static_cast<std::size_t>(outcome.best_epoch)).val_loss ==
                 vae->score(validation).mean().item<double>(),
             boost::test_tools::tolerance(1e-4));
  // Events off the correlation: feature 1 (= -u) flipped where |u| > 1, so each feature is
  // still within its usual range but the event lies ~2 sd off the one-dimensional manifold.
  const auto far = test.select(1, 1).abs() > 1;
  const auto typical = test.index({far});
  auto outliers = typical.clone();
  outliers.select(1, 1) = -outliers.select(1, 1);
  const double typical_score = vae->score(typical).median().item<double>();
  const double outlier_score = vae->score(outliers).median().item<double>();
  BOOST_TEST_MESSAGE("median score: typical " << typical_score << ", flipped " << outlier_score);
  BOOST_TEST(outlier_score > 2 * typical_score);
}

BOOST_AUTO_TEST_CASE(the_same_seeds_give_the_same_vae) {
  const auto train = correlated_events(1500, 1);
  const auto validation = correlated_events(500, 2);
  auto config = vae_settings();
  config.max_epochs = 5;
  std::vector<torch::Tensor> scores;
  for (int run = 0; run < 2; ++run) {
    auto vae = small_vae(4);
    vae->set_noise_seed(9);
    cwola::training::train_vae(vae, train, validation, config, 5, torch::kCPU);
    scores.push_back(vae->score(validation));
  }
  BOOST_TEST(torch::equal(scores[0], scores[1]));
  auto other = small_vae(4);
  other->set_noise_seed(10);
  cwola::training::train_vae(other, train, validation, config, 5, torch::kCPU);
  BOOST_TEST(!torch::equal(scores[0], other->score(validation)));
}

BOOST_AUTO_TEST_CASE(nan_events_and_empty_sets_are_refused) {
  auto vae = small_vae(4);
  auto train = correlated_events(100, 1);
  const auto validation = correlated_events(50, 2);
  BOOST_CHECK_THROW(
      cwola::training::train_vae(vae, train, torch::zeros({0, 4}), vae_settings(), 5, torch::kCPU),
      cwola::core::InputError);
  train[7][2] = std::numeric_limits<float>::infinity();
  BOOST_CHECK_THROW(
      cwola::training::train_vae(vae, train, validation, vae_settings(), 5, torch::kCPU),
      cwola::core::InputError);
  QuantileRegressor qr(QuantileRegressorConfig{});
  auto m = torch::linspace(1, 2, 100);
  auto s = torch::rand({100});
  s[3] = std::numeric_limits<float>::quiet_NaN();
  BOOST_CHECK_THROW(
      cwola::training::train_quantile_regressor(qr, m, s, vae_settings(), 5, torch::kCPU),
      cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
