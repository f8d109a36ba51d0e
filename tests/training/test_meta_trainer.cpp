#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "models/cnn_jet_network.hpp"
#include "training/meta_trainer.hpp"

using namespace cwola::training;

namespace {

constexpr int kPixels = 8;

/// Events of 8×8 two-jet images: background is uniform noise, signal adds a bright 2×2 core to
/// both jets (stronger for source 0 than for source 1, so source 1 is the harder benchmark).
torch::Tensor images(std::int64_t n, bool signal, std::size_t source, torch::Generator& gen) {
  auto x = torch::rand({n, 2, kPixels, kPixels}, gen) * 0.5;
  if (signal) x.narrow(2, 3, 2).narrow(3, 3, 2).add_(source == 0 ? 1.0 : 0.3);
  return x.reshape({n, 2 * kPixels * kPixels});
}

/// A task of `source`: a weak-label mixture (SR = background + a signal fraction drawn from
/// the index, label 1; SB = background, label 0) and a truth-labelled test set. A pure
/// function of (index, source).
MetaTask synthetic_task(std::uint64_t index, std::size_t source) {
  auto gen = torch::make_generator<torch::CPUGeneratorImpl>(
      cwola::core::stream_seed(99, index * 2 + source, cwola::core::SeedPurpose::kMetaTask));
  const std::int64_t n = 32;
  const auto signal = static_cast<std::int64_t>(8 + index % 8);
  const auto sr =
      torch::cat({images(n - signal, false, source, gen), images(signal, true, source, gen)});
  const auto sb = images(n, false, source, gen);
  MetaTask task;
  task.train = {torch::cat({sr, sb}), torch::cat({torch::ones({n}), torch::zeros({n})}),
                torch::Tensor()};
  task.test = {torch::cat({images(16, true, source, gen), images(16, false, source, gen)}),
               torch::cat({torch::ones({16}), torch::zeros({16})}), torch::Tensor()};
  return task;
}

cwola::models::CnnJetNetwork scale_shift_network() {
  cwola::models::CnnJetNetworkConfig c;
  c.architecture = cwola::models::CnnArchitecture::kTwoImageJetNorm;
  c.pixels = kPixels;
  c.filters = {3, 4};
  c.kernels = {3, 3};
  c.pool = {1, 0};
  c.dense = {6};
  c.scale_shift = true;
  torch::manual_seed(5);
  cwola::models::CnnJetNetwork network(c);
  network->freeze_images();
  return network;
}

bool is_head(const std::string& name) { return name.rfind("head.", 0) == 0; }

MetaTrainerConfig tiny_config() {
  MetaTrainerConfig c;
  c.meta_batches = 3;
  c.tasks_per_batch = 2;
  c.inner_steps = 2;
  c.inner_batch_size = 16;
  c.inner_learning_rate = 0.05;
  c.learning_rate = 0.01;
  return c;
}

std::map<std::string, torch::Tensor> snapshot(const cwola::models::CnnJetNetwork& network) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : network->named_parameters()) out[item.key()] = item.value().clone();
  for (const auto& item : network->named_buffers()) out[item.key()] = item.value().clone();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(meta_trainer)

// Hard tasks: the k sources of lowest accuracy, lowest first, ties by index; sources without
// a task in the meta-batch (NaN) are never chosen.
BOOST_AUTO_TEST_CASE(hardest_sources_are_the_k_lowest_accuracies) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> accuracy = {0.9, 0.55, nan, 0.7, 0.55, 0.6, 0.99};
  BOOST_TEST(hardest_sources(accuracy, 3) == (std::vector<std::size_t>{1, 4, 5}));
  BOOST_TEST(hardest_sources(accuracy, 1) == (std::vector<std::size_t>{1}));
  BOOST_TEST(hardest_sources(accuracy, 0).empty());
  BOOST_TEST(hardest_sources(accuracy, 10) == (std::vector<std::size_t>{1, 4, 5, 3, 0, 6}));
}

// First order, checked by hand on a linear model logit = w · (Φ ⊙ x) + c with a head (w, c)
// and a meta-only Φ: one task, one inner SGD step, one outer Adam step. The inner step is
// θ' = θ − α ∇θ L_train; the outer gradient is ∇ L_test at (θ', Φ), applied to the initial θ;
// Adam's first step moves each coordinate by −lr g / (|g| + ε).
BOOST_AUTO_TEST_CASE(the_outer_step_applies_the_test_gradient_at_the_adapted_head) {
  struct Linear : torch::nn::Module {
    torch::Tensor w = register_parameter("head_w", torch::tensor({0.3, -0.2, 0.1}));
    torch::Tensor c = register_parameter("head_c", torch::tensor({0.05}));
    torch::Tensor phi = register_parameter("phi", torch::tensor({1.0, 0.8, 1.2}));
    torch::Tensor forward(const torch::Tensor& x) { return (x * phi).matmul(w) + c; }
  };
  auto linear = std::make_shared<Linear>();
  Classifier model{linear, [linear](const torch::Tensor& x) { return linear->forward(x); }};
  MetaTask task;
  task.train = {torch::tensor({{1.0, 0.5, -1.0}, {-0.5, 1.0, 0.3}, {0.2, -0.7, 0.9}}),
                torch::tensor({1.0, 0.0, 1.0}), torch::Tensor()};
  task.test = {torch::tensor({{0.4, 0.1, 0.6}, {-1.0, 0.2, -0.3}}), torch::tensor({1.0, 0.0}),
               torch::Tensor()};
  MetaTrainerConfig config;
  config.meta_batches = 1;
  config.tasks_per_batch = 1;
  config.inner_steps = 1;
  config.inner_batch_size = 3;  // the whole sample: the order does not matter
  config.inner_learning_rate = 0.5;
  config.learning_rate = 0.01;

  // The expected update, by plain autograd.
  const auto loss = [](const torch::Tensor& w, const torch::Tensor& c, const torch::Tensor& phi,
                       const Batch& b) {
    return torch::binary_cross_entropy_with_logits((b.x * phi).matmul(w) + c, b.y);
  };
  auto w = linear->w.detach().clone().requires_grad_();
  auto c = linear->c.detach().clone().requires_grad_();
  auto phi = linear->phi.detach().clone().requires_grad_();
  const auto inner = torch::autograd::grad({loss(w, c, phi, task.train)}, {w, c});
  const auto w_adapted = (w - 0.5 * inner[0]).detach().requires_grad_();
  const auto c_adapted = (c - 0.5 * inner[1]).detach().requires_grad_();
  const auto outer = torch::autograd::grad({loss(w_adapted, c_adapted, phi, task.test)},
                                           {w_adapted, c_adapted, phi});
  const auto adam = [](const torch::Tensor& start, const torch::Tensor& g) {
    return start.detach() - 0.01 * g / (g.abs() + 1e-8);
  };

  const auto outcome = meta_train(
      model, [](const std::string& name) { return name.rfind("head", 0) == 0; }, 1,
      [&task](std::uint64_t, std::size_t) { return task; }, config, 1, torch::kCPU);
  BOOST_TEST(outcome.history.size() == 1u);
  BOOST_TEST(torch::allclose(linear->w, adam(w, outer[0]), 0, 1e-6));
  BOOST_TEST(torch::allclose(linear->c, adam(c, outer[1]), 0, 1e-6));
  BOOST_TEST(torch::allclose(linear->phi, adam(phi, outer[2]), 0, 1e-6));
  // Adam's first moment after one step is (1 − β1) g: the gradient itself, which is the test
  // gradient at the adapted head, not at the initial one (a plain training's).
  BOOST_REQUIRE(outcome.optimizer.exp_avg.size() == 3u);
  BOOST_TEST(torch::allclose(outcome.optimizer.exp_avg[0], 0.1 * outer[0], 0, 1e-7));
  BOOST_TEST(torch::allclose(outcome.optimizer.exp_avg[1], 0.1 * outer[1], 0, 1e-7));
  BOOST_TEST(torch::allclose(outcome.optimizer.exp_avg[2], 0.1 * outer[2], 0, 1e-7));
  const auto at_start = torch::autograd::grad({loss(w, c, phi, task.test)}, {w});
  BOOST_TEST(!torch::allclose(outcome.optimizer.exp_avg[0], 0.1 * at_start[0], 0, 1e-4));
}

// A tiny meta-training of the scale-and-shift CNN: the outer steps move every Φ and head
// tensor, and nothing frozen (convolutions, per-jet batch norm and its running statistics,
// bit for bit); the same seed gives bit-identical weights and records, another seed not.
BOOST_AUTO_TEST_CASE(meta_training_moves_phi_and_the_head_only_and_reproduces) {
  const auto run = [](std::uint64_t seed) {
    auto network = scale_shift_network();
    const auto before = snapshot(network);
    const auto outcome = meta_train(as_classifier(network), is_head, 2, synthetic_task,
                                    tiny_config(), seed, torch::kCPU);
    return std::tuple{network, before, outcome};
  };
  const auto [network, before, outcome] = run(7);
  BOOST_TEST(outcome.history.size() == 3u);
  BOOST_TEST((outcome.status == TrainStatus::kCompleted));
  std::size_t moved = 0;
  for (const auto& [name, value] : snapshot(network)) {
    BOOST_TEST_INFO(name);
    const bool trains =
        is_head(name) || cwola::models::CnnJetNetworkImpl::is_scale_shift_tensor(name);
    BOOST_TEST(torch::equal(value, before.at(name)) == !trains);
    if (trains) ++moved;
  }
  BOOST_TEST(moved == 4u + 4u);  // Φ¹, Φ² of 2 convolutions; 2 dense layers
  for (const auto& p : network->parameters()) {
    if (!p.requires_grad()) BOOST_TEST(!p.grad().defined());
  }

  const auto [again, before_again, outcome_again] = run(7);
  const auto [other, before_other, outcome_other] = run(8);
  const auto values = snapshot(network);
  const auto values_again = snapshot(again);
  const auto values_other = snapshot(other);
  bool any_differs = false;
  for (const auto& [name, value] : values) {
    BOOST_TEST_INFO(name);
    BOOST_TEST(torch::equal(value, values_again.at(name)));
    any_differs = any_differs || !torch::equal(value, values_other.at(name));
  }
  BOOST_TEST(any_differs);  // the inner minibatch order follows the seed
  for (std::size_t b = 0; b < outcome.history.size(); ++b) {
    BOOST_TEST(outcome.history[b].record.val_loss == outcome_again.history[b].record.val_loss);
  }
}

// Hard tasks: after each meta-batch the `hard_tasks` lowest-accuracy sources get one extra
// task each (drawn with fresh indices); without them each meta-batch draws tasks_per_batch.
BOOST_AUTO_TEST_CASE(hard_tasks_give_the_worst_sources_extra_updates) {
  auto config = tiny_config();
  config.tasks_per_batch = 2;
  config.hard_tasks = 1;
  std::vector<std::pair<std::uint64_t, std::size_t>> drawn;
  const auto draw = [&drawn](std::uint64_t index, std::size_t source) {
    drawn.emplace_back(index, source);
    return synthetic_task(index, source);
  };
  auto network = scale_shift_network();
  const auto outcome = meta_train(as_classifier(network), is_head, 2, draw, config, 3, torch::kCPU);
  BOOST_TEST(drawn.size() == 3u * (2u + 1u));
  for (std::size_t i = 0; i < drawn.size(); ++i) BOOST_TEST(drawn[i].first == i);
  for (std::size_t b = 0; b < outcome.history.size(); ++b) {
    const auto& record = outcome.history[b];
    BOOST_TEST(record.hard == hardest_sources(record.source_accuracy, 1));
    BOOST_TEST(record.hard.size() == 1u);
    BOOST_TEST(drawn[3 * b + 2].second == record.hard.front());
  }
  config.hard_tasks = -1;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
}

// A task without test events, a network with nothing to adapt, or no source is refused.
BOOST_AUTO_TEST_CASE(malformed_tasks_are_refused) {
  auto network = scale_shift_network();
  const auto no_test = [](std::uint64_t index, std::size_t source) {
    auto task = synthetic_task(index, source);
    task.test = {};
    return task;
  };
  BOOST_CHECK_THROW(
      meta_train(as_classifier(network), is_head, 2, no_test, tiny_config(), 1, torch::kCPU),
      cwola::core::InputError);
  BOOST_CHECK_THROW(meta_train(
                        as_classifier(network), [](const std::string&) { return false; }, 2,
                        synthetic_task, tiny_config(), 1, torch::kCPU),
                    cwola::core::InputError);
  BOOST_CHECK_THROW(
      meta_train(as_classifier(network), is_head, 0, synthetic_task, tiny_config(), 1, torch::kCPU),
      cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
