#include "models/ensemble_conv.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"

namespace models = cwola::models;

namespace {
std::vector<torch::nn::Conv2d> make_members(const models::EnsembleConv2dConfig& config,
                                            int count) {
  std::vector<torch::nn::Conv2d> members;
  for (int k = 0; k < count; ++k) {
    torch::manual_seed(7 + k);
    members.emplace_back(config.conv_options());
  }
  return members;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ensemble_conv)

BOOST_AUTO_TEST_CASE(grouped_convolution_equals_member_convolutions) {
  for (const models::EnsembleConv2dConfig config :
       {models::EnsembleConv2dConfig{1, 4, 3, 1, 1}, models::EnsembleConv2dConfig{3, 2, 5, 2, 0}}) {
    auto members = make_members(config, 3);
    models::EnsembleConv2d ensemble(config, members);
    BOOST_TEST(ensemble->members() == 3);
    const auto x = torch::randn({3, 6, config.in_channels, 12, 12});
    torch::NoGradGuard no_grad;
    const auto y = ensemble->forward(x);
    for (int k = 0; k < 3; ++k) {
      const auto expected = members[static_cast<std::size_t>(k)]->forward(x[k]);
      BOOST_TEST_INFO("member " << k << ", kernel " << config.kernel);
      BOOST_TEST(y[k].sizes() == expected.sizes());
      BOOST_TEST(torch::allclose(y[k], expected, 1e-5, 1e-5));
    }
  }
}

BOOST_AUTO_TEST_CASE(member_layout_round_trips) {
  const auto x = torch::randn({3, 4, 2, 5, 5});
  const auto folded = models::members_to_channels(x);
  BOOST_TEST(folded.sizes() == torch::IntArrayRef({4, 6, 5, 5}));
  BOOST_TEST(torch::equal(folded[1].slice(0, 2, 4), x[1][1]));  // event 1, member 1's channels
  BOOST_TEST(torch::equal(models::channels_to_members(folded, 3), x));
  BOOST_CHECK_THROW(models::members_to_channels(torch::zeros({3, 4, 5})),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(gradients_of_members_do_not_mix) {
  const models::EnsembleConv2dConfig config{2, 3, 3, 1, 1};
  models::EnsembleConv2d ensemble(config, make_members(config, 3));
  ensemble->forward(torch::randn({3, 4, 2, 8, 8}))[2].sum().backward();
  for (const auto& p : ensemble->parameters()) {
    BOOST_TEST(p.grad()[0].abs().max().item<float>() == 0.0F);
    BOOST_TEST(p.grad()[1].abs().max().item<float>() == 0.0F);
    BOOST_TEST(p.grad()[2].abs().max().item<float>() > 0.0F);
  }
}

BOOST_AUTO_TEST_CASE(mismatched_members_are_rejected) {
  const models::EnsembleConv2dConfig config{1, 4, 3, 1, 1};
  auto members = make_members(config, 2);
  members.emplace_back(torch::nn::Conv2dOptions(1, 4, 5));
  BOOST_CHECK_THROW(models::EnsembleConv2d(config, members), cwola::core::InputError);
  BOOST_CHECK_THROW(models::EnsembleConv2d(config, std::vector<torch::nn::Conv2d>{}),
                    cwola::core::InputError);
  BOOST_CHECK_THROW((models::EnsembleConv2dConfig{1, 4, 0, 1, 1}.validate()),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
