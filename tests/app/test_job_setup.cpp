#include <boost/test/unit_test.hpp>
#include <fstream>

#include "app/job_setup.hpp"
#include "core/error.hpp"

using namespace cwola;

namespace {
app::PreparedJob prepare(const std::string& text, std::vector<std::string> overrides = {}) {
  const std::string path = "test_job_setup.ini";
  std::ofstream(path) << text;
  app::CommandLine line;
  line.command = app::Command::kRun;
  line.job_file = path;
  line.overrides = std::move(overrides);
  return app::prepare_job(line);
}

const char* kJob =
    "[job]\nname = t\nrepeats = 2\n[scan]\ngaussian.f1 = 0.6, 0.9\n[run]\nthreads = 1\n";
}  // namespace

BOOST_AUTO_TEST_SUITE(job_setup)

BOOST_AUTO_TEST_CASE(the_quickstart_job_is_valid) {
  app::CommandLine line;
  line.job_file = std::string(CWOLA_SOURCE_DIR) + "/jobs/quickstart.ini";
  const auto job = app::prepare_job(line);
  BOOST_TEST(job.plan.n_tasks() == 60U);
  BOOST_TEST(job.study->result_columns().front() == "auc");
}

BOOST_AUTO_TEST_CASE(hash_ignores_run_settings_but_not_physics) {
  const auto base = prepare(kJob);
  BOOST_TEST(prepare(kJob, {"run.threads=2", "run.progress_seconds=1"}).hash == base.hash);
  BOOST_TEST(prepare(kJob, {"run.output=elsewhere.h5"}).hash == base.hash);
  BOOST_TEST(prepare(kJob, {"gaussian.dimensions=5"}).hash != base.hash);
  BOOST_TEST(prepare(kJob, {"job.seed=3"}).hash != base.hash);
  // Writing a default explicitly is the same job.
  BOOST_TEST(prepare(kJob, {"training.patience=10"}).hash == base.hash);
}

BOOST_AUTO_TEST_CASE(effective_text_has_defaults_and_reparses_to_the_same_job) {
  const auto job = prepare(kJob);
  BOOST_TEST(job.effective_text.find("learning_rate = 0.001") != std::string::npos);
  BOOST_TEST(job.effective_text.find("output = t.h5") != std::string::npos);
  BOOST_TEST(prepare(job.effective_text).hash == job.hash);
}

BOOST_AUTO_TEST_CASE(scan_values_are_validated_per_point) {
  BOOST_CHECK_THROW(prepare("[scan]\ngaussian.f1 = 0.6, 2\n"), core::InputError);
  BOOST_CHECK_THROW(prepare("[scan]\ngaussian.typo = 1, 2\n"), core::InputError);
  BOOST_CHECK_THROW(prepare("[scan]\nmetrics.roc_points = 10, 20\n"), core::InputError);
  BOOST_CHECK_THROW(prepare(kJob, {"run.device=tpu"}), core::InputError);
  BOOST_CHECK_THROW(prepare(kJob, {"nosection=1"}), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
