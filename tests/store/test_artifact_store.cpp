#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/artifact_store.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;
using namespace cwola::store;

namespace {

/// Two artifacts: flow samples of stage "flow" (tasks 2-5, 3 columns, up to 7 events) and a
/// selection of stage "main" (tasks 0-1, 1 column).
std::vector<ArtifactLayout> layouts() {
  ArtifactLayout samples;
  samples.name = "cathode_samples";
  samples.stage = "flow";
  samples.first_task = 2;
  samples.n_tasks = 4;
  samples.max_rows = 7;
  samples.columns = {"mj1", "delta_mj", "mjj"};
  samples.seed_purpose = "flow_sample";
  samples.description = "flow samples, 4x";
  ArtifactLayout selection;
  selection.name = "selection";
  selection.stage = "main";
  selection.n_tasks = 2;
  selection.max_rows = 3;
  selection.columns = {"passed"};
  return {samples, selection};
}

/// Task t's rows: t - 1 events (task 5 the most, 4 <= 7) of exact float32 values.
std::vector<float> rows_of(std::uint64_t task, std::size_t columns) {
  std::vector<float> values;
  for (std::size_t r = 0; r + 1 < task; ++r) {
    for (std::size_t c = 0; c < columns; ++c) {
      values.push_back(static_cast<float>(task) + 0.1F * static_cast<float>(r) -
                       1e-7F * static_cast<float>(c));
    }
  }
  return values;
}

std::string fresh_path(const char* stem) {
  const std::string path = std::string(stem) + "_np" + std::to_string(g_mpi->size()) + ".h5";
  if (g_mpi->rank() == 0) unlink(path.c_str());
  g_mpi->barrier();
  return path;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(artifact_store)

BOOST_AUTO_TEST_CASE(rows_written_by_their_ranks_read_back_exactly_with_provenance) {
  const auto path = fresh_path("artifact_store");
  {
    Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kCreate);
    create_artifacts(file, layouts());
    const auto samples = layouts()[0];
    // Task t is written by rank t % size (as the queue might hand it out); task 3 never is.
    for (std::uint64_t task = 2; task < 6; ++task) {
      if (task != 3 && static_cast<int>(task) % g_mpi->size() == g_mpi->rank()) {
        write_artifact(file, samples, task, rows_of(task, 3), 1000 + task, 500 + task);
      }
    }
    if (g_mpi->rank() == 0) write_artifact(file, layouts()[1], 1, {1.0F, 0.0F}, 9);
    file.close();
  }
  g_mpi->barrier();
  Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kReadOnly);
  const auto stored = read_artifact_layouts(file);
  BOOST_REQUIRE(stored.size() == 2U);
  BOOST_TEST(stored[0].name == "cathode_samples");
  BOOST_TEST(stored[0].stage == "flow");
  BOOST_TEST(stored[0].first_task == 2U);
  BOOST_TEST(stored[0].n_tasks == 4U);
  BOOST_TEST(stored[0].max_rows == 7U);
  BOOST_TEST((stored[0].columns == std::vector<std::string>{"mj1", "delta_mj", "mjj"}));
  BOOST_TEST(stored[0].seed_purpose == "flow_sample");
  BOOST_TEST(stored[0].description == "flow samples, 4x");
  BOOST_TEST(stored[1].stage == "main");
  // By name, and by (stage, task): every written row on every rank, bit for bit.
  const auto samples = read_artifact_layout(file, "cathode_samples");
  for (std::uint64_t task : {2U, 4U, 5U}) {
    BOOST_TEST_INFO("task " << task);
    BOOST_TEST(artifact_written(file, samples, task));
    const auto rows = read_artifact(file, samples, task);
    BOOST_TEST(rows.rows == task - 1);
    BOOST_TEST(rows.values == rows_of(task, 3));
    BOOST_TEST(rows.seed == 1000 + task);
    BOOST_TEST(rows.events_id == 500 + task);
  }
  // Many tasks at once, column by column: the same values; an unwritten task reads as empty.
  const auto block = read_artifact_block(file, samples, 3, 3);
  BOOST_TEST(block.rows == (std::vector<std::int64_t>{0, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(block.seed == (std::vector<std::uint64_t>{0, 1004, 1005}),
             boost::test_tools::per_element());
  BOOST_REQUIRE(block.columns.size() == 3U);
  BOOST_TEST(block.columns[2][2 * 7 + 1] == rows_of(5, 3)[1 * 3 + 2]);
  // A task that never wrote its row is not passed off as one with no events.
  BOOST_TEST(!artifact_written(file, samples, 3));
  BOOST_CHECK_THROW(read_artifact(file, samples, 3), core::Error);
  // One dataset per column under the artifact's group; past a task's rows the values are NaN,
  // never stale numbers.
  const auto raw = file.read_float_rows("/artifacts/cathode_samples/delta_mj", 2, 1);
  BOOST_TEST(raw.size() == 7U);
  BOOST_TEST(raw[0] == rows_of(4, 3)[1]);
  BOOST_TEST(std::isnan(raw[3]));
  const auto selection = read_artifact(file, stored[1], 1);
  BOOST_TEST((selection.values == std::vector<float>{1.0F, 0.0F}));
  BOOST_TEST(selection.seed == 9U);
  BOOST_TEST(!artifact_written(file, stored[1], 0));
  // Chunked by task row: one chunk per task.
  BOOST_TEST(artifact_bytes(samples) == 4U * (7U * 3U * 4U + 25U));
  BOOST_CHECK_THROW(read_artifact_layout(file, "missing"), core::InputError);
  BOOST_CHECK_THROW(read_artifact(file, samples, 1), core::Error);
  file.close();
  g_mpi->barrier();
  if (g_mpi->rank() == 0) unlink(path.c_str());
}

BOOST_AUTO_TEST_CASE(bad_layouts_and_oversized_rows_are_refused) {
  auto bad = layouts();
  bad[1].name = "cathode_samples";
  const auto path = fresh_path("artifact_store_bad");
  {
    Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kCreate);
    BOOST_CHECK_THROW(create_artifacts(file, bad), core::InputError);
    auto layout = layouts();
    create_artifacts(file, layout);
    // 8 rows for an artifact sized for 7: refused before anything is written.
    BOOST_CHECK_THROW(write_artifact(file, layout[0], 2, std::vector<float>(24, 1.0F), 0),
                      core::Error);
    BOOST_CHECK_THROW(write_artifact(file, layout[0], 2, std::vector<float>(4, 1.0F), 0),
                      core::Error);
    BOOST_TEST(!artifact_written(file, layout[0], 2));
    file.close();
  }
  for (auto field : {0, 1, 2, 3, 4, 5}) {
    auto a = layouts()[0];
    if (field == 0) a.name = "a/b";
    if (field == 1) a.max_rows = 0;
    if (field == 2) a.columns.clear();
    if (field == 3) a.stage.clear();
    if (field == 4) a.columns = {"mjj", "written"};  // a per-task dataset's name
    if (field == 5) a.columns = {"mjj", "mjj"};
    BOOST_CHECK_THROW(a.validate(), core::InputError);
  }
  g_mpi->barrier();
  if (g_mpi->rank() == 0) unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
