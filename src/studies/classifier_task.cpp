#include "studies/classifier_task.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <cstring>
#include <limits>
#include <set>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/random_stream.hpp"
#include "core/seed.hpp"
#include "core/text.hpp"
#include "data/event_weights.hpp"
#include "metrics/classifier_metrics.hpp"
#include "metrics/roc.hpp"
#include "metrics/sic.hpp"
#include "models/dense_network.hpp"
#include "models/ensemble_dense_network.hpp"
#include "studies/task_model.hpp"
#include "training/ensemble_trainer.hpp"
#include "training/trainer.hpp"

namespace cwola::studies {

namespace {
/// Network settings a BDT does not use: set with model.classifier = bdt they are ignored, and
/// said so (once per process).
const std::vector<std::string>& network_only_keys() {
  static const std::vector<std::string> kKeys = {
      "model.hidden", "model.dropout", "model.batch_norm", "training.max_epochs",
      "training.batch_size", "training.learning_rate", "training.patience", "training.min_delta",
      "training.weight_decay", "training.schedule", "training.step_epochs",
      "training.step_factor", "training.gradient_clip", "training.eval_batch_size"};
  return kKeys;
}

/// The [bdt] section (read and validated whatever the backend, so that one job can compare
/// both by changing model.classifier alone).
trees::BdtConfig read_bdt_settings(core::JobConfig& config) {
  trees::BdtConfig b;
  b.rounds = static_cast<int>(config.get_int("bdt.rounds", b.rounds, 1, 100000));
  b.max_leaves = static_cast<int>(config.get_int("bdt.max_leaves", b.max_leaves, 2, 1 << 20));
  b.learning_rate = config.get_double("bdt.learning_rate", b.learning_rate, 1e-6, 1.0);
  b.patience = static_cast<int>(config.get_int("bdt.patience", b.patience, 1, 100000));
  b.ensemble = static_cast<std::size_t>(config.get_int("bdt.ensemble", 50, 1, 10000));
  b.subsample = config.get_double("bdt.subsample", b.subsample, 1e-3, 1.0);
  b.max_bins = static_cast<int>(config.get_int("bdt.max_bins", b.max_bins, 2, 65535));
  b.threads = static_cast<int>(config.get_int("bdt.threads", b.threads, 1, 1024));
  b.validate();
  return b;
}

/// model.classifier = bdt: refuses the settings that would mislead and says which network
/// settings it ignores (`set_network_keys`: the network_only_keys() the job sets, taken before
/// they were read, which records their defaults).
void check_bdt_combinations(core::JobConfig& config,
                            const std::vector<std::string>& set_network_keys) {
  const auto refuse = [&config](const std::string& key, const std::string& why) {
    config.fail(key, "= " + config.raw(key) + " cannot be used with model.classifier = bdt: " +
                         why);
  };
  if (config.has("metrics.untrained_baseline") && config.get_bool("metrics.untrained_baseline", false)) {
    refuse("metrics.untrained_baseline",
           "a boosted-tree ensemble before its first round scores every event alike (the "
           "no-training null is a constant score, AUC 0.5 by definition); set it to false");
  }
  if (config.has("model.output_bias") && config.raw("model.output_bias") != "zero") {
    refuse("model.output_bias", "it sets a network's output bias; remove it");
  }
  if (config.has("training.average_best_epochs") &&
      config.raw("training.average_best_epochs") != "1") {
    refuse("training.average_best_epochs",
           "it averages a network's weights over epochs (the trees keep their best round); "
           "remove it");
  }
  if (config.has("run.checkpoint") && config.raw("run.checkpoint") == "epoch") {
    refuse("run.checkpoint", "a boosted-tree task keeps no per-round checkpoints (it reruns "
                             "from the start after a restart); use none");
  }
  static bool warned = false;
  std::string ignored;
  for (const auto& key : set_network_keys) ignored += (ignored.empty() ? "" : ", ") + key;
  if (!warned && !ignored.empty()) {
    warned = true;
    core::log_warning("model.classifier = bdt ignores the network settings " + ignored +
                      " (the trees' settings are in [bdt])");
  }
}
}  // namespace

ClassifierSettings read_classifier_settings(core::JobConfig& config, bool knows_mass_regions) {
  ClassifierSettings s;
  std::vector<std::string> set_network_keys;
  for (const auto& key : network_only_keys())
    if (config.has(key)) set_network_keys.push_back(key);
  // Read only when the job names them, so that the effective config, and with it the job hash
  // and stacking key, of a network job that does not stays what it was before trees existed
  // (stores written then still resume).
  const bool sets_bdt_keys = !config.section("bdt").empty();
  if (config.has("model.classifier") &&
      config.get_choice("model.classifier", "nn", {"nn", "bdt"}) == "bdt") {
    s.backend = ClassifierBackend::kBdt;
  }
  const auto hidden = config.get_ints("model.hidden", {64, 64}, 1, 65536);
  s.hidden.assign(hidden.begin(), hidden.end());
  s.dropout = config.get_double("model.dropout", 0.0, 0.0, 0.95);
  s.batch_norm = config.get_bool("model.batch_norm", false);
  s.prior_output_bias =
      config.get_choice("model.output_bias", "zero", {"zero", "prior"}) == "prior";
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
  s.sic_floor.rule = config.get_choice("metrics.sic_floor", "relative_error",
                                       {"relative_error", "background_efficiency"}) ==
                             "relative_error"
                         ? metrics::SicFloorRule::kRelativeError
                         : metrics::SicFloorRule::kBackgroundEfficiency;
  s.sic_floor.relative_error =
      config.get_double("metrics.sic_floor_relative_error", 0.2, 1e-3, 1.0);
  s.sic_floor.background_efficiency =
      config.get_double("metrics.sic_floor_background_efficiency", 1e-3, 1e-12, 1.0);
  const auto balance =
      config.get_choice("training.balance", "none", {"none", "classes", "cwola_hunting"});
  s.balance = balance == "classes"         ? Balance::kClasses
              : balance == "cwola_hunting" ? Balance::kCwolaHunting
                                           : Balance::kNone;
  if (s.balance == Balance::kCwolaHunting && !knows_mass_regions) {
    config.fail("training.balance", "= cwola_hunting weighs events by their mass region (low "
                                    "sideband, signal region, high sideband), which only the "
                                    "dihiggs_hunting and hunt studies know; use none or classes");
  }
  s.weight_decay = config.get_double("training.weight_decay", 0.0, 0.0, 10.0);
  s.schedule = config.get_choice("training.schedule", "constant", {"constant", "cosine", "step"});
  if (s.schedule == "step") {
    s.step_epochs = static_cast<int>(config.get_int("training.step_epochs", 10, 1, 100000));
    s.step_factor = config.get_double("training.step_factor", 0.1, 1e-6, 1.0);
  }
  s.gradient_clip = config.get_double("training.gradient_clip", 0.0, 0.0, 1e9);
  s.average_best_epochs =
      static_cast<int>(config.get_int("training.average_best_epochs", 1, 1, 1000));
  s.untrained_baseline = config.get_bool("metrics.untrained_baseline", false);
  s.keep_scores = config.get_bool("metrics.keep_scores", false);
  s.test_set = config.get_choice("metrics.test_set", "per_task", {"per_task", "per_point"}) ==
                       "per_point"
                   ? TestSet::kPerPoint
                   : TestSet::kPerTask;
  // Read by the ensemble summary from the job text; checked here, where unknown keys are caught.
  if (config.get_int("metrics.ensemble_size", 0, 0, 100000) == 1) {
    config.fail("metrics.ensemble_size", "= 1 is a single network, not an ensemble; use 0 (no "
                                         "groups) or at least 2");
  }
  s.folds = static_cast<std::size_t>(config.get_int("training.folds", 1, 1, 1000));
  s.inner_folds = static_cast<std::size_t>(config.get_int("training.inner_folds", 1, 1, 1000));
  if (s.backend == ClassifierBackend::kBdt || sets_bdt_keys) s.bdt = read_bdt_settings(config);
  if (s.backend == ClassifierBackend::kBdt) {
    check_bdt_combinations(config, set_network_keys);
    s.max_epochs = s.bdt.rounds;  // the bound of the per-round curves
  } else if (sets_bdt_keys) {
    static bool warned = false;
    if (!warned) {
      warned = true;
      core::log_warning("model.classifier = nn ignores the [bdt] settings (they apply with "
                        "model.classifier = bdt)");
    }
  }
  // Last: the key covers every setting read above (and their defaults).
  s.point_key = stacking_key(config);
  return s;
}

const std::vector<std::string>& per_task_sections() {
  static const std::vector<std::string> kSections = {
      "run",                                                   // runtime only
      "gaussian", "hidden_valley", "dihiggs", "user",          // each task's own samples
      "augmentation", "generator", "pairing"};                 // each task's own samples
  return kSections;
}

std::string stacking_key(core::JobConfig& point) {
  const auto& sections = per_task_sections();
  return point.canonical_text(std::set<std::string>(sections.begin(), sections.end()));
}

const std::vector<std::string>& untrained_columns() {
  static const std::vector<std::string> kColumns = {"untrained_auc", "untrained_sic_max"};
  return kColumns;
}

void check_folds(core::JobConfig& config, const ClassifierSettings& s, std::size_t class1_events,
                 std::size_t class0_events) {
  if (s.folds == 1) return;
  const std::size_t fewest = std::min(class1_events, class0_events);
  if (s.folds > fewest) {
    config.fail("training.folds",
                "is more than the " + std::to_string(fewest) +
                    " events of training class " + (class1_events < class0_events ? "1" : "0") +
                    " in a sample (" + std::to_string(class1_events) + " of class 1, " +
                    std::to_string(class0_events) +
                    " of class 0): some fold would hold no event of it; use fewer folds");
  }
  // An inner validation block takes about 1/(folds inner_folds) of a class.
  if (s.inner_folds > 1 && s.folds * s.inner_folds > fewest) {
    config.fail("training.inner_folds",
                "with training.folds = " +
                    std::to_string(s.folds) + " cuts the " + std::to_string(fewest) +
                    " events of the smaller training class into blocks of fewer than one event; "
                    "use fewer folds");
  }
}

std::uint64_t events_fingerprint(const std::vector<float>& rows,
                                 const std::vector<std::uint8_t>& truth) {
  std::uint64_t h = core::mix64(rows.size() ^ (truth.size() << 32U));
  for (float value : rows) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    h = core::mix64(h ^ bits);
  }
  for (auto t : truth) h = core::mix64(h ^ t);
  return h;
}

std::uint64_t events_fingerprint(const data::EventTable& table) {
  return events_fingerprint(table.rows, table.is_signal);
}

std::vector<double> roc_grid(const ClassifierSettings& settings) {
  return metrics::log_grid(settings.roc_min_background_efficiency, 1.0, settings.roc_points);
}

metrics::EvaluationSettings evaluation_settings(const ClassifierSettings& settings) {
  metrics::EvaluationSettings evaluation;
  evaluation.rectify = settings.rectify ? metrics::Rectify::kIfBelowHalf : metrics::Rectify::kNo;
  evaluation.sic_floor = settings.sic_floor;
  evaluation.roc_grid = roc_grid(settings);
  return evaluation;
}

namespace {
/// What the common columns are computed from.
struct ResultInputs {
  const metrics::ClassifierMetrics& m;
  double train_accuracy;
  double val_accuracy;
  int best_epoch;
  std::size_t epochs;
};
struct ResultColumn {
  std::string name;
  std::function<double(const ResultInputs&)> value;
};

double flag(double background_events) {
  return metrics::rests_on_few_background(background_events) ? 1.0 : 0.0;
}

/// The common columns, in store order, each with how it is computed: one list, so names and
/// values cannot drift apart.
const std::vector<ResultColumn>& column_table() {
  static const std::vector<ResultColumn> kTable = [] {
    const std::vector<std::string> eb = {"1e-1", "1e-2", "1e-3"};
    const std::vector<std::string> es = {"0.2", "0.5"};
    std::vector<ResultColumn> t = {
        {"auc", [](const ResultInputs& r) { return r.m.auc; }},
        {"abs_auc_minus_half", [](const ResultInputs& r) { return std::fabs(r.m.auc - 0.5); }},
        {"best_accuracy", [](const ResultInputs& r) { return r.m.best_accuracy; }},
        {"accuracy_at_val_threshold",
         [](const ResultInputs& r) { return r.m.accuracy_at_validation_threshold; }},
        {"val_threshold", [](const ResultInputs& r) { return r.m.validation_threshold; }},
        {"accuracy_at_half", [](const ResultInputs& r) { return r.m.accuracy_at_half; }},
        {"train_accuracy", [](const ResultInputs& r) { return r.train_accuracy; }},
        {"val_accuracy", [](const ResultInputs& r) { return r.val_accuracy; }},
        {"test_signal_events",
         [](const ResultInputs& r) { return static_cast<double>(r.m.test_signal_events); }},
        {"test_background_events",
         [](const ResultInputs& r) { return static_cast<double>(r.m.test_background_events); }},
    };
    for (std::size_t k = 0; k < eb.size(); ++k) {
      t.push_back({"eff_s_at_eb_" + eb[k],
                   [k](const ResultInputs& r) { return r.m.signal_efficiency[k]; }});
    }
    for (std::size_t k = 0; k < eb.size(); ++k) {
      t.push_back({"sic_at_eb_" + eb[k],
                   [k](const ResultInputs& r) { return r.m.significance_improvement[k]; }});
    }
    for (std::size_t k = 0; k < eb.size(); ++k) {
      t.push_back({"n_sig_at_eb_" + eb[k],
                   [k](const ResultInputs& r) { return r.m.at_working_points[k].signal_events; }});
      t.push_back({"n_bkg_at_eb_" + eb[k], [k](const ResultInputs& r) {
                     return r.m.at_working_points[k].background_events;
                   }});
      t.push_back({"few_bkg_at_eb_" + eb[k], [k](const ResultInputs& r) {
                     return flag(r.m.at_working_points[k].background_events);
                   }});
    }
    const std::vector<ResultColumn> max_sic = {
        {"max_sic", [](const ResultInputs& r) { return r.m.max_sic; }},
        {"eb_at_max_sic",
         [](const ResultInputs& r) { return r.m.at_max_sic.background_efficiency; }},
        {"eff_s_at_max_sic",
         [](const ResultInputs& r) { return r.m.at_max_sic.signal_efficiency; }},
        {"sic_floor_eb", [](const ResultInputs& r) { return r.m.sic_floor; }},
        {"n_sig_at_max_sic", [](const ResultInputs& r) { return r.m.at_max_sic.signal_events; }},
        {"n_bkg_at_max_sic",
         [](const ResultInputs& r) { return r.m.at_max_sic.background_events; }},
        {"few_bkg_at_max_sic",
         [](const ResultInputs& r) { return flag(r.m.at_max_sic.background_events); }},
    };
    t.insert(t.end(), max_sic.begin(), max_sic.end());
    for (std::size_t k = 0; k < es.size(); ++k) {
      t.push_back({"rejection_at_es_" + es[k],
                   [k](const ResultInputs& r) { return r.m.rejection[k]; }});
      t.push_back({"n_bkg_at_es_" + es[k], [k](const ResultInputs& r) {
                     return r.m.at_rejection_points[k].background_events;
                   }});
      t.push_back({"few_bkg_at_es_" + es[k], [k](const ResultInputs& r) {
                     return flag(r.m.at_rejection_points[k].background_events);
                   }});
    }
    const std::vector<ResultColumn> tail = {
        {"mean_sic_es_0.18_0.23", [](const ResultInputs& r) { return r.m.mean_sic; }},
        {"few_bkg_at_mean_sic",
         [](const ResultInputs& r) { return flag(r.m.mean_sic_background_events); }},
        {"significance_before", [](const ResultInputs& r) { return r.m.significance_before; }},
    };
    t.insert(t.end(), tail.begin(), tail.end());
    for (std::size_t k = 0; k < eb.size(); ++k) {
      t.push_back({"significance_after_eb_" + eb[k],
                   [k](const ResultInputs& r) { return r.m.significance_after[k]; }});
    }
    const std::vector<ResultColumn> training = {
        {"rectified", [](const ResultInputs& r) { return r.m.rectified ? 1.0 : 0.0; }},
        {"best_epoch",
         [](const ResultInputs& r) { return static_cast<double>(r.best_epoch + 1); }},
        {"epochs", [](const ResultInputs& r) { return static_cast<double>(r.epochs); }},
        // Set by the runner.
        {"wall_seconds",
         [](const ResultInputs&) { return std::numeric_limits<double>::quiet_NaN(); }},
    };
    t.insert(t.end(), training.begin(), training.end());
    return t;
  }();
  return kTable;
}
}  // namespace

const std::vector<std::string>& classifier_columns() {
  static const std::vector<std::string> kColumns = [] {
    std::vector<std::string> names;
    for (const auto& column : column_table()) names.push_back(column.name);
    return names;
  }();
  return kColumns;
}

std::vector<double> classifier_results(const metrics::ClassifierMetrics& m, double train_accuracy,
                                       double val_accuracy, int best_epoch, std::size_t epochs) {
  const ResultInputs inputs{m, train_accuracy, val_accuracy, best_epoch, epochs};
  std::vector<double> values;
  values.reserve(column_table().size());
  for (const auto& column : column_table()) values.push_back(column.value(inputs));
  return values;
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
training::Batch to_batch(const data::EventTable& table, const std::vector<std::uint8_t>& labels,
                         Balance balance) {
  if (balance != Balance::kCwolaHunting) {
    return labelled_batch(table.rows, table.features, labels, balance);
  }
  if (table.loss_weight.size() != table.size()) {
    throw core::Error("training.balance = cwola_hunting, but the study attached " +
                      std::to_string(table.loss_weight.size()) + " weights to " +
                      std::to_string(table.size()) + " events (a bug in the study)");
  }
  auto batch = labelled_batch(table.rows, table.features, labels, Balance::kNone);
  batch.weight = training::to_tensor(table.loss_weight, 1).reshape({batch.y.size(0)});
  return batch;
}

/// Curves, status and result columns of one task from its training outcome and, when it
/// finished, the scores of its network on `test` and on its validation events (labelled as
/// trained, for the validation-chosen accuracy threshold).
TaskOutput make_output(const ClassifierSettings& settings, const training::TrainOutcome& outcome,
                       const std::vector<float>* scores, const data::EventTable& test,
                       const std::vector<float>* validation_scores,
                       const data::EventTable& validation, const ExpectedYields& yields,
                       const data::EventTable* held_out, std::vector<float>* held_out_scores) {
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

  const auto m = metrics::evaluate_classifier({*scores, test.is_signal},
                                              {*validation_scores, validation.label},
                                              evaluation_settings(settings), yields.signal,
                                              yields.background);
  const auto& best = outcome.history.at(static_cast<std::size_t>(outcome.best_epoch));
  output.results = classifier_results(m, best.train_accuracy, best.val_accuracy,
                                      outcome.best_epoch, outcome.history.size());
  output.roc = m.roc_on_grid;
  // Scores are kept raw (never rectified): an ensemble that flipped members on the test set
  // would be tuned on it.
  if (held_out != nullptr) {
    output.scores = std::move(*held_out_scores);
    output.score_labels = held_out->is_signal;
    output.score_masses = held_out->mass;
    output.scored_events_id = events_fingerprint(*held_out);
  } else if (settings.keep_scores) {
    output.scores = *scores;
    output.score_labels = test.is_signal;
    output.score_masses = test.mass;
    output.scored_events_id = events_fingerprint(test);
  }
  return output;
}

/// The trained network's scores on the validation events (for the accuracy threshold).
std::vector<float> score_validation(const training::Classifier& classifier,
                                    const training::TrainOutcome& outcome,
                                    const data::EventTable& validation, int eval_batch_size,
                                    const torch::Device& device) {
  return training::predict_averaged_scores(
      classifier, outcome,
      training::to_tensor(validation.rows, static_cast<std::int64_t>(validation.features)),
      eval_batch_size, device);
}

/// Each stacked member's scores on its own validation events.
std::vector<std::vector<float>> score_validation_stacked(
    const training::StackedClassifier& model, const std::vector<training::TrainOutcome>& outcomes,
    const std::vector<ClassifierProblem>& problems, int eval_batch_size,
    const torch::Device& device) {
  std::vector<torch::Tensor> validations;
  validations.reserve(problems.size());
  for (const auto& problem : problems) {
    const auto& validation = problem.split->validation;
    validations.push_back(
        training::to_tensor(validation.rows, static_cast<std::int64_t>(validation.features)));
  }
  return training::predict_ensemble_averaged_scores(model, outcomes, validations,
                                                    eval_batch_size, device);
}

models::DenseNetworkConfig network_config(const ClassifierSettings& settings,
                                          std::size_t features) {
  models::DenseNetworkConfig network;
  network.inputs = static_cast<int>(features);
  network.hidden = settings.hidden;
  network.dropout = settings.dropout;
  network.batch_norm = settings.batch_norm;
  network.validate();
  return network;
}

/// Fault injection for the end-to-end divergence test (tests/faults/test_divergence.py):
/// CWOLA_FAULT_NAN_TASKS = "3,7" puts a NaN into one training feature of tasks 3 and 7,
/// so the real trainer meets a non-finite loss there. No job setting can do this: every
/// job value is range-checked, and within the ranges training stays finite. Never silent: the
/// first use logs a warning (warn_of_fault_injection makes that happen at study setup).
const std::vector<std::string>& nan_fault_tasks() {
  static const std::vector<std::string> tasks = [] {
    const char* text = std::getenv("CWOLA_FAULT_NAN_TASKS");
    if (text == nullptr) return std::vector<std::string>{};
    core::log_warning(std::string("CWOLA_FAULT_NAN_TASKS = \"") + text +
                      "\" is set: a NaN is injected into the training data of these tasks "
                      "(fault-injection test hook) unset it for real results");
    return core::split(text, ',');
  }();
  return tasks;
}

bool nan_injected(std::uint64_t task_id) {
  const auto& tasks = nan_fault_tasks();
  return std::find(tasks.begin(), tasks.end(), std::to_string(task_id)) != tasks.end();
}
}  // namespace

void warn_of_fault_injection() { nan_fault_tasks(); }

training::TrainerConfig trainer_config(const ClassifierSettings& settings) {
  training::TrainerConfig trainer;
  trainer.max_epochs = settings.max_epochs;
  trainer.batch_size = settings.batch_size;
  trainer.learning_rate = settings.learning_rate;
  trainer.patience = settings.patience;
  trainer.min_delta = settings.min_delta;
  trainer.weight_decay = settings.weight_decay;
  trainer.schedule = training::parse_schedule(settings.schedule);
  trainer.step_epochs = settings.step_epochs;
  trainer.step_factor = settings.step_factor;
  trainer.gradient_clip = settings.gradient_clip;
  trainer.average_best_epochs = settings.average_best_epochs;
  trainer.validate();
  return trainer;
}

double prior_log_odds(const training::Batch& train) {
  const auto weight = train.weight.defined() ? train.weight : torch::ones_like(train.y);
  const double ones = (weight * train.y).sum().item<double>();
  const double zeros = (weight * (1 - train.y)).sum().item<double>();
  if (!(ones > 0.0 && zeros > 0.0)) {
    throw core::InputError("model.output_bias = prior needs training events of both labels (" +
                           core::format_double(ones) + " weighted of label 1, " +
                           core::format_double(zeros) + " of label 0); use zero");
  }
  return std::log(ones / zeros);
}

training::Batch labelled_batch(const std::vector<float>& rows, std::size_t features,
                               const std::vector<std::uint8_t>& labels, Balance balance) {
  const auto n = static_cast<std::int64_t>(labels.size());
  std::vector<float> y(labels.begin(), labels.end());
  training::Batch batch{training::to_tensor(rows, static_cast<std::int64_t>(features)),
                        training::to_tensor(y, 1).reshape({n}), {}};
  if (balance == Balance::kClasses) {
    batch.weight = training::to_tensor(data::balanced_class_weights(labels), 1).reshape({n});
  }
  return batch;
}

void append_untrained(const ClassifierSettings& settings, const std::vector<float>* scores,
                      const std::vector<std::uint8_t>& truth, TaskOutput& output) {
  if (!settings.untrained_baseline || output.status == TaskOutput::Status::kAbandoned) return;
  const bool done = output.status == TaskOutput::Status::kDone && scores != nullptr;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!done) {
    output.results.insert(output.results.end(), untrained_columns().size(), nan);
    return;
  }
  const metrics::ThresholdScan scan = metrics::scan_thresholds(*scores, truth);
  const double auc = metrics::auc(scan);
  output.results.push_back(auc);
  // The exact max SIC with the floor rule and rectify setting of the trained max_sic column.
  const bool flip = settings.rectify && auc < 0.5;
  std::vector<float> flipped;
  if (flip) {
    flipped.reserve(scores->size());
    for (float s : *scores) flipped.push_back(-s);
  }
  const metrics::RocCurve roc =
      metrics::roc_curve(flip ? metrics::scan_thresholds(flipped, truth) : scan);
  const double floor = settings.sic_floor.min_background_efficiency(scan.background_total);
  output.results.push_back(metrics::max_sic(roc, floor).sic);
}

void append_untrained(const ClassifierSettings& settings, const std::vector<float>* scores,
                      const data::EventTable& test, TaskOutput& output) {
  append_untrained(settings, scores, test.is_signal, output);
}

TaskOutput train_and_evaluate_split(const ClassifierSettings& settings,
                                    const data::TrainValidationSplit& split,
                                    const data::EventTable& test, const ExpectedYields& yields,
                                    const TaskContext& context, const data::EventTable* held_out) {
  const auto network = network_config(settings, split.train.features);
  auto train_batch = to_batch(split.train, split.train.label, settings.balance);
  training::seed_weight_init(context.seed(core::SeedPurpose::kWeightInit));
  models::DenseNetwork model(network);
  if (settings.prior_output_bias) model->set_output_bias(prior_log_odds(train_batch));
  const auto continued = import_input_model(*model, context);
  const auto classifier = training::as_classifier(model);
  const auto trainer = trainer_config(settings);

  const torch::Device device(context.device);
  if (nan_injected(context.task_id)) {
    train_batch.x[0][0] = std::numeric_limits<float>::quiet_NaN();
  }
  const auto test_x = training::to_tensor(test.rows, static_cast<std::int64_t>(test.features));
  std::vector<float> untrained;
  if (settings.untrained_baseline) {
    untrained = training::predict_scores(classifier, test_x, settings.eval_batch_size, device);
  }
  const TaskCheckpoints checkpoints(*model, context, trainer.max_epochs);
  const auto outcome = training::train_classifier(
      classifier, std::move(train_batch),
      to_batch(split.validation, split.validation.label, settings.balance), trainer,
      context.seed(core::SeedPurpose::kShuffle), device,
      [&context](const training::EpochRecord&) { return context.keep_going(); },
      continued.empty() ? nullptr : &continued, checkpoints.hooks());
  if (outcome.status == training::TrainStatus::kAbandoned ||
      outcome.status == training::TrainStatus::kDiverged) {
    auto output = make_output(settings, outcome, nullptr, test, nullptr, split.validation,
                              yields, nullptr, nullptr);
    append_untrained(settings, nullptr, test, output);
    return output;
  }
  const auto scores = training::predict_averaged_scores(classifier, outcome, test_x,
                                                        settings.eval_batch_size, device);
  const auto validation_scores =
      score_validation(classifier, outcome, split.validation, settings.eval_batch_size, device);
  std::vector<float> held_out_scores;
  if (held_out != nullptr) {
    held_out_scores = training::predict_averaged_scores(
        classifier, outcome,
        training::to_tensor(held_out->rows, static_cast<std::int64_t>(held_out->features)),
        settings.eval_batch_size, device);
  }
  auto output = make_output(settings, outcome, &scores, test, &validation_scores,
                            split.validation, yields, held_out, &held_out_scores);
  append_untrained(settings, &untrained, test, output);
  output.model = kept_model(*model, context, outcome);
  return output;
}

namespace {
/// training.balance as per-event instance weights (empty: all 1), as to_batch weighs the loss.
std::vector<float> balance_weights(const data::EventTable& table, Balance balance) {
  if (balance == Balance::kClasses) return data::balanced_class_weights(table.label);
  if (balance == Balance::kCwolaHunting) {
    if (table.loss_weight.size() != table.size()) {
      throw core::Error("training.balance = cwola_hunting, but the study attached " +
                        std::to_string(table.loss_weight.size()) + " weights to " +
                        std::to_string(table.size()) + " events (a bug in the study)");
    }
    return table.loss_weight;
  }
  return {};
}

/// The ensemble's rounds as a network's epochs, so that make_output treats both alike.
training::TrainOutcome as_outcome(const trees::BdtEnsemble& bdt) {
  training::TrainOutcome outcome;
  for (const auto& round : bdt.history()) {
    training::EpochRecord record;
    record.train_loss = round.train_loss;
    record.val_loss = round.val_loss;
    record.train_accuracy = round.train_accuracy;
    record.val_accuracy = round.val_accuracy;
    outcome.history.push_back(record);
  }
  outcome.best_epoch = bdt.best_round();
  outcome.status = bdt.status() == trees::BdtStatus::kAbandoned ? training::TrainStatus::kAbandoned
                   : bdt.status() == trees::BdtStatus::kEarlyStopped
                       ? training::TrainStatus::kEarlyStopped
                       : training::TrainStatus::kCompleted;
  return outcome;
}
}  // namespace

TaskOutput scored_task_output(const ClassifierSettings& settings,
                              const training::TrainOutcome& outcome,
                              const std::vector<float>& test_scores, const data::EventTable& test,
                              const std::vector<float>& validation_scores,
                              const data::EventTable& validation, const ExpectedYields& yields,
                              const data::EventTable* held_out,
                              std::vector<float>* held_out_scores) {
  return make_output(settings, outcome, &test_scores, test, &validation_scores, validation, yields,
                     held_out, held_out_scores);
}

TaskOutput train_and_evaluate_bdt(const ClassifierSettings& settings,
                                  const data::TrainValidationSplit& split,
                                  const data::EventTable& test, const ExpectedYields& yields,
                                  const TaskContext& context, const data::EventTable* held_out) {
  const auto train_weights = balance_weights(split.train, settings.balance);
  const auto validation_weights = balance_weights(split.validation, settings.balance);
  const trees::LabelledRows train{&split.train.rows, split.train.features, &split.train.label,
                                  train_weights.empty() ? nullptr : &train_weights};
  const trees::LabelledRows validation{
      &split.validation.rows, split.validation.features, &split.validation.label,
      validation_weights.empty() ? nullptr : &validation_weights};
  // A model stream: it follows the task (not the k-fold sample), as the networks' weights do.
  const auto seed =
      core::stream_seed(context.master_seed, context.task_id, core::SeedPurpose::kBoosterMember);
  const auto bdt = trees::train_bdt_ensemble(settings.bdt, train, validation, seed,
                                             [&context] { return context.keep_going(); });
  const auto outcome = as_outcome(bdt);
  if (outcome.status == training::TrainStatus::kAbandoned) {
    return make_output(settings, outcome, nullptr, test, nullptr, split.validation, yields,
                       nullptr, nullptr);
  }
  const auto scores = bdt.predict(test.rows, test.features);
  const auto validation_scores = bdt.predict(split.validation.rows, split.validation.features);
  std::vector<float> held_out_scores;
  if (held_out != nullptr) held_out_scores = bdt.predict(held_out->rows, held_out->features);
  return make_output(settings, outcome, &scores, test, &validation_scores, split.validation,
                     yields, held_out, &held_out_scores);
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
    auto train_batch = to_batch(split.train, split.train.label, settings.balance);
    training::seed_weight_init(problem.context.seed(core::SeedPurpose::kWeightInit));
    networks.emplace_back(network);
    if (settings.prior_output_bias) networks.back()->set_output_bias(prior_log_odds(train_batch));
    import_input_model(*networks.back(), problem.context);  // as train_and_evaluate_split
    members.push_back({std::move(train_batch),
                       to_batch(split.validation, split.validation.label, settings.balance),
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
  std::vector<std::vector<float>> untrained;
  if (settings.untrained_baseline) {
    untrained =
        training::predict_ensemble_scores(model, tests, settings.eval_batch_size, device);
  }
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
  std::vector<std::vector<float>> validation_scores;
  std::vector<std::vector<float>> held_out_scores(problems.size());
  const bool k_fold = problems.front().held_out != nullptr;
  if (any_finished) {
    scores = training::predict_ensemble_averaged_scores(model, outcomes, tests,
                                                        settings.eval_batch_size, device);
    validation_scores =
        score_validation_stacked(model, outcomes, problems, settings.eval_batch_size, device);
    if (k_fold) {
      // Held-out folds differ in size by up to one event: pad each member's fold with zero
      // rows to the largest (members are independent), then drop the padding's scores.
      std::size_t most = 0;
      for (const auto& p : problems) most = std::max(most, p.held_out->size());
      std::vector<torch::Tensor> folds;
      for (const auto& p : problems) {
        std::vector<float> rows = p.held_out->rows;
        rows.resize(most * features, 0.0F);
        folds.push_back(training::to_tensor(rows, static_cast<std::int64_t>(features)));
      }
      held_out_scores = training::predict_ensemble_averaged_scores(
          model, outcomes, folds, settings.eval_batch_size, device);
      for (std::size_t k = 0; k < problems.size(); ++k) {
        held_out_scores[k].resize(problems[k].held_out->size());
      }
    }
  }
  std::vector<TaskOutput> outputs;
  outputs.reserve(problems.size());
  for (std::size_t k = 0; k < problems.size(); ++k) {
    outputs.push_back(make_output(settings, outcomes[k], scores.empty() ? nullptr : &scores[k],
                                  *problems[k].test,
                                  scores.empty() ? nullptr : &validation_scores[k],
                                  problems[k].split->validation, problems[k].yields,
                                  problems[k].held_out, &held_out_scores[k]));
    append_untrained(settings, untrained.empty() ? nullptr : &untrained[k], *problems[k].test,
                     outputs.back());
    if (problems[k].context.keep_model && outputs.back().status == TaskOutput::Status::kDone) {
      // Stacked tasks keep no optimizer state (needs_optimizer_state trains those alone).
      outputs.back().model = kept_model(*ensemble->member(static_cast<std::int64_t>(k)),
                                        problems[k].context, outcomes[k]);
    }
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

std::string stacking_key(const ClassifierSettings& s) { return s.point_key; }

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
