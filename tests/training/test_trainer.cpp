#include "training/trainer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.hpp"
#include "models/dense_network.hpp"
#include "training/compute_device.hpp"

namespace models = cwola::models;
namespace training = cwola::training;
using training::Batch;
using training::TrainerConfig;
using training::TrainStatus;

namespace {

const torch::Device kCpu(torch::kCPU);

/// 2-D points; label = 1 if x0 + x1 > 0 (linearly separable) or, with `noise_labels`,
/// a coin flip independent of x (nothing to learn: validation loss only gets worse).
Batch make_data(std::int64_t n, std::uint64_t seed, bool noise_labels = false) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::bernoulli_distribution coin(0.5);
  std::vector<float> rows;
  std::vector<float> labels;
  for (std::int64_t i = 0; i < n; ++i) {
    const float a = normal(rng);
    const float b = normal(rng);
    rows.push_back(a);
    rows.push_back(b);
    labels.push_back(noise_labels ? (coin(rng) ? 1.0F : 0.0F) : (a + b > 0 ? 1.0F : 0.0F));
  }
  return {training::to_tensor(rows, 2), torch::tensor(labels), {}};
}

models::DenseNetwork make_net(std::vector<int> hidden, std::uint64_t init_seed) {
  training::seed_weight_init(init_seed);
  return models::DenseNetwork(models::DenseNetworkConfig{2, std::move(hidden)});
}

TrainerConfig quick_config() {
  TrainerConfig config;
  config.max_epochs = 5;
  config.batch_size = 64;
  config.learning_rate = 1e-2;
  config.patience = 100;
  return config;
}

double accuracy(const std::vector<float>& scores, const torch::Tensor& y) {
  const auto labels = y.contiguous();
  const float* l = labels.data_ptr<float>();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    correct += static_cast<std::size_t>((scores[i] > 0.5F) == (l[i] > 0.5F));
  }
  return static_cast<double>(correct) / static_cast<double>(scores.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trainer)

BOOST_AUTO_TEST_CASE(learns_a_linearly_separable_problem) {
  const auto train = make_data(2000, 1);
  const auto val = make_data(1000, 2);
  auto net = make_net({16}, 3);
  auto config = quick_config();
  config.max_epochs = 20;
  const auto outcome =
      training::train_classifier(training::as_classifier(net), train, val, config, 4, kCpu);
  BOOST_TEST(static_cast<int>(outcome.status) == static_cast<int>(TrainStatus::kCompleted));
  BOOST_TEST(outcome.history.size() == 20U);
  BOOST_TEST(outcome.failure_reason.empty());
  BOOST_REQUIRE(outcome.best_epoch >= 0);
  BOOST_TEST(outcome.history[outcome.best_epoch].val_accuracy > 0.95);
  BOOST_TEST(outcome.history.back().train_loss < outcome.history.front().train_loss);
  const auto scores = training::predict_scores(training::as_classifier(net), val.x, 100, kCpu);
  BOOST_REQUIRE(scores.size() == 1000U);
  BOOST_TEST(accuracy(scores, val.y) > 0.95);
  for (float s : scores) {
    BOOST_TEST((s >= 0.0F && s <= 1.0F));
  }
}

BOOST_AUTO_TEST_CASE(early_stopping_restores_best_weights) {
  // Labels are coin flips: the validation loss bottoms out early and then rises as the network
  // memorises the training noise.
  const auto train = make_data(400, 5, true);
  const auto val = make_data(400, 6, true);
  auto net = make_net({32, 32}, 7);
  auto config = quick_config();
  config.max_epochs = 200;
  config.batch_size = 32;
  config.patience = 3;
  const auto outcome =
      training::train_classifier(training::as_classifier(net), train, val, config, 8, kCpu);
  BOOST_TEST(static_cast<int>(outcome.status) == static_cast<int>(TrainStatus::kEarlyStopped));
  BOOST_TEST(outcome.history.size() < 200U);
  BOOST_REQUIRE(outcome.best_epoch >= 0);
  BOOST_TEST(outcome.history.size() ==
             static_cast<std::size_t>(outcome.best_epoch + 1 + config.patience));
  const auto best = std::min_element(
      outcome.history.begin(), outcome.history.end(),
      [](const auto& a, const auto& b) { return a.val_loss < b.val_loss; });
  const auto best_index = static_cast<int>(best - outcome.history.begin());
  BOOST_TEST(best_index == outcome.best_epoch);

  torch::NoGradGuard no_grad;
  net->eval();
  const double restored_loss =
      torch::binary_cross_entropy_with_logits(net->forward(val.x), val.y).item<double>();
  BOOST_TEST(std::abs(restored_loss - outcome.history[outcome.best_epoch].val_loss) < 1e-5);
  BOOST_TEST(std::abs(restored_loss - outcome.history.back().val_loss) > 1e-5);
}

BOOST_AUTO_TEST_CASE(min_delta_counts_small_gains_as_no_improvement) {
  const auto train = make_data(500, 1);
  const auto val = make_data(300, 2);
  auto net = make_net({8}, 3);
  auto config = quick_config();
  config.max_epochs = 50;
  config.patience = 2;
  config.min_delta = 1e3;  // no epoch after the first can improve by this much
  const auto outcome =
      training::train_classifier(training::as_classifier(net), train, val, config, 4, kCpu);
  BOOST_TEST(static_cast<int>(outcome.status) == static_cast<int>(TrainStatus::kEarlyStopped));
  BOOST_TEST(outcome.best_epoch == 0);
  BOOST_TEST(outcome.history.size() == 3U);
}

BOOST_AUTO_TEST_CASE(identical_runs_are_bit_identical) {
  const auto train = make_data(1000, 11);
  const auto val = make_data(500, 12);
  const auto config = quick_config();
  auto run = [&](std::uint64_t shuffle_seed) {
    auto net = make_net({16, 16}, 13);
    const auto outcome = training::train_classifier(training::as_classifier(net), train, val,
                                                    config, shuffle_seed, kCpu);
    BOOST_REQUIRE(outcome.best_epoch >= 0);
    return std::make_pair(outcome,
                          training::predict_scores(training::as_classifier(net), val.x, 128, kCpu));
  };
  const auto [outcome_a, scores_a] = run(21);
  const auto [outcome_b, scores_b] = run(21);
  const auto [outcome_c, scores_c] = run(22);
  BOOST_TEST(scores_a == scores_b);  // exact, element by element
  BOOST_REQUIRE(outcome_a.history.size() == outcome_b.history.size());
  for (std::size_t i = 0; i < outcome_a.history.size(); ++i) {
    BOOST_TEST(outcome_a.history[i].train_loss == outcome_b.history[i].train_loss);
    BOOST_TEST(outcome_a.history[i].val_loss == outcome_b.history[i].val_loss);
  }
  BOOST_TEST(scores_a != scores_c);
}

BOOST_AUTO_TEST_CASE(nan_input_diverges_with_reason) {
  auto train = make_data(300, 1);
  const auto val = make_data(100, 2);
  train.x[17][1] = std::numeric_limits<float>::quiet_NaN();
  auto net = make_net({8}, 3);
  const auto outcome = training::train_classifier(training::as_classifier(net), train, val,
                                                  quick_config(), 4, kCpu);
  BOOST_TEST(static_cast<int>(outcome.status) == static_cast<int>(TrainStatus::kDiverged));
  BOOST_TEST(outcome.failure_reason == "non-finite training loss at epoch 0");
  BOOST_TEST(outcome.history.size() == 1U);
  BOOST_TEST(outcome.best_epoch == -1);
  BOOST_TEST(training::to_string(outcome.status) == "diverged");
}

BOOST_AUTO_TEST_CASE(huge_learning_rate_diverges) {
  const auto train = make_data(300, 1);
  const auto val = make_data(100, 2);
  auto net = make_net({8}, 3);
  auto config = quick_config();
  config.learning_rate = 1e30;  // weights ~1e30: two layers overflow float
  const auto outcome =
      training::train_classifier(training::as_classifier(net), train, val, config, 4, kCpu);
  BOOST_TEST(static_cast<int>(outcome.status) == static_cast<int>(TrainStatus::kDiverged));
  BOOST_TEST(outcome.failure_reason.find("non-finite") == 0U);
}

BOOST_AUTO_TEST_CASE(keep_going_false_abandons_after_that_epoch) {
  const auto train = make_data(300, 1);
  const auto val = make_data(100, 2);
  auto net = make_net({8}, 3);
  int calls = 0;
  std::vector<double> seen_val_losses;
  const auto outcome = training::train_classifier(
      training::as_classifier(net), train, val, quick_config(), 4, kCpu,
      [&](const training::EpochRecord& record) {
        seen_val_losses.push_back(record.val_loss);
        return ++calls < 2;
      });
  BOOST_TEST(static_cast<int>(outcome.status) == static_cast<int>(TrainStatus::kAbandoned));
  BOOST_TEST(calls == 2);
  BOOST_TEST(outcome.history.size() == 2U);
  BOOST_TEST(seen_val_losses[1] == outcome.history[1].val_loss);
  BOOST_TEST(outcome.best_epoch >= 0);
}

BOOST_AUTO_TEST_CASE(bad_config_and_data_are_rejected) {
  const auto train = make_data(100, 1);
  const auto val = make_data(50, 2);
  auto net = make_net({4}, 3);
  auto model = training::as_classifier(net);
  for (auto change : std::vector<std::function<void(TrainerConfig&)>>{
           [](TrainerConfig& c) { c.max_epochs = 0; },
           [](TrainerConfig& c) { c.batch_size = 0; },
           [](TrainerConfig& c) { c.learning_rate = -1; },
           [](TrainerConfig& c) { c.learning_rate = std::nan(""); },
           [](TrainerConfig& c) { c.patience = 0; },
           [](TrainerConfig& c) { c.min_delta = -0.1; }}) {
    auto config = quick_config();
    change(config);
    BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
    BOOST_CHECK_THROW(training::train_classifier(model, train, val, config, 1, kCpu),
                      cwola::core::InputError);
  }
  const Batch empty{torch::zeros({0, 2}), torch::zeros({0}), {}};
  BOOST_CHECK_THROW(training::train_classifier(model, train, empty, quick_config(), 1, kCpu),
                    cwola::core::InputError);
  const Batch mismatched{torch::zeros({10, 2}), torch::zeros({9}), {}};
  BOOST_CHECK_THROW(training::train_classifier(model, mismatched, val, quick_config(), 1, kCpu),
                    cwola::core::InputError);
  // A network with the wrong input width fails inside LibTorch, before any update.
  auto wide = models::DenseNetwork(models::DenseNetworkConfig{5, {4}});
  BOOST_CHECK_THROW(training::train_classifier(training::as_classifier(wide), train, val,
                                               quick_config(), 1, kCpu),
                    std::exception);
}

/// The largest absolute difference between two networks' parameters.
double max_parameter_difference(const models::DenseNetwork& a, const models::DenseNetwork& b) {
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  double most = 0;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    most = std::max(most, (pa[i] - pb[i]).abs().max().item<double>());
  }
  return most;
}

void copy_parameters(const models::DenseNetwork& from, models::DenseNetwork& to) {
  torch::NoGradGuard no_grad;
  const auto source = from->parameters();
  auto target = to->parameters();
  for (std::size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
}

BOOST_AUTO_TEST_CASE(continued_optimizer_equals_one_uninterrupted_training) {
  // Full-batch steps, so the event order (seeded per training) cannot matter: N epochs, then M
  // more continuing Adam, must be N + M epochs in one go, to float rounding of the batch sums.
  const auto train = make_data(256, 41);
  const auto validation = make_data(256, 42);
  auto config = quick_config();
  config.batch_size = 256;
  config.learning_rate = 3e-3;
  const int n_first = 4;
  const int n_more = 3;

  auto whole = make_net({8}, 7);
  config.max_epochs = n_first + n_more;
  const auto whole_outcome = training::train_classifier(training::as_classifier(whole), train,
                                                        validation, config, 1, kCpu);
  BOOST_REQUIRE_EQUAL(whole_outcome.best_epoch, n_first + n_more - 1);  // ends at its last epoch
  BOOST_CHECK_EQUAL(whole_outcome.optimizer.step, n_first + n_more);

  auto first = make_net({8}, 7);
  config.max_epochs = n_first;
  const auto first_outcome = training::train_classifier(training::as_classifier(first), train,
                                                        validation, config, 2, kCpu);
  BOOST_REQUIRE_EQUAL(first_outcome.best_epoch, n_first - 1);
  BOOST_REQUIRE_EQUAL(first_outcome.optimizer.step, n_first);

  config.max_epochs = n_more;
  auto continued = make_net({8}, 99);  // other initial weights, overwritten by the first's
  copy_parameters(first, continued);
  const auto continued_outcome =
      training::train_classifier(training::as_classifier(continued), train, validation, config,
                                 3, kCpu, {}, &first_outcome.optimizer);
  BOOST_CHECK_EQUAL(continued_outcome.optimizer.step, n_first + n_more);
  BOOST_CHECK_LT(max_parameter_difference(whole, continued), 1e-6);
  for (int e = 0; e < n_more; ++e) {
    BOOST_CHECK_CLOSE(continued_outcome.history[e].val_loss,
                      whole_outcome.history[n_first + e].val_loss, 1e-4);
  }

  // A fresh Adam from the same weights takes another path (its first steps are ~lr per
  // parameter): the comparison above can fail.
  auto fresh = make_net({8}, 99);
  copy_parameters(first, fresh);
  training::train_classifier(training::as_classifier(fresh), train, validation, config, 3, kCpu);
  BOOST_CHECK_GT(max_parameter_difference(whole, fresh), 1e-4);
}

BOOST_AUTO_TEST_CASE(optimizer_state_of_another_network_is_rejected) {
  const auto data = make_data(64, 5);
  auto small = make_net({4}, 1);
  auto config = quick_config();
  config.max_epochs = 1;
  const auto outcome =
      training::train_classifier(training::as_classifier(small), data, data, config, 1, kCpu);
  auto wider = make_net({5}, 1);
  BOOST_CHECK_THROW(training::train_classifier(training::as_classifier(wider), data, data, config,
                                               1, kCpu, {}, &outcome.optimizer),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(predict_scores_matches_sigmoid_of_forward) {
  auto net = make_net({8}, 3);
  const auto x = make_data(37, 9).x;
  const auto scores = training::predict_scores(training::as_classifier(net), x, 10, kCpu);
  torch::NoGradGuard no_grad;
  const auto expected = torch::sigmoid(net->forward(x));
  BOOST_REQUIRE(scores.size() == 37U);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    BOOST_TEST(scores[i] == expected[static_cast<std::int64_t>(i)].item<float>(),
               boost::test_tools::tolerance(1e-6F));
  }
  BOOST_TEST(training::predict_scores(training::as_classifier(net), torch::zeros({0, 2}), 10, kCpu)
                 .empty());
  BOOST_CHECK_THROW(training::predict_scores(training::as_classifier(net), x, 0, kCpu),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(to_tensor_copies_row_major) {
  std::vector<float> rows = {1, 2, 3, 4, 5, 6};
  const auto t = training::to_tensor(rows, 3);
  BOOST_TEST(t.size(0) == 2);
  BOOST_TEST(t.size(1) == 3);
  BOOST_TEST(t[1][0].item<float>() == 4.0F);
  rows[3] = 40;  // the tensor owns a copy
  BOOST_TEST(t[1][0].item<float>() == 4.0F);
  BOOST_CHECK_THROW(training::to_tensor(rows, 4), cwola::core::InputError);
  BOOST_CHECK_THROW(training::to_tensor(rows, 0), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(trains_on_cuda_like_on_cpu,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return training::cuda_available();
                     })) {
  const auto train = make_data(2000, 1);
  const auto val = make_data(1000, 2);
  auto config = quick_config();
  auto net = make_net({16}, 3);
  const torch::Device cuda(torch::kCUDA, 0);
  const auto outcome =
      training::train_classifier(training::as_classifier(net), train, val, config, 4, cuda);
  BOOST_TEST(outcome.history[outcome.best_epoch].val_accuracy > 0.95);
  auto cpu_net = make_net({16}, 3);
  const auto cpu_outcome =
      training::train_classifier(training::as_classifier(cpu_net), train, val, config, 4, kCpu);
  // Same seeds: the GPU run follows the CPU run up to floating-point reordering.
  BOOST_TEST(outcome.history.back().val_loss == cpu_outcome.history.back().val_loss,
             boost::test_tools::tolerance(1e-3));
}

BOOST_AUTO_TEST_SUITE_END()
