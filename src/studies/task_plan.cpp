#include "studies/task_plan.hpp"

#include "core/error.hpp"
#include "core/seed.hpp"
#include "core/text.hpp"

namespace cwola::studies {

namespace {
constexpr std::uint64_t kMaxTasks = 10'000'000;
}

std::uint64_t TaskPlan::task_seed(std::uint64_t task) const {
  return core::stream_seed(master_seed, task, core::SeedPurpose::kMixing);
}

TaskPlan make_task_plan(core::JobConfig& job) {
  TaskPlan plan;
  plan.name = job.get_string("job.name", "study");
  if (plan.name.empty()) job.fail("job.name", "is empty (the study needs a name for its outputs)");
  plan.study = job.get_string("job.study", "gaussian");
  plan.master_seed = job.get_uint64("job.seed", 12345);
  plan.repeats = static_cast<std::size_t>(job.get_int("job.repeats", 10, 1, 100000));
  plan.folds = static_cast<std::size_t>(job.get_int("training.folds", 1, 1, 1000));
  plan.inner_folds = static_cast<std::size_t>(job.get_int("training.inner_folds", 1, 1, 1000));
  if (plan.folds == 1 && plan.inner_folds > 1) {
    job.fail("training.inner_folds", "needs training.folds >= 2 (inner folds split the events "
                                     "outside a held-out fold; with folds = 1 nothing is held out)");
  }

  std::size_t n_points = 1;
  for (const auto& entry : job.section("scan")) {
    const std::string key = "scan." + entry.key;
    job.get_string(key, "");  // mark as read
    if (entry.key.find('.') == std::string::npos) {
      job.fail(key, "does not name a setting as 'section.key' (e.g. gaussian.f1 = 0.5, 0.7)");
    }
    if (entry.key.rfind("scan.", 0) == 0 || entry.key.rfind("job.", 0) == 0 ||
        entry.key.rfind("run.", 0) == 0) {
      job.fail(key, "cannot be scanned ([job] and [run] settings are the same for every task)");
    }
    if (entry.key == "training.folds" || entry.key == "training.inner_folds") {
      job.fail(key, "cannot be scanned (the fold count shapes the task plan of the whole job)");
    }
    const char separator = entry.value.find('|') != std::string::npos ? '|' : ',';
    ScanAxis axis{entry.key, core::split(entry.value, separator), entry.origin};
    if (axis.values.empty()) job.fail(key, "has no values (an empty scan axis gives no tasks)");
    for (const auto& value : axis.values) {
      if (value.empty()) job.fail(key, "has an empty value between separators");
    }
    n_points *= axis.values.size();
    if (n_points * plan.repeats * plan.models_per_sample() > kMaxTasks) {
      job.fail(key, "makes more than " + std::to_string(kMaxTasks) +
                        " tasks (scan points × repeats × folds); split the study");
    }
    plan.axes.push_back(std::move(axis));
  }

  for (std::size_t point = 0; point < n_points; ++point) {
    std::vector<std::string> values(plan.axes.size());
    core::JobConfig config = job;
    std::size_t rest = point;
    for (std::size_t a = plan.axes.size(); a-- > 0;) {  // last axis fastest
      const auto& axis = plan.axes[a];
      values[a] = axis.values[rest % axis.values.size()];
      rest /= axis.values.size();
      config.set(axis.key, values[a], axis.origin + " ([scan] " + axis.key + ")");
    }
    plan.point_values.push_back(std::move(values));
    plan.point_configs.push_back(std::move(config));
  }
  return plan;
}

}  // namespace cwola::studies
