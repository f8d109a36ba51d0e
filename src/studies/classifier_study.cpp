#include "studies/classifier_study.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <tuple>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/random_stream.hpp"
#include "core/seed.hpp"
#include "data/feature_scaling.hpp"
#include "data/fold_split.hpp"
#include "models/dense_network.hpp"
#include "models/module_tensors.hpp"
#include "studies/task_model.hpp"
#include "training/loop_checkpoint.hpp"
#include "training/optimizer_tensors.hpp"

namespace cwola::studies {

ClassifierStudyBase::ClassifierStudyBase(const std::vector<const ClassifierSettings*>& settings,
                                         const std::vector<std::string>& study_columns,
                                         bool takes_trees)
    : n_points_(settings.size()), columns_(classifier_columns()) {
  warn_of_fault_injection();
  for (const auto* s : settings) {
    if (!takes_trees && s->backend == ClassifierBackend::kBdt) {
      throw core::InputError(
          "model.classifier = bdt: this study's classifier is a network of its own (boosted "
          "trees replace the dense network of the gaussian, dihiggs, user-sample and hunt "
          "studies; docs/trees.md); use nn");
    }
  }
  // metrics.untrained_baseline is one for the job (checked in make_study).
  if (settings.front()->untrained_baseline)
    columns_.insert(columns_.end(), untrained_columns().begin(), untrained_columns().end());
  columns_.insert(columns_.end(), study_columns.begin(), study_columns.end());
  for (const auto* s : settings) {
    max_epochs_ = std::max(max_epochs_, static_cast<std::size_t>(s->max_epochs));
  }
  grid_ = studies::roc_grid(*settings.front());
}

namespace {
/// A task that could not train (ClassifierTaskData::failure_reason): failed, no scores.
TaskOutput failed_output(const std::string& reason, std::size_t columns) {
  TaskOutput output;
  output.results.assign(columns, std::numeric_limits<double>::quiet_NaN());
  output.status = TaskOutput::Status::kFailed;
  output.failure_reason = reason;
  return output;
}

}  // namespace

data::TrainValidationSplit DenseClassifierStudy::split_for_task(const ClassifierSettings& settings,
                                                                const data::EventTable& mixed,
                                                                const TaskContext& context) {
  core::RandomStream split_stream(context.seed(core::SeedPurpose::kSplit));
  return data::split_train_validation(mixed, settings.validation_fraction, split_stream);
}

ClassifierTaskData DenseClassifierStudy::prepare_scaled(const TaskContext& context) const {
  auto data = prepare_task(context);
  if (!data.failure_reason.empty()) return data;
  data.scored_events_id = events_fingerprint(data.held_out.size() > 0 ? data.held_out : data.test);
  if (scores_itself(context.point)) return data;
  const auto scaling = data::FeatureScaling::fit(data.split.train, data.scaling_rows);
  scaling.apply(data.split.train);
  scaling.apply(data.split.validation);
  scaling.apply(data.test);
  if (data.held_out.size() > 0) scaling.apply(data.held_out);
  return data;
}

void DenseClassifierStudy::split_task(const ClassifierSettings& settings,
                                      const data::EventTable& mixed, const TaskContext& context,
                                      ClassifierTaskData& data) {
  if (context.folds == 1) {
    data.split = split_for_task(settings, mixed, context);
    return;
  }
  core::RandomStream fold_stream(context.seed(core::SeedPurpose::kFoldAssignment));
  const auto folds = data::assign_folds(mixed.size(), context.folds, fold_stream);
  core::RandomStream split_stream(context.seed(core::SeedPurpose::kSplit));
  auto indices = data::fold_indices(folds, context.fold, context.inner_folds, context.inner,
                                    settings.validation_fraction, split_stream);
  // Equal sizes for every model of the sample, so that its fold tasks can share a stack.
  data::equalise_fold_parts(folds, context.inner_folds, settings.validation_fraction, indices,
                            split_stream);
  data.split = {mixed.subset(indices.train), mixed.subset(indices.validation)};
  data.held_out = mixed.subset(indices.held_out);
  struct Part {
    const char* name;
    const data::EventTable* table;
  };
  for (const Part& part :
       {Part{"held-out fold", &data.held_out}, Part{"training part", &data.split.train},
        Part{"validation block", &data.split.validation}}) {
    std::size_t ones = 0;
    for (auto label : part.table->label) ones += label;
    // The up-front fold check passes on expected counts; a seed's draw can still leave a part
    // without one class. That task fails with the reason, and the job goes on.
    if (ones == 0 || ones == part.table->size()) {
      data.failure_reason = "fold " + std::to_string(context.fold) + " (model " +
                            std::to_string(context.inner) + "): its " + part.name + " has " +
                            std::to_string(ones) + " events of training class 1, " +
                            std::to_string(part.table->size() - ones) +
                            " of class 0; use fewer training.folds or a larger sample";
      return;
    }
  }
}

std::size_t DenseClassifierStudy::kept_score_width() const {
  std::size_t width = 0;
  for (std::size_t p = 0; p < point_count(); ++p) {
    const auto& settings = classifier(p);
    if (settings.folds == 1 && !settings.keep_scores) continue;
    const auto sizes = sample_sizes(p);
    if (settings.folds > 1) {
      if (sizes.mixed_events == 0) {
        throw core::InputError("training.folds = " + std::to_string(settings.folds) +
                               ": this study does not support k-fold training (it cannot tell "
                               "its sample size up front); use training.folds = 1");
      }
      width = std::max(width, (sizes.mixed_events + settings.folds - 1) / settings.folds);
    } else {
      if (sizes.test_events == 0) {
        throw core::InputError(
            "metrics.keep_scores = true: this study cannot keep per-event "
            "scores (it cannot tell its test-set size up front); set "
            "metrics.keep_scores = false");
      }
      width = std::max(width, sizes.test_events);
    }
  }
  return width;
}

void DenseClassifierStudy::complete_columns(const TaskContext& /*context*/,
                                            const ClassifierTaskData& /*data*/,
                                            TaskOutput& /*output*/) const {}

TaskOutput DenseClassifierStudy::score_task(const TaskContext& /*context*/,
                                            const ClassifierTaskData& /*data*/) const {
  throw core::Error("score_task called for a study whose tasks do not score themselves");
}

void DenseClassifierStudy::finish(const TaskContext& context, const ClassifierTaskData& data,
                                  TaskOutput& output) const {
  if (output.status == TaskOutput::Status::kAbandoned) return;
  if (output.status == TaskOutput::Status::kDone) {
    if (output.artifacts.empty()) output.artifacts = data.artifacts;
    output.named_models = data.named_models;
  }
  if (!output.scores.empty()) output.scored_events_id = data.scored_events_id;
  output.results.insert(output.results.end(), data.study_columns.begin(), data.study_columns.end());
  complete_columns(context, data, output);
}

TaskOutput DenseClassifierStudy::run_task(const TaskContext& context) {
  const auto data = prepare_scaled(context);
  if (!data.failure_reason.empty())
    return failed_output(data.failure_reason, result_columns().size());
  if (scores_itself(context.point)) {
    auto output = score_task(context, data);
    finish(context, data, output);
    return output;
  }
  const auto& settings = classifier(context.point);
  const auto train = settings.backend == ClassifierBackend::kBdt ? train_and_evaluate_bdt
                                                                 : train_and_evaluate_split;
  auto output = train(settings, data.split, data.test, data.yields, context,
                      context.folds > 1 ? &data.held_out : nullptr);
  finish(context, data, output);
  return output;
}

namespace {
models::DenseNetworkConfig dense_config(std::size_t inputs, const ClassifierSettings& settings) {
  models::DenseNetworkConfig network;
  network.inputs = static_cast<int>(inputs);
  network.hidden = settings.hidden;
  network.dropout = settings.dropout;
  network.batch_norm = settings.batch_norm;
  return network;
}
}  // namespace

core::ModelLayout DenseClassifierStudy::optimizer_layout(std::size_t point) const {
  const std::size_t inputs = model_inputs(point);
  // Boosted trees store no model (stages cannot read them) and no checkpoints.
  if (inputs == 0 || classifier(point).backend == ClassifierBackend::kBdt || scores_itself(point))
    return {};
  return training::optimizer_layout(*models::DenseNetwork(dense_config(inputs, classifier(point))));
}

core::CheckpointLayout DenseClassifierStudy::checkpoint_layout(std::size_t point) const {
  const std::size_t inputs = model_inputs(point);
  // Boosted trees store no model (stages cannot read them) and no checkpoints.
  if (inputs == 0 || classifier(point).backend == ClassifierBackend::kBdt || scores_itself(point))
    return {};
  const auto& settings = classifier(point);
  return training::checkpoint_layout(*models::DenseNetwork(dense_config(inputs, settings)),
                                     settings.max_epochs);
}

core::ModelLayout DenseClassifierStudy::model_layout(std::size_t point) const {
  const std::size_t inputs = model_inputs(point);
  // Boosted trees store no model (stages cannot read them) and no checkpoints.
  if (inputs == 0 || classifier(point).backend == ClassifierBackend::kBdt || scores_itself(point))
    return {};
  const auto network = dense_config(inputs, classifier(point));
  std::string description = "dense " + std::to_string(inputs);
  for (int width : network.hidden) description += "-" + std::to_string(width);
  description += "-1";
  if (network.batch_norm) description += ", batch norm";
  if (network.dropout > 0) {
    std::ostringstream rate;
    rate << network.dropout;
    description += ", dropout " + rate.str();
  }
  return models::layout_of(*models::DenseNetwork(network), description);
}

std::vector<TaskOutput> DenseClassifierStudy::run_tasks(const std::vector<TaskContext>& contexts) {
  // Tasks that store or continue an optimizer state, or checkpoint every epoch, train one by
  // one (models read and kept stack like any other task).
  if (must_train_alone(contexts)) return Study::run_tasks(contexts);
  // Batch-norm networks train one by one too: stacked, their running statistics drift from
  // the same network's alone while the training losses agree (a Gaussian job, 30 epochs:
  // AUC 1.8e-3 and best epochs 7 apart at run.ensemble = 4 against 1; 5.6e-8 without
  // batch norm). Until that is understood, one by one keeps every result independent of K.
  // Boosted-tree tasks have no network to stack: they train one by one as well.
  const auto alone_only = [this](const TaskContext& c) {
    const auto& settings = classifier(c.point);
    return settings.batch_norm || settings.backend == ClassifierBackend::kBdt ||
           scores_itself(c.point);
  };
  if (std::any_of(contexts.begin(), contexts.end(), alone_only)) {
    std::vector<TaskContext> alone;
    std::vector<TaskContext> stackable;
    for (const auto& c : contexts) (alone_only(c) ? alone : stackable).push_back(c);
    auto outputs_alone = Study::run_tasks(alone);
    auto outputs_stacked = run_tasks(stackable);
    std::vector<TaskOutput> outputs;
    std::size_t a = 0;
    std::size_t b = 0;
    for (const auto& c : contexts) {
      outputs.push_back(std::move(alone_only(c) ? outputs_alone.at(a++) : outputs_stacked.at(b++)));
    }
    return outputs;
  }
  return run_in_groups(
      contexts,
      [this](const TaskContext& context) { return stacking_key(classifier(context.point)); },
      [this](const std::vector<TaskContext>& group) { return run_stacked(group); });
}

std::vector<TaskOutput> DenseClassifierStudy::run_stacked(
    const std::vector<TaskContext>& group) const {
  std::vector<ClassifierTaskData> data;
  data.reserve(group.size());  // problems point into it
  for (const auto& context : group) data.push_back(prepare_scaled(context));

  // Only tasks of equal sample shapes can share a stack; usually all of a group do.
  using Shape = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t>;
  std::map<Shape, std::vector<std::size_t>> by_shape;
  std::vector<TaskOutput> outputs(group.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto& d = data[i];
    if (!d.failure_reason.empty()) {
      outputs[i] = failed_output(d.failure_reason, result_columns().size());
      continue;
    }
    by_shape[{d.split.train.size(), d.split.validation.size(), d.test.size(),
              d.split.train.features}]
        .push_back(i);
  }
  bool abandoned = false;
  for (const auto& [shape, members] : by_shape) {
    if (abandoned || !group.front().keep_going()) {
      abandoned = true;
      for (std::size_t i : members) outputs[i].status = TaskOutput::Status::kAbandoned;
      continue;
    }
    std::vector<ClassifierProblem> problems;
    for (std::size_t i : members) {
      problems.push_back({&data[i].split, &data[i].test, data[i].yields, group[i],
                          group[i].folds > 1 ? &data[i].held_out : nullptr});
    }
    core::log_debug("stacked training of " + std::to_string(problems.size()) + " task(s)");
    auto stacked = train_and_evaluate_stacked(classifier(group.front().point), problems);
    for (std::size_t m = 0; m < members.size(); ++m) {
      abandoned = abandoned || stacked[m].status == TaskOutput::Status::kAbandoned;
      outputs[members[m]] = std::move(stacked[m]);
    }
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i].failure_reason.empty()) finish(group[i], data[i], outputs[i]);
  }
  return outputs;
}

}  // namespace cwola::studies
