#include "training/attention_trainer.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"

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
  const auto history = cwola::training::train_attention(net, train, config, 42);
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

BOOST_AUTO_TEST_CASE(same_seeds_give_identical_training) {
  const auto train = make_sample(200, 3);
  AttentionTrainerConfig config;
  config.epochs = 1;
  config.batch_size = 50;
  auto first = make_network();
  auto second = make_network();
  const auto a = cwola::training::train_attention(first, train, config, 9);
  const auto b = cwola::training::train_attention(second, train, config, 9);
  BOOST_TEST(a.front().total == b.front().total);
  const auto pa = first->parameters();
  const auto pb = second->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    BOOST_TEST(torch::equal(pa[i], pb[i]));
  }
  // A different shuffle seed is a different run.
  auto third = make_network();
  const auto c = cwola::training::train_attention(third, train, config, 10);
  BOOST_TEST(c.front().total != a.front().total);
}

BOOST_AUTO_TEST_CASE(event_purity_ignores_particle_and_daughter_order) {
  auto truth = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3, 0, 1, -1, -1}, torch::kInt64).view({3, 2, 2});
  auto pred = torch::tensor({3, 2, 1, 0, 0, 2, 1, 3, 0, 1, 2, 3}, torch::kInt64).view({3, 2, 2});
  const auto [purity, counted] = cwola::training::event_purity(pred, truth);
  BOOST_TEST(counted == 2);
  BOOST_TEST(purity == 0.5);
}

BOOST_AUTO_TEST_CASE(config_rejects_bad_values) {
  AttentionTrainerConfig c;
  c.gradient_clip = 0;
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
  c = {};
  c.weight_decay = -1;
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
