// The one training loop: every training option behaves the same for a network alone
// (train_classifier, a stack of one) and for a member of a stack (train_ensemble).
#include <torch/torch.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "core/error.hpp"
#include "models/dense_network.hpp"
#include "models/ensemble_dense_network.hpp"
#include "models/module_tensors.hpp"
#include "training/optimizer_tensors.hpp"
#include "training/training_loop.hpp"
#include "training_outcomes.hpp"

namespace models = cwola::models;
namespace training = cwola::training;
using training::Batch;
using training::EnsembleMember;
using training::LearningRateSchedule;
using training::TrainerConfig;

namespace {

const torch::Device kCpu(torch::kCPU);

/// Overlapping 2-d blobs (label 1 shifted by +0.8), with optional per-event weights.
Batch make_data(std::int64_t n, std::uint64_t seed, bool weighted) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::bernoulli_distribution coin(0.3);  // unbalanced labels
  std::vector<float> rows;
  std::vector<float> labels;
  std::vector<float> weights;
  for (std::int64_t i = 0; i < n; ++i) {
    const bool label = coin(rng);
    const float offset = label ? 0.8F : 0.0F;
    rows.push_back(normal(rng) + offset);
    rows.push_back(normal(rng) + offset);
    labels.push_back(label ? 1.0F : 0.0F);
    weights.push_back(label ? 1.7F : 0.6F);
  }
  Batch batch{training::to_tensor(rows, 2), torch::tensor(labels), {}};
  if (weighted) batch.weight = torch::tensor(weights);
  return batch;
}

TrainerConfig base_config() {
  TrainerConfig config;
  config.max_epochs = 8;
  config.batch_size = 50;
  config.learning_rate = 1e-2;
  config.patience = 3;
  return config;
}

struct Task {
  EnsembleMember data;
  std::uint64_t init_seed;
  Batch test;
};

std::vector<Task> make_tasks(bool weighted) {
  std::vector<Task> tasks;
  for (std::uint64_t k = 0; k < 3; ++k) {
    const auto s = 100 * (k + 1);
    tasks.push_back({{make_data(430, s + 1, weighted), make_data(200, s + 2, weighted), s + 3},
                     s + 4,
                     make_data(300, s + 5, false)});
  }
  return tasks;
}

/// Each task trained alone; with `averaged`, scored over its best epochs (average_best_epochs).
training::testing::TrainedTasks alone(const std::vector<Task>& tasks, const TrainerConfig& config,
                                      bool averaged = false) {
  training::testing::TrainedTasks result;
  for (const auto& task : tasks) {
    training::seed_weight_init(task.init_seed);
    models::DenseNetwork net(models::DenseNetworkConfig{2, {8, 8}});
    result.outcomes.push_back(training::train_classifier(training::as_classifier(net),
                                                         task.data.train, task.data.validation,
                                                         config, task.data.shuffle_seed, kCpu));
    result.scores.push_back(
        averaged ? training::predict_averaged_scores(training::as_classifier(net),
                                                     result.outcomes.back(), task.test.x, 128, kCpu)
                 : training::predict_scores(training::as_classifier(net), task.test.x, 128, kCpu));
  }
  return result;
}

/// The tasks trained as one stack; with `averaged`, scored over each member's best epochs.
training::testing::TrainedTasks stacked(const std::vector<Task>& tasks,
                                        const TrainerConfig& config, bool averaged = false) {
  std::vector<models::DenseNetwork> nets;
  std::vector<EnsembleMember> members;
  std::vector<torch::Tensor> tests;
  for (const auto& task : tasks) {
    training::seed_weight_init(task.init_seed);
    nets.emplace_back(models::DenseNetworkConfig{2, {8, 8}});
    members.push_back(task.data);
    tests.push_back(task.test.x);
  }
  models::EnsembleDenseNetwork ensemble(nets);
  const auto model = training::as_stacked_classifier(ensemble);
  training::testing::TrainedTasks result;
  result.outcomes = training::train_ensemble(model, members, config, kCpu);
  result.scores =
      averaged
          ? training::predict_ensemble_averaged_scores(model, result.outcomes, tests, 128, kCpu)
          : training::predict_ensemble_scores(model, tests, 128, kCpu);
  return result;
}

/// A quadratic regression loss for the loop's loss hook: a Linear(3, 2) module alone, its
/// outputs against targets carried as an extra per-event tensor; mean over events, scaled so
/// that the gradient norm is far above the clip.
training::StackLoss quadratic_loss(torch::nn::Linear& linear, const Batch& batch) {
  const auto predicted = linear->forward(batch.x.select(0, 0));  // a stack of one
  const auto loss = 50 * (predicted - batch.extra.at(0).select(0, 0)).pow(2).sum(1).mean();
  training::StackLoss out;
  out.objective = loss;
  out.loss = loss.detach().unsqueeze(0);
  out.logits = predicted.detach().select(1, 0).unsqueeze(0);
  out.terms = {2 * loss.detach().unsqueeze(0)};
  return out;
}

Batch regression_data(std::int64_t n) {
  torch::manual_seed(17);
  const auto x = torch::randn({n, 3});
  const auto target = torch::stack({x.select(1, 0) - 2 * x.select(1, 2), x.sum(1) + 1}, 1);
  return {x, (x.select(1, 1) > 0).to(torch::kFloat32), {}, {target}};
}

/// The reference: torch::optim::AdamW with torch::nn::utils::clip_grad_norm_ (clip 0: none) on
/// the loop's minibatches (same epoch order), as a LibTorch user writes it.
std::vector<double> reference_training(torch::nn::Linear& linear, const Batch& data,
                                       const TrainerConfig& config, std::uint64_t seed) {
  torch::optim::AdamW optimizer(
      linear->parameters(),
      torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay));
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> order(static_cast<std::size_t>(data.x.size(0)));
  std::vector<double> losses;
  for (int epoch = 0; epoch < config.max_epochs; ++epoch) {
    training::draw_epoch_order(order, rng);
    const auto index = torch::tensor(order, torch::kInt64);
    double sum = 0;
    for (std::int64_t start = 0; start < data.x.size(0); start += config.batch_size) {
      const auto rows =
          index.narrow(0, start, std::min<std::int64_t>(config.batch_size, data.x.size(0) - start));
      const Batch minibatch{data.x.index_select(0, rows).unsqueeze(0),
                            {},
                            {},
                            {data.extra[0].index_select(0, rows).unsqueeze(0)}};
      optimizer.zero_grad();
      const auto out = quadratic_loss(linear, minibatch);
      out.objective.backward();
      if (config.gradient_clip > 0) {
        torch::nn::utils::clip_grad_norm_(linear->parameters(), config.gradient_clip);
      }
      optimizer.step();
      sum += out.loss.item<double>() * static_cast<double>(rows.size(0));
    }
    losses.push_back(sum / static_cast<double>(data.x.size(0)));
  }
  return losses;
}

double max_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double most = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    most = std::max(most, (a[i] - b[i]).abs().max().item<double>());
  }
  return most;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(training_loop)

BOOST_AUTO_TEST_CASE(schedules_follow_their_formulas) {
  auto config = base_config();
  config.max_epochs = 10;
  BOOST_TEST(training::scheduled_learning_rate(config, 7) == 1e-2);
  config.schedule = LearningRateSchedule::kCosine;
  BOOST_TEST(training::scheduled_learning_rate(config, 0) == 1e-2);
  BOOST_TEST(training::scheduled_learning_rate(config, 5) == 5e-3,
             boost::test_tools::tolerance(1e-12));
  config.schedule = LearningRateSchedule::kStep;
  config.step_epochs = 3;
  config.step_factor = 0.5;
  BOOST_TEST(training::scheduled_learning_rate(config, 2) == 1e-2);
  BOOST_TEST(training::scheduled_learning_rate(config, 3) == 5e-3);
  BOOST_TEST(training::scheduled_learning_rate(config, 7) == 2.5e-3);
  BOOST_TEST((training::parse_schedule("cosine") == LearningRateSchedule::kCosine));
  BOOST_CHECK_THROW(training::parse_schedule("linear"), cwola::core::InputError);
  for (auto change : std::vector<std::function<void(TrainerConfig&)>>{
           [](TrainerConfig& c) { c.weight_decay = -1; },
           [](TrainerConfig& c) { c.step_epochs = 0; },
           [](TrainerConfig& c) { c.step_factor = 1.5; },
           [](TrainerConfig& c) { c.gradient_clip = -0.1; }}) {
    auto bad = base_config();
    change(bad);
    BOOST_CHECK_THROW(bad.validate(), cwola::core::InputError);
  }
}

// Every option, alone vs stacked: same statuses, best epochs and epoch counts, losses and test
// scores within the stacked-vs-single rounding (tests/training/test_ensemble_trainer.cpp).
BOOST_AUTO_TEST_CASE(every_option_trains_a_member_as_it_trains_alone) {
  struct Option {
    const char* name;
    bool weighted;
    std::function<void(TrainerConfig&)> set;
  };
  const std::vector<Option> options = {
      {"defaults", false, [](TrainerConfig&) {}},
      {"event weights", true, [](TrainerConfig&) {}},
      {"weight decay", false, [](TrainerConfig& c) { c.weight_decay = 0.3; }},
      {"cosine", false, [](TrainerConfig& c) { c.schedule = LearningRateSchedule::kCosine; }},
      {"step", false,
       [](TrainerConfig& c) {
         c.schedule = LearningRateSchedule::kStep;
         c.step_epochs = 2;
       }},
      {"gradient clip", false, [](TrainerConfig& c) { c.gradient_clip = 0.02; }},
  };
  for (const auto& option : options) {
    auto config = base_config();
    option.set(config);
    const auto tasks = make_tasks(option.weighted);
    const auto a = alone(tasks, config);
    const auto b = stacked(tasks, config);
    for (std::size_t k = 0; k < tasks.size(); ++k) {
      BOOST_TEST_INFO(option.name << ", member " << k);
      BOOST_TEST(static_cast<int>(a.outcomes[k].status) == static_cast<int>(b.outcomes[k].status));
      BOOST_TEST(a.outcomes[k].best_epoch == b.outcomes[k].best_epoch);
      BOOST_REQUIRE(a.outcomes[k].history.size() == b.outcomes[k].history.size());
      for (std::size_t e = 0; e < a.outcomes[k].history.size(); ++e) {
        BOOST_TEST(a.outcomes[k].history[e].val_loss == b.outcomes[k].history[e].val_loss,
                   boost::test_tools::tolerance(1e-4));
      }
      BOOST_TEST(training::testing::max_abs_difference(a.scores[k], b.scores[k]) < 1e-3);
    }
  }
}

BOOST_AUTO_TEST_CASE(options_change_training_as_they_should) {
  const auto tasks = make_tasks(false);
  const auto plain = alone({tasks[0]}, base_config());
  // Doubling every weight doubles the (weighted) losses; Adam is scale-free up to its eps, so
  // the trajectory is the same.
  auto doubled = tasks[0];
  doubled.data.train.weight = torch::full({430}, 2.0F);
  doubled.data.validation.weight = torch::full({200}, 2.0F);
  const auto twice = alone({doubled}, base_config());
  BOOST_TEST(twice.outcomes[0].history[0].val_loss == 2 * plain.outcomes[0].history[0].val_loss,
             boost::test_tools::tolerance(1e-4));
  // A clip far above any gradient norm changes nothing, bit for bit; a tight one does.
  auto loose = base_config();
  loose.gradient_clip = 1e6;
  BOOST_TEST(alone({tasks[0]}, loose).scores[0] == plain.scores[0]);
  auto tight = base_config();
  tight.gradient_clip = 1e-3;
  BOOST_TEST(alone({tasks[0]}, tight).scores[0] != plain.scores[0]);
  // Decoupled weight decay shrinks the weights.
  const auto weight_norm = [&](const TrainerConfig& config) {
    training::seed_weight_init(tasks[0].init_seed);
    models::DenseNetwork net(models::DenseNetworkConfig{2, {8, 8}});
    training::train_classifier(training::as_classifier(net), tasks[0].data.train,
                               tasks[0].data.validation, config, 5, kCpu);
    double sum = 0;
    for (const auto& p : net->parameters()) sum += p.pow(2).sum().item<double>();
    return std::sqrt(sum);
  };
  auto decay = base_config();
  decay.weight_decay = 5.0;
  BOOST_TEST(weight_norm(decay) < 0.8 * weight_norm(base_config()));
  // Weights of the wrong length are refused.
  auto bad = tasks[0];
  bad.data.train.weight = torch::ones({3});
  BOOST_CHECK_THROW(alone({bad}, base_config()), cwola::core::InputError);
}

// The loop's AdamW with clipping is the optimizer the attention network used to call:
// torch::optim::AdamW with torch::nn::utils::clip_grad_norm_, up to the rounding of the
// gradient norm (the loop sums all squared entries, LibTorch takes the norm of per-parameter
// norms); without clipping, bit for bit. Also: a loss hook with an extra per-event tensor, and
// training without a validation set (all epochs, the last weights).
BOOST_AUTO_TEST_CASE(adamw_with_clipping_is_torch_optim_adamw_with_clip_grad_norm) {
  const auto data = regression_data(200);
  TrainerConfig config;
  config.max_epochs = 3;
  config.batch_size = 64;  // 4 minibatches per epoch, the last one short
  config.learning_rate = 0.05;
  config.weight_decay = 0.1;
  config.gradient_clip = 0.5;  // far below the gradient norms of quadratic_loss
  config.patience = 1;         // unused without validation events
  const auto fresh = [] {
    torch::manual_seed(3);
    return torch::nn::Linear(3, 2);
  };
  auto ours = fresh();
  const training::StackView view{
      ours.ptr(), {}, training::MemberAxis::kSingle, [&ours](const Batch& b) {
        return quadratic_loss(ours, b);
      }};
  const auto outcome =
      training::train_stack(view, {EnsembleMember{data, {}, 7}}, config, kCpu, {}).front();
  auto reference = fresh();
  const auto losses = reference_training(reference, data, config, 7);
  auto unclipped = fresh();
  auto no_clip = config;
  no_clip.gradient_clip = 0;
  reference_training(unclipped, data, no_clip, 7);

  BOOST_TEST((outcome.status == training::TrainStatus::kCompleted));
  BOOST_TEST(outcome.best_epoch == -1);
  BOOST_REQUIRE(outcome.history.size() == 3U);
  for (std::size_t e = 0; e < 3; ++e) {
    const auto& record = outcome.history[e];
    BOOST_TEST(record.train_loss == losses[e], boost::test_tools::tolerance(1e-5));
    BOOST_REQUIRE(record.train_terms.size() == 1U);
    BOOST_TEST(record.train_terms[0] == 2 * record.train_loss, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(std::isnan(record.val_loss));
  }
  const double difference = max_difference(ours->parameters(), reference->parameters());
  const double clipping = max_difference(reference->parameters(), unclipped->parameters());
  BOOST_TEST_MESSAGE("largest parameter difference to torch::optim::AdamW + clip_grad_norm_: "
                     << difference << "; clipping itself moves them by " << clipping);
  BOOST_TEST(difference < 1e-6);
  BOOST_TEST(clipping > 1e-2);
  // Without clipping the two are the same tensor operations: bit for bit.
  auto ours_unclipped = fresh();
  const training::StackView unclipped_view{
      ours_unclipped.ptr(), {}, training::MemberAxis::kSingle, [&ours_unclipped](const Batch& b) {
        return quadratic_loss(ours_unclipped, b);
      }};
  training::train_stack(unclipped_view, {EnsembleMember{data, {}, 7}}, no_clip, kCpu, {});
  BOOST_TEST(max_difference(ours_unclipped->parameters(), unclipped->parameters()) == 0.0);
}

// Extra per-event tensors are cut with the same rows as x, for every member of a stack; a
// loss hook that computes binary cross-entropy trains as the built-in loss does.
BOOST_AUTO_TEST_CASE(extra_tensors_travel_with_their_events_through_a_stack) {
  // Member k's events carry their id (1000 k + i, validation + 500) in x and as an int64 tensor.
  std::vector<EnsembleMember> members;
  for (std::int64_t k = 0; k < 2; ++k) {
    auto train = make_data(130, 10 + k, false);
    auto validation = make_data(70, 20 + k, false);
    for (auto* set : {&train, &validation}) {
      const auto ids =
          torch::arange(set->x.size(0), torch::kInt64) + 1000 * k + (set == &train ? 0 : 500);
      set->x.select(1, 0).copy_(ids.to(torch::kFloat32) / 1000);
      set->extra = {ids};
    }
    members.push_back({train, validation, static_cast<std::uint64_t>(5 + k)});
  }
  auto config = base_config();
  config.max_epochs = 2;
  config.patience = 2;
  const auto build = [] {
    std::vector<models::DenseNetwork> nets;
    for (int k = 0; k < 2; ++k) {
      training::seed_weight_init(40 + k);
      nets.emplace_back(models::DenseNetworkConfig{2, {4}});
    }
    return models::EnsembleDenseNetwork(nets);
  };
  auto hooked = build();
  std::vector<std::vector<std::int64_t>> seen(2);
  bool rows_match = true;
  training::StackView view{hooked.ptr(), {}, training::MemberAxis::kStacked};
  view.loss = [&](const Batch& b) {
    const auto ids = b.extra.at(0);
    rows_match = rows_match && torch::equal(ids.to(torch::kFloat32) / 1000, b.x.select(2, 0));
    if (torch::GradMode::is_enabled()) {  // a training minibatch
      for (std::int64_t k = 0; k < 2; ++k) {
        const auto row = ids[k].contiguous();
        seen[k].insert(seen[k].end(), row.data_ptr<std::int64_t>(),
                       row.data_ptr<std::int64_t>() + row.numel());
      }
    }
    training::StackLoss out;
    out.logits = hooked->forward(b.x);
    const auto loss =
        torch::binary_cross_entropy_with_logits(out.logits, b.y, {}, {}, at::Reduction::None)
            .mean(1);
    out.objective = loss.sum();
    out.loss = loss.detach();
    return out;
  };
  const auto outcomes = training::train_stack(view, members, config, kCpu, {});
  BOOST_TEST(rows_match);
  for (std::int64_t k = 0; k < 2; ++k) {
    // Every training event of member k, once per epoch, and only member k's.
    std::sort(seen[k].begin(), seen[k].end());
    std::vector<std::int64_t> expected;
    for (std::int64_t i = 0; i < 130; ++i) expected.insert(expected.end(), 2, 1000 * k + i);
    BOOST_TEST(seen[k] == expected, boost::test_tools::per_element());
  }
  auto plain = build();
  const auto built_in =
      training::train_ensemble(training::as_stacked_classifier(plain), members, config, kCpu);
  for (std::size_t k = 0; k < 2; ++k) {
    BOOST_REQUIRE(outcomes[k].history.size() == built_in[k].history.size());
    for (std::size_t e = 0; e < outcomes[k].history.size(); ++e) {
      BOOST_TEST(outcomes[k].history[e].val_loss == built_in[k].history[e].val_loss,
                 boost::test_tools::tolerance(1e-5));
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_extra_tensors_and_validation_sets_are_rejected) {
  auto config = base_config();
  training::seed_weight_init(1);
  models::DenseNetwork net(models::DenseNetworkConfig{2, {4}});
  const auto model = training::as_classifier(net);
  auto train = make_data(100, 1, false);
  const auto validation = make_data(50, 2, false);
  train.extra = {torch::zeros({99})};  // one row short
  BOOST_CHECK_THROW(training::train_classifier(model, train, validation, config, 1, kCpu),
                    cwola::core::InputError);
  train.extra.clear();
  // No validation set: the best epochs cannot be chosen.
  config.average_best_epochs = 2;
  BOOST_CHECK_THROW(training::train_classifier(model, train, Batch{}, config, 1, kCpu),
                    cwola::core::InputError);
  // Stacked members either all have a validation set or none has.
  models::EnsembleDenseNetwork ensemble(std::vector<models::DenseNetwork>(2, net));
  config.average_best_epochs = 1;
  BOOST_CHECK_THROW(
      training::train_ensemble(training::as_stacked_classifier(ensemble),
                               {EnsembleMember{train, validation, 1}, EnsembleMember{train, {}, 2}},
                               config, kCpu),
      cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(average_best_epochs)

BOOST_AUTO_TEST_CASE(scores_average_the_best_epochs_alone_and_stacked) {
  auto config = base_config();
  config.average_best_epochs = 3;
  config.patience = 100;  // all 8 epochs: more than 3 to choose from
  const auto tasks = make_tasks(false);
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    const auto& task = tasks[k];
    training::seed_weight_init(task.init_seed);
    models::DenseNetwork net(models::DenseNetworkConfig{2, {8, 8}});
    const auto classifier = training::as_classifier(net);
    const auto outcome = training::train_classifier(classifier, task.data.train,
                                                    task.data.validation, config,
                                                    task.data.shuffle_seed, kCpu);
    // The kept epochs are the three lowest validation losses, best first.
    BOOST_REQUIRE(outcome.averaged_epochs.size() == 3U);
    std::vector<int> by_loss(outcome.history.size());
    std::iota(by_loss.begin(), by_loss.end(), 0);
    std::stable_sort(by_loss.begin(), by_loss.end(), [&outcome](int a, int b) {
      return outcome.history[static_cast<std::size_t>(a)].val_loss <
             outcome.history[static_cast<std::size_t>(b)].val_loss;
    });
    for (std::size_t j = 0; j < 3; ++j) BOOST_TEST(outcome.averaged_epochs[j] == by_loss[j]);
    BOOST_TEST(outcome.averaged_epochs.front() == outcome.best_epoch);

    // The average equals the mean of the three epochs' own scores, and scoring leaves the
    // best epoch's weights in place.
    const auto best = training::predict_scores(classifier, task.test.x, 128, kCpu);
    const auto averaged =
        training::predict_averaged_scores(classifier, outcome, task.test.x, 128, kCpu);
    std::vector<double> mean(best.size(), 0.0);
    for (const auto& state : outcome.averaged_states) {
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> live = net->parameters();
      for (const auto& buffer : net->buffers()) live.push_back(buffer);
      std::vector<torch::Tensor> backup;
      for (const auto& t : live) backup.push_back(t.clone());
      for (std::size_t i = 0; i < live.size(); ++i) live[i].copy_(state[i]);
      const auto own = training::predict_scores(classifier, task.test.x, 128, kCpu);
      for (std::size_t e = 0; e < own.size(); ++e) mean[e] += own[e] / 3.0;
      for (std::size_t i = 0; i < live.size(); ++i) live[i].copy_(backup[i]);
    }
    double worst = 0;
    for (std::size_t e = 0; e < mean.size(); ++e) {
      worst = std::max(worst, std::abs(mean[e] - static_cast<double>(averaged[e])));
    }
    BOOST_TEST_INFO("task " << k);
    BOOST_TEST(worst < 1e-6);
    BOOST_TEST(training::testing::max_abs_difference(
                   best, training::predict_scores(classifier, task.test.x, 128, kCpu)) == 0.0);
    BOOST_TEST(training::testing::max_abs_difference(best, averaged) > 1e-6);  // not a no-op
  }

  // A stack averages each member over its own best epochs, as the member alone does.
  const auto single = alone(tasks, config, /*averaged=*/true);
  const auto stack = stacked(tasks, config, /*averaged=*/true);
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    BOOST_TEST_INFO("member " << k);
    BOOST_TEST(training::testing::max_abs_difference(single.scores[k], stack.scores[k]) < 1e-3);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(optimizer_tensors)

BOOST_AUTO_TEST_CASE(the_stored_adam_state_round_trips_and_counts_the_updates) {
  auto config = base_config();
  const auto tasks = make_tasks(false);
  training::seed_weight_init(tasks[0].init_seed);
  models::DenseNetwork net(models::DenseNetworkConfig{2, {8, 8}});
  const auto outcome =
      training::train_classifier(training::as_classifier(net), tasks[0].data.train,
                                 tasks[0].data.validation, config, tasks[0].data.shuffle_seed, kCpu);
  // 430 training events in batches of 50: 9 updates per epoch, up to the best epoch.
  BOOST_TEST(outcome.optimizer.step == 9 * (outcome.best_epoch + 1));
  const auto layout = training::optimizer_layout(*net);
  BOOST_TEST(layout.tensors.size() == 2 * net->parameters().size() + 1);
  BOOST_TEST(layout.tensors.front().name == "optimizer.exp_avg.hidden0.weight");

  cwola::core::ModelTensors stored = models::export_tensors(*net);
  const std::size_t own = stored.values.size();
  for (auto& values : training::export_optimizer(*net, outcome.optimizer)) {
    stored.values.push_back(values);
  }
  const auto [model, state] = training::split_optimizer(*net, stored, own);
  BOOST_TEST(model.values.size() == own);
  BOOST_TEST(state.step == outcome.optimizer.step);
  BOOST_REQUIRE(state.exp_avg.size() == outcome.optimizer.exp_avg.size());
  for (std::size_t i = 0; i < state.exp_avg.size(); ++i) {
    BOOST_TEST(torch::equal(state.exp_avg[i], outcome.optimizer.exp_avg[i].to(torch::kCPU)));
    BOOST_TEST(torch::equal(state.exp_avg_sq[i], outcome.optimizer.exp_avg_sq[i].to(torch::kCPU)));
  }
  // A model without a stored state: none; a state of another network: refused.
  BOOST_TEST(training::split_optimizer(*net, models::export_tensors(*net), own).second.empty());
  models::DenseNetwork other(models::DenseNetworkConfig{2, {4}});
  BOOST_CHECK_THROW(training::split_optimizer(*other, stored, own), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
