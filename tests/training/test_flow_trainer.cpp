#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "training/flow_trainer.hpp"

using cwola::models::ConditionalFlow;
using cwola::models::ConditionalFlowConfig;
using cwola::training::FlowSample;
using cwola::training::to_string;

namespace {

constexpr double kPi = 3.14159265358979323846;

/// x1 = 2 c + 0.5 e1, x2 = 0.5 x1 + 0.3 e2 with c ~ U(-1, 1), e ~ N(0, 1): the exact
/// conditional entropy is log(0.5) + log(0.3) + log(2 pi e) nats per event.
FlowSample conditional_gaussian(std::int64_t n, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto c = torch::rand({n, 1}) * 2 - 1;
  const auto e = torch::randn({n, 2});
  const auto x1 = 2 * c.squeeze(1) + 0.5 * e.select(1, 0);
  const auto x2 = 0.5 * x1 + 0.3 * e.select(1, 1);
  return {torch::stack({x1, x2}, 1), c};
}

const double kExactNll = std::log(0.5) + std::log(0.3) + std::log(2 * kPi) + 1.0;

ConditionalFlow small_flow(std::uint64_t seed) {
  torch::manual_seed(seed);
  ConditionalFlowConfig config;
  config.features = 2;
  config.context = 1;
  config.blocks = 3;
  config.hidden = 32;
  return ConditionalFlow(config);
}

cwola::training::TrainerConfig small_config() {
  cwola::training::TrainerConfig config;
  config.max_epochs = 40;
  config.batch_size = 128;
  config.learning_rate = 3e-3;
  config.patience = 5;
  return config;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(flow_trainer)

BOOST_AUTO_TEST_CASE(a_trained_flow_reaches_the_exact_conditional_entropy) {
  const auto train = conditional_gaussian(3000, 1);
  const auto validation = conditional_gaussian(1000, 2);
  auto test = conditional_gaussian(4000, 3);
  auto flow = small_flow(4);
  flow->fit_scaling(train.x, train.context);
  // The flow has a density inside the training range widened by its margin (a few of 4,000
  // Gaussian events fall outside; they are left out of the test NLL).
  const auto inside = flow->inside_range(test.x).nonzero().squeeze(1);
  BOOST_TEST(inside.size(0) > 3950);
  test = {test.x.index_select(0, inside), test.context.index_select(0, inside)};
  const double untrained = cwola::training::mean_negative_log_likelihood(flow, test);
  const auto outcome =
      cwola::training::train_flow(flow, train, validation, small_config(), 5, torch::kCPU);
  BOOST_TEST(to_string(outcome.status) != "diverged");
  BOOST_TEST(outcome.best_epoch >= 0);
  const double trained = cwola::training::mean_negative_log_likelihood(flow, test);
  BOOST_TEST_MESSAGE("test NLL: untrained " << untrained << ", trained " << trained << ", exact "
                                            << kExactNll << " nats/event, "
                                            << outcome.history.size() << " epochs");
  // The statistical spread of a 4,000-event mean NLL is ~0.016 nats.
  BOOST_TEST(trained > kExactNll - 0.06);
  BOOST_TEST(trained < kExactNll + 0.12);
  BOOST_TEST(untrained > kExactNll + 0.5);
  // The validation loss the loop recorded at the best epoch is the same NLL on those events.
  const auto kept = flow->inside_range(validation.x).nonzero().squeeze(1);
  const FlowSample validated{validation.x.index_select(0, kept),
                             validation.context.index_select(0, kept)};
  BOOST_TEST(outcome.history.at(static_cast<std::size_t>(outcome.best_epoch)).val_loss ==
                 cwola::training::mean_negative_log_likelihood(flow, validated),
             boost::test_tools::tolerance(1e-4));
  // Samples at fixed context follow the conditional mean 2c and slope 0.5.
  torch::NoGradGuard no_grad;
  const auto samples = flow->sample(torch::full({4000, 1}, 0.5F), 6);
  BOOST_TEST(samples.select(1, 0).mean().item<double>() == 1.0, boost::test_tools::tolerance(0.05));
  BOOST_TEST(samples.select(1, 0).std().item<double>() == 0.5, boost::test_tools::tolerance(0.1));
}

BOOST_AUTO_TEST_CASE(the_same_seeds_give_the_same_flow) {
  const auto train = conditional_gaussian(500, 1);
  const auto validation = conditional_gaussian(200, 2);
  auto config = small_config();
  config.max_epochs = 3;
  auto a = small_flow(4);
  auto b = small_flow(4);
  cwola::training::train_flow(a, train, validation, config, 5, torch::kCPU);
  cwola::training::train_flow(b, train, validation, config, 5, torch::kCPU);
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) BOOST_TEST(torch::equal(pa[i], pb[i]));
  const auto buffers_b = b->named_buffers();
  for (const auto& item : a->named_buffers()) {
    BOOST_TEST_INFO(item.key());
    BOOST_TEST(torch::equal(item.value(), buffers_b[item.key()]));
  }
}

BOOST_AUTO_TEST_CASE(a_diverging_flow_ends_as_diverged_with_a_reason) {
  const auto train = conditional_gaussian(500, 1);
  const auto validation = conditional_gaussian(200, 2);
  auto config = small_config();
  config.learning_rate = 1e4;
  auto flow = small_flow(4);
  const auto outcome = cwola::training::train_flow(flow, train, validation, config, 5, torch::kCPU);
  BOOST_TEST(to_string(outcome.status) == "diverged");
  BOOST_TEST(outcome.failure_reason.find("non-finite") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(nan_or_inf_events_and_empty_sets_are_refused) {
  const auto train = conditional_gaussian(100, 1);
  const auto validation = conditional_gaussian(50, 2);
  auto flow = small_flow(4);
  auto bad = FlowSample{train.x.clone(), train.context.clone()};
  bad.x[7][1] = std::nan("");
  BOOST_CHECK_THROW(
      cwola::training::train_flow(flow, bad, validation, small_config(), 5, torch::kCPU),
      cwola::core::InputError);
  auto bad_context = FlowSample{validation.x.clone(), validation.context.clone()};
  bad_context.context[3][0] = INFINITY;
  BOOST_CHECK_THROW(
      cwola::training::train_flow(flow, train, bad_context, small_config(), 5, torch::kCPU),
      cwola::core::InputError);
  const FlowSample empty{torch::zeros({0, 2}), torch::zeros({0, 1})};
  BOOST_CHECK_THROW(
      cwola::training::train_flow(flow, empty, validation, small_config(), 5, torch::kCPU),
      cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
