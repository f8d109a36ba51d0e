#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "models/cnn_jet_network.hpp"
#include "training/trainer.hpp"

using namespace cwola::models;

namespace {
/// Tiny networks: CI runs these on one core.
CnnJetNetworkConfig tiny(CnnArchitecture architecture, int extra = 0) {
  CnnJetNetworkConfig c;
  c.architecture = architecture;
  c.pixels = 8;
  c.filters = {3, 3, 4, 4};
  c.dense = {8};
  c.extra_features = extra;
  c.extra_hidden = {4};
  return c;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(cnn_jet_network)

BOOST_AUTO_TEST_CASE(defaults_follow_figure_19) {
  const CnnJetNetworkConfig c;
  BOOST_TEST(c.kernels == (std::vector<int>{5, 5, 3, 3}));
  BOOST_TEST(c.filters.size() == 4u);
  BOOST_TEST(c.input_size() == 2 * 25 * 25);
  torch::manual_seed(1);
  CnnJetNetwork full(c);
  BOOST_TEST(full->forward(torch::rand({2, c.input_size()})).sizes() == torch::IntArrayRef({2}));
}

BOOST_AUTO_TEST_CASE(every_architecture_gives_one_finite_logit_per_event) {
  for (auto architecture : {CnnArchitecture::kTwoChannel, CnnArchitecture::kTwoImage}) {
    for (int extra : {0, 4}) {
      torch::manual_seed(2);
      CnnJetNetwork net(tiny(architecture, extra));
      const auto x = torch::rand({5, net->config().input_size()});
      const auto logits = net->forward(x);
      BOOST_TEST(logits.dim() == 1);
      BOOST_TEST(logits.size(0) == 5);
      BOOST_TEST(torch::isfinite(logits).all().item<bool>());
    }
  }
}

BOOST_AUTO_TEST_CASE(two_image_score_is_the_product_of_shared_jet_scores) {
  torch::manual_seed(3);
  CnnJetNetwork net(tiny(CnnArchitecture::kTwoImage));
  const auto x = torch::rand({4, 2 * 64});
  const auto event = torch::sigmoid(net->forward(x));
  // Swapping the two jets leaves the product unchanged (the CNN is shared).
  const auto swapped = torch::cat({x.narrow(1, 64, 64), x.narrow(1, 0, 64)}, 1);
  BOOST_TEST(torch::allclose(event, torch::sigmoid(net->forward(swapped)), 1e-5, 1e-6));
  // Both jets equal: p = σ(a)², so σ(a) = sqrt(p) is the jet score, below the event score's root.
  BOOST_TEST((event < 1.0).all().item<bool>());
}

BOOST_AUTO_TEST_CASE(product_logit_is_exact) {
  const auto p = torch::tensor({0.01, 0.3, 0.5, 0.9}, torch::kFloat64);
  const auto logit = logit_from_log_probability(torch::log(p));
  BOOST_TEST(torch::allclose(logit, torch::log(p / (1 - p)), 1e-9, 1e-9));
}

BOOST_AUTO_TEST_CASE(learns_a_separable_toy_problem) {
  torch::manual_seed(4);
  // Class 1: energy in the first quadrant pixel of both jets; class 0: in the last pixel.
  const int n = 256;
  auto x = torch::rand({n, 128}) * 0.1;
  auto y = torch::zeros({n});
  for (int i = 0; i < n; ++i) {
    const bool signal = i % 2 == 0;
    y[i] = signal ? 1.0 : 0.0;
    x[i][signal ? 0 : 63] += 1.0;
    x[i][signal ? 64 : 127] += 1.0;
  }
  for (auto architecture : {CnnArchitecture::kTwoChannel, CnnArchitecture::kTwoImage}) {
    torch::manual_seed(5);
    CnnJetNetwork net(tiny(architecture));
    cwola::training::TrainerConfig trainer;
    trainer.max_epochs = 25;
    trainer.batch_size = 32;
    trainer.learning_rate = 1e-2;
    const auto outcome = cwola::training::train_classifier(cwola::training::as_classifier(net),
                                                           {x, y}, {x, y}, trainer, 7, torch::kCPU);
    BOOST_TEST(outcome.history.at(static_cast<std::size_t>(outcome.best_epoch)).val_accuracy >
               0.95);
  }
}

// cnn.fine_tune = head: the image network gets no gradient (so the optimizer, which skips
// parameters without one, leaves it bit for bit) and stays in eval mode when the model trains
// (so batch norms in it would keep their running statistics); the head and extra branch train.
BOOST_AUTO_TEST_CASE(a_frozen_image_network_gets_no_gradient_and_stays_in_eval_mode) {
  torch::manual_seed(4);
  CnnJetNetwork network(tiny(CnnArchitecture::kTwoImage, 4));
  BOOST_TEST(!network->images_frozen());
  network->freeze_images();
  BOOST_TEST(network->images_frozen());
  network->train();
  BOOST_TEST(network->is_training());
  BOOST_TEST(!network->conv_layers()->is_training());
  for (const auto& child : network->conv_layers()->children()) BOOST_TEST(!child->is_training());
  BOOST_TEST(network->head()->is_training());
  BOOST_TEST(network->extra_layers()->is_training());
  network->forward(torch::rand({5, network->config().input_size()})).sum().backward();
  for (const auto& item : network->named_parameters()) {
    BOOST_TEST_INFO(item.key());
    const bool image = item.key().rfind("images.", 0) == 0;
    BOOST_TEST(item.value().requires_grad() == !image);
    BOOST_TEST(item.value().grad().defined() == !image);
  }
  network->eval();
  BOOST_TEST(!network->is_training());
  BOOST_TEST(!network->head()->is_training());
  // An unfrozen network's image network trains with it.
  CnnJetNetwork plain(tiny(CnnArchitecture::kTwoChannel));
  plain->eval();
  plain->train();
  BOOST_TEST(plain->conv_layers()->is_training());
}

BOOST_AUTO_TEST_CASE(bad_shapes_are_rejected) {
  auto c = tiny(CnnArchitecture::kTwoChannel);
  c.kernels = {5, 5, 3};
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
  c = tiny(CnnArchitecture::kTwoChannel);
  c.pixels = 4;
  c.pool = {1, 1, 1, 1};
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
  BOOST_CHECK_THROW(parse_cnn_architecture("three_image"), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
