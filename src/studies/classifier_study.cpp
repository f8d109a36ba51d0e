#include "studies/classifier_study.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/random_stream.hpp"
#include "core/seed.hpp"
#include "models/dense_network.hpp"
#include "models/module_tensors.hpp"

namespace cwola::studies {

ClassifierStudyBase::ClassifierStudyBase(const std::vector<const ClassifierSettings*>& settings,
                                         const std::vector<std::string>& study_columns)
    : columns_(classifier_columns()) {
  columns_.insert(columns_.end(), study_columns.begin(), study_columns.end());
  for (const auto* s : settings) {
    max_epochs_ = std::max(max_epochs_, static_cast<std::size_t>(s->max_epochs));
  }
  grid_ = studies::roc_grid(*settings.front());
}

data::TrainValidationSplit DenseClassifierStudy::split_for_task(const ClassifierSettings& settings,
                                                                const data::EventTable& mixed,
                                                                const TaskContext& context) {
  core::RandomStream split_stream(context.seed(core::SeedPurpose::kSplit));
  return data::split_train_validation(mixed, settings.validation_fraction, split_stream);
}

void DenseClassifierStudy::complete_columns(const TaskContext& /*context*/,
                                            const ClassifierTaskData& /*data*/,
                                            TaskOutput& /*output*/) const {}

void DenseClassifierStudy::finish(const TaskContext& context, const ClassifierTaskData& data,
                                  TaskOutput& output) const {
  if (output.status == TaskOutput::Status::kAbandoned) return;
  output.results.insert(output.results.end(), data.study_columns.begin(), data.study_columns.end());
  complete_columns(context, data, output);
}

TaskOutput DenseClassifierStudy::run_task(const TaskContext& context) {
  const auto data = prepare_task(context);
  auto output = train_and_evaluate_split(classifier(context.point), data.split, data.test,
                                         data.yields, context);
  finish(context, data, output);
  return output;
}

core::ModelLayout DenseClassifierStudy::model_layout(std::size_t point) const {
  const std::size_t inputs = model_inputs(point);
  if (inputs == 0) return {};
  models::DenseNetworkConfig network;
  network.inputs = static_cast<int>(inputs);
  network.hidden = classifier(point).hidden;
  std::string description = "dense " + std::to_string(inputs);
  for (int width : network.hidden) description += "-" + std::to_string(width);
  description += "-1";
  return models::layout_of(*models::DenseNetwork(network), description);
}

std::vector<TaskOutput> DenseClassifierStudy::run_tasks(const std::vector<TaskContext>& contexts) {
  // Tasks that start from or keep a stored model train one by one (stacked members' tensors
  // are slices of one network; docs/stages.md).
  const bool stage_io = std::any_of(contexts.begin(), contexts.end(), [](const auto& c) {
    return c.input_model != nullptr || c.keep_model;
  });
  if (stage_io) return Study::run_tasks(contexts);
  return run_in_groups(
      contexts,
      [this](const TaskContext& context) { return stacking_key(classifier(context.point)); },
      [this](const std::vector<TaskContext>& group) { return run_stacked(group); });
}

std::vector<TaskOutput> DenseClassifierStudy::run_stacked(
    const std::vector<TaskContext>& group) const {
  std::vector<ClassifierTaskData> data;
  data.reserve(group.size());  // problems point into it
  for (const auto& context : group) data.push_back(prepare_task(context));

  // Only tasks of equal sample shapes can share a stack; usually all of a group do.
  using Shape = std::tuple<std::size_t, std::size_t, std::size_t, std::size_t>;
  std::map<Shape, std::vector<std::size_t>> by_shape;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto& d = data[i];
    by_shape[{d.split.train.size(), d.split.validation.size(), d.test.size(),
              d.split.train.features}]
        .push_back(i);
  }
  std::vector<TaskOutput> outputs(group.size());
  bool abandoned = false;
  for (const auto& [shape, members] : by_shape) {
    if (abandoned || !group.front().keep_going()) {
      abandoned = true;
      for (std::size_t i : members) outputs[i].status = TaskOutput::Status::kAbandoned;
      continue;
    }
    std::vector<ClassifierProblem> problems;
    for (std::size_t i : members) {
      problems.push_back({&data[i].split, &data[i].test, data[i].yields, group[i]});
    }
    auto stacked = train_and_evaluate_stacked(classifier(group.front().point), problems);
    for (std::size_t m = 0; m < members.size(); ++m) {
      abandoned = abandoned || stacked[m].status == TaskOutput::Status::kAbandoned;
      outputs[members[m]] = std::move(stacked[m]);
    }
  }
  for (std::size_t i = 0; i < data.size(); ++i) finish(group[i], data[i], outputs[i]);
  return outputs;
}

}  // namespace cwola::studies
