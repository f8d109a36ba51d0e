#include "studies/stage_plan.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::studies {

namespace {
const std::string kPerTaskOf = "per_task_of";

/// The job as one stage sees it: its settings over the job's, its scan and repeats, the other
/// stages' sections marked as read (they belong to the job, not to this stage).
core::JobConfig stage_config(const core::JobConfig& job, const std::string& name,
                             std::int64_t repeats) {
  core::JobConfig config = job;
  const std::string prefix = "stage." + name + ".";
  for (const auto& entry : job.section("stage")) config.get_string("stage." + entry.key, "");
  config.set("job.repeats", std::to_string(repeats), "[stage." + name + "] repeats");
  // The stage a point belongs to, so that a study can read its stage's own keys (e.g. whether
  // it reads a model: cnn.fine_tune = head needs one). Marked read here; not in the job hash.
  config.set("job.stage", name, "[stage." + name + "]");
  config.get_string("job.stage", "");
  for (const auto& entry : job.section("stage." + name)) {
    if (entry.key == "reads" || entry.key == "tasks" || entry.key == "repeats" ||
        entry.key == "optimizer") {
      continue;
    }
    const std::string& key = entry.key;
    if (key.find('.') == std::string::npos) {
      job.fail(prefix + entry.key, "is not a stage setting (reads, tasks, repeats, optimizer) nor a "
                                   "'section.key' setting of the study (e.g. gaussian.f1 = 1)");
    }
    if (key.rfind("job.", 0) == 0 || key.rfind("run.", 0) == 0 || key.rfind("stage.", 0) == 0) {
      job.fail(prefix + entry.key, "cannot be set per stage ([job], [run] and stages are the "
                                   "same for every stage)");
    }
    config.set(key, entry.value, entry.origin + " ([stage." + name + "])");
  }
  return config;
}
}  // namespace

std::size_t JobStages::n_tasks() const {
  return stages.empty() ? 0 : stages.back().first_task + stages.back().n_tasks();
}

std::size_t JobStages::n_points() const {
  return stages.empty() ? 0 : stages.back().first_point + stages.back().plan.n_points();
}

StageTask JobStages::locate(std::uint64_t task) const {
  CWOLA_EXPECT(task < n_tasks());
  std::size_t s = stages.size() - 1;
  while (stages[s].first_task > task) --s;
  const Stage& stage = stages[s];
  StageTask where;
  where.stage = s;
  where.local = task - stage.first_task;
  const std::size_t own = stage.plan.n_tasks();
  const std::size_t u = where.local / own;
  const std::size_t rest = where.local % own;
  where.point = stage.plan.point_of(rest);
  where.repeat = stage.plan.repeat_of(rest);
  where.fold = stage.plan.fold_of(rest);
  where.inner = stage.plan.inner_of(rest);
  where.sample = stage.first_task + u * own + stage.plan.sample_of(rest);
  if (stage.reads >= 0) {
    const Stage& upstream = stages[static_cast<std::size_t>(stage.reads)];
    where.upstream = static_cast<std::int64_t>(upstream.first_task + (stage.per_task ? u : 0));
  }
  return where;
}

std::size_t JobStages::global_point(std::uint64_t task) const {
  const auto where = locate(task);
  return stages[where.stage].first_point + where.point;
}

JobStages make_job_stages(core::JobConfig& job) {
  JobStages result;
  // Read only when set, so that the hash of a job without it (every job before stages) stays.
  if (job.has("job.models")) {
    result.keep_models = job.get_choice("job.models", "read", {"read", "all"});
  }
  std::vector<std::pair<std::string, std::string>> names;  // name, origin; in file order
  for (const auto& entry : job.section("stage")) {
    const std::string name = entry.key.substr(0, entry.key.find('.'));
    if (std::none_of(names.begin(), names.end(), [&](const auto& n) { return n.first == name; })) {
      names.emplace_back(name, entry.origin);
    }
  }
  if (names.empty()) {
    Stage stage;
    stage.name = "main";
    stage.plan = make_task_plan(job);
    result.stages.push_back(std::move(stage));
    return result;
  }
  result.declared = true;
  // The order is part of the job (task ids follow it): recorded as [job] stages, so the
  // effective job (sections sorted by name) and the job hash keep it.
  if (job.has("job.stages")) {
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const auto& name : core::split(job.get_string("job.stages", ""), ',')) {
      const auto found = std::find_if(names.begin(), names.end(),
                                      [&](const auto& n) { return n.first == core::trim(name); });
      if (found == names.end() || std::any_of(ordered.begin(), ordered.end(), [&](const auto& n) {
            return n.first == found->first;
          })) {
        job.fail("job.stages", "names '" + core::trim(name) + "', which is not a [stage.NAME] "
                               "section or is listed twice; list each stage section once");
      }
      ordered.push_back(*found);
    }
    if (ordered.size() != names.size()) {
      job.fail("job.stages", "lists " + std::to_string(ordered.size()) + " stages but the job "
                             "has " + std::to_string(names.size()) + " [stage.NAME] sections; "
                             "list every stage once");
    }
    names = ordered;
  } else {
    std::string order;
    for (const auto& n : names) order += (order.empty() ? "" : ", ") + n.first;
    job.set("job.stages", order, "[stage.*] sections in file order");
    job.get_string("job.stages", "");
  }
  // Every key of a stage section belongs to the job; a misspelt study key is still caught by the
  // stage's own point configs, which the study reads.
  for (const auto& entry : job.section("stage")) job.get_string("stage." + entry.key, "");
  if (!job.section("scan").empty()) {
    const auto entry = job.section("scan").front();
    job.fail("scan." + entry.key, "is a top-level [scan] in a job with stages (which stage "
                                  "scans it?); write it as scan." + entry.key +
                                  " = ... inside a [stage.NAME] section");
  }
  const std::int64_t default_repeats = job.get_int("job.repeats", 1, 1, 100000);
  for (std::size_t s = 0; s < names.size(); ++s) {
    const auto& [name, origin] = names[s];
    const std::string prefix = "stage." + name + ".";
    Stage stage;
    stage.name = name;
    stage.origin = origin;
    const std::int64_t repeats = job.get_int(prefix + "repeats", default_repeats, 1, 100000);
    const std::string reads = job.get_string(prefix + "reads", "");
    if (!reads.empty()) {
      const auto found = std::find_if(names.begin(), names.end(),
                                       [&](const auto& n) { return n.first == reads; });
      if (found == names.end()) {
        job.fail(prefix + "reads", "names no stage of this job (stages: " + [&] {
          std::string all;
          for (const auto& n : names) all += (all.empty() ? "" : ", ") + n.first;
          return all;
        }() + ")");
      }
      const auto index = static_cast<std::size_t>(found - names.begin());
      if (index == s) job.fail(prefix + "reads", "names the stage itself (a cycle)");
      if (index > s) {
        job.fail(prefix + "reads", "names stage '" + reads + "', which comes later (stages run "
                                   "in file order, or as [job] stages lists them, and read only "
                                   "earlier ones; a later one could read this one back: a "
                                   "cycle); move [stage." + reads + "] up");
      }
      stage.reads = static_cast<int>(index);
    }
    stage.continue_optimizer =
        job.get_choice(prefix + "optimizer", "fresh", {"fresh", "continue"}) == "continue";
    if (stage.continue_optimizer && reads.empty()) {
      job.fail(prefix + "optimizer", "= continue needs a stage to continue from (set reads = "
                                     "STAGE)");
    }
    const std::string tasks = job.get_string(prefix + "tasks", "own");
    if (tasks != "own") {
      const auto words = core::split(tasks, ' ');
      std::vector<std::string> parts;
      for (const auto& w : words) {
        if (!core::trim(w).empty()) parts.push_back(core::trim(w));
      }
      if (parts.size() != 2 || parts[0] != kPerTaskOf) {
        job.fail(prefix + "tasks", "is neither 'own' (the stage's scan × repeats) nor "
                                   "'per_task_of STAGE'");
      }
      if (parts[1] != reads) {
        job.fail(prefix + "tasks", "derives its tasks from '" + parts[1] + "' but the stage "
                                   "reads '" + reads + "'; a stage's tasks derive from the "
                                   "stage it reads (set reads = " + parts[1] + ")");
      }
      stage.per_task = true;
    }
    auto config = stage_config(job, name, repeats);
    stage.plan = make_task_plan(config);
    if (stage.per_task) {
      stage.upstream_tasks = result.stages[static_cast<std::size_t>(stage.reads)].n_tasks();
      if (stage.upstream_tasks == 0) {
        job.fail(prefix + "tasks", "derives an empty task set (stage '" + reads +
                                   "' has no tasks)");
      }
    }
    if (s > 0) {
      const Stage& previous = result.stages.back();
      stage.first_task = previous.first_task + previous.n_tasks();
      stage.first_point = previous.first_point + previous.plan.n_points();
    }
    result.stages.push_back(std::move(stage));
  }
  return result;
}

void check_stage_models(core::JobConfig& job, JobStages& stages) {
  for (auto& stage : stages.stages) {
    const bool has_models = !stage.study->model_layout(0).empty();
    stage.keep_models = stages.keep_models == "all" && has_models;
    // No stage reads a named model: they are kept only when the job keeps every model.
    stage.keep_named_models = stages.keep_models == "all" && !stage.study->named_models(0).empty();
    for (std::size_t p = 1; stage.keep_named_models && p < stage.plan.n_points(); ++p) {
      if (!(stage.study->named_models(p) == stage.study->named_models(0))) {
        job.fail("job.models", "= all keeps the named models (e.g. CATHODE's flow) of stage '" +
                                   stage.name +
                                   "', whose scan changes their shape or settings "
                                   "between points; the store keeps one layout per stage: scan "
                                   "them in separate stages");
      }
    }
  }
  // The store holds one model shape per stage (laid out from point 0 before any task runs).
  const auto check_one_shape = [&job](const Stage& stage, const std::string& key,
                                      const std::string& why) {
    const auto first = stage.study->model_layout(0);
    for (std::size_t p = 1; p < stage.plan.n_points(); ++p) {
      const auto other = stage.study->model_layout(p);
      if (!(other == first)) {
        job.fail(key, why + " stage '" + stage.name + "', whose scan changes the network's "
                      "shape between points (" + first.description + "; " + other.description +
                      "); the store keeps one model shape per stage: scan the shape in "
                      "separate stages");
      }
    }
  };
  for (auto& stage : stages.stages) {
    if (stage.reads < 0) continue;
    auto& upstream = stages.stages[static_cast<std::size_t>(stage.reads)];
    const std::string key = "stage." + stage.name + ".reads";
    const auto stored = upstream.study->model_layout(0);
    if (stored.empty()) {
      job.fail(key, "names stage '" + upstream.name + "', whose study stores no model (its "
                    "network's inputs are not known before the data, or it trains boosted trees, "
                    "model.classifier = bdt); read a stage of a study that stores models "
                    "(docs/stages.md, docs/trees.md)");
    }
    check_one_shape(upstream, key, "names");
    if (!stage.per_task && upstream.n_tasks() != 1) {
      job.fail(key, "names stage '" + upstream.name + "' with " +
                    std::to_string(upstream.n_tasks()) + " tasks, but a task starts from one "
                    "model; add tasks = per_task_of " + upstream.name);
    }
    for (std::size_t p = 0; p < stage.plan.n_points(); ++p) {
      const auto loads = stage.study->input_layout(p);
      if (!(loads == stored)) {
        job.fail(key, "names stage '" + upstream.name + "', whose stored model (" +
                      stored.description + ") does not fit this stage's network (" +
                      (loads.empty() ? std::string("none") : loads.description) +
                      "); give both stages the same network and input settings");
      }
    }
    upstream.keep_models = true;
    if (stage.continue_optimizer) {
      if (upstream.study->optimizer_layout(0).empty()) {
        job.fail("stage." + stage.name + ".optimizer",
                 "= continue, but stage '" + upstream.name + "' has no optimizer state to store");
      }
      upstream.keep_optimizer = true;
    }
  }
  for (const auto& stage : stages.stages) {
    if (stage.keep_models && stages.keep_models == "all") {
      check_one_shape(stage, "job.models", "keeps the models of");
    }
  }
}

}  // namespace cwola::studies
