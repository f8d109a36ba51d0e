#include "studies/classifier_task.hpp"

#include <cmath>
#include <limits>

#include "core/random_stream.hpp"
#include "metrics/classifier_metrics.hpp"
#include "metrics/roc.hpp"
#include "models/dense_network.hpp"
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

namespace {
training::Batch to_batch(const data::EventTable& table, const std::vector<std::uint8_t>& labels) {
  const auto features = static_cast<std::int64_t>(table.features);
  std::vector<float> y(labels.begin(), labels.end());
  return {training::to_tensor(table.rows, features),
          training::to_tensor(y, 1).reshape({static_cast<std::int64_t>(y.size())})};
}
}  // namespace

TaskOutput train_and_evaluate(const ClassifierSettings& settings, const data::EventTable& mixed,
                              const data::EventTable& test, const ExpectedYields& yields,
                              const TaskContext& context) {
  core::RandomStream split_stream(context.seed(core::SeedPurpose::kSplit));
  const auto split = data::split_train_validation(mixed, settings.validation_fraction, split_stream);

  models::DenseNetworkConfig network;
  network.inputs = static_cast<int>(mixed.features);
  network.hidden = settings.hidden;
  network.validate();
  training::seed_weight_init(context.seed(core::SeedPurpose::kWeightInit));
  models::DenseNetwork model(network);
  const auto classifier = training::as_classifier(model);

  training::TrainerConfig trainer;
  trainer.max_epochs = settings.max_epochs;
  trainer.batch_size = settings.batch_size;
  trainer.learning_rate = settings.learning_rate;
  trainer.patience = settings.patience;
  trainer.min_delta = settings.min_delta;
  trainer.validate();

  const torch::Device device(context.device);
  const auto outcome = training::train_classifier(
      classifier, to_batch(split.train, split.train.label),
      to_batch(split.validation, split.validation.label), trainer,
      context.seed(core::SeedPurpose::kShuffle), device,
      [&context](const training::EpochRecord&) { return context.keep_going(); });

  TaskOutput output;
  for (const auto& epoch : outcome.history) {
    output.train_loss.push_back(epoch.train_loss);
    output.val_loss.push_back(epoch.val_loss);
    output.train_accuracy.push_back(epoch.train_accuracy);
    output.val_accuracy.push_back(epoch.val_accuracy);
  }
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

  const auto scores = training::predict_scores(
      classifier, training::to_tensor(test.rows, static_cast<std::int64_t>(test.features)),
      settings.eval_batch_size, device);
  const auto m = metrics::evaluate_classifier(
      scores, test.is_signal,
      settings.rectify ? metrics::Rectify::kIfBelowHalf : metrics::Rectify::kNo, yields.signal,
      yields.background, roc_grid(settings));
  const auto& best = outcome.history.at(static_cast<std::size_t>(outcome.best_epoch));
  output.results = {m.auc,
                    m.best_accuracy,
                    m.accuracy_at_half,
                    best.train_accuracy,
                    best.val_accuracy,
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
                    static_cast<double>(outcome.best_epoch + 1),
                    static_cast<double>(outcome.history.size()),
                    std::numeric_limits<double>::quiet_NaN()};  // wall_seconds: set by the runner
  output.roc = m.roc_on_grid;
  return output;
}

}  // namespace cwola::studies
