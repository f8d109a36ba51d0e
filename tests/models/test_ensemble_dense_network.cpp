#include "models/ensemble_dense_network.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"

namespace models = cwola::models;
using models::DenseNetwork;
using models::DenseNetworkConfig;
using models::EnsembleDenseNetwork;

namespace {
std::vector<DenseNetwork> make_members(const DenseNetworkConfig& config, int count) {
  std::vector<DenseNetwork> members;
  for (int k = 0; k < count; ++k) {
    torch::manual_seed(100 + k);
    members.emplace_back(config);
  }
  return members;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ensemble_dense_network)

BOOST_AUTO_TEST_CASE(member_k_computes_what_network_k_computes) {
  const DenseNetworkConfig config{4, {16, 8}};
  auto members = make_members(config, 3);
  EnsembleDenseNetwork ensemble(members);
  BOOST_TEST(ensemble->members() == 3);
  const auto x = torch::randn({3, 37, 4});
  torch::NoGradGuard no_grad;
  const auto logits = ensemble->forward(x);
  BOOST_TEST(logits.sizes() == torch::IntArrayRef({3, 37}));
  for (int k = 0; k < 3; ++k) {
    const auto expected = members[static_cast<std::size_t>(k)]->forward(x[k]);
    BOOST_TEST_INFO("member " << k);
    // The same GEMM per member as torch::nn::Linear issues: on the CPU the values agree
    // exactly; allow rounding in case a BLAS orders the batched product differently.
    BOOST_TEST(torch::allclose(logits[k], expected, 1e-6, 1e-6));
  }
}

BOOST_AUTO_TEST_CASE(parameters_are_stacked_copies_with_dense_names) {
  const DenseNetworkConfig config{3, {5, 7}};
  auto members = make_members(config, 2);
  EnsembleDenseNetwork ensemble(members);
  const auto params = ensemble->named_parameters();
  BOOST_TEST(params.size() == 6U);
  BOOST_TEST(params["hidden1.weight"].sizes() == torch::IntArrayRef({2, 7, 5}));
  BOOST_TEST(params["output.bias"].sizes() == torch::IntArrayRef({2, 1}));
  for (const auto& item : members[1]->named_parameters()) {
    BOOST_TEST_INFO(item.key());
    BOOST_TEST(torch::equal(params[item.key()][1], item.value()));
  }
  // Copies: the ensemble does not share storage with its members.
  torch::NoGradGuard no_grad;
  members[0]->named_parameters()["output.bias"].fill_(42);
  BOOST_TEST(params["output.bias"][0].item<float>() != 42.0F);
}

BOOST_AUTO_TEST_CASE(member_extracts_a_standalone_network) {
  const DenseNetworkConfig config{4, {8}};
  auto members = make_members(config, 3);
  EnsembleDenseNetwork ensemble(members);
  const auto second = ensemble->member(1);
  for (const auto& item : members[1]->named_parameters()) {
    BOOST_TEST(torch::equal(second->named_parameters()[item.key()], item.value()));
  }
  BOOST_CHECK_THROW(ensemble->member(3), cwola::core::InputError);
  BOOST_CHECK_THROW(ensemble->member(-1), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(logistic_regression_stacks_too) {
  auto members = make_members(DenseNetworkConfig{3, {}}, 2);
  EnsembleDenseNetwork ensemble(members);
  const auto x = torch::randn({2, 5, 3});
  torch::NoGradGuard no_grad;
  BOOST_TEST(torch::allclose(ensemble->forward(x)[1], members[1]->forward(x[1]), 1e-6, 1e-6));
}

BOOST_AUTO_TEST_CASE(different_shapes_are_rejected) {
  std::vector<DenseNetwork> members = {DenseNetwork(DenseNetworkConfig{4, {8}}),
                                       DenseNetwork(DenseNetworkConfig{4, {9}})};
  BOOST_CHECK_THROW(EnsembleDenseNetwork{members}, cwola::core::InputError);
  BOOST_CHECK_THROW(EnsembleDenseNetwork{std::vector<DenseNetwork>{}}, cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(gradients_of_members_do_not_mix) {
  auto members = make_members(DenseNetworkConfig{4, {8}}, 3);
  EnsembleDenseNetwork ensemble(members);
  const auto x = torch::randn({3, 10, 4});
  // A loss that depends on member 1 only: the others get zero gradients.
  ensemble->forward(x)[1].sum().backward();
  for (const auto& item : ensemble->named_parameters()) {
    const auto& grad = item.value().grad();
    BOOST_TEST_INFO(item.key());
    BOOST_TEST(grad[0].abs().max().item<float>() == 0.0F);
    BOOST_TEST(grad[2].abs().max().item<float>() == 0.0F);
    BOOST_TEST(grad[1].abs().max().item<float>() > 0.0F);
  }
}

BOOST_AUTO_TEST_CASE(bf16_products_stay_close_to_float32) {
  const DenseNetworkConfig config{4, {64, 64}};
  auto members = make_members(config, 2);
  EnsembleDenseNetwork exact(members);
  EnsembleDenseNetwork bf16(members, models::ComputePrecision::kBFloat16);
  BOOST_TEST(models::to_string(bf16->precision()) == "bf16");
  const auto x = torch::randn({2, 200, 4});
  torch::NoGradGuard no_grad;
  const auto a = exact->forward(x);
  const auto b = bf16->forward(x);
  BOOST_TEST(b.scalar_type() == torch::kFloat32);
  // bfloat16 keeps 8 significant bits: ~0.4% per rounding, a few roundings deep.
  const double scale = a.abs().max().item<double>();
  BOOST_TEST((a - b).abs().max().item<double>() < 0.03 * scale + 1e-3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(member_layers)

BOOST_AUTO_TEST_CASE(batch_norm_matches_torch_batchnorm1d_alone_and_stacked) {
  torch::manual_seed(5);
  const auto x = torch::randn({3, 50, 6}) * 3 + 1;
  models::MemberBatchNorm stacked(torch::ones({3, 6}), torch::zeros({3, 6}), torch::zeros({3, 6}),
                                  torch::ones({3, 6}));
  const auto out = stacked->forward(x);
  for (int k = 0; k < 3; ++k) {
    torch::nn::BatchNorm1d reference(6);
    const auto expected = reference->forward(x[k]);
    BOOST_TEST_INFO("member " << k);
    BOOST_TEST(torch::allclose(out[k], expected, 1e-5, 1e-5));
    BOOST_TEST(torch::allclose(stacked->named_buffers()["running_mean"][k],
                               reference->running_mean, 1e-6, 1e-6));
    BOOST_TEST(torch::allclose(stacked->named_buffers()["running_var"][k],
                               reference->running_var, 1e-5, 1e-5));
    // Normalised: mean 0 and (biased) variance 1 per unit.
    BOOST_TEST(out[k].mean(0).abs().max().item<float>() < 1e-5F);
    BOOST_TEST((out[k].var(0, false) - 1).abs().max().item<float>() < 1e-3F);
  }
  stacked->eval();  // eval: the running statistics, no update
  const auto before = stacked->named_buffers()["running_mean"].clone();
  stacked->forward(x);
  BOOST_TEST(torch::equal(before, stacked->named_buffers()["running_mean"]));
}

BOOST_AUTO_TEST_CASE(dropout_drops_the_rate_and_changes_mask_every_step) {
  const auto x = torch::ones({2, 400, 50});
  const auto seed = torch::tensor({std::int64_t{11}, std::int64_t{12}});
  const auto out0 = models::member_dropout(x, 0.3, seed, torch::zeros({2}, torch::kInt64), 0);
  const auto out1 = models::member_dropout(x, 0.3, seed, torch::ones({2}, torch::kInt64), 0);
  const auto out_layer = models::member_dropout(x, 0.3, seed, torch::zeros({2}, torch::kInt64), 1);
  for (const auto* out : {&out0, &out1, &out_layer}) {
    const double dropped = (*out == 0).to(torch::kFloat64).mean().item<double>();
    // 40000 units: the binomial error on the fraction is 0.0023.
    BOOST_TEST(std::abs(dropped - 0.3) < 0.012);
    // Kept units are scaled by 1 / (1 - rate): the expectation is unchanged.
    BOOST_TEST(std::abs(out->mean().item<double>() - 1.0) < 0.03);
  }
  BOOST_TEST(!torch::equal(out0, out1));       // a new mask each step
  BOOST_TEST(!torch::equal(out0, out_layer));  // and each layer
  BOOST_TEST(!torch::equal(out0[0], out0[1])); // and each member
  // Member 1's mask does not depend on the stack it is in.
  const auto alone = models::member_dropout(x.slice(0, 1, 2), 0.3, seed.slice(0, 1, 2),
                                            torch::zeros({1}, torch::kInt64), 0);
  BOOST_TEST(torch::equal(alone[0], out0[1]));
}

BOOST_AUTO_TEST_CASE(a_stack_with_dropout_and_batch_norm_trains_as_its_members_alone) {
  DenseNetworkConfig config{4, {16, 8}};
  config.dropout = 0.25;
  config.batch_norm = true;
  auto members = make_members(config, 3);
  auto alone = make_members(config, 3);  // the same seeds: the same weights and dropout seeds
  EnsembleDenseNetwork ensemble(members);
  ensemble->train();
  torch::optim::SGD stacked_sgd(ensemble->parameters(), 0.01);
  std::vector<torch::optim::SGD> single_sgd;
  for (auto& network : alone) {
    network->train();
    single_sgd.emplace_back(network->parameters(), 0.01);
  }
  for (int step = 0; step < 3; ++step) {
    const auto x = torch::randn({3, 32, 4});
    stacked_sgd.zero_grad();
    const auto logits = ensemble->forward(x);
    logits.pow(2).mean(1).sum().backward();
    stacked_sgd.step();
    for (int k = 0; k < 3; ++k) {
      auto& network = alone[static_cast<std::size_t>(k)];
      single_sgd[static_cast<std::size_t>(k)].zero_grad();
      const auto expected = network->forward(x[k]);
      expected.pow(2).mean().backward();
      single_sgd[static_cast<std::size_t>(k)].step();
      BOOST_TEST_INFO("step " << step << ", member " << k);
      BOOST_TEST(torch::allclose(logits[k], expected, 1e-5, 1e-5));
    }
  }
  // Every tensor, buffers included (running statistics, dropout step), followed its member.
  for (int k = 0; k < 3; ++k) {
    const auto extracted = ensemble->member(k);
    const auto& network = alone[static_cast<std::size_t>(k)];
    for (const auto& item : network->named_buffers()) {
      BOOST_TEST_INFO(item.key());
      BOOST_TEST(torch::allclose(extracted->named_buffers()[item.key()], item.value(), 1e-5, 1e-5));
    }
    for (const auto& item : network->named_parameters()) {
      BOOST_TEST_INFO(item.key());
      BOOST_TEST(torch::allclose(extracted->named_parameters()[item.key()], item.value(), 1e-5,
                                 1e-5));
    }
  }
  BOOST_TEST(alone[0]->named_buffers()["dropout_step"].item<std::int64_t>() == 3);
}

BOOST_AUTO_TEST_CASE(dropout_leaves_the_initial_weights_and_eval_unchanged) {
  DenseNetworkConfig plain{4, {8}};
  DenseNetworkConfig with_dropout = plain;
  with_dropout.dropout = 0.5;
  torch::manual_seed(3);
  DenseNetwork a(plain);
  torch::manual_seed(3);
  DenseNetwork b(with_dropout);
  for (const auto& item : a->named_parameters()) {
    BOOST_TEST(torch::equal(item.value(), b->named_parameters()[item.key()]));
  }
  a->eval();
  b->eval();
  const auto x = torch::randn({20, 4});
  BOOST_TEST(torch::equal(a->forward(x), b->forward(x)));
  BOOST_CHECK_THROW(DenseNetwork(DenseNetworkConfig{4, {8}, 1.0}), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
