#include "models/dense_network.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"

using cwola::models::DenseNetwork;
using cwola::models::DenseNetworkConfig;

namespace {
std::int64_t parameter_count(const DenseNetwork& net) {
  std::int64_t count = 0;
  for (const auto& p : net->parameters()) {
    count += p.numel();
  }
  return count;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(dense_network)

BOOST_AUTO_TEST_CASE(output_is_one_logit_per_event) {
  DenseNetwork net(DenseNetworkConfig{4, {64, 64}});
  const auto logits = net->forward(torch::randn({10, 4}));
  BOOST_TEST(logits.dim() == 1);
  BOOST_TEST(logits.size(0) == 10);
  BOOST_TEST(logits.scalar_type() == torch::kFloat32);
}

BOOST_AUTO_TEST_CASE(parameter_count_of_known_shape) {
  DenseNetwork net(DenseNetworkConfig{4, {64, 64}});
  BOOST_TEST(parameter_count(net) == 4 * 64 + 64 + 64 * 64 + 64 + 64 + 1);  // 4545
}

BOOST_AUTO_TEST_CASE(submodules_are_registered_by_name) {
  DenseNetwork net(DenseNetworkConfig{3, {5, 7}});
  const auto params = net->named_parameters();
  for (const char* name : {"hidden0.weight", "hidden0.bias", "hidden1.weight", "hidden1.bias",
                           "output.weight", "output.bias"}) {
    BOOST_TEST_INFO(name);
    BOOST_TEST(params.contains(name));
  }
  BOOST_TEST(params.size() == 6U);
  BOOST_TEST(params["hidden1.weight"].size(0) == 7);
  BOOST_TEST(params["hidden1.weight"].size(1) == 5);
}

BOOST_AUTO_TEST_CASE(no_hidden_layers_is_logistic_regression) {
  DenseNetwork net(DenseNetworkConfig{3, {}});
  BOOST_TEST(parameter_count(net) == 3 + 1);
  const auto x = torch::randn({6, 3});
  const auto params = net->named_parameters();
  const auto expected = torch::matmul(x, params["output.weight"].t()).squeeze(-1) +
                        params["output.bias"];
  torch::NoGradGuard no_grad;
  BOOST_TEST(torch::allclose(net->forward(x), expected));
}

BOOST_AUTO_TEST_CASE(same_seed_gives_same_weights) {
  torch::manual_seed(11);
  DenseNetwork a(DenseNetworkConfig{4, {8}});
  torch::manual_seed(11);
  DenseNetwork b(DenseNetworkConfig{4, {8}});
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  BOOST_REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    BOOST_TEST(torch::equal(pa[i], pb[i]));
  }
}

BOOST_AUTO_TEST_CASE(invalid_config_is_rejected) {
  BOOST_CHECK_THROW(DenseNetworkConfig{}.validate(), cwola::core::InputError);  // inputs = 0
  BOOST_CHECK_THROW((DenseNetworkConfig{4, {64, 0}}.validate()), cwola::core::InputError);
  BOOST_CHECK_THROW((DenseNetworkConfig{-1, {}}.validate()), cwola::core::InputError);
  BOOST_CHECK_NO_THROW((DenseNetworkConfig{4, {}}.validate()));
  BOOST_CHECK_THROW(DenseNetwork(DenseNetworkConfig{4, {-3}}), cwola::core::InputError);
  try {
    DenseNetworkConfig{4, {64, 0}}.validate();
  } catch (const cwola::core::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("hidden[1]") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
