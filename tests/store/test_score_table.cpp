#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "parallel/mpi_runtime.hpp"
#include "store/artifact_store.hpp"
#include "store/results_store.hpp"
#include "store/score_table.hpp"
#include "store/store_merge.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola::store;

namespace {
StoreLayout scored_layout(std::size_t width) {
  StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "scores";
  layout.job_text = "[job]\nname = scores\n";
  layout.job_hash = "s1";
  layout.axes = {"gaussian.f1"};
  layout.point_axis_values = {{"0.6"}, {"0.8"}};
  for (std::uint64_t t = 0; t < 4; ++t) {
    layout.task_point.push_back(t / 2);
    layout.task_repeat.push_back(t % 2);
    layout.task_seed.push_back(t);
    layout.task_fold.push_back(static_cast<std::int64_t>(t % 2));
  }
  layout.result_columns = {"auc"};
  layout.max_epochs = 2;
  layout.roc_grid = {0.1, 1.0};
  layout.score_width = width;
  return layout;
}

TaskRecord scored_record(std::uint64_t task, std::size_t events, bool masses = false) {
  TaskRecord r;
  r.task = task;
  r.results = {0.7};
  r.roc = {0.3, 1.0};
  for (std::size_t i = 0; i < events; ++i) {
    r.scores.push_back(0.25F * static_cast<float>(task) + 0.001F * static_cast<float>(i));
    r.score_labels.push_back(static_cast<std::uint8_t>(i % 2));
    if (masses) r.score_masses.push_back(3000.0F + static_cast<float>(10 * task + i));
  }
  r.scored_events_id = 77 + task;
  r.device = "cpu";
  return r;
}

std::string path_for(const std::string& stem) {
  return stem + "_np" + std::to_string(g_mpi->size()) + ".h5";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(score_table)

// Rows written independently by any rank read back exactly (float32), padded with NaN past a
// task's events; a pending task's row stays empty; fold columns come from the layout.
BOOST_AUTO_TEST_CASE(scores_round_trip_from_any_rank) {
  const auto path = path_for("score_round_trip");
  if (g_mpi->rank() == 0) unlink(path.c_str());
  g_mpi->barrier();
  Provenance provenance;
  auto store = ResultsStore::create(g_mpi->comm(), path, scored_layout(5), provenance, true);
  BOOST_TEST(store.score_width() == 5U);
  for (std::uint64_t t = static_cast<std::uint64_t>(g_mpi->rank()); t < 3;
       t += static_cast<std::uint64_t>(g_mpi->size())) {
    store.write_task(scored_record(t, t == 2 ? 3 : 5));  // task 2 scored fewer events
  }
  g_mpi->barrier();
  const auto rows = store.read_scores(0, 4);
  BOOST_TEST(rows.width == 5U);
  BOOST_TEST(rows.count == (std::vector<std::int64_t>{5, 5, 3, 0}));
  BOOST_TEST(rows.events_id[1] == 78U);
  BOOST_TEST(rows.fold == (std::vector<std::int64_t>{0, 1, 0, 1}));
  const auto row1 = rows.row_scores(1);
  const auto expected = scored_record(1, 5).scores;
  BOOST_TEST(row1 == expected, boost::test_tools::per_element());
  BOOST_TEST(rows.row_labels(2) == (std::vector<std::uint8_t>{0, 1, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(std::isnan(rows.scores[2 * 5 + 3]));  // padding
  BOOST_TEST(std::isnan(rows.scores[3 * 5 + 0]));  // pending task
  const auto later = store.read_scores(2, 2);      // a slice starting mid-table
  BOOST_TEST(later.row_scores(0) == scored_record(2, 3).scores, boost::test_tools::per_element());
  store.close();
  // Scores are the artifact "scores": provenance of every task (its seed), listed by name.
  Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kReadOnly);
  const auto scores = read_artifact_layout(file, "scores");
  BOOST_TEST((scores.columns == std::vector<std::string>{"score", "label"}));
  BOOST_TEST(scores.stage == "main");
  BOOST_TEST(read_artifact(file, scores, 1).seed == 1U);  // /tasks/seed of task 1
  BOOST_TEST(!artifact_written(file, scores, 3));
  file.close();
}

BOOST_AUTO_TEST_CASE(a_store_without_scores_has_no_table) {
  const auto path = path_for("score_none");
  Provenance provenance;
  auto store = ResultsStore::create(g_mpi->comm(), path, scored_layout(0), provenance, true);
  BOOST_TEST(store.score_width() == 0U);
  store.write_task(scored_record(static_cast<std::uint64_t>(g_mpi->rank()), 5));  // ignored
  store.close();
}

BOOST_AUTO_TEST_CASE(merge_joins_the_parts_scores) {
  if (g_mpi->rank() != 0) return;  // merge is serial
  const std::string a = "score_merge_a.h5";
  const std::string b = "score_merge_b.h5";
  for (const auto& [path, tasks] : {std::pair{a, std::vector<std::uint64_t>{0, 2}},
                                    std::pair{b, std::vector<std::uint64_t>{1, 3}}}) {
    Provenance provenance;
    auto layout = scored_layout(5);
    layout.score_masses = true;
    auto store = ResultsStore::create(MPI_COMM_SELF, path, layout, provenance, true);
    for (auto t : tasks) store.write_task(scored_record(t, 5, true));
    store.close();
  }
  merge_part_stores({a, b}, "score_merged.h5");
  auto merged = ResultsStore::open_read_only(MPI_COMM_SELF, "score_merged.h5");
  const auto rows = merged.read_scores(0, 4);
  for (std::uint64_t t = 0; t < 4; ++t) {
    BOOST_TEST(rows.row_scores(t) == scored_record(t, 5).scores, boost::test_tools::per_element());
    BOOST_TEST(rows.row_masses(t) == scored_record(t, 5, true).score_masses,
               boost::test_tools::per_element());
    BOOST_TEST(rows.events_id[t] == 77 + t);
  }
  merged.close();
}

BOOST_AUTO_TEST_SUITE_END()
