#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "studies/stage_plan.hpp"

using namespace cwola;

namespace {
const char* kTwoStages =
    "[job]\nstudy = gaussian\nseed = 5\n"
    "[gaussian]\ndimensions = 3\nevents_per_mixture = 100\ntest_events = 50\n"
    "[model]\nhidden = 8\n"
    "[stage.pretrain]\nrepeats = 2\ngaussian.f1 = 1.0\ngaussian.f2 = 0.0\n"
    "[stage.finetune]\nreads = pretrain\ntasks = per_task_of pretrain\nrepeats = 3\n"
    "scan.gaussian.f1 = 0.6, 0.7\n";

/// The InputError message of making (and checking) the stages of `text`; "" if none.
std::string stage_error(const std::string& text) {
  try {
    auto job = core::JobConfig::from_text(text, "bad.ini");
    auto stages = studies::make_job_stages(job);
    for (auto& stage : stages.stages) {
      stage.study = studies::make_study(stage.plan.study, stage.plan.point_configs);
    }
    studies::check_stage_models(job, stages);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(stage_plan)

BOOST_AUTO_TEST_CASE(a_job_without_stages_is_one_stage_with_the_plain_task_ids) {
  auto job = core::JobConfig::from_text("[job]\nrepeats = 3\n[scan]\na.x = 1, 2\n", "plain.ini");
  const auto stages = studies::make_job_stages(job);
  BOOST_TEST(!stages.declared);
  BOOST_TEST(stages.stages.size() == 1U);
  BOOST_TEST(stages.n_tasks() == 6U);
  for (std::uint64_t t = 0; t < 6; ++t) {
    const auto where = stages.locate(t);
    BOOST_TEST(where.point == stages.stages[0].plan.point_of(t));
    BOOST_TEST(where.repeat == stages.stages[0].plan.repeat_of(t));
    BOOST_TEST(where.upstream == -1);
  }
}

BOOST_AUTO_TEST_CASE(derived_tasks_number_upstream_then_point_then_repeat) {
  auto job = core::JobConfig::from_text(kTwoStages, "two.ini");
  const auto stages = studies::make_job_stages(job);
  BOOST_TEST(stages.declared);
  BOOST_REQUIRE(stages.stages.size() == 2U);
  const auto& finetune = stages.stages[1];
  BOOST_TEST(stages.stages[0].n_tasks() == 2U);
  BOOST_TEST(finetune.n_tasks() == 2U * 2U * 3U);
  BOOST_TEST(finetune.first_task == 2U);
  BOOST_TEST(finetune.first_point == 1U);
  BOOST_TEST(stages.n_tasks() == 14U);
  BOOST_TEST(stages.n_points() == 3U);
  // Local index 9 = (upstream 1 × 2 points + point 1) × 3 repeats + repeat 0.
  const auto where = stages.locate(2 + 9);
  BOOST_TEST(where.stage == 1U);
  BOOST_TEST(where.upstream == 1);
  BOOST_TEST(where.point == 1U);
  BOOST_TEST(where.repeat == 0U);
  BOOST_TEST(stages.global_point(2 + 9) == 2U);
  BOOST_TEST(stages.locate(2).upstream == 0);
  // Each stage sees its own settings over the job's.
  BOOST_TEST(stages.stages[0].plan.point_configs[0].raw("gaussian.f1") == "1.0");
  BOOST_TEST(finetune.plan.point_configs[1].raw("gaussian.f1") == "0.7");
  BOOST_TEST(finetune.plan.point_configs[1].raw("gaussian.dimensions") == "3");
}

BOOST_AUTO_TEST_CASE(reading_stages_keep_models_and_fit_the_network) {
  auto job = core::JobConfig::from_text(kTwoStages, "two.ini");
  auto stages = studies::make_job_stages(job);
  for (auto& stage : stages.stages) {
    stage.study = studies::make_study(stage.plan.study, stage.plan.point_configs);
  }
  studies::check_stage_models(job, stages);
  BOOST_TEST(stages.stages[0].keep_models);   // read by finetune
  BOOST_TEST(!stages.stages[1].keep_models);  // read by nobody ([job] models = read)
  const auto layout = stages.stages[0].study->model_layout(0);
  BOOST_TEST(layout.description == "dense 3-8-1");
  BOOST_TEST(layout.tensors.size() == 4U);  // two weights, two biases
}

BOOST_AUTO_TEST_CASE(bad_stage_graphs_name_the_key_and_value) {
  const std::string base =
      "[job]\nstudy = gaussian\n[gaussian]\nevents_per_mixture = 100\ntest_events = 50\n";
  BOOST_TEST(stage_error(kTwoStages).empty());
  auto missing = stage_error(base + "[stage.a]\nrepeats = 1\n[stage.b]\nreads = nope\n");
  BOOST_TEST(missing.find("stage.b.reads") != std::string::npos);
  BOOST_TEST(missing.find("nope") != std::string::npos);
  auto later = stage_error(base + "[stage.a]\nreads = b\n[stage.b]\nrepeats = 1\n");
  BOOST_TEST(later.find("comes later") != std::string::npos);
  auto self = stage_error(base + "[stage.a]\nreads = a\n");
  BOOST_TEST(self.find("cycle") != std::string::npos);
  auto mismatch =
      stage_error(base + "[stage.a]\nrepeats = 2\n[stage.b]\nreads = a\ntasks = per_task_of b\n");
  BOOST_TEST(mismatch.find("stage.b.tasks") != std::string::npos);
  auto many = stage_error(base + "[stage.a]\nrepeats = 2\n[stage.b]\nreads = a\n");
  BOOST_TEST(many.find("per_task_of a") != std::string::npos);
  auto shape = stage_error(base + "[stage.a]\nrepeats = 1\n[stage.b]\nreads = a\n"
                                  "model.hidden = 16\n");
  BOOST_TEST(shape.find("does not fit") != std::string::npos);
  BOOST_TEST(shape.find("dense 4-64-64-1") != std::string::npos);
  // [job] models = all over a scan of the network's shape: the store keeps one shape a stage.
  auto all_shapes = stage_error(base + "[job]\nmodels = all\n[scan]\nmodel.hidden = 4, 8\n");
  BOOST_TEST(all_shapes.find("job.models") != std::string::npos);
  BOOST_TEST(all_shapes.find("dense 4-4-1; dense 4-8-1") != std::string::npos);
  BOOST_TEST(stage_error(base + "[job]\nmodels = all\n[scan]\ngaussian.f1 = 0.6, 0.7\n").empty());
  auto top_scan = stage_error(base + "[scan]\ngaussian.f1 = 0.6\n[stage.a]\nrepeats = 1\n");
  BOOST_TEST(top_scan.find("scan.gaussian.f1") != std::string::npos);
  auto run_key = stage_error(base + "[stage.a]\nrun.threads = 2\n");
  BOOST_TEST(run_key.find("stage.a.run.threads") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_stage_order_is_recorded_and_a_dump_reads_back_in_that_order) {
  auto job = core::JobConfig::from_text(kTwoStages, "two.ini");
  studies::make_job_stages(job);
  BOOST_TEST(job.raw("job.stages") == "pretrain, finetune");
  // The effective job sorts sections by name (finetune first); [job] stages keeps the order.
  auto dumped = core::JobConfig::from_text(job.canonical_text(), "dump.ini");
  const auto stages = studies::make_job_stages(dumped);
  BOOST_TEST(stages.stages[0].name == "pretrain");
  BOOST_TEST(stages.stages[1].reads == 0);
  BOOST_TEST(stage_error(std::string(kTwoStages).replace(0, 5, "[job]\nstages = pretrain\n"))
                 .find("job.stages") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
