#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "models/quantile_regressor.hpp"

using cwola::models::QuantileRegressor;
using cwola::models::QuantileRegressorConfig;

BOOST_AUTO_TEST_SUITE(quantile_regressor)

BOOST_AUTO_TEST_CASE(the_pinball_loss_is_smallest_at_the_quantile) {
  torch::manual_seed(1);
  const auto y = torch::rand({5001}, torch::kFloat64);  // U(0, 1): the q-quantile is q
  for (const double q : {0.1, 0.5, 0.9, 0.99}) {
    double best = 1e300;
    double argmin = -1;
    for (int k = 0; k <= 200; ++k) {
      const double f = k / 200.0;
      const double loss =
          cwola::models::pinball_loss(y, torch::full_like(y, f), q).mean().item<double>();
      if (loss < best) {
        best = loss;
        argmin = f;
      }
    }
    BOOST_TEST(argmin == q, boost::test_tools::tolerance(0.02));
  }
  // The two slopes: q above the prediction, 1 - q below it.
  const auto loss = cwola::models::pinball_loss(torch::tensor({3.0, -1.0}, torch::kFloat64),
                                                torch::zeros({2}, torch::kFloat64), 0.9);
  BOOST_TEST(loss[0].item<double>() == 2.7, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(loss[1].item<double>() == 0.1, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(smoothing_reproduces_a_network_that_is_a_polynomial) {
  // No hidden layer: the network is linear in the standardised mass, which a cubic holds
  // exactly; the threshold is then that line in original units.
  QuantileRegressorConfig config;
  config.hidden = {};
  config.degree = 3;
  QuantileRegressor qr(config);
  const auto mass = torch::linspace(2000, 5000, 101);
  const auto score = torch::linspace(-1, 4, 101);  // any spread: sets the score scaling
  qr->fit_scaling(mass, score);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : qr->named_parameters()) {
      if (p.key() == "output.weight") p.value().fill_(0.5);
      if (p.key() == "output.bias") p.value().fill_(-0.25);
    }
  }
  qr->smooth(mass);
  const auto t =
      (mass.to(torch::kFloat64) - mass.to(torch::kFloat64).mean()) / mass.to(torch::kFloat64).std();
  const auto s = score.to(torch::kFloat64);
  const auto expected = (0.5 * t - 0.25) * s.std() + s.mean();
  BOOST_TEST(torch::allclose(qr->threshold(mass).to(torch::kFloat64), expected, 1e-5, 1e-5));
  BOOST_TEST(
      torch::allclose(qr->network_threshold(mass).to(torch::kFloat64), expected, 1e-5, 1e-5));
}

BOOST_AUTO_TEST_CASE(bad_inputs_and_settings_are_refused) {
  QuantileRegressorConfig config;
  config.quantile = 1.0;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
  config.quantile = 0.9;
  config.degree = 10;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
  config.degree = 3;
  QuantileRegressor qr(config);
  auto mass = torch::linspace(1, 2, 10);
  auto score = torch::linspace(0, 1, 10);
  BOOST_CHECK_THROW(qr->fit_scaling(mass, torch::ones({10})), cwola::core::InputError);
  BOOST_CHECK_THROW(qr->fit_scaling(mass, torch::ones({9})), cwola::core::InputError);
  score[4] = std::numeric_limits<float>::infinity();
  BOOST_CHECK_THROW(qr->fit_scaling(mass, score), cwola::core::InputError);
  // Three distinct masses cannot fix a cubic.
  BOOST_CHECK_THROW(qr->smooth(torch::tensor({1.0F, 2.0F, 3.0F, 1.0F})), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
