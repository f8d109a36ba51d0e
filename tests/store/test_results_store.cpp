#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/results_store.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola::store;

namespace {
StoreLayout small_layout(const std::string& hash) {
  StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "unit";
  layout.job_text = "[job]\nname = unit\n";
  layout.job_hash = hash;
  layout.axes = {"gaussian.f1", "model.kind"};
  layout.point_axis_values = {{"0.5", "dense"}, {"0.7", "dense"}, {"0.5", "wide"}};
  for (std::uint64_t t = 0; t < 6; ++t) {
    layout.task_point.push_back(t / 2);
    layout.task_repeat.push_back(t % 2);
    layout.task_seed.push_back(1000 + t);
  }
  layout.result_columns = {"auc", "best_accuracy"};
  layout.max_epochs = 4;
  layout.roc_grid = {0.01, 0.1, 1.0};
  return layout;
}

std::string store_path(const std::string& stem) {
  return stem + "_np" + std::to_string(g_mpi->size()) + ".h5";
}

void remove_on_rank0(const std::string& path) {
  if (g_mpi->rank() == 0) unlink(path.c_str());
  g_mpi->barrier();
}

TaskRecord record_for(std::uint64_t task) {
  TaskRecord r;
  r.task = task;
  r.results = {0.6 + 0.01 * static_cast<double>(task), 0.55};
  r.train_loss = {0.7, 0.6};
  r.val_loss = {0.71, 0.65};
  r.train_accuracy = {0.5, 0.6};
  r.val_accuracy = {0.5, 0.58};
  r.roc = {0.02, 0.2, 1.0};
  r.device = "cpu";
  r.rank = g_mpi->rank();
  return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(results_store)

BOOST_AUTO_TEST_CASE(create_write_read_round_trip) {
  const auto path = store_path("store_round_trip");
  remove_on_rank0(path);
  Provenance provenance;
  provenance.ranks = g_mpi->size();
  auto store = ResultsStore::create(g_mpi->comm(), path, small_layout("abc"), provenance, false);
  BOOST_TEST(access((path + ".partial").c_str(), F_OK) != 0);  // renamed away
  BOOST_TEST(store.n_tasks() == 6U);
  BOOST_TEST(store.n_points() == 3U);
  for (std::uint64_t t = static_cast<std::uint64_t>(g_mpi->rank()); t < 5;
       t += static_cast<std::uint64_t>(g_mpi->size())) {
    store.write_task(record_for(t));
  }
  g_mpi->barrier();
  const auto status = store.read_status();
  for (std::uint64_t t = 0; t < 5; ++t) BOOST_TEST((status[t] == TaskStatus::kDone));
  BOOST_TEST((status[5] == TaskStatus::kPending));
  const auto auc = store.read_result_column("auc");
  BOOST_TEST(auc[3] == 0.63);
  BOOST_TEST(std::isnan(auc[5]));
  const auto roc = store.read_roc_rows();
  BOOST_TEST(roc[1 * 3 + 1] == 0.2);
  BOOST_TEST(store.axes() == (std::vector<std::string>{"gaussian.f1", "model.kind"}));
  const auto values = store.read_point_values();
  BOOST_TEST(values[1][0] == "0.7");
  BOOST_TEST(values[2][1] == "wide");
  store.close();
}

BOOST_AUTO_TEST_CASE(existing_store_is_refused_without_overwrite) {
  const auto path = store_path("store_exists");
  remove_on_rank0(path);
  Provenance provenance;
  { auto store = ResultsStore::create(g_mpi->comm(), path, small_layout("h1"), provenance, false); }
  BOOST_CHECK_THROW(ResultsStore::create(g_mpi->comm(), path, small_layout("h1"), provenance, false),
                    cwola::core::InputError);
  auto replaced = ResultsStore::create(g_mpi->comm(), path, small_layout("h2"), provenance, true);
  replaced.close();
}

BOOST_AUTO_TEST_CASE(resume_checks_the_job_hash_and_keeps_finished_tasks) {
  const auto path = store_path("store_resume");
  remove_on_rank0(path);
  Provenance provenance;
  {
    auto store = ResultsStore::create(g_mpi->comm(), path, small_layout("job-a"), provenance, false);
    if (g_mpi->rank() == 0) store.write_task(record_for(2));
  }
  try {
    ResultsStore::resume(g_mpi->comm(), path, "job-b");
    BOOST_FAIL("a store of another job must be refused");
  } catch (const cwola::core::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("job-a") != std::string::npos);
    BOOST_TEST(std::string(e.what()).find(path) != std::string::npos);
  }
  auto store = ResultsStore::resume(g_mpi->comm(), path, "job-a");
  const auto status = store.read_status();
  BOOST_TEST((status[2] == TaskStatus::kDone));
  BOOST_TEST((status[0] == TaskStatus::kPending));
  BOOST_TEST(store.read_result_column("auc")[2] == 0.62);
  BOOST_CHECK_THROW(ResultsStore::resume(g_mpi->comm(), "no_such_store.h5", "job-a"),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(summary_and_completion_are_written) {
  const auto path = store_path("store_summary");
  remove_on_rank0(path);
  Provenance provenance;
  auto store = ResultsStore::create(g_mpi->comm(), path, small_layout("s"), provenance, false);
  if (g_mpi->rank() == 0) {
    SummaryColumns summary;
    summary.doubles = {{"auc_mean", {0.1, 0.2, 0.3}}};
    summary.integers = {{"n_done", {2, 2, 1}}};
    store.write_summary(summary);
    store.write_completion("2026-01-01T00:00:00Z", true);
  }
  store.close();
  auto reopened = ResultsStore::open_read_only(g_mpi->comm(), path);
  BOOST_TEST(reopened.read_job_text().at(0) == "[job]\nname = unit\n");
  reopened.close();
}

BOOST_AUTO_TEST_SUITE_END()
