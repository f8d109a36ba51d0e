#include "studies/classifier_task.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "core/text.hpp"
#include "metrics/classifier_metrics.hpp"
#include "metrics/roc.hpp"
#include "models/dense_network.hpp"
#include "models/module_tensors.hpp"
#include "models/ensemble_dense_network.hpp"
#include "training/ensemble_trainer.hpp"
#include "training/trainer.hpp"

namespace cwola::studies {

ClassifierSettings read_classifier_settings(core::JobConfig& config) {
  ClassifierSettings s;
  const auto hidden = config.get_ints("model.hidden", {64, 64}, 1, 65536);
  s.hidden.assign(hidden.begin(), hidden.end());
  s.max_epochs = static_cast<int>(config.get_int("training.max_epochs", 100, 1, 100000));
  s.batch_size = static_cast<int>(config.get_int("training.batch_size", 256, 1, 1 << 24));
  s.learning_rate = config.get_double("training.learning_rate", 1e-3, 1e-12, 10.0);
  s.patience = static_cast<int>(config.get_int("training.patience", 10, 1, 100000));
  s.min_delta = config.get_double("training.min_delta", 0.0, 0.0, 1.0);
  s.validation_fraction = config.get_double("training.validation_fraction", 0.2, 0.01, 0.9);
  s.eval_batch_size =
      static_cast<int>(config.get_int("training.eval_batch_size", 8192, 1, 1 << 24));
  s.rectify = config.get_bool("metrics.rectify", false);
  s.roc_points = static_cast<std::size_t>(config.get_int("metrics.roc_points", 41, 2, 10000));
  s.roc_min_background_efficiency =
      config.get_double("metrics.roc_min_background_efficiency", 1e-4, 1e-12, 0.5);
  return s;
}

std::vector<double> roc_grid(const ClassifierSettings& settings) {
  return metrics::log_grid(settings.roc_min_background_efficiency, 1.0, settings.roc_points);
}

const std::vector<std::string>& classifier_columns() {
  static const std::vector<std::string> kColumns = {
      "auc",
      "best_accuracy",
      "accuracy_at_half",
      "train_accuracy",
      "val_accuracy",
      "eff_s_at_eb_1e-1",
      "eff_s_at_eb_1e-2",
      "eff_s_at_eb_1e-3",
      "sic_at_eb_1e-1",
      "sic_at_eb_1e-2",
      "sic_at_eb_1e-3",
      "significance_before",
      "significance_after_eb_1e-1",
      "significance_after_eb_1e-2",
      "significance_after_eb_1e-3",
      "rectified",
      "best_epoch",
      "epochs",
      "wall_seconds",
  };
  return kColumns;
}

std::vector<double> classifier_results(const metrics::ClassifierMetrics& m, double train_accuracy,
                                       double val_accuracy, int best_epoch, std::size_t epochs) {
  return {m.auc,
          m.best_accuracy,
          m.accuracy_at_half,
          train_accuracy,
          val_accuracy,
          m.signal_efficiency[0],
          m.signal_efficiency[1],
          m.signal_efficiency[2],
          m.significance_improvement[0],
          m.significance_improvement[1],
          m.significance_improvement[2],
          m.significance_before,
          m.significance_after[0],
          m.significance_after[1],
          m.significance_after[2],
          m.rectified ? 1.0 : 0.0,
          static_cast<double>(best_epoch + 1),
          static_cast<double>(epochs),
          std::numeric_limits<double>::quiet_NaN()};  // wall_seconds: set by the runner
}

TaskOutput output_with_curves(const training::TrainOutcome& outcome) {
  TaskOutput output;
  for (const auto& epoch : outcome.history) {
    output.train_loss.push_back(epoch.train_loss);
    output.val_loss.push_back(epoch.val_loss);
    output.train_accuracy.push_back(epoch.train_accuracy);
    output.val_accuracy.push_back(epoch.val_accuracy);
  }
  return output;
}

namespace {
training::Batch to_batch(const data::EventTable& table, const std::vector<std::uint8_t>& labels) {
  const auto features = static_cast<std::int64_t>(table.features);
  std::vector<float> y(labels.begin(), labels.end());
  return {training::to_tensor(table.rows, features),
          training::to_tensor(y, 1).reshape({static_cast<std::int64_t>(y.size())})};
}

/// Curves, status and result columns of one task from its training outcome and, when it
/// finished, the scores of its network on `test`.
TaskOutput make_output(const ClassifierSettings& settings, const training::TrainOutcome& outcome,
                       const std::vector<float>* scores, const data::EventTable& test,
                       const ExpectedYields& yields) {
  TaskOutput output = output_with_curves(outcome);
  if (outcome.status == training::TrainStatus::kAbandoned) {
    output.status = TaskOutput::Status::kAbandoned;
    return output;
  }
  if (outcome.status == training::TrainStatus::kDiverged) {
    output.status = TaskOutput::Status::kFailed;
    output.failure_reason = outcome.failure_reason;
    output.results.assign(classifier_columns().size(), std::numeric_limits<double>::quiet_NaN());
    return output;
  }

  const auto m = metrics::evaluate_classifier(
      *scores, test.is_signal,
      settings.rectify ? metrics::Rectify::kIfBelowHalf : metrics::Rectify::kNo, yields.signal,
      yields.background, roc_grid(settings));
  const auto& best = outcome.history.at(static_cast<std::size_t>(outcome.best_epoch));
  output.results = classifier_results(m, best.train_accuracy, best.val_accuracy,
                                      outcome.best_epoch, outcome.history.size());
  output.roc = m.roc_on_grid;
  return output;
}

models::DenseNetworkConfig network_config(const ClassifierSettings& settings,
                                          std::size_t features) {
  models::DenseNetworkConfig network;
  network.inputs = static_cast<int>(features);
  network.hidden = settings.hidden;
  network.validate();
  return network;
}

training::TrainerConfig trainer_config(const ClassifierSettings& settings) {
  training::TrainerConfig trainer;
  trainer.max_epochs = settings.max_epochs;
  trainer.batch_size = settings.batch_size;
  trainer.learning_rate = settings.learning_rate;
  trainer.patience = settings.patience;
  trainer.min_delta = settings.min_delta;
  trainer.validate();
  return trainer;
}
/// Fault injection for the end-to-end divergence test (tests/faults/test_divergence.py):
/// CWOLA_FAULT_NAN_TASKS = "3,7" puts a NaN into one training feature of tasks 3 and 7,
/// so the real trainer meets a non-finite loss there. No job setting can do this: every
/// job value is range-checked, and within the ranges training stays finite.
bool nan_injected(std::uint64_t task_id) {
  static const std::vector<std::string> tasks = [] {
    const char* text = std::getenv("CWOLA_FAULT_NAN_TASKS");
    return text == nullptr ? std::vector<std::string>{} : core::split(text, ',');
  }();
  return std::find(tasks.begin(), tasks.end(), std::to_string(task_id)) != tasks.end();
}
}  // namespace

TaskOutput train_and_evaluate_split(const ClassifierSettings& settings,
                                    const data::TrainValidationSplit& split,
                                    const data::EventTable& test, const ExpectedYields& yields,
                                    const TaskContext& context) {
  const auto network = network_config(settings, split.train.features);
  training::seed_weight_init(context.seed(core::SeedPurpose::kWeightInit));
  models::DenseNetwork model(network);
  if (context.input_model != nullptr) models::import_tensors(*model, *context.input_model);
  const auto classifier = training::as_classifier(model);
  const auto trainer = trainer_config(settings);

  const torch::Device device(context.device);
  auto train_batch = to_batch(split.train, split.train.label);
  if (nan_injected(context.task_id)) {
    train_batch.x[0][0] = std::numeric_limits<float>::quiet_NaN();
  }
  const auto outcome = training::train_classifier(
      classifier, std::move(train_batch),
      to_batch(split.validation, split.validation.label), trainer,
      context.seed(core::SeedPurpose::kShuffle), device,
      [&context](const training::EpochRecord&) { return context.keep_going(); });
  if (outcome.status == training::TrainStatus::kAbandoned ||
      outcome.status == training::TrainStatus::kDiverged) {
    return make_output(settings, outcome, nullptr, test, yields);
  }
  const auto scores = training::predict_scores(
      classifier, training::to_tensor(test.rows, static_cast<std::int64_t>(test.features)),
      settings.eval_batch_size, device);
  auto output = make_output(settings, outcome, &scores, test, yields);
  if (context.keep_model) {
    output.model = models::export_tensors(*model);
    output.model.best_epoch = outcome.best_epoch;
    output.model.epochs = static_cast<std::int64_t>(outcome.history.size());
  }
  return output;
}

std::vector<TaskOutput> train_and_evaluate_stacked(const ClassifierSettings& settings,
                                                   const std::vector<ClassifierProblem>& problems) {
  if (problems.empty()) return {};
  const auto features = problems.front().split->train.features;
  const auto network = network_config(settings, features);
  const auto trainer = trainer_config(settings);
  const TaskContext& first = problems.front().context;
  const torch::Device device(first.device);

  // Each member is built exactly as train_and_evaluate_split builds its network: same seeded
  // initialisation, same shuffle seed.
  std::vector<models::DenseNetwork> networks;
  std::vector<training::EnsembleMember> members;
  std::vector<torch::Tensor> tests;
  for (const auto& problem : problems) {
    const auto& split = *problem.split;
    training::seed_weight_init(problem.context.seed(core::SeedPurpose::kWeightInit));
    networks.emplace_back(network);
    members.push_back({to_batch(split.train, split.train.label),
                       to_batch(split.validation, split.validation.label),
                       problem.context.seed(core::SeedPurpose::kShuffle)});
    if (nan_injected(problem.context.task_id)) {
      members.back().train.x[0][0] = std::numeric_limits<float>::quiet_NaN();
    }
    tests.push_back(
        training::to_tensor(problem.test->rows, static_cast<std::int64_t>(problem.test->features)));
  }
  models::EnsembleDenseNetwork ensemble(networks,
                                        models::parse_compute_precision(first.precision));
  const auto model = training::as_stacked_classifier(ensemble);
  const auto outcomes =
      training::train_ensemble(model, members, trainer, device, [&first] {
        return first.keep_going();
      });
  const bool any_finished =
      std::any_of(outcomes.begin(), outcomes.end(), [](const training::TrainOutcome& o) {
        return o.status != training::TrainStatus::kAbandoned &&
               o.status != training::TrainStatus::kDiverged;
      });
  std::vector<std::vector<float>> scores;
  if (any_finished) {
    scores = training::predict_ensemble_scores(model, tests, settings.eval_batch_size, device);
  }
  std::vector<TaskOutput> outputs;
  outputs.reserve(problems.size());
  for (std::size_t k = 0; k < problems.size(); ++k) {
    outputs.push_back(make_output(settings, outcomes[k], scores.empty() ? nullptr : &scores[k],
                                  *problems[k].test, problems[k].yields));
  }
  return outputs;
}

std::vector<TaskOutput> run_in_groups(
    const std::vector<TaskContext>& contexts,
    const std::function<std::string(const TaskContext&)>& key,
    const std::function<std::vector<TaskOutput>(const std::vector<TaskContext>&)>& run_group) {
  std::vector<TaskOutput> outputs(contexts.size());
  std::vector<std::string> keys;
  keys.reserve(contexts.size());
  for (const auto& context : contexts) keys.push_back(key(context));
  std::vector<bool> assigned(contexts.size(), false);
  bool abandoned = false;
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    if (assigned[i]) continue;
    std::vector<std::size_t> members;
    std::vector<TaskContext> group;
    for (std::size_t j = i; j < contexts.size(); ++j) {
      if (!assigned[j] && keys[j] == keys[i]) {
        members.push_back(j);
        group.push_back(contexts[j]);
        assigned[j] = true;
      }
    }
    if (abandoned || !contexts[i].keep_going()) {
      abandoned = true;
      for (std::size_t j : members) outputs[j].status = TaskOutput::Status::kAbandoned;
      continue;
    }
    auto group_outputs = run_group(group);
    if (group_outputs.size() != group.size()) {
      throw core::Error("a study returned " + std::to_string(group_outputs.size()) +
                        " outputs for " + std::to_string(group.size()) +
                        " tasks (a bug in its run_tasks)");
    }
    for (std::size_t g = 0; g < group.size(); ++g) {
      abandoned = abandoned || group_outputs[g].status == TaskOutput::Status::kAbandoned;
      outputs[members[g]] = std::move(group_outputs[g]);
    }
  }
  return outputs;
}

std::string stacking_key(const ClassifierSettings& s) {
  std::string key = "hidden=";
  for (int width : s.hidden) key += std::to_string(width) + ",";
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, ";%d;%d;%.17g;%d;%.17g;%.17g;%d", s.max_epochs,
                s.batch_size, s.learning_rate, s.patience, s.min_delta, s.validation_fraction,
                s.eval_batch_size);
  return key + buffer;
}

std::size_t stacked_task_bytes(const ClassifierSettings& settings, std::size_t mixed_events,
                               std::size_t test_events, std::size_t features) {
  std::int64_t parameters = 0;
  std::int64_t width = static_cast<std::int64_t>(features);
  std::int64_t activations = 0;
  for (int hidden : settings.hidden) {
    parameters += (width + 1) * hidden;
    activations += hidden;
    width = hidden;
  }
  parameters += width + 1;
  const auto mixed = static_cast<std::int64_t>(mixed_events);
  const auto validation =
      static_cast<std::int64_t>(settings.validation_fraction * static_cast<double>(mixed));
  return static_cast<std::size_t>(training::member_footprint_bytes(
      mixed - validation, validation, static_cast<std::int64_t>(test_events),
      static_cast<std::int64_t>(features), parameters, activations + 1, settings.batch_size,
      settings.eval_batch_size));
}

}  // namespace cwola::studies
