#pragma once
/// What every classifier study shares: the [model]/[training]/[metrics]
/// settings, training a dense network on labelled mixtures, and turning the
/// evaluation on a truth-labelled test set into the common result columns.
#include <functional>
#include <string>
#include <vector>

#include "core/job_config.hpp"
#include "data/mixed_sample.hpp"
#include "metrics/classifier_metrics.hpp"
#include "studies/study.hpp"
#include "trees/bdt_ensemble.hpp"

namespace cwola::training {
struct TrainOutcome;
struct TrainerConfig;
struct Batch;
}

namespace cwola::studies {

/// [training] balance: per-event loss weights of the mixed samples.
enum class Balance {
  kNone,     ///< every event weighs 1 (the seeds' recipe)
  kClasses,  ///< both labels weigh alike in total (data::balanced_class_weights)
  /// The CWoLa-hunting weights of the events' mass regions (data::cwola_hunting_weights),
  /// which the study attaches to its tables (EventTable::loss_weight)
  kCwolaHunting,
};

/// model.classifier: what every dense study trains on its labelled mixtures.
enum class ClassifierBackend {
  kNetwork,  ///< nn: a dense network (the default)
  kBdt,      ///< bdt: an ensemble of boosted decision trees ([bdt], docs/trees.md)
};

struct ClassifierSettings {
  ClassifierBackend backend = ClassifierBackend::kNetwork;
  /// The [bdt] settings, read only with backend = kBdt (max_epochs is then bdt.rounds, the
  /// bound of the per-round curves).
  trees::BdtConfig bdt;
  std::vector<int> hidden = {64, 64};  ///< hidden-layer widths
  double dropout = 0.0;                ///< dense networks: dropout rate after each hidden layer
  bool batch_norm = false;             ///< dense networks: batch norm in each hidden layer
  /// model.output_bias = prior: the output starts at the training labels' log-odds instead of 0
  /// (zero, the seeds'), so the first steps do not fit the class prior. Fitting the prior moves
  /// every weight that typical training events activate and leaves events unlike them behind,
  /// which ranks a distinct signal apart even with no signal (docs/hidden_valley.md, "null").
  bool prior_output_bias = false;
  int max_epochs = 100;
  int batch_size = 256;
  double learning_rate = 1e-3;
  int patience = 10;
  double min_delta = 0.0;
  Balance balance = Balance::kNone;
  double weight_decay = 0.0;       ///< AdamW's decoupled decay; 0 = Adam
  std::string schedule = "constant";  ///< constant | cosine | step
  int step_epochs = 10;            ///< step schedule: epochs between rate changes
  double step_factor = 0.1;        ///< step schedule: factor per change
  double gradient_clip = 0.0;      ///< largest gradient L2 norm per network; 0 = off
  int average_best_epochs = 1;     ///< scores averaged over this many best epochs
  /// Also score the test set with each network at initialisation (untrained_* columns).
  bool untrained_baseline = false;
  /// What decides whether two points' tasks may share a stack: the point's whole effective
  /// config except the per-task data sections (stacking_key).
  std::string point_key;
  double validation_fraction = 0.2;
  int eval_batch_size = 8192;
  bool rectify = false;  ///< flip scores when AUC < 0.5 (the note's practice); recorded per task
  std::size_t roc_points = 41;
  double roc_min_background_efficiency = 1e-4;
  metrics::SicFloor sic_floor;  ///< the floor of max_sic ([metrics] sic_floor*)
  /// Keep every task's per-event test scores in /artifacts/scores ([metrics] keep_scores; off by default:
  /// 4 bytes a score plus 1 a label, and the results do not change).
  bool keep_scores = false;
  /// Whether the repeats of a point score the same test events ([metrics] test_set).
  TestSet test_set = TestSet::kPerTask;
  /// k-fold cross-training ([training] folds, inner_folds; 1 = off); read by the task plan too.
  std::size_t folds = 1;
  std::size_t inner_folds = 1;
};

/// Reads [model], [training] and [metrics] (validating ranges).
/// `knows_mass_regions`: the study attaches each mixed event's SR/sideband weight, so
/// training.balance = cwola_hunting is allowed (refused with the key named otherwise).
ClassifierSettings read_classifier_settings(core::JobConfig& config,
                                            bool knows_mass_regions = false);
/// Logs a warning (once, rank 0) when the CWOLA_FAULT_NAN_TASKS test hook is set; called at
/// study setup so that a job run with it never goes unnoticed.
void warn_of_fault_injection();

/// The trainer's settings from the classifier settings (validated).
training::TrainerConfig trainer_config(const ClassifierSettings& settings);
/// Training or validation events of a mixed sample with their labels and, for
/// Balance::kClasses, their balanced weights (from `labels` alone).
/// log(Σ w y / Σ w (1 − y)) of a training batch (weights 1 when it has none): the output bias
/// of model.output_bias = prior. Throws core::InputError if a label has no weight.
double prior_log_odds(const training::Batch& train);

training::Batch labelled_batch(const std::vector<float>& rows, std::size_t features,
                               const std::vector<std::uint8_t>& labels, Balance balance);
/// Appends the untrained-baseline columns (untrained_columns(): untrained_auc, untrained_sic_max)
/// to a task that was not abandoned, when settings.untrained_baseline: from `scores` (the
/// network's test scores at initialisation) if the task is done, else NaN. The max SIC is exact
/// (metrics::max_sic) with the task's SIC floor rule and rectify setting, as the trained max_sic.
void append_untrained(const ClassifierSettings& settings, const std::vector<float>* scores,
                      const data::EventTable& test, TaskOutput& output);
/// As above for a test set given by its truth labels.
void append_untrained(const ClassifierSettings& settings, const std::vector<float>* scores,
                      const std::vector<std::uint8_t>& truth, TaskOutput& output);

/// Refuses k-fold settings the sample cannot carry (InputError naming training.folds or
/// training.inner_folds and the counts): more folds than events of a training class, or
/// inner blocks with fewer than one event of a class. `class1_events`, `class0_events`: the
/// events of each training label in one task's sample.
void check_folds(core::JobConfig& config, const ClassifierSettings& settings,
                 std::size_t class1_events, std::size_t class0_events);
/// A fingerprint of events (feature rows, truth and order), for TaskOutput::scored_events_id.
std::uint64_t events_fingerprint(const std::vector<float>& rows,
                                 const std::vector<std::uint8_t>& truth);
std::uint64_t events_fingerprint(const data::EventTable& table);
/// Log grid of background efficiencies from the settings.
std::vector<double> roc_grid(const ClassifierSettings& settings);
/// The [metrics] settings of an evaluation (rectification, SIC floor, ROC grid).
metrics::EvaluationSettings evaluation_settings(const ClassifierSettings& settings);
/// The common result columns, in order; studies append their own after these.
const std::vector<std::string>& classifier_columns();
/// The common columns' values (classifier_columns() order) from a test-set evaluation and
/// the training's best epoch (0-based) and epochs run; wall_seconds is left NaN for the runner.
/// The `few_bkg_*` columns are 1 where the value beside them rests on fewer than
/// metrics::kFewBackgroundEvents test background events, else 0.
std::vector<double> classifier_results(const metrics::ClassifierMetrics& evaluation,
                                       double train_accuracy, double val_accuracy,
                                       int best_epoch, std::size_t epochs);

/// A task output holding the per-epoch curves of `outcome` (status and columns still to fill).
TaskOutput output_with_curves(const training::TrainOutcome& outcome);

/// Expected events in the region where the classifier is applied, before any
/// cut: the significance before/after a cut is computed from them.
struct ExpectedYields {
  double signal = 0;
  double background = 0;
};

/// Trains a dense network on the labels of `split` (made by the caller, e.g. before augmenting
/// the training part so that no copy of a validation event is trained on) and evaluates it on
/// `test` against the truth; fills the common columns of `output.results` (the caller appends
/// the study's columns).
/// `held_out` (k-fold training): events the network scores into output.scores instead of
/// `test` (test still gives the columns).
TaskOutput train_and_evaluate_split(const ClassifierSettings& settings,
                                    const data::TrainValidationSplit& split,
                                    const data::EventTable& test, const ExpectedYields& yields,
                                    const TaskContext& context,
                                    const data::EventTable* held_out = nullptr);

/// train_and_evaluate_split for model.classifier = bdt: an ensemble of settings.bdt.ensemble
/// boosted-tree classifiers on the same (standardised) rows, labels and training.balance
/// weights (as XGBoost instance weights), seeded from the task's kBoosterMember stream. The
/// output is a network's: the common columns from its test scores (best_epoch = best round,
/// epochs = rounds run), the per-round log-loss and accuracy as curves, kept or held-out
/// scores; no model is kept.
TaskOutput train_and_evaluate_bdt(const ClassifierSettings& settings,
                                  const data::TrainValidationSplit& split,
                                  const data::EventTable& test, const ExpectedYields& yields,
                                  const TaskContext& context,
                                  const data::EventTable* held_out = nullptr);

/// The output of a task whose scores come from a model of its own (not a classifier of
/// train_and_evaluate_*; e.g. the hunt's VAE-QR): the per-epoch curves of `outcome`, the
/// common columns from `test_scores` (truth: test.is_signal) and `validation_scores` (their
/// best-accuracy threshold, against validation.label), the held-out fold's scores kept when
/// `held_out` is given. A diverged or abandoned outcome gives a failed or abandoned output.
TaskOutput scored_task_output(const ClassifierSettings& settings,
                              const training::TrainOutcome& outcome,
                              const std::vector<float>& test_scores, const data::EventTable& test,
                              const std::vector<float>& validation_scores,
                              const data::EventTable& validation, const ExpectedYields& yields,
                              const data::EventTable* held_out,
                              std::vector<float>* held_out_scores);

/// One task's inputs to train_and_evaluate_stacked (the tables are not owned).
struct ClassifierProblem {
  const data::TrainValidationSplit* split = nullptr;
  const data::EventTable* test = nullptr;
  ExpectedYields yields;
  TaskContext context;
  const data::EventTable* held_out = nullptr;  ///< k-fold: the events to keep scores of
};

/// train_and_evaluate_split for several tasks at once, trained as one stacked network
/// (ensemble-batched, training::train_ensemble) on problems.front().context.device: each task
/// gets the initial weights and epoch order train_and_evaluate_split would give it, and the
/// same columns. All problems must share `settings`, the numbers of training, validation and
/// test events and the feature count (group them by stacking_key and shape); precision comes
/// from the first context, and keep_going from the first context is polled after every epoch.
std::vector<TaskOutput> train_and_evaluate_stacked(const ClassifierSettings& settings,
                                                   const std::vector<ClassifierProblem>& problems);

/// Sections of a point config that only shape each task's own data (every study prepares a
/// task's samples from the task's own point, so they may differ within a stack; unequal sample
/// sizes are kept apart by the shape check) or are runtime-only ([run]). Every other setting,
/// including any new [model], [training], [metrics] or [cnn] key, is part of the stacking key.
const std::vector<std::string>& per_task_sections();

/// Text equal for two points exactly when their tasks may train in one stack: the point's
/// effective config (canonical text) without per_task_sections().
std::string stacking_key(core::JobConfig& point);
/// The key read_classifier_settings stored for the point (stacking_key of its config).
std::string stacking_key(const ClassifierSettings& settings);

/// The result columns of the untrained baseline (metrics.untrained_baseline), appended after
/// classifier_columns() when it is on.
const std::vector<std::string>& untrained_columns();

/// Study::run_tasks for studies that stack tasks: the tasks with equal `key(context)` form a
/// group (in order of first appearance) that `run_group` runs at once, returning one output per
/// context. Once a task is abandoned, groups not yet started are abandoned (not run).
std::vector<TaskOutput> run_in_groups(
    const std::vector<TaskContext>& contexts,
    const std::function<std::string(const TaskContext&)>& key,
    const std::function<std::vector<TaskOutput>(const std::vector<TaskContext>&)>& run_group);

/// Estimated device memory (bytes) of one stacked task with these settings, `mixed_events`
/// (train + validation), `test_events` (all classes) and `features` values per event.
std::size_t stacked_task_bytes(const ClassifierSettings& settings, std::size_t mixed_events,
                               std::size_t test_events, std::size_t features);

}  // namespace cwola::studies
