#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>

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
  for (auto architecture : {CnnArchitecture::kTwoChannel, CnnArchitecture::kTwoImage,
                            CnnArchitecture::kTwoImageJetNorm}) {
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

// The seeds' group CNN at 25×25 (issue 16 says "about 506k"), counted by hand with 'same'
// padding and 2×2 pooling after the first three convolutions (25 → 12 → 6 → 3):
//   per-jet batch norm   2 jets × (γ, β)                       4
//   Conv 64 5×5 on 1     64·1·25 + 64                        1 664
//   Conv 64 5×5 on 64    64·64·25 + 64                     102 464
//   Conv 128 3×3 on 64   128·64·9 + 128                     73 856
//   Conv 128 3×3 on 128  128·128·9 + 128                   147 584
//   Dense 128 on 128·3·3 = 1152   1152·128 + 128           147 584
//   Dense 128, Dense 128          2 × (128·128 + 128)       33 024
//   Dense 1                       128 + 1                      129
//   trainable                                              506 309
// plus the batch norm's running mean and variance (2 + 2 buffers; Keras counts them as
// non-trainable parameters: 506 313 in its summary).
BOOST_AUTO_TEST_CASE(the_seeds_group_cnn_has_506309_trainable_parameters_at_25x25) {
  CnnJetNetworkConfig c;
  c.architecture = CnnArchitecture::kTwoImageJetNorm;
  c.pool = default_pool(c.architecture);
  c.dense = default_dense(c.architecture);
  BOOST_TEST(c.pixels == 25);
  BOOST_TEST(c.filters == (std::vector<int>{64, 64, 128, 128}));
  BOOST_TEST(c.pool == (std::vector<int>{1, 1, 1, 0}));
  BOOST_TEST(c.dense == (std::vector<int>{128, 128, 128}));
  CnnJetNetwork net(c);
  std::int64_t trainable = 0;
  for (const auto& p : net->parameters()) trainable += p.numel();
  BOOST_TEST(trainable == 506309);
  std::int64_t norm_buffers = 0;
  for (const auto& b : net->jet_norm()->buffers()) norm_buffers += b.numel();
  BOOST_TEST(norm_buffers == 4);
  // The image network (frozen by cnn.fine_tune = head) is the batch norm and the convolutions.
  std::int64_t image = 0;
  for (const auto& item : net->named_parameters()) {
    if (CnnJetNetworkImpl::is_image_tensor(item.key())) image += item.value().numel();
  }
  BOOST_TEST(image == 4 + 1664 + 102464 + 73856 + 147584);
  // The other architectures keep their defaults.
  BOOST_TEST(default_pool(CnnArchitecture::kTwoImage) == (std::vector<int>{1, 1, 0, 1}));
  BOOST_TEST(default_dense(CnnArchitecture::kTwoChannel) == (std::vector<int>{128, 128}));
}

// Each jet has its own batch norm: in training mode (minibatch statistics) an affine change of
// one jet's images across the minibatch leaves the scores unchanged, whichever jet it is; a
// network without the norm (two_image) does change. Pixel values O(1), so eps = 1e-5 is small.
BOOST_AUTO_TEST_CASE(each_jet_is_normalised_by_its_own_batch_norm) {
  auto c = tiny(CnnArchitecture::kTwoImageJetNorm);
  c.pool = {1, 1, 0, 0};
  torch::manual_seed(8);
  CnnJetNetwork net(c);
  torch::manual_seed(9);
  const auto x = torch::rand({16, 2 * 64});
  net->train();
  const auto reference = net->forward(x);
  for (int jet : {0, 1}) {
    auto changed = x.clone();
    changed.narrow(1, jet * 64, 64).mul_(3.0).add_(0.5);
    BOOST_TEST_INFO("jet " << jet);
    BOOST_TEST(torch::allclose(net->forward(changed), reference, 1e-4, 1e-4));
  }
  // Scaling both jets by different factors is still invisible; without the norm it is not.
  auto both = x.clone();
  both.narrow(1, 0, 64).mul_(2.0);
  both.narrow(1, 64, 64).mul_(3.0).sub_(0.1);
  BOOST_TEST(torch::allclose(net->forward(both), reference, 1e-4, 1e-4));
  torch::manual_seed(8);
  CnnJetNetwork plain(tiny(CnnArchitecture::kTwoImage));
  BOOST_TEST(!torch::allclose(plain->forward(both), plain->forward(x), 1e-4, 1e-4));
  // In eval mode it uses the running statistics, which the training passes moved.
  net->eval();
  BOOST_TEST(!torch::allclose(net->forward(both), net->forward(x), 1e-4, 1e-4));
  BOOST_TEST(net->jet_norm()->named_buffers()["running_mean"].abs().min().item<float>() > 0.0F);
}

// cnn.extra_features_merge = concatenate: the features join the flattened image features in
// front of the dense head (the two-image networks: each jet its own two), and there is no
// product branch. Against the same network without features, only the first dense layer grows,
// by its width × the appended features.
BOOST_AUTO_TEST_CASE(concatenated_features_feed_the_dense_head) {
  const auto count = [](const CnnJetNetwork& net) {
    std::int64_t n = 0;
    for (const auto& p : net->parameters()) n += p.numel();
    return n;
  };
  for (auto architecture : {CnnArchitecture::kTwoChannel, CnnArchitecture::kTwoImage,
                            CnnArchitecture::kTwoImageJetNorm}) {
    BOOST_TEST_INFO(to_string(architecture));
    auto c = tiny(architecture, 4);
    c.extra_merge = ExtraFeaturesMerge::kConcatenate;
    torch::manual_seed(6);
    CnnJetNetwork net(c);
    BOOST_TEST(net->extra_layers().is_empty());
    const int appended = scores_each_jet(architecture) ? 2 : 4;
    BOOST_TEST(c.head_extra_inputs() == appended);
    BOOST_TEST(count(net) == count(CnnJetNetwork(tiny(architecture))) + 8 * appended);
    net->eval();
    torch::manual_seed(7);
    const auto x = torch::rand({6, c.input_size()});
    const auto reference = net->forward(x);
    auto other = x.clone();
    other.narrow(1, 128, 4).add_(1.0);
    BOOST_TEST(!torch::allclose(net->forward(other), reference, 1e-5, 1e-5));
    if (!scores_each_jet(architecture)) continue;
    // Each jet carries its own features: swapping the jets with their features keeps the event
    // score; swapping the images alone does not.
    const auto jets_swapped = torch::cat(
        {x.narrow(1, 64, 64), x.narrow(1, 0, 64), x.narrow(1, 130, 2), x.narrow(1, 128, 2)}, 1);
    BOOST_TEST(torch::allclose(net->forward(jets_swapped), reference, 1e-5, 1e-6));
    const auto images_swapped =
        torch::cat({x.narrow(1, 64, 64), x.narrow(1, 0, 64), x.narrow(1, 128, 4)}, 1);
    BOOST_TEST(!torch::allclose(net->forward(images_swapped), reference, 1e-5, 1e-6));
  }
  BOOST_TEST(to_string(parse_extra_features_merge("concatenate")) == "concatenate");
  BOOST_CHECK_THROW(parse_extra_features_merge("sum"), cwola::core::InputError);
  auto odd = tiny(CnnArchitecture::kTwoImage, 3);
  odd.extra_merge = ExtraFeaturesMerge::kConcatenate;
  BOOST_CHECK_THROW(odd.validate(), cwola::core::InputError);
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
  // The seeds' group CNN: its per-jet batch norm is frozen with the convolutions, stays in eval
  // mode and keeps its running statistics through training-mode passes.
  CnnJetNetwork normed(tiny(CnnArchitecture::kTwoImageJetNorm));
  normed->freeze_images();
  normed->train();
  BOOST_TEST(!normed->jet_norm()->is_training());
  const auto mean_before = normed->jet_norm()->named_buffers()["running_mean"].clone();
  normed->forward(torch::rand({5, normed->config().input_size()}) + 1.0).sum().backward();
  BOOST_TEST(torch::equal(normed->jet_norm()->named_buffers()["running_mean"], mean_before));
  for (const auto& item : normed->named_parameters()) {
    BOOST_TEST_INFO(item.key());
    const bool image = CnnJetNetworkImpl::is_image_tensor(item.key());
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

// cnn.fine_tune = scale_shift (meta-transfer learning): at Φ¹ = 1, Φ² = 0 the network computes
// what the head-transfer network of the same weights computes, for every architecture, in
// training and eval mode; Φ are the last tensors, so the other tensors (and their seeded
// draws) are those of the network without Φ.
BOOST_AUTO_TEST_CASE(scale_shift_at_identity_equals_the_head_transfer_network) {
  for (auto architecture : {CnnArchitecture::kTwoChannel, CnnArchitecture::kTwoImage,
                            CnnArchitecture::kTwoImageJetNorm}) {
    BOOST_TEST_INFO(to_string(architecture));
    auto plain_config = tiny(architecture, 4);
    auto phi_config = plain_config;
    phi_config.scale_shift = true;
    torch::manual_seed(21);
    CnnJetNetwork plain(plain_config);
    torch::manual_seed(21);
    CnnJetNetwork phi(phi_config);
    const auto plain_tensors = plain->named_parameters();
    std::size_t scale_shift_tensors = 0;
    for (const auto& item : phi->named_parameters()) {
      if (CnnJetNetworkImpl::is_scale_shift_tensor(item.key())) {
        ++scale_shift_tensors;
        BOOST_TEST(!CnnJetNetworkImpl::is_image_tensor(item.key()));
        continue;
      }
      BOOST_TEST(torch::equal(item.value(), plain_tensors[item.key()]));
    }
    BOOST_TEST(scale_shift_tensors == 8u);  // Φ¹ and Φ² of 4 convolutions
    const int in = architecture == CnnArchitecture::kTwoChannel ? 2 : 1;
    BOOST_TEST(phi->scale(0).sizes() == torch::IntArrayRef({3, in}));
    BOOST_TEST(phi->scale(2).sizes() == torch::IntArrayRef({4, 3}));
    BOOST_TEST(phi->shift(3).sizes() == torch::IntArrayRef({4}));
    plain->freeze_images();
    phi->freeze_images();
    torch::manual_seed(22);
    const auto x = torch::rand({7, plain_config.input_size()});
    for (bool training : {false, true}) {
      plain->train(training);
      phi->train(training);
      BOOST_TEST((phi->forward(x) - plain->forward(x)).abs().max().item<float>() <= 1e-6F);
    }
  }
}

// Φ act as W ⊙ Φ¹ and b + Φ²: scaling one (output, input) slice of a convolution by 2 and
// shifting one output channel by 0.3 through Φ is the same as editing W and b of the plain
// network; the frozen W and b themselves stay untouched.
BOOST_AUTO_TEST_CASE(scale_shift_scales_kernel_slices_and_shifts_biases) {
  auto plain_config = tiny(CnnArchitecture::kTwoChannel);
  auto phi_config = plain_config;
  phi_config.scale_shift = true;
  torch::manual_seed(31);
  CnnJetNetwork plain(plain_config);
  torch::manual_seed(31);
  CnnJetNetwork phi(phi_config);
  plain->eval();
  phi->eval();
  const auto x = torch::rand({5, plain_config.input_size()});
  const auto weight_before = phi->named_parameters()["images.0.weight"].clone();
  {
    torch::NoGradGuard no_grad;
    phi->scale(0)[1][0].fill_(2.0);
    phi->shift(0)[2].fill_(0.3);
    auto params = plain->named_parameters();
    params["images.0.weight"][1][0].mul_(2.0);
    params["images.0.bias"][2].add_(0.3);
  }
  BOOST_TEST(torch::allclose(phi->forward(x), plain->forward(x), 1e-5, 1e-6));
  BOOST_TEST(!torch::allclose(phi->forward(x), CnnJetNetwork(plain_config)->forward(x)));
  BOOST_TEST(torch::equal(phi->named_parameters()["images.0.weight"], weight_before));
}

// cnn.fine_tune = scale_shift trains Φ and the head alone: after a few Adam steps (the one
// training loop, with weight decay, which the optimizer would apply to every parameter it
// holds) the frozen convolutions and the per-jet batch norm (γ, β and running statistics)
// are bit for bit as before and have no gradient; every Φ and head tensor moved.
BOOST_AUTO_TEST_CASE(scale_shift_training_moves_only_phi_and_the_head) {
  auto config = tiny(CnnArchitecture::kTwoImageJetNorm);
  config.scale_shift = true;
  torch::manual_seed(41);
  CnnJetNetwork network(config);
  network->freeze_images();
  std::map<std::string, torch::Tensor> before;
  for (const auto& item : network->named_parameters()) before[item.key()] = item.value().clone();
  for (const auto& item : network->named_buffers()) before[item.key()] = item.value().clone();
  torch::manual_seed(42);
  const std::int64_t n = 64;
  auto x = torch::rand({n, config.input_size()});
  const auto y = (torch::arange(n) % 2).to(torch::kFloat32);
  x = x * (1.0 + y.unsqueeze(1));  // a learnable difference
  cwola::training::TrainerConfig trainer;
  trainer.max_epochs = 3;
  trainer.batch_size = 16;
  trainer.learning_rate = 0.01;
  trainer.weight_decay = 0.1;
  const auto outcome =
      cwola::training::train_classifier(cwola::training::as_classifier(network),
                                        {x, y, torch::Tensor()}, {}, trainer, 7, torch::kCPU);
  BOOST_TEST(outcome.history.size() == 3u);
  std::size_t moved = 0;
  for (const auto& item : network->named_parameters()) {
    BOOST_TEST_INFO(item.key());
    if (CnnJetNetworkImpl::is_image_tensor(item.key())) {
      BOOST_TEST(torch::equal(item.value(), before[item.key()]));
      BOOST_TEST(!item.value().requires_grad());
      BOOST_TEST(
          (!item.value().grad().defined() || item.value().grad().abs().max().item<float>() == 0));
    } else {
      BOOST_TEST(item.value().requires_grad());
      BOOST_TEST(!torch::equal(item.value(), before[item.key()]));
      ++moved;
    }
  }
  BOOST_TEST(moved == 8u + 4u);  // Φ of 4 convolutions, 2 dense layers of the head
  for (const auto& item : network->named_buffers()) {
    BOOST_TEST_INFO(item.key());
    BOOST_TEST(torch::equal(item.value(), before[item.key()]));
  }
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
