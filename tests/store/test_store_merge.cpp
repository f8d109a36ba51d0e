#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/results_store.hpp"
#include "store/store_merge.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola::store;

namespace {
// Merge is serial: every rank works on files of its own (MPI_COMM_SELF).
std::string own_path(const std::string& stem) {
  return "merge_" + stem + "_np" + std::to_string(g_mpi->size()) + "_r" +
         std::to_string(g_mpi->rank()) + ".h5";
}

StoreLayout layout_with(const std::string& hash, const std::string& part) {
  StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "unit";
  layout.job_text = "[job]\nname = unit\n\n[run]\npart = " + part + "\nthreads = 1\n";
  layout.job_hash = hash;
  layout.axes = {"gaussian.f1"};
  layout.point_axis_values = {{"0.5"}, {"0.7"}, {"0.9"}};
  for (std::uint64_t t = 0; t < 6; ++t) {
    layout.task_point.push_back(t / 2);
    layout.task_repeat.push_back(t % 2);
    layout.task_seed.push_back(1000 + t);
  }
  layout.result_columns = {"auc", "best_accuracy"};
  layout.max_epochs = 3;
  layout.roc_grid = {0.01, 0.1, 1.0};
  return layout;
}

TaskRecord record_for(std::uint64_t task, double auc, TaskStatus status = TaskStatus::kDone) {
  TaskRecord r;
  r.task = task;
  r.status = status;
  r.failure_reason = status == TaskStatus::kFailed ? "non-finite training loss at epoch 0" : "";
  r.results = {auc, 0.55};
  r.train_loss = {0.7, 0.6};
  r.val_loss = {0.71, 0.65};
  r.train_accuracy = {0.5, 0.6};
  r.val_accuracy = {0.5, 0.58};
  r.roc = {0.02, 0.2, 1.0};
  r.device = "cpu";
  r.rank = static_cast<int>(task % 2);
  return r;
}

/// A part store with the given tasks written (auc = 0.6 + task / 100 + offset).
std::string make_part(const std::string& stem, const std::string& hash, const std::string& part,
                      const std::vector<std::uint64_t>& done, double offset = 0,
                      const std::vector<std::uint64_t>& failed = {}) {
  const auto path = own_path(stem);
  unlink(path.c_str());
  auto store =
      ResultsStore::create(MPI_COMM_SELF, path, layout_with(hash, part), Provenance{}, true);
  for (auto t : done) store.write_task(record_for(t, 0.6 + 0.01 * static_cast<double>(t) + offset));
  for (auto t : failed) store.write_task(record_for(t, 0.5, TaskStatus::kFailed));
  store.close();
  return path;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(store_merge)

BOOST_AUTO_TEST_CASE(job_text_of_a_part_reads_as_the_whole_study) {
  BOOST_TEST(whole_study_job_text("[job]\nname = a\n\n[run]\npart = 2/4\nthreads = 1\n") ==
             "[job]\nname = a\n\n[run]\npart = 1/1\nthreads = 1\n");
  // Only [run] part is the split; a key of the same name elsewhere stays.
  BOOST_TEST(whole_study_job_text("[other]\npart = 3/4\n[run]\npart=3/4") ==
             "[other]\npart = 3/4\n[run]\npart = 1/1");
}

BOOST_AUTO_TEST_CASE(parts_are_joined_row_by_row) {
  const auto a = make_part("a", "h1", "1/2", {0, 2, 4});
  const auto b = make_part("b", "h1", "2/2", {1, 3}, 0, {5});
  const auto out = own_path("joined");
  const auto outcome = merge_part_stores({a, b}, out);
  BOOST_TEST(outcome.n_tasks == 6U);
  BOOST_TEST(outcome.done == 5U);
  BOOST_TEST(outcome.failed == 1U);
  BOOST_TEST(outcome.pending == 0U);
  BOOST_TEST(outcome.duplicates == 0U);
  BOOST_TEST(outcome.parts.at(0).part == "1/2");
  BOOST_TEST(outcome.parts.at(0).done == 3U);
  BOOST_TEST(outcome.parts.at(1).done == 2U);
  BOOST_TEST(outcome.parts.at(1).failed == 1U);

  auto merged = ResultsStore::open_read_only(MPI_COMM_SELF, out);
  const auto status = merged.read_status();
  const auto auc = merged.read_result_column("auc");
  for (std::size_t t = 0; t < 5; ++t) {
    BOOST_TEST(static_cast<int>(status[t]) == 1);
    BOOST_TEST(auc[t] == 0.6 + 0.01 * static_cast<double>(t));
  }
  BOOST_TEST(static_cast<int>(status[5]) == 2);
  BOOST_TEST(merged.read_failure_reasons()[5] == "non-finite training loss at epoch 0");
  BOOST_TEST(merged.read_job_text().at(0).find("part = 1/1") != std::string::npos);
  merged.close();
  for (const auto& p : {a, b, out}) unlink(p.c_str());
}

BOOST_AUTO_TEST_CASE(unfinished_tasks_stay_pending_and_duplicates_keep_the_first) {
  const auto a = make_part("c", "h2", "1/2", {0, 2});
  const auto b = make_part("d", "h2", "2/2", {0, 3}, 0.1);  // task 0 done twice
  const auto out = own_path("partial");
  const auto outcome = merge_part_stores({a, b}, out);
  BOOST_TEST(outcome.done == 3U);
  BOOST_TEST(outcome.pending == 3U);
  BOOST_TEST(outcome.duplicates == 1U);
  auto merged = ResultsStore::open_read_only(MPI_COMM_SELF, out);
  const auto status = merged.read_status();
  const auto auc = merged.read_result_column("auc");
  BOOST_TEST(auc[0] == 0.6);  // the first part's row
  for (std::size_t t : {1, 4, 5}) {
    BOOST_TEST(static_cast<int>(status[t]) == 0);
    BOOST_TEST(std::isnan(auc[t]));
  }
  merged.close();
  for (const auto& p : {a, b, out}) unlink(p.c_str());
}

BOOST_AUTO_TEST_CASE(stores_of_another_job_are_refused_before_writing) {
  const auto a = make_part("e", "h3", "1/2", {0});
  const auto b = make_part("f", "other", "2/2", {1});
  const auto out = own_path("refused");
  unlink(out.c_str());
  BOOST_CHECK_THROW(merge_part_stores({a, b}, out), cwola::core::InputError);
  BOOST_TEST(access(out.c_str(), F_OK) != 0);
  BOOST_CHECK_THROW(merge_part_stores({a, own_path("missing")}, out), cwola::core::InputError);
  BOOST_CHECK_THROW(merge_part_stores({}, out), cwola::core::InputError);
  BOOST_TEST(access(out.c_str(), F_OK) != 0);
  for (const auto& p : {a, b}) unlink(p.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
