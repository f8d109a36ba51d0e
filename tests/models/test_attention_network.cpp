#include "models/attention_network.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

#include "core/error.hpp"

using cwola::models::AttentionLossWeights;
using cwola::models::AttentionNetwork;
using cwola::models::AttentionNetworkConfig;
using cwola::models::AttentionOutput;

namespace {

AttentionNetworkConfig small_config() {
  AttentionNetworkConfig c;
  c.hidden = 16;
  c.heads = 2;
  c.encoder_layers = 2;
  c.branch_layers = 1;
  c.max_jets = 8;
  c.log_features = {true, false, false, true, false};
  return c;
}

/// Jets in physical-looking units; event e has real[e] jets (mask a prefix), padding zero.
struct Events {
  torch::Tensor jets;
  torch::Tensor mask;
  torch::Tensor targets;
  torch::Tensor labels;
};

Events make_events(const std::vector<std::int64_t>& real, std::int64_t slots) {
  torch::manual_seed(7);
  const auto n = static_cast<std::int64_t>(real.size());
  Events ev;
  ev.jets = torch::zeros({n, slots, 5});
  ev.mask = torch::zeros({n, slots}, torch::kBool);
  ev.targets = torch::full({n, 2, 2}, -1, torch::kInt64);
  ev.labels = torch::zeros({n});
  for (std::int64_t e = 0; e < n; ++e) {
    const auto r = real[static_cast<std::size_t>(e)];
    auto block = torch::stack({30 + 100 * torch::rand({r}), 2 * torch::randn({r}),
                               torch::rand({r}) * 6 - 3, 5 + 10 * torch::rand({r}),
                               torch::rand({r}).round()},
                              1);
    ev.jets.index_put_({e, torch::indexing::Slice(0, r)}, block);
    ev.mask.index_put_({e, torch::indexing::Slice(0, r)}, true);
    const auto perm = torch::randperm(r);
    ev.targets.index_put_({e}, perm.narrow(0, 0, 4).view({2, 2}));
    ev.labels[e] = static_cast<float>(e % 2);
  }
  return ev;
}

AttentionNetwork make_network(std::uint64_t seed = 3) {
  torch::manual_seed(static_cast<std::uint64_t>(seed));
  AttentionNetwork net(small_config());
  net->eval();
  return net;
}

/// Scales the assignment projections up so P is far from uniform (an untrained head is nearly
/// flat, and then every assignment has almost the same loss).
void sharpen(AttentionNetwork& net) {
  torch::NoGradGuard no_grad;
  for (auto& layer : net->pairing_projections()) layer->weight.mul_(8.0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(attention_network)

BOOST_AUTO_TEST_CASE(config_rejects_heads_that_do_not_divide_hidden) {
  auto c = small_config();
  c.heads = 3;
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
  c = small_config();
  c.max_jets = 3;  // fewer than 2 jets per particle
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
  c = small_config();
  c.log_features = {true};
  BOOST_CHECK_THROW(c.validate(), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(pair_probabilities_are_symmetric_zero_off_support_and_sum_to_one) {
  auto net = make_network();
  const auto ev = make_events({4, 5, 6, 7, 8, 8}, 8);
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  BOOST_TEST(out.assignment_log_probs.size() == 2U);
  BOOST_TEST(out.class_logits.sizes() == torch::IntArrayRef({6}));
  for (const auto& log_p : out.assignment_log_probs) {
    const auto p = log_p.exp();
    BOOST_TEST(torch::allclose(p, p.transpose(1, 2)));
    BOOST_TEST(p.diagonal(0, 1, 2).abs().max().item<float>() == 0.0F);
    const auto padding = ev.mask.logical_not();
    const auto on_padding = padding.unsqueeze(2).logical_or(padding.unsqueeze(1));
    BOOST_TEST(p.masked_select(on_padding).abs().max().item<float>() == 0.0F);
    BOOST_TEST(torch::allclose(p.sum({1, 2}), torch::ones({6}), 1e-5, 1e-6));
    // Every allowed pair has a finite, positive probability.
    const auto allowed =
        on_padding.logical_not().logical_and(torch::eye(8, torch::kBool).logical_not());
    BOOST_TEST(p.masked_select(allowed).min().item<float>() > 0.0F);
  }
}

BOOST_AUTO_TEST_CASE(permuting_real_jets_leaves_loss_and_class_output_unchanged) {
  auto net = make_network();
  const auto ev = make_events({5, 6, 8, 8}, 8);
  const AttentionLossWeights weights{1.0, 1.0};
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  const auto loss = cwola::models::attention_loss(out, ev.targets, ev.labels, weights);

  // Shuffle the real jets of each event; new slot s holds old jet perm[s], so old jet i moves to
  // slot inverse[i] and the targets follow.
  torch::manual_seed(11);
  auto jets = ev.jets.clone();
  auto targets = ev.targets.clone();
  for (std::int64_t e = 0; e < 4; ++e) {
    const auto r = ev.mask[e].sum().item<std::int64_t>();
    const auto perm = torch::randperm(r);
    const auto inverse = torch::argsort(perm);
    jets.index_put_({e, torch::indexing::Slice(0, r)}, ev.jets[e].index_select(0, perm));
    targets.index_put_({e}, inverse.index_select(0, ev.targets[e].flatten()).view({2, 2}));
  }
  const auto shuffled = net->forward(jets, ev.mask);
  const auto shuffled_loss = cwola::models::attention_loss(shuffled, targets, ev.labels, weights);
  BOOST_TEST(std::abs(loss.total.item<double>() - shuffled_loss.total.item<double>()) < 1e-5);
  BOOST_TEST((out.class_logits - shuffled.class_logits).abs().max().item<float>() < 1e-5F);
  // The loss is not trivially constant: remapping nothing (wrong targets) changes it.
  const auto wrong = cwola::models::attention_loss(shuffled, ev.targets, ev.labels, weights);
  BOOST_TEST(std::abs(loss.total.item<double>() - wrong.total.item<double>()) > 1e-4);
}

BOOST_AUTO_TEST_CASE(swapping_particles_or_daughters_in_the_targets_leaves_the_loss_unchanged) {
  auto net = make_network();
  sharpen(net);
  const auto ev = make_events({6, 7, 8, 8, 8}, 8);
  const AttentionLossWeights weights{1.0, 1.0};
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  const auto reference = cwola::models::attention_loss(out, ev.targets, ev.labels, weights);
  const auto particles_swapped = ev.targets.flip({1});
  const auto daughters_swapped = ev.targets.flip({2});
  const auto both = ev.targets.flip({1, 2});
  for (const auto& t : {particles_swapped, daughters_swapped, both}) {
    const auto loss = cwola::models::attention_loss(out, t, ev.labels, weights);
    BOOST_TEST(std::abs(loss.total.item<double>() - reference.total.item<double>()) < 1e-5);
  }
  // Swapping one daughter across particles is a different assignment and changes the loss.
  auto crossed = ev.targets.clone();
  crossed.index_put_({torch::indexing::Slice(), 0, 1}, ev.targets.index({torch::indexing::Slice(), 1, 0}));
  crossed.index_put_({torch::indexing::Slice(), 1, 0}, ev.targets.index({torch::indexing::Slice(), 0, 1}));
  const auto other = cwola::models::attention_loss(out, crossed, ev.labels, weights);
  BOOST_TEST(std::abs(other.total.item<double>() - reference.total.item<double>()) > 1e-4);
}

BOOST_AUTO_TEST_CASE(zeroed_pairing_projections_give_the_uniform_pairing_loss) {
  auto net = make_network();
  {
    torch::NoGradGuard no_grad;
    for (auto& layer : net->pairing_projections()) {
      layer->weight.zero_();
      layer->bias.zero_();
    }
  }
  const std::vector<std::int64_t> real = {4, 6, 7, 8};
  const auto ev = make_events(real, 8);
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  const auto loss = cwola::models::attention_loss(out, ev.targets, ev.labels, {1.0, 0.0});
  double expected = 0;
  for (const auto n : real) {
    expected += std::log(static_cast<double>(n * (n - 1)) / 2.0);
  }
  expected /= static_cast<double>(real.size());
  BOOST_TEST(std::abs(loss.total.item<double>() - expected) < 1e-5);
  for (const auto& term : loss.assignment) {
    BOOST_TEST(std::abs(term.item<double>() - expected) < 1e-5);
  }
}

BOOST_AUTO_TEST_CASE(a_term_with_zero_weight_drops_out_of_the_mean) {
  auto net = make_network();
  const auto ev = make_events({6, 7, 8}, 8);
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  const auto both = cwola::models::attention_loss(out, ev.targets, ev.labels, {1.0, 1.0});
  const double a1 = both.assignment[0].item<double>();
  const double a2 = both.assignment[1].item<double>();
  const double c = both.classification.item<double>();
  BOOST_TEST(std::abs(both.total.item<double>() - (a1 + a2 + c) / 3) < 1e-6);
  const auto scaled = cwola::models::attention_loss(out, ev.targets, ev.labels, {2.0, 0.5});
  BOOST_TEST(std::abs(scaled.total.item<double>() - (2 * a1 + 2 * a2 + 0.5 * c) / 3) < 1e-6);
  const auto class_only = cwola::models::attention_loss(out, ev.targets, ev.labels, {0.0, 1.0});
  BOOST_TEST(std::abs(class_only.total.item<double>() - c) < 1e-6);
  const auto pairs_only = cwola::models::attention_loss(out, ev.targets, ev.labels, {1.0, 0.0});
  BOOST_TEST(std::abs(pairs_only.total.item<double>() - (a1 + a2) / 2) < 1e-6);
  BOOST_CHECK_THROW(cwola::models::attention_loss(out, ev.targets, ev.labels, {0.0, 0.0}),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(zeroed_detection_outputs_give_log_2_per_particle_term) {
  auto net = make_network();
  {
    torch::NoGradGuard no_grad;
    for (auto& layer : net->detection_outputs()) {
      layer->weight.zero_();
      layer->bias.zero_();
    }
  }
  auto ev = make_events({4, 6, 7, 8}, 8);
  ev.targets.index_put_({1, 0, 1}, -1);  // mixed targets: a logit of 0 costs log 2 either way
  ev.targets.index_put_({2}, -1);
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  BOOST_REQUIRE_EQUAL(out.detection_logits.size(), 2U);
  const double log2 = std::log(2.0);
  const auto detection_only =
      cwola::models::attention_loss(out, ev.targets, ev.labels, {0.0, 0.0, 1.0});
  BOOST_REQUIRE_EQUAL(detection_only.detection.size(), 2U);
  for (const auto& term : detection_only.detection) {
    BOOST_TEST(std::abs(term.item<double>() - log2) < 1e-6);
  }
  BOOST_TEST(std::abs(detection_only.total.item<double>() - log2) < 1e-6);
  // The detection terms join the mean of the active terms like the others: one per particle.
  const auto all = cwola::models::attention_loss(out, ev.targets, ev.labels, {1.0, 1.0, 0.5});
  const double a1 = all.assignment[0].item<double>();
  const double a2 = all.assignment[1].item<double>();
  const double c = all.classification.item<double>();
  BOOST_TEST(std::abs(all.total.item<double>() - (a1 + a2 + 0.5 * log2 * 2 + c) / 5) < 1e-6);
}

BOOST_AUTO_TEST_CASE(a_zero_detection_weight_leaves_loss_and_gradients_bitwise_unchanged) {
  // The loss without a detection head (the network's outputs stripped of their detection
  // logits) is the loss as it was before the head existed; with lambda_d = 0 the head changes
  // neither the loss nor any gradient, bit for bit, and its own layers get no gradient.
  auto net = make_network();
  sharpen(net);
  auto ev = make_events({5, 6, 8, 8}, 8);
  ev.targets.index_put_({1, 1, 0}, -1);
  ev.targets.index_put_({3}, -1);
  for (const AttentionLossWeights weights :
       {AttentionLossWeights{1.0, 1.0, 0.0}, AttentionLossWeights{0.0, 1.0, 0.0},
        AttentionLossWeights{2.0, 0.0, 0.0}}) {
    std::vector<std::vector<float>> gradients[2];
    float totals[2] = {0, 0};
    for (const bool with_head : {false, true}) {
      net->zero_grad();
      auto out = net->forward(ev.jets, ev.mask);
      if (!with_head) out.detection_logits.clear();
      const auto loss = cwola::models::attention_loss(out, ev.targets, ev.labels, weights);
      loss.total.backward();
      totals[with_head ? 1 : 0] = loss.total.item<float>();
      for (const auto& p : net->named_parameters()) {
        if (p.key().rfind("detect", 0) == 0) {
          BOOST_TEST(!p.value().grad().defined(), p.key() << " has a gradient");
          continue;
        }
        const auto g = p.value().grad().defined() ? p.value().grad().flatten().contiguous()
                                                  : torch::zeros({0});
        gradients[with_head ? 1 : 0].emplace_back(g.data_ptr<float>(),
                                                  g.data_ptr<float>() + g.numel());
      }
    }
    BOOST_TEST(totals[0] == totals[1]);
    BOOST_TEST(gradients[0] == gradients[1]);
    BOOST_TEST(!gradients[0].empty());
  }
}

BOOST_AUTO_TEST_CASE(detection_targets_are_one_only_for_particles_with_every_daughter_known) {
  // Constant detection logits per branch (weights zero, biases b0 and b1), so each term is a
  // hand-computable cross-entropy. Event 0: both particles complete (targets 1, 1). Event 1:
  // particle 1 misses a daughter (1, 0 up to the branch order the permutation picks). Event 2:
  // no targets (0, 0).
  auto net = make_network();
  sharpen(net);
  const double bias[2] = {0.7, -0.4};
  {
    torch::NoGradGuard no_grad;
    const auto outputs = net->detection_outputs();
    for (std::size_t a = 0; a < 2; ++a) {
      outputs[a]->weight.zero_();
      outputs[a]->bias.fill_(bias[a]);
    }
  }
  auto ev = make_events({6, 7, 8}, 8);
  ev.targets.index_put_({1, 1, 1}, -1);
  ev.targets.index_put_({2}, -1);
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  const cwola::models::AttentionLossWeights weights{1.0, 0.0, 1.0};
  const auto loss = cwola::models::attention_loss(out, ev.targets, ev.labels, weights);
  const auto bce = [](double logit, double target) {
    return std::log1p(std::exp(-logit)) + (1 - target) * logit;
  };
  // Event 1: branch a gets particle 0 (complete) when its assignment cost plus the detection
  // costs is lower (SPANet's permutation: both weighted costs).
  const auto cost = [&](std::int64_t branch) {
    const auto i = ev.targets[1][0][0].item<std::int64_t>();
    const auto k = ev.targets[1][0][1].item<std::int64_t>();
    return -(out.assignment_log_probs[static_cast<std::size_t>(branch)][1][i][k].item<double>() +
             std::log(2.0));
  };
  const double first_takes_it = cost(0) + bce(bias[0], 1) + bce(bias[1], 0);
  const double second_takes_it = cost(1) + bce(bias[0], 0) + bce(bias[1], 1);
  const double t0 = first_takes_it <= second_takes_it ? 1 : 0;
  BOOST_TEST_MESSAGE("event 1: the complete particle goes to branch " << (t0 == 1 ? 0 : 1));
  const double expected0 = (bce(bias[0], 1) + bce(bias[0], t0) + bce(bias[0], 0)) / 3;
  const double expected1 = (bce(bias[1], 1) + bce(bias[1], 1 - t0) + bce(bias[1], 0)) / 3;
  BOOST_TEST(std::abs(loss.detection[0].item<double>() - expected0) < 1e-6);
  BOOST_TEST(std::abs(loss.detection[1].item<double>() - expected1) < 1e-6);
  // Not a constant: calling the incomplete particle complete changes both terms.
  auto complete = ev.targets.clone();
  std::int64_t free_jet = 0;  // a real jet of event 1 that no other daughter uses
  while ((ev.targets[1].flatten() == free_jet).any().item<bool>()) ++free_jet;
  complete.index_put_({1, 1, 1}, free_jet);
  const auto changed = cwola::models::attention_loss(out, complete, ev.labels, weights);
  BOOST_TEST(std::abs(changed.detection[0].item<double>() - expected0) +
                 std::abs(changed.detection[1].item<double>() - expected1) >
             1e-3);
  // The probabilities decoding reports are the sigmoids of the logits.
  const auto probs = cwola::models::detection_probabilities(out);
  BOOST_TEST(probs.sizes() == torch::IntArrayRef({3, 2}));
  BOOST_TEST(std::abs(probs[2][0].item<double>() - 1 / (1 + std::exp(-bias[0]))) < 1e-6);
  BOOST_TEST(std::abs(probs[2][1].item<double>() - 1 / (1 + std::exp(-bias[1]))) < 1e-6);
  // A detection weight needs detection logits; all three weights zero trains nothing.
  auto stripped = out;
  stripped.detection_logits.clear();
  BOOST_CHECK_THROW(cwola::models::attention_loss(stripped, ev.targets, ev.labels, weights),
                    cwola::core::Error);
  BOOST_CHECK_THROW(cwola::models::attention_loss(out, ev.targets, ev.labels, {0.0, 0.0, 0.0}),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(events_without_targets_contribute_nothing) {
  auto net = make_network();
  const auto ev = make_events({6, 7, 8, 8}, 8);
  auto targets = ev.targets.clone();
  targets.index_put_({2}, -1);           // no targets at all (e.g. a background event)
  targets.index_put_({3, 1, 0}, -1);     // h2 incomplete: only h1 counts
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  const auto loss = cwola::models::attention_loss(out, targets, ev.labels, {1.0, 0.0});
  // By hand: mean of -log(2 P) over the known (event, particle) pairs with the best permutation.
  const double log2 = std::log(2.0);
  auto cost = [&](std::int64_t e, std::int64_t branch, std::int64_t particle) {
    const auto i = targets[e][particle][0].item<std::int64_t>();
    const auto k = targets[e][particle][1].item<std::int64_t>();
    return -(out.assignment_log_probs[static_cast<std::size_t>(branch)][e][i][k].item<double>() + log2);
  };
  double sum_first = 0;
  double sum_second = 0;
  for (std::int64_t e = 0; e < 2; ++e) {
    const double direct = cost(e, 0, 0) + cost(e, 1, 1);
    const double swapped = cost(e, 0, 1) + cost(e, 1, 0);
    sum_first += direct <= swapped ? cost(e, 0, 0) : cost(e, 0, 1);
    sum_second += direct <= swapped ? cost(e, 1, 1) : cost(e, 1, 0);
  }
  // Event 3: only particle 0 is known; it goes to whichever branch gives the lower cost.
  const double to_first = cost(3, 0, 0);
  const double to_second = cost(3, 1, 0);
  const double first = to_first <= to_second ? (sum_first + to_first) / 3 : sum_first / 2;
  const double second = to_first <= to_second ? sum_second / 2 : (sum_second + to_second) / 3;
  BOOST_TEST(std::abs(loss.assignment[0].item<double>() - first) < 1e-5);
  BOOST_TEST(std::abs(loss.assignment[1].item<double>() - second) < 1e-5);
}

BOOST_AUTO_TEST_CASE(greedy_decoding_takes_the_best_pair_and_never_reuses_a_jet) {
  // Particle 0 prefers {0, 1} (0.6); particle 1 also prefers {0, 1} (0.5) but must take the
  // best pair left, {2, 3} (0.3).
  const std::int64_t j = 5;
  auto make = [&](const std::vector<std::tuple<int, int, double>>& pairs) {
    auto p = torch::full({1, j, j}, 1e-4);
    for (const auto& [a, b, v] : pairs) {
      p[0][a][b] = v / 2;
      p[0][b][a] = v / 2;
    }
    p.diagonal(0, 1, 2).zero_();
    return (p / p.sum()).log();
  };
  AttentionOutput out;
  out.assignment_log_probs = {make({{0, 1, 0.6}, {2, 3, 0.1}}), make({{0, 1, 0.5}, {2, 3, 0.3}})};
  out.class_logits = torch::zeros({1});
  out.group_size = 2;
  auto mask = torch::ones({1, j}, torch::kBool);
  torch::Tensor probs;
  const auto pairs = cwola::models::decode_assignments(out, mask, &probs);
  BOOST_TEST(pairs[0][0][0].item<std::int64_t>() == 0);
  BOOST_TEST(pairs[0][0][1].item<std::int64_t>() == 1);
  BOOST_TEST(pairs[0][1][0].item<std::int64_t>() == 2);
  BOOST_TEST(pairs[0][1][1].item<std::int64_t>() == 3);
  BOOST_TEST(probs[0][0].item<float>() > probs[0][1].item<float>());
  // Without jet 3 (padding), particle 1 gets the only jets left, {2, 4}.
  mask[0][3] = false;
  const auto reduced = cwola::models::decode_assignments(out, mask);
  BOOST_TEST(reduced[0][1][0].item<std::int64_t>() == 2);
  BOOST_TEST(reduced[0][1][1].item<std::int64_t>() == 4);
}

BOOST_AUTO_TEST_CASE(normalization_uses_real_jets_only_and_is_stored_as_buffers) {
  auto net = make_network();
  auto ev = make_events({4, 6, 8}, 8);
  ev.jets.masked_fill_(ev.mask.logical_not().unsqueeze(-1), 1e6);  // padding must not matter
  net->fit_normalization(ev.jets, ev.mask);
  const auto buffers = net->named_buffers();
  BOOST_TEST(buffers.contains("feature_mean"));
  BOOST_TEST(buffers.contains("feature_std"));
  const auto real = ev.jets.index({ev.mask});
  const auto logged_pt = torch::log1p(real.select(1, 0));
  BOOST_TEST(std::abs(buffers["feature_mean"][0].item<double>() -
                      logged_pt.mean().item<double>()) < 1e-5);
  BOOST_TEST(std::abs(buffers["feature_mean"][1].item<double>() -
                      real.select(1, 1).mean().item<double>()) < 1e-5);
  BOOST_TEST(std::abs(buffers["feature_std"][2].item<double>() -
                      real.select(1, 2).std(false).item<double>()) < 1e-5);
}

BOOST_AUTO_TEST_CASE(triplet_head_is_symmetric_in_the_light_quarks_only) {
  // t -> q1 q2 b: daughters ordered (q1, q2, b), q1 <-> q2 interchangeable.
  auto c = small_config();
  c.daughters = 3;
  c.symmetric_daughters = {{0, 1}};
  torch::manual_seed(4);
  AttentionNetwork net(c);
  net->eval();
  const std::vector<std::int64_t> real = {6, 7, 8};
  auto ev = make_events(real, 8);
  ev.targets = torch::full({3, 2, 3}, -1, torch::kInt64);
  for (std::int64_t e = 0; e < 3; ++e) {
    ev.targets.index_put_({e}, torch::randperm(real[static_cast<std::size_t>(e)]).narrow(0, 0, 6).view({2, 3}));
  }
  torch::NoGradGuard no_grad;
  const auto out = net->forward(ev.jets, ev.mask);
  BOOST_TEST(out.group_size == 2);
  const auto p = out.assignment_log_probs[0].exp();
  BOOST_TEST(p.sizes() == torch::IntArrayRef({3, 8, 8, 8}));
  BOOST_TEST(torch::allclose(p, p.transpose(1, 2)));
  BOOST_TEST(!torch::allclose(p, p.transpose(1, 3)));  // b is not a light quark
  BOOST_TEST(torch::allclose(p.sum({1, 2, 3}), torch::ones({3}), 1e-5, 1e-6));
  BOOST_TEST(p[0][2][2][5].item<float>() == 0.0F);  // repeated jet
  BOOST_TEST(p[0][1][3][6].item<float>() == 0.0F);  // jet 6 is padding in a 6-jet event

  const AttentionLossWeights weights{1.0, 0.0};
  const auto reference = cwola::models::attention_loss(out, ev.targets, ev.labels, weights);
  auto quarks_swapped = ev.targets.index_select(2, torch::tensor({1, 0, 2}));
  auto tops_swapped = ev.targets.flip({1});
  for (const auto& t : {quarks_swapped, tops_swapped}) {
    const auto loss = cwola::models::attention_loss(out, t, ev.labels, weights);
    BOOST_TEST(std::abs(loss.total.item<double>() - reference.total.item<double>()) < 1e-6);
  }
  const auto b_swapped = ev.targets.index_select(2, torch::tensor({2, 1, 0}));
  const auto other = cwola::models::attention_loss(out, b_swapped, ev.labels, weights);
  BOOST_TEST(std::abs(other.total.item<double>() - reference.total.item<double>()) > 1e-4);

  // Zeroed projections: uniform over the n (n - 1) (n - 2) / 2 distinct assignments.
  for (auto& layer : net->pairing_projections()) {
    layer->weight.zero_();
    layer->bias.zero_();
  }
  const auto uniform = cwola::models::attention_loss(net->forward(ev.jets, ev.mask), ev.targets,
                                                     ev.labels, weights);
  double expected = 0;
  for (const auto n : real) expected += std::log(static_cast<double>(n * (n - 1) * (n - 2)) / 2);
  BOOST_TEST(std::abs(uniform.total.item<double>() - expected / 3) < 1e-5);

  // Greedy decoding gives two disjoint triplets of real jets.
  const auto decoded = cwola::models::decode_assignments(out, ev.mask);
  for (std::int64_t e = 0; e < 3; ++e) {
    const auto jets = std::get<0>(torch::sort(decoded[e].flatten()));
    BOOST_TEST(jets.min().item<std::int64_t>() >= 0);
    BOOST_TEST(jets.max().item<std::int64_t>() < real[static_cast<std::size_t>(e)]);
    BOOST_TEST(std::get<0>(torch::unique_consecutive(jets)).size(0) == 6);
  }
}

BOOST_AUTO_TEST_SUITE_END()
