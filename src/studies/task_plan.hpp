#pragma once
/// The task plan: a pure function of the job. Scan points are the cartesian
/// product of the [scan] axes (first axis slowest); tasks are points × repeats × folds ×
/// inner folds, task id = ((point × repeats + repeat) × folds + fold) × inner_folds + inner
/// (= point × repeats + repeat without k-fold training).
#include <cstdint>
#include <string>
#include <vector>

#include "core/job_config.hpp"

namespace cwola::studies {

struct ScanAxis {
  std::string key;                  ///< the job key it varies, e.g. "gaussian.f1"
  std::vector<std::string> values;  ///< as written
  std::string origin;               ///< file:line of the [scan] entry
};

struct TaskPlan {
  std::string study;
  std::string name;
  std::uint64_t master_seed = 0;
  std::size_t repeats = 1;
  std::vector<ScanAxis> axes;
  std::vector<std::vector<std::string>> point_values;  ///< [point][axis]
  std::vector<core::JobConfig> point_configs;          ///< the job with each point's values set

  /// k-fold cross-training ([training] folds, inner_folds; 1 and 1 without it): the fold
  /// factor of the plan, models_per_sample() tasks per repeat.
  std::size_t folds = 1;
  std::size_t inner_folds = 1;

  std::size_t n_points() const { return point_values.size(); }
  std::size_t models_per_sample() const { return folds * inner_folds; }
  std::size_t n_tasks() const { return n_points() * repeats * models_per_sample(); }
  /// The (point, repeat) sample a task trains on: point × repeats + repeat.
  std::uint64_t sample_of(std::uint64_t task) const { return task / models_per_sample(); }
  std::size_t point_of(std::uint64_t task) const { return sample_of(task) / repeats; }
  std::size_t repeat_of(std::uint64_t task) const { return sample_of(task) % repeats; }
  std::size_t fold_of(std::uint64_t task) const { return (task / inner_folds) % folds; }
  std::size_t inner_of(std::uint64_t task) const { return task % inner_folds; }
  /// The seed recorded for a task (every stream of the task derives from master and id).
  std::uint64_t task_seed(std::uint64_t task) const;
};

/// Reads [job] (name, study, seed, repeats), [training] folds and inner_folds, and [scan]
/// from `job`. Scan values
/// are separated by '|' when the entry contains one (for list-valued keys such as
/// "model.hidden = 64,64 | 128,128"), else by ','.
TaskPlan make_task_plan(core::JobConfig& job);

}  // namespace cwola::studies
