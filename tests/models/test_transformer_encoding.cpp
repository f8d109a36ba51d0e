#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "models/transformer_encoding.hpp"

namespace {

/// The same values, bit for bit: the same operations, and the same BLAS calls.
bool same(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && torch::equal(a, b);
}

torch::nn::TransformerEncoder make_encoder(double dropout) {
  torch::manual_seed(5);
  auto layer =
      torch::nn::TransformerEncoderLayerOptions(16, 4).dim_feedforward(32).dropout(dropout);
  return torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(layer, 2));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transformer_encoding)

BOOST_AUTO_TEST_CASE(small_batched_matmul_and_its_gradients_match_bmm) {
  torch::manual_seed(1);
  // [5, rows, cols] laid out row-major, column-major or with no unit stride (copied).
  const auto make = [](std::int64_t rows, std::int64_t cols, int layout) {
    if (layout == 0) return torch::randn({5, rows, cols});
    if (layout == 1) return torch::randn({5, cols, rows}).transpose(1, 2);
    return torch::randn({5, rows, 2 * cols}).slice(2, 0, 2 * cols, 2);
  };
  // Attention's and the triplet head's sizes, and ones left to torch::bmm (M N K < 400, 1).
  for (const auto& [m, k, n] : std::vector<std::array<std::int64_t, 3>>{
           {11, 16, 11}, {11, 11, 16}, {100, 64, 10}, {7, 3, 4}, {2, 300, 1}}) {
    for (int layout = 0; layout < 9; ++layout) {
      const auto a = make(m, k, layout % 3).requires_grad_();
      const auto b = make(k, n, layout / 3).requires_grad_();
      const auto grad = torch::randn({5, m, n});
      const auto ours = cwola::models::small_batched_matmul(a, b);
      const auto our_grads = torch::autograd::grad({ours}, {a, b}, {grad});
      const auto theirs = torch::bmm(a, b);
      const auto their_grads = torch::autograd::grad({theirs}, {a, b}, {grad});
      BOOST_TEST(same(ours, theirs),
                 "m, k, n = " << m << ", " << k << ", " << n << " layout " << layout);
      BOOST_TEST(same(our_grads[0], their_grads[0]));
      BOOST_TEST(same(our_grads[1], their_grads[1]));
    }
  }
}

BOOST_AUTO_TEST_CASE(encode_matches_the_encoders_forward_and_gradients) {
  for (const bool training : {true, false}) {
    auto encoder = make_encoder(0.0);
    encoder->train(training);
    torch::manual_seed(2);
    const auto src = torch::randn({11, 6, 16}).requires_grad_();
    auto padding = torch::zeros({6, 11}, torch::kBool);
    padding.index_put_({torch::indexing::Slice(0, 3), torch::indexing::Slice(7, 11)}, true);
    const auto grad = torch::randn({11, 6, 16});
    std::vector<torch::Tensor> inputs = encoder->parameters();
    inputs.push_back(src);
    const auto ours = cwola::models::encode(encoder, src, padding);
    const auto our_grads = torch::autograd::grad({ours}, inputs, {grad});
    const auto theirs = encoder->forward(src, {}, padding);
    const auto their_grads = torch::autograd::grad({theirs}, inputs, {grad});
    BOOST_TEST(same(ours, theirs), "training " << training);
    BOOST_REQUIRE_EQUAL(our_grads.size(), their_grads.size());
    for (std::size_t i = 0; i < our_grads.size(); ++i) {
      BOOST_TEST(same(our_grads[i], their_grads[i]), "gradient " << i);
    }
  }
}

BOOST_AUTO_TEST_CASE(encode_applies_the_layers_dropout_in_training_only) {
  auto encoder = make_encoder(0.5);
  const auto src = torch::randn({5, 3, 16});
  const auto padding = torch::zeros({3, 5}, torch::kBool);
  encoder->train();
  torch::manual_seed(9);
  const auto first = cwola::models::encode(encoder, src, padding);
  torch::manual_seed(10);
  BOOST_TEST(!torch::equal(first, cwola::models::encode(encoder, src, padding)));
  encoder->eval();
  BOOST_TEST(
      same(cwola::models::encode(encoder, src, padding), encoder->forward(src, {}, padding)));
}

BOOST_AUTO_TEST_SUITE_END()
