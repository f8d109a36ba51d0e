#include <hdf5.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/artifact_store.hpp"
#include "store/results_store.hpp"
#include "store/store_compaction.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;
using namespace cwola::store;

namespace {

constexpr std::size_t kWidth = 4000;

/// A finished store of 6 tasks keeping scores (with masses) of up to kWidth events, and a
/// two-column artifact; task 5 scored half as many events (NaN past them).
void write_store(const std::string& path, bool complete) {
  unlink(path.c_str());
  StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "compact";
  layout.job_text = "[job]\nname = compact\n";
  layout.job_hash = "c1";
  layout.axes = {"gaussian.f1"};
  layout.point_axis_values = {{"0.6"}, {"0.8"}};
  for (std::uint64_t t = 0; t < 6; ++t) {
    layout.task_point.push_back(t / 3);
    layout.task_repeat.push_back(t % 3);
    layout.task_seed.push_back(100 + t);
  }
  layout.result_columns = {"auc"};
  layout.max_epochs = 2;
  layout.roc_grid = {0.1, 1.0};
  layout.score_width = kWidth;
  layout.score_masses = true;
  ArtifactLayout samples;
  samples.name = "samples";
  samples.stage = "main";
  samples.n_tasks = 6;
  samples.max_rows = 50;
  samples.columns = {"x", "m"};
  samples.seed_purpose = "flow_sample";
  layout.artifacts = {samples};
  Provenance provenance;
  auto store = ResultsStore::create(MPI_COMM_SELF, path, layout, provenance, true);
  for (std::uint64_t t = 0; t < 6; ++t) {
    TaskRecord r;
    r.task = t;
    r.results = {0.6 + 0.01 * static_cast<double>(t)};
    r.roc = {0.2, 1.0};
    const std::size_t events = t == 5 ? kWidth / 2 : kWidth;
    for (std::size_t i = 0; i < events; ++i) {
      r.scores.push_back(std::sin(0.37F * static_cast<float>(i + 13 * t)));  // all bits used
      r.score_labels.push_back(static_cast<std::uint8_t>(i % 7 == 0));
      r.score_masses.push_back(3000.0F + 0.5F * static_cast<float>(i));
    }
    r.scored_events_id = 9 + t;
    r.device = "cpu";
    std::vector<float> values;
    for (std::size_t i = 0; i < 10 + t; ++i) {
      values.push_back(0.1F * static_cast<float>(i));
      values.push_back(static_cast<float>(t));
    }
    store.write_artifact(t, "samples", values, 500 + t);
    store.write_task(r);
  }
  store.write_completion("2026-12-02T00:00:00Z", complete);
  store.close();
}

int filters_of(const std::string& path, const std::string& dataset) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t set = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
  const hid_t properties = H5Dget_create_plist(set);
  const int n = H5Pget_nfilters(properties);
  H5Pclose(properties);
  H5Dclose(set);
  H5Fclose(file);
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_compaction)

// The copy reads back the same rows bit for bit (scores with labels and masses, the samples
// artifact with its seeds, results and status), its artifact columns are compressed and the
// per-task datasets are not, and it is smaller than the store.
BOOST_AUTO_TEST_CASE(the_compressed_copy_holds_the_same_values_in_less_space) {
  if (g_mpi->rank() != 0) return;  // serial, as the command
  write_store("compact_in.h5", true);
  unlink("compact_out.h5");
  const auto outcome = compact_store("compact_in.h5", "compact_out.h5", 4);
  BOOST_TEST(outcome.compressed_datasets == 5U);  // score, label, mass, x, m
  BOOST_TEST(outcome.bytes_after < outcome.bytes_before);
  BOOST_TEST(outcome.compressed_artifact_bytes < outcome.raw_artifact_bytes);
  BOOST_TEST(filters_of("compact_out.h5", "/artifacts/scores/score") == 2);  // shuffle, deflate
  BOOST_TEST(filters_of("compact_out.h5", "/artifacts/scores/rows") == 0);
  BOOST_TEST(filters_of("compact_in.h5", "/artifacts/scores/score") == 0);

  auto before = ResultsStore::open_read_only(MPI_COMM_SELF, "compact_in.h5");
  auto after = ResultsStore::open_read_only(MPI_COMM_SELF, "compact_out.h5");
  const auto a = before.read_scores(0, 6);
  const auto b = after.read_scores(0, 6);
  BOOST_TEST(b.count == a.count, boost::test_tools::per_element());
  BOOST_TEST(b.count[5] == static_cast<std::int64_t>(kWidth / 2));
  BOOST_TEST(b.events_id == a.events_id, boost::test_tools::per_element());
  for (std::size_t t = 0; t < 6; ++t) {
    BOOST_TEST(b.row_scores(t) == a.row_scores(t), boost::test_tools::per_element());
    BOOST_TEST(b.row_labels(t) == a.row_labels(t), boost::test_tools::per_element());
    BOOST_TEST(b.row_masses(t) == a.row_masses(t), boost::test_tools::per_element());
  }
  BOOST_TEST(std::isnan(b.scores[5 * kWidth + kWidth / 2]));  // NaN past the events stays
  BOOST_TEST(after.read_result_column("auc") == before.read_result_column("auc"),
             boost::test_tools::per_element());
  BOOST_TEST(after.read_job_text() == before.read_job_text(), boost::test_tools::per_element());
  before.close();
  after.close();

  Hdf5File copy(MPI_COMM_SELF, "compact_out.h5", Hdf5File::Mode::kReadOnly);
  const auto samples = read_artifact_layout(copy, "samples");
  BOOST_TEST(samples.seed_purpose == "flow_sample");
  BOOST_TEST((samples.columns == std::vector<std::string>{"x", "m"}));
  const auto rows = read_artifact(copy, samples, 3);
  BOOST_TEST(rows.rows == 13U);
  BOOST_TEST(rows.seed == 503U);
  BOOST_TEST(rows.values[2 * 12 + 1] == 3.0F);
  BOOST_TEST(read_artifact_layouts(copy).size() == 2U);  // scores first, then samples
  copy.close();
  unlink("compact_in.h5");
  unlink("compact_out.h5");
}

// A store whose run has not finished, a bad level and an existing output are refused, and
// the store is left as it was.
BOOST_AUTO_TEST_CASE(unfinished_stores_and_bad_settings_are_refused) {
  if (g_mpi->rank() != 0) return;
  write_store("compact_unfinished.h5", false);
  unlink("compact_never.h5");
  try {
    compact_store("compact_unfinished.h5", "compact_never.h5", 4);
    BOOST_FAIL("an unfinished store was compacted");
  } catch (const core::InputError& e) {
    const std::string message = e.what();
    BOOST_TEST(message.find("compact_unfinished.h5") != std::string::npos);
    BOOST_TEST(message.find("/job/complete") != std::string::npos);
  }
  BOOST_TEST(access("compact_never.h5", F_OK) != 0);
  write_store("compact_done.h5", true);
  BOOST_CHECK_THROW(compact_store("compact_done.h5", "compact_never.h5", 0), core::InputError);
  BOOST_CHECK_THROW(compact_store("compact_done.h5", "compact_done.h5", 4), core::InputError);
  auto intact = ResultsStore::open_read_only(MPI_COMM_SELF, "compact_done.h5");
  BOOST_TEST(intact.read_scores(0, 6).count[0] == static_cast<std::int64_t>(kWidth));
  intact.close();
  unlink("compact_unfinished.h5");
  unlink("compact_done.h5");
}

BOOST_AUTO_TEST_SUITE_END()
