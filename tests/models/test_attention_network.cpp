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
