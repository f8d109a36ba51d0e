#pragma once
/// A job's stages (docs/stages.md): a pure function of the job, like the task plan. Each
/// [stage.NAME] section, in file order, is one stage with its own settings, scan and repeats;
/// `reads = EARLIER` makes it wait for and read that stage's models; `tasks = per_task_of
/// EARLIER` gives it one set of its own scan points × repeats per task of EARLIER. A job
/// without stage sections is one implicit stage "main" whose task ids are those of the plain
/// task plan, so stores and seeds of such jobs are unchanged.
///
/// Task ids are global: the tasks of stage 0 first, then stage 1, ...; a stage's task with
/// local index l = (upstream u × points + point p) × repeats + repeat r. Seeds derive from
/// (master seed, global task id, purpose).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/job_config.hpp"
#include "studies/study.hpp"
#include "studies/task_plan.hpp"

namespace cwola::studies {

struct Stage {
  std::string name;    ///< NAME of [stage.NAME]; "main" for a job without stages
  std::string origin;  ///< file:line where the stage's section starts
  /// The earlier stage whose models this stage reads (index into JobStages::stages), or -1.
  int reads = -1;
  /// true: one set of this stage's tasks per task of `reads` (tasks = per_task_of ...); false:
  /// every task reads all tasks of `reads` (then that stage must have exactly one task).
  bool per_task = false;
  TaskPlan plan;  ///< the stage's own scan points × repeats, with its settings applied
  std::unique_ptr<Study> study;  ///< built by the application from plan.point_configs
  std::size_t first_task = 0;    ///< global id of its task 0
  std::size_t first_point = 0;   ///< global index of its point 0
  std::size_t upstream_tasks = 1;  ///< tasks of `reads` when per_task, else 1
  bool keep_models = false;        ///< its tasks' trained models go into the store
  /// [job] models = all: the study's named models (Study::named_models) go into the store too.
  bool keep_named_models = false;
  /// optimizer = continue: its tasks continue the Adam state stored with the models they read.
  bool continue_optimizer = false;
  /// A later stage continues its optimizer: the state is stored after each model.
  bool keep_optimizer = false;

  std::size_t n_tasks() const { return upstream_tasks * plan.n_tasks(); }
};

/// Where a global task sits.
struct StageTask {
  std::size_t stage = 0;
  std::size_t local = 0;         ///< index within the stage
  std::size_t point = 0;         ///< the stage's own point
  std::size_t repeat = 0;
  std::size_t fold = 0;          ///< k-fold: the held-out fold (TaskPlan::fold_of)
  std::size_t inner = 0;         ///< k-fold: the inner model (TaskPlan::inner_of)
  /// The id that seeds the task's data streams with k-fold training (one sample, many models):
  /// the stage's first task + upstream block + TaskPlan::sample_of; equal to sample_of for a
  /// job without stages.
  std::uint64_t sample = 0;
  std::int64_t upstream = -1;    ///< the global task whose model it reads; -1 none
};

struct JobStages {
  std::vector<Stage> stages;
  bool declared = false;  ///< false: the implicit single stage of a plain job
  /// [job] models: "read" keeps only models a later stage reads, "all" every model a study
  /// can store.
  std::string keep_models = "read";

  std::size_t n_tasks() const;
  std::size_t n_points() const;
  StageTask locate(std::uint64_t task) const;
  /// Global point index of a task (for /tasks/point and the summary).
  std::size_t global_point(std::uint64_t task) const;
};

/// Reads the [stage.*] sections (or, without any, [scan] and [job] repeats as one stage) and
/// checks that every `reads` names an earlier stage. Studies are not built here.
/// Throws InputError naming file, key and value.
JobStages make_job_stages(core::JobConfig& job);

/// After the studies are built: decides which stages keep models and checks that a reading
/// stage's network has the shape of the models it reads (InputError otherwise).
void check_stage_models(core::JobConfig& job, JobStages& stages);

}  // namespace cwola::studies
