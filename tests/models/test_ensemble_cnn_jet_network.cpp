#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "models/ensemble_cnn_jet_network.hpp"

namespace models = cwola::models;

namespace {

/// Small configurations of every architecture, with and without the extra-feature branch.
std::vector<models::CnnJetNetworkConfig> small_configs() {
  std::vector<models::CnnJetNetworkConfig> configs;
  for (const auto architecture :
       {models::CnnArchitecture::kTwoChannel, models::CnnArchitecture::kTwoImage,
        models::CnnArchitecture::kTwoImageJetNorm}) {
    for (const int extra : {0, 4}) {
      models::CnnJetNetworkConfig c;
      c.architecture = architecture;
      c.pixels = 9;
      c.filters = {3, 4, 5};
      c.kernels = {3, 5, 3};
      c.pool = {1, 0, 1};
      c.dense = {7, 6};
      c.extra_features = extra;
      c.extra_hidden = {5};
      configs.push_back(c);
      if (extra > 0) {  // the features concatenated in front of the dense head
        auto concatenated = c;
        concatenated.extra_merge = models::ExtraFeaturesMerge::kConcatenate;
        configs.push_back(concatenated);
      }
      // The dense head with batch norm and dropout (member-wise, models/member_layers.hpp).
      c.batch_norm = true;
      c.dropout = 0.3;
      configs.push_back(c);
    }
  }
  return configs;
}

std::vector<models::CnnJetNetwork> make_members(const models::CnnJetNetworkConfig& config,
                                                int count) {
  std::vector<models::CnnJetNetwork> members;
  for (int k = 0; k < count; ++k) {
    torch::manual_seed(11 + k);
    members.emplace_back(config);
  }
  return members;
}

std::string describe(const models::CnnJetNetworkConfig& c) {
  return models::to_string(c.architecture) + " extra " + std::to_string(c.extra_features) + " " +
         models::to_string(c.extra_merge) + (c.batch_norm ? " batch norm, dropout" : "");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ensemble_cnn_jet_network)

BOOST_AUTO_TEST_CASE(each_member_computes_its_own_network) {
  for (const auto& config : small_configs()) {
    const auto members = make_members(config, 3);
    models::EnsembleCnnJetNetwork ensemble(members);
    BOOST_TEST(ensemble->members() == 3);
    const auto x = torch::rand({3, 10, config.input_size()});
    torch::NoGradGuard no_grad;
    const auto logits = ensemble->forward(x);
    BOOST_REQUIRE(logits.sizes() == torch::IntArrayRef({3, 10}));
    for (int k = 0; k < 3; ++k) {
      const auto expected = members[static_cast<std::size_t>(k)].ptr()->forward(x[k]);
      BOOST_TEST_INFO(describe(config) << ", member " << k);
      BOOST_TEST(torch::allclose(logits[k], expected, 1e-5, 1e-5));
    }
  }
}

BOOST_AUTO_TEST_CASE(members_are_stacked_copies_and_come_back_unchanged) {
  for (const auto& config : small_configs()) {
    const auto members = make_members(config, 2);
    models::EnsembleCnnJetNetwork ensemble(members);
    std::size_t stacked = 0;
    for (const auto& p : ensemble->parameters()) stacked += static_cast<std::size_t>(p.numel());
    std::size_t single = 0;
    for (const auto& p : members[0]->parameters()) single += static_cast<std::size_t>(p.numel());
    BOOST_TEST(stacked == 2 * single);
    BOOST_TEST(models::count_members(*ensemble) == 2);
    for (int k = 0; k < 2; ++k) {
      const auto copy = ensemble->member(k);
      const auto original = members[static_cast<std::size_t>(k)]->named_parameters();
      for (const auto& item : copy->named_parameters()) {
        BOOST_TEST_INFO(describe(config) << ", " << item.key());
        BOOST_TEST(torch::equal(item.value(), original[item.key()]));
      }
      const auto original_buffers = members[static_cast<std::size_t>(k)]->named_buffers();
      BOOST_TEST(copy->named_buffers().size() == original_buffers.size());
      for (const auto& item : copy->named_buffers()) {
        BOOST_TEST_INFO(describe(config) << ", buffer " << item.key());
        BOOST_TEST(torch::equal(item.value(), original_buffers[item.key()]));
      }
    }
    // Training the stack must not touch the members it was built from.
    torch::NoGradGuard no_grad;
    for (auto& p : ensemble->parameters()) p.add_(1.0);
    BOOST_TEST(!torch::equal(ensemble->member(0)->parameters()[0], members[0]->parameters()[0]));
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_members_do_not_mix) {
  for (const auto& config : small_configs()) {
    auto members = make_members(config, 3);
    models::EnsembleCnnJetNetwork ensemble(members);
    const auto x = torch::rand({3, 6, config.input_size()});
    ensemble->forward(x)[1].sum().backward();
    double stacked = 0;
    for (const auto& item : ensemble->named_parameters()) {
      const auto& grad = item.value().grad();
      BOOST_TEST_INFO(describe(config) << ", " << item.key());
      BOOST_TEST(grad[0].abs().max().item<float>() == 0.0F);
      BOOST_TEST(grad[2].abs().max().item<float>() == 0.0F);
      stacked += grad[1].abs().sum().item<double>();
    }
    // Member 1 gets the gradient its network alone gets (a tiny head can have dead ReLUs, so
    // not every tensor need get one; in sum they do).
    members[1]->forward(x[1]).sum().backward();
    double alone = 0;
    for (const auto& p : members[1]->parameters()) alone += p.grad().abs().sum().item<double>();
    BOOST_TEST_INFO(describe(config));
    BOOST_TEST(alone > 0.0);
    BOOST_TEST(std::abs(stacked - alone) < 1e-4 * alone);
  }
}

BOOST_AUTO_TEST_CASE(frozen_members_give_frozen_stacked_convolutions) {
  for (const auto& config : small_configs()) {
    auto members = make_members(config, 3);
    for (auto& member : members) member->freeze_images();
    models::EnsembleCnnJetNetwork ensemble(members);
    ensemble->forward(torch::rand({3, 6, config.input_size()})).sum().backward();
    for (const auto& item : ensemble->named_parameters()) {
      BOOST_TEST_INFO(describe(config) << ", " << item.key());
      const bool image = item.key().rfind("conv", 0) == 0 || item.key().rfind("jet_norm", 0) == 0;
      BOOST_TEST(item.value().grad().defined() == !image);
    }
    // A frozen per-jet batch norm stays in eval mode: its running statistics do not move.
    const auto buffers_before = ensemble->named_buffers();
    std::vector<torch::Tensor> before;
    for (const auto& item : buffers_before) before.push_back(item.value().clone());
    ensemble->train();
    ensemble->forward(torch::rand({3, 6, config.input_size()}) * 5.0);
    std::size_t i = 0;
    for (const auto& item : ensemble->named_buffers()) {
      BOOST_TEST_INFO(describe(config) << ", buffer " << item.key());
      if (item.key().rfind("jet_norm", 0) == 0) BOOST_TEST(torch::equal(item.value(), before[i]));
      ++i;
    }
    if (models::has_jet_norm(config.architecture)) {
      for (int k = 0; k < 3; ++k) {
        const auto copy = ensemble->member(k);
        const auto original = members[static_cast<std::size_t>(k)]->jet_norm()->named_buffers();
        for (const auto& item : copy->jet_norm()->named_buffers()) {
          BOOST_TEST(torch::equal(item.value(), original[item.key()]));
        }
      }
    }
  }
  // Frozen and trainable members do not stack.
  auto members = make_members(small_configs().front(), 2);
  members[1]->freeze_images();
  BOOST_CHECK_THROW(models::EnsembleCnnJetNetwork{members}, cwola::core::InputError);
}

// cnn.fine_tune = scale_shift: networks with Φ are refused by the stack (the study trains
// them one by one), with an error naming the key.
BOOST_AUTO_TEST_CASE(scale_shift_members_are_refused_naming_the_key) {
  auto config = small_configs().front();
  config.scale_shift = true;
  auto members = make_members(config, 2);
  try {
    models::EnsembleCnnJetNetwork ensemble(members);
    BOOST_FAIL("a stack of scale-and-shift networks was accepted");
  } catch (const cwola::core::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("cnn.fine_tune = scale_shift") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(mismatched_members_and_inputs_are_rejected) {
  auto config = small_configs().front();
  auto members = make_members(config, 2);
  auto other = config;
  other.filters = {3, 4, 6};
  members.emplace_back(other);
  BOOST_CHECK_THROW(models::EnsembleCnnJetNetwork{members}, cwola::core::InputError);
  BOOST_CHECK_THROW(models::EnsembleCnnJetNetwork{std::vector<models::CnnJetNetwork>{}},
                    cwola::core::InputError);
  models::EnsembleCnnJetNetwork ensemble(make_members(config, 2));
  BOOST_CHECK_THROW(ensemble->forward(torch::rand({3, 4, config.input_size()})),
                    cwola::core::InputError);
  BOOST_CHECK_THROW(ensemble->forward(torch::rand({2, 4, config.input_size() + 1})),
                    cwola::core::InputError);
  BOOST_CHECK_THROW(ensemble->member(2), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
