#include "app/job_setup.hpp"

#include <cerrno>
#include <cstdlib>
#include <set>

#include "core/text.hpp"
#include "stats/hunt_fit_settings.hpp"
#include "store/results_store.hpp"
#include "studies/hunt_study.hpp"

namespace cwola::app {

namespace {
bool parse_count(const std::string& text, std::int64_t& out) {
  const std::string trimmed = core::trim(text);
  if (trimmed.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoll(trimmed.c_str(), &end, 10);
  return errno == 0 && end == trimmed.c_str() + trimmed.size();
}

/// run.part = "i/n": 1 <= i <= n <= tasks (an empty part is almost surely a typo).
void read_part(PreparedJob& job) {
  const std::string text = job.config.get_string("run.part", "1/1");
  const auto slash = text.find('/');
  std::int64_t part = 0;
  std::int64_t parts = 0;
  if (slash == std::string::npos || !parse_count(text.substr(0, slash), part) ||
      !parse_count(text.substr(slash + 1), parts)) {
    job.config.fail("run.part", "is not of the form i/n (this run's part i of n, e.g. 2/8)");
  }
  const auto tasks = static_cast<std::int64_t>(job.stages.n_tasks());
  if (parts < 1 || part < 1 || part > parts) {
    job.config.fail("run.part", "needs 1 <= i <= n (parts are numbered from 1)");
  }
  if (parts > tasks) {
    job.config.fail("run.part", "asks for more parts than the study has tasks (" +
                                    std::to_string(tasks) + "), so some parts would be empty; "
                                    "use at most " + std::to_string(tasks) + " parts");
  }
  if (parts > 1 && job.stages.keep_models == "all" && !job.stages.declared) {
    job.config.fail("run.part",
                    "splits a job that keeps its models (job.models = all) into "
                    "part stores, which cannot be merged with their models; run it "
                    "in one store (any number of ranks)");
  }
  if (parts > 1 && job.stages.declared) {
    job.config.fail("run.part", "splits a job with stages into part stores, but a stage's tasks "
                                "read the models of earlier stages from the same store; run the "
                                "whole job in one store (any number of ranks)");
  }
  job.run.part = static_cast<int>(part);
  job.run.parts = static_cast<int>(parts);
}

/// [run] checkpoint = epoch: every stage's study must be able to checkpoint its trainings, and
/// a checkpoint does not keep the weights that average_best_epochs averages.
void check_checkpoints(PreparedJob& job) {
  for (const auto& stage : job.stages.stages) {
    for (std::size_t p = 0; p < stage.plan.point_configs.size(); ++p) {
      if (stage.study->checkpoint_layout(p).empty()) {
        job.config.fail("run.checkpoint", "cannot be used with study '" + stage.plan.study +
                                              "', whose trainings keep no checkpoints (the "
                                              "dense studies and the hidden-valley CNN do); "
                                              "use none");
      }
      const auto& point = stage.plan.point_configs[p];
      if (point.has("training.average_best_epochs") &&
          point.raw("training.average_best_epochs") != "1") {
        job.config.fail("run.checkpoint",
                        "cannot be used with training.average_best_epochs = " +
                            point.raw("training.average_best_epochs") +
                            ": a checkpoint does not keep the best epochs' weights; use "
                            "average_best_epochs = 1 or checkpoint = none");
      }
    }
  }
}

}  // namespace

PreparedJob prepare_job(const CommandLine& line) {
  PreparedJob job;
  job.config = core::JobConfig::from_file(line.job_file);
  for (const auto& assignment : line.overrides) job.config.apply_override(assignment);
  if (line.threads) job.config.set("run.threads", std::to_string(*line.threads), "--threads");
  if (line.device) job.config.set("run.device", *line.device, "--device");
  if (line.part) job.config.set("run.part", *line.part, "--part");
  if (!line.output.empty()) job.config.set("run.output", line.output, "--output");

  job.stages = studies::make_job_stages(job.config);
  {
    const auto& name = job.stages.stages.front().plan.name;
    if (name.size() > store::kMaxProvenanceLength) {
      job.config.fail("job.name", "has " + std::to_string(name.size()) +
                                      " characters; the store keeps at most " +
                                      std::to_string(store::kMaxProvenanceLength) +
                                      " (a longer name would be cut); use a shorter name");
    }
  }
  job.run.device = job.config.get_choice("run.device", "cpu", {"cpu", "cuda", "auto"});
  job.run.threads = static_cast<int>(job.config.get_int("run.threads", 0, 0, 4096));
  job.run.blas_threads = static_cast<int>(job.config.get_int("run.blas_threads", 1, 1, 4096));
  job.run.progress_seconds = job.config.get_double("run.progress_seconds", 10.0, 0.0, 86400.0);
  job.run.ensemble = job.config.get_string("run.ensemble", "1") == "auto"
                         ? 0
                         : static_cast<int>(job.config.get_int("run.ensemble", 1, 1, 4096));
  job.run.precision = job.config.get_choice("run.precision", "float32", {"float32", "bf16"});
  job.run.deterministic = job.config.get_bool("run.deterministic", false);
  job.run.stage_sync =
      job.config.get_choice("run.stage_sync", "dependency", {"dependency", "barrier"});
  job.run.checkpoint = job.config.get_choice("run.checkpoint", "none", {"none", "epoch"});
  job.run.output = job.config.get_string("run.output", job.stages.stages.front().plan.name + ".h5");
  if (job.run.output.empty()) job.config.fail("run.output", "is empty (the store needs a path)");
  read_part(job);

  // Point configs were copied before [run] was read; record it in them too.
  std::set<std::string> scanned;  // scanned or set per stage: not a job-wide default
  const stats::HuntFitSettings* first_fit = nullptr;  // one select → fit for the whole job
  for (auto& stage : job.stages.stages) {
    for (auto& point : stage.plan.point_configs) {
      for (const auto& key : job.config.read_keys()) {
        if (!point.has(key)) point.set(key, job.config.raw(key), job.config.origin(key));
      }
      for (const auto& key : job.config.read_keys()) point.get_string(key, job.config.raw(key));
    }
    stage.study = studies::make_study(stage.plan.study, stage.plan.point_configs);
    // keep_scores and k-fold need sizes the study must know up front: refuse them now if not.
    stage.study->kept_score_width();
    if (const auto* fit = studies::hunt_fit_settings(*stage.study); fit != nullptr) {
      if (first_fit != nullptr && fit->text() != first_fit->text()) {
        stage.plan.point_configs.front().fail(
            "hunt.efficiencies",
            "and the other select → fit settings of [hunt] differ between "
            "stages: the job's one select → fit step treats every stage alike");
      }
      if (first_fit == nullptr) first_fit = fit;
    }
    for (const auto& axis : stage.plan.axes) scanned.insert(axis.key);
    if (job.stages.declared) {
      for (const auto& entry : job.config.section("stage." + stage.name)) {
        scanned.insert(entry.key);
      }
    }
  }
  // Record the defaults the study used (as read at the first point) in the job, so
  // --dump-config and the store show every setting; scanned keys stay in [scan].
  const auto& first = job.stages.stages.front().plan.point_configs.front();
  for (const auto& key : first.read_keys()) {
    // job.stage names each stage's own points (studies::stage_config), not a job setting.
    if (scanned.count(key) != 0 || key.rfind("stage.", 0) == 0 || key.rfind("scan.", 0) == 0 ||
        key == "job.stage") {
      continue;
    }
    if (!job.config.has(key)) job.config.set(key, first.raw(key), "default");
    job.config.get_string(key, "");
  }

  // A scan axis naming a key the study does not read shows up here as unread. A job-wide key
  // that some stage's study read (and another stage overrode) counts as read.
  // A stage's scan axis is not a read of the job-wide line of the same key: that line is then
  // left unread and named (typically a setting moved into [scan] with its old line left).
  for (auto& stage : job.stages.stages) {
    std::set<std::string> axes;
    for (const auto& axis : stage.plan.axes) axes.insert(axis.key);
    for (auto& point : stage.plan.point_configs) {
      point.reject_unread();
      for (const auto& key : point.read_keys()) {
        if (axes.count(key) == 0 && job.config.has(key)) job.config.get_string(key, "");
      }
    }
  }
  job.config.reject_unread();
  studies::check_stage_models(job.config, job.stages);
  if (job.run.checkpoint == "epoch") check_checkpoints(job);
  job.plan = job.stages.stages.front().plan;
  job.study = job.stages.stages.front().study.get();

  job.effective_text = job.config.canonical_text();
  job.hash = core::hash_hex(job.config.canonical_text({"run"}));
  return job;
}

}  // namespace cwola::app
