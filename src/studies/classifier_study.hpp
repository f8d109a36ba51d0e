#pragma once
/// Base classes of the classifier studies, so each study writes only what is its own:
///  - ClassifierStudyBase: the result columns (the common ones, then the study's), the epoch
///    bound and the ROC grid, from the points' classifier settings;
///  - DenseClassifierStudy: a study whose task is "make the samples, train a dense network,
///    evaluate it". The study prepares one task's data (prepare_task); the base trains it
///    alone (run_task) or stacked with other tasks of the same network and sample sizes
///    (run_tasks, ensemble-batched), and appends the study's columns.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "data/mixed_sample.hpp"
#include "studies/classifier_task.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

/// The classifier settings of every point (a point type has a `ClassifierSettings classifier`).
template <typename Point>
std::vector<const ClassifierSettings*> classifier_settings_of(const std::vector<Point>& points) {
  std::vector<const ClassifierSettings*> settings;
  settings.reserve(points.size());
  for (const auto& p : points) settings.push_back(&p.classifier);
  return settings;
}

class ClassifierStudyBase : public Study {
 public:
  const std::vector<std::string>& result_columns() const override { return columns_; }
  std::size_t max_epochs() const override { return max_epochs_; }
  const std::vector<double>& roc_grid() const override { return grid_; }

 protected:
  /// `settings`: the classifier settings of every point (the ROC grid is the first point's);
  /// `study_columns`: the study's own columns, stored after classifier_columns().
  /// `takes_trees`: the study trains model.classifier = bdt (the dense studies); the others
  /// refuse it (core::InputError naming model.classifier).
  ClassifierStudyBase(const std::vector<const ClassifierSettings*>& settings,
                      const std::vector<std::string>& study_columns, bool takes_trees = false);
  /// Number of scan points.
  std::size_t point_count() const { return n_points_; }

 private:
  std::size_t n_points_ = 0;
  std::vector<std::string> columns_;
  std::size_t max_epochs_ = 1;
  std::vector<double> grid_;
};

/// One task of a dense classifier study, ready to train.
struct ClassifierTaskData {
  data::TrainValidationSplit split;  ///< training and validation events, labelled
  data::EventTable test;             ///< truth-labelled test events
  ExpectedYields yields;             ///< for the significance columns
  /// The feature scaler is fitted on the first scaling_rows events of split.train (all by
  /// default; fewer when augmented copies follow the originals) and applied to all three sets.
  std::size_t scaling_rows = std::numeric_limits<std::size_t>::max();
  /// The study's columns that are known before training, in result_columns() order after the
  /// common ones (complete_columns may append more).
  std::vector<double> study_columns;
  /// k-fold training: the held-out fold's events (truth-labelled), scored into /artifacts/scores.
  data::EventTable held_out;
  /// Fingerprint of the scored events (held-out fold, else test) as the study made them,
  /// before the task's own feature scaling, so that repeats scoring the same events agree.
  std::uint64_t scored_events_id = 0;
  /// Non-empty: the task cannot train (e.g. its flow diverged); it fails with this reason.
  std::string failure_reason;
  /// The task's artifact rows, one per Study::artifacts() (original units, before scaling).
  std::vector<TaskOutput::ArtifactRows> artifacts;
  /// The task's named models (Study::named_models, e.g. CATHODE's flow) when
  /// TaskContext::keep_named_models; handed on as TaskOutput::named_models when done.
  std::vector<core::ModelTensors> named_models;
};

/// Event counts a study knows before any task runs (for /artifacts/scores and k-fold); 0 = unknown.
struct SampleSizes {
  std::size_t test_events = 0;   ///< events of one task's test set, all classes
  std::size_t mixed_events = 0;  ///< events of one task's labelled sample (train + validation)
};

class DenseClassifierStudy : public ClassifierStudyBase {
 public:
  TaskOutput run_task(const TaskContext& context) final;
  /// Tasks with equal classifier settings and equal sample shapes train as one stacked network;
  /// each gets the split, initial weights and epoch order run_task would give it.
  std::vector<TaskOutput> run_tasks(const std::vector<TaskContext>& contexts) final;
  std::size_t task_device_bytes() const override { return task_bytes_; }
  /// The test-set size (keep_scores) or the largest held-out fold (k-fold) over the points;
  /// InputError when a point asks for either and the study cannot tell its sizes.
  std::size_t kept_score_width() const override;
  /// The dense network of a point, when the study knows its input count (model_inputs).
  core::ModelLayout model_layout(std::size_t point) const override;
  core::ModelLayout optimizer_layout(std::size_t point) const override;
  core::CheckpointLayout checkpoint_layout(std::size_t point) const override;

 protected:
  DenseClassifierStudy(const std::vector<const ClassifierSettings*>& settings,
                       const std::vector<std::string>& study_columns)
      : ClassifierStudyBase(settings, study_columns, /*takes_trees=*/true) {}

  /// The task's samples (all random streams from the context's seeds), unscaled: the base
  /// standardises the features (data::FeatureScaling fitted on the training split only).
  virtual ClassifierTaskData prepare_task(const TaskContext& context) const = 0;
  /// The classifier settings of a point.
  virtual const ClassifierSettings& classifier(std::size_t point) const = 0;
  /// Appends the study columns that need the trained result (e.g. from output.roc); called for
  /// every task that was not abandoned, after data.study_columns were appended. Default: none.
  virtual void complete_columns(const TaskContext& context, const ClassifierTaskData& data,
                                TaskOutput& output) const;
  /// Whether a point's tasks make their scores themselves (score_task) instead of training the
  /// dense network or trees, e.g. the hunt's VAE-QR. Such a task gets its samples unscaled
  /// (its model scales its own inputs), trains alone and stores no model. Default: none.
  virtual bool scores_itself(std::size_t /*point*/) const { return false; }
  /// The task's output when scores_itself(point): common columns from its test scores
  /// (scored_task_output), the held-out fold's scores; finish() then appends the study
  /// columns. Called only when scores_itself is overridden.
  virtual TaskOutput score_task(const TaskContext& context, const ClassifierTaskData& data) const;
  /// The sizes of a point's samples; studies that keep scores or train k-fold override it.
  virtual SampleSizes sample_sizes(std::size_t /*point*/) const { return {}; }
  /// Input features of a point's network, known before any sample is made; 0 (the default):
  /// unknown, so the study offers no stored models (stages cannot read them).
  virtual std::size_t model_inputs(std::size_t /*point*/) const { return 0; }
  /// The device-memory estimate of one stacked task ([run] ensemble = auto); 0: unknown.
  void set_task_device_bytes(std::size_t bytes) { task_bytes_ = bytes; }

  /// The split run_task's streams give: split_train_validation with the task's split stream.
  static data::TrainValidationSplit split_for_task(const ClassifierSettings& settings,
                                                   const data::EventTable& mixed,
                                                   const TaskContext& context);
  /// data.split as split_for_task makes it, or with k-fold training (context.folds > 1) the
  /// split of the context's (fold, inner) model and data.held_out its held-out fold (folds
  /// from the sample's kFoldAssignment stream). When a fold or block has no event of a
  /// training class, data.failure_reason names training.folds: the task fails, the job goes on.
  static void split_task(const ClassifierSettings& settings, const data::EventTable& mixed,
                         const TaskContext& context, ClassifierTaskData& data);

 private:
  /// prepare_task, then the one feature standardisation of dense studies.
  ClassifierTaskData prepare_scaled(const TaskContext& context) const;
  void finish(const TaskContext& context, const ClassifierTaskData& data, TaskOutput& output) const;
  std::vector<TaskOutput> run_stacked(const std::vector<TaskContext>& group) const;

  std::size_t task_bytes_ = 0;
};

/// A DenseClassifierStudy whose points are of type Point (each with a `ClassifierSettings
/// classifier`), held here.
template <typename Point>
class DenseClassifierStudyOf : public DenseClassifierStudy {
 protected:
  /// Takes an rvalue reference, not a value: a derived constructor may still read `points` in
  /// its other base-initialiser arguments (the move happens only here).
  DenseClassifierStudyOf(std::vector<Point>&& points, const std::vector<std::string>& study_columns)
      : DenseClassifierStudy(classifier_settings_of(points), study_columns),
        points_(std::move(points)) {}

  const ClassifierSettings& classifier(std::size_t index) const override {
    return points_.at(index).classifier;
  }
  const Point& point(std::size_t index) const { return points_.at(index); }
  const std::vector<Point>& points() const { return points_; }

 private:
  std::vector<Point> points_;
};

}  // namespace cwola::studies
