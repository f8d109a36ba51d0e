#include "training/attention_trainer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <boost/test/unit_test.hpp>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "training/trainer.hpp"

using cwola::models::AttentionNetwork;
using cwola::models::AttentionNetworkConfig;
using cwola::training::AttentionSample;
using cwola::training::AttentionTrainerConfig;

namespace {

/// Signal events: 6-8 real jets, four "b" jets (btag 1) of which h1's two have eta near +1.5 and
/// h2's near -1.5; the other jets have btag 0 and eta near 0. Background (label 0, targets -1):
/// no tags, all eta near 0. Jets are shuffled within each event.
AttentionSample make_sample(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  const std::int64_t slots = 8;
  AttentionSample s;
  s.jets = torch::zeros({n, slots, 5});
  s.mask = torch::zeros({n, slots}, torch::kBool);
  s.targets = torch::full({n, 2, 2}, -1, torch::kInt64);
  s.labels = torch::zeros({n});
  for (std::int64_t e = 0; e < n; ++e) {
    const auto real = 6 + e % 3;
    const bool signal = e % 2 == 0;
    auto eta = 0.5 * torch::randn({real});
    auto btag = torch::zeros({real});
    if (signal) {
      eta.narrow(0, 0, 2).fill_(1.5).add_(0.2 * torch::randn({2}));
      eta.narrow(0, 2, 2).fill_(-1.5).add_(0.2 * torch::randn({2}));
      btag.narrow(0, 0, 4).fill_(1.0);
    }
    auto jets = torch::stack({30 + 100 * torch::rand({real}), eta, torch::rand({real}) * 6 - 3,
                              5 + 10 * torch::rand({real}), btag},
                             1);
    const auto perm = torch::randperm(real);
    const auto inverse = torch::argsort(perm);
    s.jets.index_put_({e, torch::indexing::Slice(0, real)}, jets.index_select(0, perm));
    s.mask.index_put_({e, torch::indexing::Slice(0, real)}, true);
    if (signal) {
      s.targets.index_put_({e}, inverse.narrow(0, 0, 4).view({2, 2}));
      s.labels[e] = 1.0F;
    }
  }
  return s;
}

AttentionNetwork make_network() {
  torch::manual_seed(5);
  AttentionNetworkConfig c;
  c.hidden = 16;
  c.heads = 2;
  c.encoder_layers = 2;
  c.branch_layers = 1;
  c.max_jets = 8;
  c.log_features = {true, false, false, true, false};
  return AttentionNetwork(c);
}

/// The attention training as it was written before it joined the one loop: torch::optim::AdamW
/// and torch::nn::utils::clip_grad_norm_ on minibatches in the same seeded epoch order. Returns
/// each epoch's mean total loss (minibatches weighted by their events).
std::vector<double> plain_libtorch_training(AttentionNetwork& net, const AttentionSample& train,
                                            const AttentionTrainerConfig& config,
                                            std::uint64_t shuffle_seed) {
  net->fit_normalization(train.jets, train.mask);
  net->train();
  torch::optim::AdamW optimizer(
      net->parameters(),
      torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay));
  std::mt19937_64 rng(shuffle_seed);
  std::vector<std::int64_t> order(static_cast<std::size_t>(train.size()));
  std::vector<double> totals;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    cwola::training::draw_epoch_order(order, rng);
    const auto order_tensor = torch::tensor(order, torch::kInt64);
    double sum = 0;
    for (std::int64_t start = 0; start < train.size(); start += config.batch_size) {
      const auto count = std::min<std::int64_t>(config.batch_size, train.size() - start);
      const auto batch = train.select(order_tensor.narrow(0, start, count));
      optimizer.zero_grad();
      const auto output = net->forward(batch.jets, batch.mask);
      const auto loss =
          cwola::models::attention_loss(output, batch.targets, batch.labels, config.loss_weights);
      loss.total.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), config.gradient_clip);
      optimizer.step();
      sum += loss.total.item<double>() * static_cast<double>(count);
    }
    totals.push_back(sum / static_cast<double>(train.size()));
  }
  net->eval();
  return totals;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(attention_trainer)

BOOST_AUTO_TEST_CASE(training_learns_the_pairing_far_above_random) {
  const auto train = make_sample(1200, 1);
  const auto test = make_sample(400, 2);
  auto net = make_network();
  AttentionTrainerConfig config;
  config.epochs = 6;
  config.batch_size = 64;
  config.learning_rate = 3e-3;
  const auto before = cwola::training::predict_attention(net, test.jets, test.mask);
  const auto [purity_before, counted_before] =
      cwola::training::event_purity(before.assignments, test.targets);
  const auto history = cwola::training::train_attention(net, train, config, 42).epochs;
  BOOST_TEST(history.size() == 6U);
  BOOST_TEST(history.back().assignment < history.front().assignment);
  const auto after = cwola::training::predict_attention(net, test.jets, test.mask);
  const auto [purity, counted] = cwola::training::event_purity(after.assignments, test.targets);
  BOOST_TEST(counted == 200);  // the signal half
  BOOST_TEST_MESSAGE("event purity before " << purity_before << ", after " << purity);
  // Random among 6-8 jets is 1/45 .. 1/210; among the four tagged jets 1/3.
  BOOST_TEST(purity_before < 0.2);
  BOOST_TEST(purity > 0.8);
  // Signal and background are separated by the class head.
  const auto signal = test.labels.to(torch::kBool);
  BOOST_TEST(after.class_probs.masked_select(signal).mean().item<double>() >
             after.class_probs.masked_select(signal.logical_not()).mean().item<double>() + 0.5);
}

BOOST_AUTO_TEST_CASE(a_validation_set_stops_early_and_keeps_the_best_epoch) {
  const auto train = make_sample(300, 4);
  const auto validation = make_sample(200, 5);
  AttentionTrainerConfig config;
  config.epochs = 12;
  config.batch_size = 50;
  config.learning_rate = 3e-2;  // fast, so the validation loss turns within 12 epochs
  config.patience = 2;
  auto net = make_network();
  const auto trained = cwola::training::train_attention(net, train, config, 9, &validation);
  const auto& epochs = trained.epochs;
  BOOST_REQUIRE(trained.best_epoch >= 0);
  // The best epoch is the lowest validation loss; the training stops `patience` after it
  // unless it ran out of epochs.
  double lowest = epochs.front().validation;
  for (const auto& e : epochs) lowest = std::min(lowest, e.validation);
  BOOST_TEST(epochs.at(static_cast<std::size_t>(trained.best_epoch)).validation == lowest);
  BOOST_TEST((epochs.size() == 12U ||
              epochs.size() == static_cast<std::size_t>(trained.best_epoch) + 3U));
  // The network holds the best epoch's weights: its validation loss (averaged over minibatches
  // as the loop does) is the recorded minimum.
  double sum = 0;
  for (std::int64_t start = 0; start < validation.size(); start += config.batch_size) {
    torch::NoGradGuard no_grad;
    const auto part = validation.select(
        torch::arange(start, std::min<std::int64_t>(validation.size(), start + config.batch_size),
                      torch::kInt64));
    const auto output = net->forward(part.jets, part.mask);
    sum += cwola::models::attention_loss(output, part.targets, part.labels, config.loss_weights)
               .total.item<double>() *
           static_cast<double>(part.size());
  }
  BOOST_TEST(sum / static_cast<double>(validation.size()) == lowest,
             boost::test_tools::tolerance(1e-5));
  // Without a validation set there is no best epoch and every epoch runs.
  auto plain = make_network();
  const auto all = cwola::training::train_attention(plain, train, config, 9);
  BOOST_TEST(all.best_epoch == -1);
  BOOST_TEST(all.epochs.size() == 12U);
  BOOST_TEST(std::isnan(all.epochs.front().validation));
}

BOOST_AUTO_TEST_CASE(same_seeds_give_identical_training) {
  const auto train = make_sample(200, 3);
  AttentionTrainerConfig config;
  config.epochs = 1;
  config.batch_size = 50;
  auto first = make_network();
  auto second = make_network();
  const auto a = cwola::training::train_attention(first, train, config, 9).epochs;
  const auto b = cwola::training::train_attention(second, train, config, 9).epochs;
  BOOST_TEST(a.front().total == b.front().total);
  const auto pa = first->parameters();
  const auto pb = second->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    BOOST_TEST(torch::equal(pa[i], pb[i]));
  }
  // A different shuffle seed is a different run.
  auto third = make_network();
  const auto c = cwola::training::train_attention(third, train, config, 10).epochs;
  BOOST_TEST(c.front().total != a.front().total);
}

BOOST_AUTO_TEST_CASE(training_equals_a_plain_libtorch_adamw_loop) {
  // The one loop (its minibatches, AdamW and clip) against torch::optim::AdamW and
  // clip_grad_norm_. A clip that never binds multiplies by exactly 1 in both: bit for bit. A
  // binding clip differs by the rounding of the gradient norm (docs/training.md), which
  // training then amplifies: ~1 ulp after these 4 updates, ~1e-5 after 8.
  const auto train = make_sample(200, 3);
  for (const double clip : {1e9, 0.5}) {
    AttentionTrainerConfig config;
    config.epochs = 1;
    config.batch_size = 64;  // 4 minibatches, the last one short
    config.gradient_clip = clip;
    auto ours = make_network();
    auto reference = make_network();
    const auto history = cwola::training::train_attention(ours, train, config, 9).epochs;
    const auto totals = plain_libtorch_training(reference, train, config, 9);
    BOOST_REQUIRE(history.size() == 1U);
    BOOST_TEST(history[0].total == totals[0], boost::test_tools::tolerance(1e-6));
    const auto pa = ours->parameters();
    const auto pb = reference->parameters();
    double most = 0;
    for (std::size_t i = 0; i < pa.size(); ++i) {
      most = std::max(most, (pa[i] - pb[i]).abs().max().item<double>());
    }
    BOOST_TEST_MESSAGE("clip " << clip
                               << ": largest parameter difference to the plain LibTorch "
                                  "loop "
                               << most);
    if (clip > 1e6) {
      BOOST_TEST(most == 0.0);
    } else {
      BOOST_TEST(most < 1e-6);
    }
    const auto ba = ours->buffers();
    const auto bb = reference->buffers();
    for (std::size_t i = 0; i < ba.size(); ++i) BOOST_TEST(torch::equal(ba[i], bb[i]));
  }
}

BOOST_AUTO_TEST_CASE(event_purity_ignores_particle_and_daughter_order) {
  auto truth = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3, 0, 1, -1, -1}, torch::kInt64).view({3, 2, 2});
  auto pred = torch::tensor({3, 2, 1, 0, 0, 2, 1, 3, 0, 1, 2, 3}, torch::kInt64).view({3, 2, 2});
  const auto [purity, counted] = cwola::training::event_purity(pred, truth);
  BOOST_TEST(counted == 2);
  BOOST_TEST(purity == 0.5);
}

BOOST_AUTO_TEST_CASE(detection_quality_pairs_sorted_probabilities_with_sorted_targets) {
  // Event 0: particle 0 complete, particle 1 not, probabilities (0.2, 0.9): the particles are
  // interchangeable, so 0.9 is scored against the complete one. Event 1: both complete.
  // Event 2: neither.
  const auto targets =
      torch::tensor({0, 1, 2, -1, 0, 1, 2, 3, -1, -1, -1, 4}, torch::kInt64).view({3, 2, 2});
  const auto probs = torch::tensor({0.2F, 0.9F, 0.8F, 0.7F, 0.5F, 0.5F}).view({3, 2});
  const auto q = cwola::training::detection_quality(probs, targets, targets);
  const double expected = -(std::log(0.9) + std::log(0.8) + std::log(0.8) + std::log(0.7) +
                            2 * std::log(0.5)) /
                          6;
  BOOST_TEST(q.events == 3);
  BOOST_TEST(std::abs(q.loss - expected) < 1e-6);
  // The null: sorted slots reconstructable in 2 and 1 of the 3 events.
  BOOST_TEST(q.null_rates == std::vector<double>({2.0 / 3, 1.0 / 3}),
             boost::test_tools::per_element());
  BOOST_TEST(std::abs(q.null_loss + (4 * std::log(2.0 / 3) + 2 * std::log(1.0 / 3)) / 6) < 1e-9);
  BOOST_TEST(q.complete_events == 1);
  BOOST_TEST(q.complete_auc == 1.0);  // 0.56 against 0.18 and 0.25
  // The complete event scored lowest: AUC 0.
  const auto flipped = torch::tensor({0.2F, 0.9F, 0.3F, 0.4F, 0.5F, 0.5F}).view({3, 2});
  BOOST_TEST(cwola::training::detection_quality(flipped, targets, targets).complete_auc == 0.0);
}

BOOST_AUTO_TEST_CASE(config_rejects_bad_values) {
  AttentionTrainerConfig c;
  c.gradient_clip = 0;
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
  c = {};
  c.weight_decay = -1;
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
  c = {};
  c.loss_weights.detection = -1;
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
