#include "models/ensemble_model.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"

namespace models = cwola::models;

BOOST_AUTO_TEST_SUITE(ensemble_model)

BOOST_AUTO_TEST_CASE(stack_members_puts_the_member_axis_first) {
  const auto a = torch::arange(6, torch::kFloat32).reshape({2, 3});
  const auto b = a + 100;
  const auto stacked = models::stack_members({a, b}, "w");
  BOOST_TEST(stacked.sizes() == torch::IntArrayRef({2, 2, 3}));
  BOOST_TEST(torch::equal(stacked[0], a));
  BOOST_TEST(torch::equal(stacked[1], b));
  BOOST_TEST(stacked.is_contiguous());
  BOOST_TEST(!stacked.requires_grad());
  // A copy: changing a member afterwards leaves the stack alone.
  auto c = a.clone();
  const auto copy = models::stack_members({c}, "c");
  c.fill_(-1);
  BOOST_TEST(torch::equal(copy[0], a));
}

BOOST_AUTO_TEST_CASE(stack_members_rejects_empty_and_unequal) {
  BOOST_CHECK_THROW(models::stack_members({}, "w"), cwola::core::InputError);
  BOOST_CHECK_THROW(models::stack_members({torch::zeros({2, 3}), torch::zeros({3, 2})}, "w"),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(count_members_reads_the_leading_axis) {
  torch::nn::Module module;
  module.register_parameter("w", torch::zeros({5, 2, 3}));
  module.register_buffer("running", torch::zeros({5, 2}));
  BOOST_TEST(models::count_members(module) == 5);
  module.register_parameter("bad", torch::zeros({4, 2}));
  BOOST_CHECK_THROW(models::count_members(module), cwola::core::Error);
  torch::nn::Module empty;
  BOOST_CHECK_THROW(models::count_members(empty), cwola::core::Error);
}

BOOST_AUTO_TEST_CASE(precision_names_round_trip) {
  for (const char* name : {"float32", "bf16"}) {
    BOOST_TEST(models::to_string(models::parse_compute_precision(name)) == name);
  }
  BOOST_CHECK_THROW(models::parse_compute_precision("fp16"), cwola::core::InputError);
  BOOST_CHECK_THROW(models::parse_compute_precision("BF16"), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
