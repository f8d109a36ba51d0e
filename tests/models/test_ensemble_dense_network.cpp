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
