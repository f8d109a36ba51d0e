#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "studies/task_plan.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(task_plan)

BOOST_AUTO_TEST_CASE(cartesian_product_last_axis_fastest) {
  auto job = core::JobConfig::from_text(
      "[job]\nrepeats = 3\nseed = 9\n[scan]\na.x = 1, 2\nb.y = p | q | r\n", "plan.ini");
  const auto plan = studies::make_task_plan(job);
  BOOST_TEST(plan.n_points() == 6U);
  BOOST_TEST(plan.n_tasks() == 18U);
  BOOST_TEST(plan.point_values[0] == (std::vector<std::string>{"1", "p"}));
  BOOST_TEST(plan.point_values[1] == (std::vector<std::string>{"1", "q"}));
  BOOST_TEST(plan.point_values[3] == (std::vector<std::string>{"2", "p"}));
  BOOST_TEST(plan.point_configs[4].raw("b.y") == "q");
  BOOST_TEST(plan.point_configs[4].raw("a.x") == "2");
  BOOST_TEST(plan.point_of(13) == 4U);
  BOOST_TEST(plan.repeat_of(13) == 1U);
}

BOOST_AUTO_TEST_CASE(list_values_use_the_bar_separator) {
  auto job = core::JobConfig::from_text("[scan]\nmodel.hidden = 64,64 | 32\n", "plan.ini");
  const auto plan = studies::make_task_plan(job);
  BOOST_TEST(plan.n_points() == 2U);
  BOOST_TEST(plan.point_configs[0].raw("model.hidden") == "64,64");
}

BOOST_AUTO_TEST_CASE(seeds_depend_on_task_and_master_only) {
  auto job_a = core::JobConfig::from_text("[job]\nseed = 1\nrepeats = 4\n", "a.ini");
  auto job_b = core::JobConfig::from_text("[job]\nseed = 1\nrepeats = 4\nname = other\n", "b.ini");
  auto job_c = core::JobConfig::from_text("[job]\nseed = 2\nrepeats = 4\n", "c.ini");
  const auto a = studies::make_task_plan(job_a);
  const auto b = studies::make_task_plan(job_b);
  const auto c = studies::make_task_plan(job_c);
  BOOST_TEST(a.task_seed(3) == b.task_seed(3));
  BOOST_TEST(a.task_seed(3) != c.task_seed(3));
  BOOST_TEST(a.task_seed(3) != a.task_seed(2));
}

BOOST_AUTO_TEST_CASE(bad_scans_are_rejected) {
  for (const char* text : {"[scan]\na.x =\n", "[scan]\na.x = 1,,2\n", "[scan]\nnodot = 1\n",
                           "[scan]\njob.repeats = 1, 2\n", "[job]\nrepeats = 0\n",
                           "[job]\nname =\n"}) {
    auto job = core::JobConfig::from_text(text, "bad.ini");
    BOOST_CHECK_THROW(studies::make_task_plan(job), core::InputError);
  }
}

BOOST_AUTO_TEST_CASE(fold_factor_orders_tasks_point_repeat_fold_inner) {
  auto job = core::JobConfig::from_text(
      "[job]\nrepeats = 2\n[training]\nfolds = 3\ninner_folds = 2\n[scan]\na.x = 1, 2\n",
      "plan.ini");
  const auto plan = studies::make_task_plan(job);
  BOOST_TEST(plan.n_tasks() == 2U * 2U * 3U * 2U);
  // task = ((point * repeats + repeat) * folds + fold) * inner_folds + inner
  const std::uint64_t task = ((1 * 2 + 1) * 3 + 2) * 2 + 1;
  BOOST_TEST(plan.point_of(task) == 1U);
  BOOST_TEST(plan.repeat_of(task) == 1U);
  BOOST_TEST(plan.fold_of(task) == 2U);
  BOOST_TEST(plan.inner_of(task) == 1U);
  BOOST_TEST(plan.sample_of(task) == 3U);
  auto plain = core::JobConfig::from_text("[job]\nrepeats = 4\n", "plan.ini");
  const auto p = studies::make_task_plan(plain);
  BOOST_TEST(p.sample_of(13) == 13U);  // without folds a task is its own sample
  auto scanned = core::JobConfig::from_text("[scan]\ntraining.folds = 2, 3\n", "plan.ini");
  BOOST_CHECK_THROW(studies::make_task_plan(scanned), core::InputError);
  auto inner_only = core::JobConfig::from_text("[training]\ninner_folds = 3\n", "plan.ini");
  BOOST_CHECK_THROW(studies::make_task_plan(inner_only), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
