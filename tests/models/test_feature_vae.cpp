#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "models/feature_vae.hpp"
#include "models/module_tensors.hpp"

using cwola::models::FeatureVae;
using cwola::models::FeatureVaeConfig;

namespace {

constexpr double kPi = 3.14159265358979323846;

FeatureVae small_vae(std::uint64_t seed, double kl_weight = 1.0) {
  torch::manual_seed(seed);
  FeatureVaeConfig config;
  config.features = 3;
  config.latent = 2;
  config.hidden = {8, 8};
  config.kl_weight = kl_weight;
  return FeatureVae(config);
}

/// KL(N(mu, s^2) || N(0, 1)) by the midpoint rule over +-12 sigma of q: the integral of
/// q log(q / p).
double numerical_kl(double mu, double sigma) {
  const int steps = 200000;
  const double low = mu - 12 * sigma;
  const double width = 24 * sigma / steps;
  double sum = 0;
  for (int i = 0; i < steps; ++i) {
    const double z = low + (i + 0.5) * width;
    const double log_q =
        -0.5 * std::pow((z - mu) / sigma, 2) - std::log(sigma) - 0.5 * std::log(2 * kPi);
    const double log_p = -0.5 * z * z - 0.5 * std::log(2 * kPi);
    sum += std::exp(log_q) * (log_q - log_p) * width;
  }
  return sum;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(feature_vae)

BOOST_AUTO_TEST_CASE(the_kl_term_is_the_analytic_gaussian_kl) {
  const std::vector<std::pair<double, double>> cases = {
      {0.0, 1.0}, {1.5, 1.0}, {-0.7, 0.3}, {2.0, 2.5}, {0.2, 0.05}};
  std::vector<double> mus;
  std::vector<double> log_vars;
  double total = 0;
  for (const auto& [mu, sigma] : cases) {
    const double expected = numerical_kl(mu, sigma);
    const auto kl =
        cwola::models::gaussian_kl(torch::tensor({{mu}}, torch::kFloat64),
                                   torch::tensor({{2 * std::log(sigma)}}, torch::kFloat64));
    BOOST_TEST(kl.item<double>() == expected, boost::test_tools::tolerance(1e-6));
    mus.push_back(mu);
    log_vars.push_back(2 * std::log(sigma));
    total += expected;
  }
  // Summed over the latent axis: one event with all five coordinates.
  const auto kl = cwola::models::gaussian_kl(torch::tensor(mus, torch::kFloat64).unsqueeze(0),
                                             torch::tensor(log_vars, torch::kFloat64).unsqueeze(0));
  BOOST_TEST(kl.item<double>() == total, boost::test_tools::tolerance(1e-6));
  // The prior itself has no divergence.
  BOOST_TEST(numerical_kl(0.0, 1.0) == 0.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(the_score_is_reconstruction_plus_weighted_kl_at_the_posterior_mean) {
  auto vae = small_vae(1, 0.5);
  torch::manual_seed(2);
  const auto x = torch::randn({50, 3}) * torch::tensor({10.0F, 1.0F, 0.1F}) + 3.0F;
  vae->fit_scaling(x);
  const auto score = vae->score(x);
  torch::NoGradGuard no_grad;
  vae->eval();
  const auto y = (x - x.mean(0)) / x.std(0);
  const auto [mu, log_var] = vae->encode(y);
  const auto reconstruction = 0.5 * (vae->decode(mu) - y).pow(2).sum(1);
  const auto kl = 0.5 * (mu.pow(2) + log_var.exp() - 1 - log_var).sum(1);
  BOOST_TEST(torch::allclose(score, reconstruction + 0.5 * kl, 1e-5, 1e-5));
  // Standardised with the training set's own mean and spread.
  BOOST_TEST(torch::allclose(vae->standardise(x).mean(0), torch::zeros({3}), 1e-4, 1e-4));
  BOOST_TEST(torch::allclose(vae->standardise(x).std(0), torch::ones({3}), 1e-4, 1e-4));
  // Evaluation draws no noise: scoring twice gives the same numbers.
  BOOST_TEST(torch::equal(score, vae->score(x)));
}

BOOST_AUTO_TEST_CASE(training_noise_follows_its_seed_and_counter) {
  auto a = small_vae(3);
  auto b = small_vae(3);
  const auto y = torch::randn({20, 3});
  a->train();
  b->train();
  a->set_noise_seed(7);
  b->set_noise_seed(7);
  const auto first = a->loss_of_standardised(y).total;
  BOOST_TEST(torch::equal(first, b->loss_of_standardised(y).total));
  // The next draw differs (the counter moved), and a different seed gives other noise.
  BOOST_TEST(!torch::equal(first, a->loss_of_standardised(y).total));
  b->set_noise_seed(8);
  BOOST_TEST(!torch::equal(first, b->loss_of_standardised(y).total));
}

BOOST_AUTO_TEST_CASE(a_stored_vae_carries_its_scaling) {
  auto vae = small_vae(4);
  const auto x = torch::randn({40, 3}) * 5 + 100;
  vae->fit_scaling(x);
  auto fresh = small_vae(5);
  cwola::models::import_tensors(*fresh, cwola::models::export_tensors(*vae));
  BOOST_TEST(torch::allclose(fresh->score(x), vae->score(x), 1e-6, 1e-6));
  const auto layout = cwola::models::layout_of(*vae, "vae");
  bool has_mean = false;
  for (const auto& t : layout.tensors) has_mean = has_mean || t.name == "feature_mean";
  BOOST_TEST(has_mean);
}

BOOST_AUTO_TEST_CASE(bad_inputs_and_settings_are_refused) {
  auto vae = small_vae(6);
  auto x = torch::randn({10, 3});
  auto constant = x.clone();
  constant.select(1, 1).fill_(2.0);
  BOOST_CHECK_THROW(vae->fit_scaling(constant), cwola::core::InputError);
  x[3][0] = std::numeric_limits<float>::quiet_NaN();
  BOOST_CHECK_THROW(vae->fit_scaling(x), cwola::core::InputError);
  BOOST_CHECK_THROW(vae->fit_scaling(torch::randn({10, 2})), cwola::core::InputError);
  BOOST_CHECK_THROW(vae->fit_scaling(torch::randn({1, 3})), cwola::core::InputError);
  FeatureVaeConfig config;
  config.features = 3;
  config.latent = 0;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
  config.latent = 2;
  config.kl_weight = -1;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
  config.kl_weight = 1;
  config.hidden = {4, 0};
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
