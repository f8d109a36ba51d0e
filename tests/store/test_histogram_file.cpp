// The bump-hunt histogram file: what write_histogram_file writes, read_histogram_file reads back
// (any range, any rank count of the writer), and a broken file is refused naming file, dataset
// and value.
#include <hdf5.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <limits>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/histogram_file.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;
using namespace cwola::store;

namespace {
/// Histogram h of a small synthetic set: h + 2 bins (2, 3, 4, ...), values that encode (h, bin).
void append_histogram(HistogramSetData& d, std::int64_t h) {
  const std::int64_t n = h + 2;
  d.n_bins.push_back(n);
  for (std::int64_t i = 0; i <= n; ++i) d.edges.push_back(1.0 + 0.1 * static_cast<double>(i));
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = 100.0 * static_cast<double>(h) + static_cast<double>(i);
    d.counts.push_back(v);
    d.background.push_back(v + 0.5);
    d.signal.push_back(1.0 / static_cast<double>(n));
    for (auto& row : d.z) row.push_back(0.01 * v);
    d.z_mixed.push_back(0.02 * v);
  }
  d.family.push_back(static_cast<std::int8_t>(h % 3));
  d.binning.push_back(static_cast<std::int8_t>(h % 2));
  d.has_signal.push_back(1);
  for (auto* column : {&d.y_max, &d.y_min, &d.shape_parameter, &d.stretch_cut, &d.mass_scale_gev,
                       &d.mu, &d.z_want, &d.dijet_theta1, &d.dijet_theta3}) {
    column->push_back(1.5 * static_cast<double>(h));
  }
  d.signal_width.push_back(1 + h % 4);
  d.centre_bin.push_back(h % n);
  d.seed.push_back(static_cast<std::uint64_t>(1000 + h));
}

HistogramSetData empty_set() {
  HistogramSetData d;
  d.target_widths = {1, 3};
  d.z.resize(2);
  return d;
}

/// Histograms [first, last) of the synthetic set.
HistogramSetData synthetic(std::int64_t first, std::int64_t last) {
  HistogramSetData d = empty_set();
  for (std::int64_t h = first; h < last; ++h) append_histogram(d, h);
  return d;
}

HistogramFileInfo file_info() {
  HistogramFileInfo info;
  info.card = "[bump]\nmin_bins = 2\n";
  info.seed = 42;
  info.family_names = {"exponential", "linear", "dijet"};
  return info;
}

std::string file_name(const std::string& tag) {
  return "histogram_file_" + tag + "_np" + std::to_string(g_mpi->size()) + ".h5";
}

/// Writes histograms [0, total) split over the ranks in contiguous blocks.
void write_synthetic(const std::string& path, std::int64_t total, const HistogramSetData* local) {
  if (g_mpi->rank() == 0) unlink(path.c_str());
  const std::int64_t per_rank = (total + g_mpi->size() - 1) / g_mpi->size();
  const std::int64_t first = std::min(total, per_rank * g_mpi->rank());
  const std::int64_t last = std::min(total, first + per_rank);
  write_histogram_file(g_mpi->comm(), path, local != nullptr ? *local : synthetic(first, last),
                       file_info());
}

/// Rewrites one element of a float64 dataset in place (serially, on rank 0).
void poke(const std::string& path, const std::string& name, hsize_t element, double value) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  const hid_t space = H5Dget_space(dataset);
  const hsize_t one = 1;
  H5Sselect_hyperslab(space, H5S_SELECT_SET, &element, nullptr, &one, nullptr);
  const hid_t memory = H5Screate_simple(1, &one, nullptr);
  BOOST_REQUIRE(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, &value) >= 0);
  H5Sclose(memory);
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
}

/// Replaces a per-bin dataset by a shorter one (mismatched lengths).
void shorten(const std::string& path, const std::string& name) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, name.c_str(), H5P_DEFAULT);
  const hsize_t n = 3;
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t dataset =
      H5Dcreate2(file, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const double values[3] = {1, 2, 3};
  H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(file);
}

/// The InputError message of reading `path` (empty if it reads).
std::string read_error(const std::string& path) {
  try {
    read_histogram_file(path, 0, count_histograms(path));
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(histogram_file)

BOOST_AUTO_TEST_CASE(a_read_range_returns_what_was_written_on_any_rank_count) {
  const std::string path = file_name("round_trip");
  constexpr std::int64_t kTotal = 7;
  write_synthetic(path, kTotal, nullptr);
  BOOST_TEST(count_histograms(path) == static_cast<std::size_t>(kTotal));
  for (const auto& [first, last] :
       std::vector<std::pair<std::int64_t, std::int64_t>>{{0, kTotal}, {2, 5}, {6, 7}, {3, 3}}) {
    HistogramFileInfo info;
    const HistogramSetData read = read_histogram_file(
        path, static_cast<std::size_t>(first), static_cast<std::size_t>(last - first), &info);
    const HistogramSetData expected = synthetic(first, last);
    BOOST_TEST(read.target_widths == expected.target_widths);
    BOOST_TEST(read.n_bins == expected.n_bins);
    BOOST_TEST(read.edges == expected.edges);
    BOOST_TEST(read.counts == expected.counts);
    BOOST_TEST(read.background == expected.background);
    BOOST_TEST(read.signal == expected.signal);
    BOOST_TEST(read.z.at(0) == expected.z.at(0));
    BOOST_TEST(read.z.at(1) == expected.z.at(1));
    BOOST_TEST(read.z_mixed == expected.z_mixed);
    BOOST_TEST(read.family == expected.family);
    BOOST_TEST(read.binning == expected.binning);
    BOOST_TEST(read.z_want == expected.z_want);
    BOOST_TEST(read.signal_width == expected.signal_width);
    BOOST_TEST(read.centre_bin == expected.centre_bin);
    BOOST_TEST(read.seed == expected.seed);
    BOOST_TEST(info.card == file_info().card);
    BOOST_TEST(info.seed == 42U);
    BOOST_TEST(info.family_names == file_info().family_names);
  }
  BOOST_CHECK_THROW(read_histogram_file(path, 5, 3), core::InputError);
  g_mpi->barrier();
  if (g_mpi->rank() == 0) unlink(path.c_str());
}

BOOST_AUTO_TEST_CASE(bad_files_name_file_dataset_and_value) {
  // Each case: write a good file, break one thing on rank 0, read on rank 0.
  const auto run = [&](const std::string& tag, const std::function<void(const std::string&)>& brk,
                       const std::vector<std::string>& expected,
                       const HistogramSetData* local = nullptr) {
    const std::string path = file_name(tag);
    write_synthetic(path, 4, local);
    if (g_mpi->rank() == 0) {
      if (brk) brk(path);
      const std::string message = read_error(path);
      BOOST_TEST_INFO(tag << ": " << message);
      BOOST_TEST(message.find(path) != std::string::npos);
      for (const auto& text : expected) {
        BOOST_TEST_INFO(tag << ": '" << text << "' in " << message);
        BOOST_TEST(message.find(text) != std::string::npos);
      }
      unlink(path.c_str());
    }
    g_mpi->barrier();
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  run("negative", [](const std::string& p) { poke(p, "/bins/counts", 4, -3.0); },
      {"/bins/counts[4]", "-3"});
  run("nan", [nan](const std::string& p) { poke(p, "/bins/counts", 7, nan); },
      {"/bins/counts[7]", "nan"});
  run("background", [](const std::string& p) { poke(p, "/bins/background", 2, 0.0); },
      {"/bins/background[2]", "positive"});
  run("z", [nan](const std::string& p) { poke(p, "/bins/z_w3", 1, nan); }, {"/bins/z_w3[1]"});
  run("short", [](const std::string& p) { shorten(p, "/bins/background"); },
      {"/bins/background", "3 elements", "mismatched"});
  // A histogram of one bin (written by a producer that did not check).
  HistogramSetData one_bin = empty_set();
  if (g_mpi->rank() == 0) {
    append_histogram(one_bin, 0);
    one_bin.n_bins.back() = 1;
    one_bin.edges.pop_back();
    one_bin.counts.pop_back();
    one_bin.background.pop_back();
    one_bin.signal.pop_back();
    for (auto& row : one_bin.z) row.pop_back();
    one_bin.z_mixed.pop_back();
  }
  run("one_bin", {}, {"/histograms/n_bins[0]", "below 2"}, &one_bin);
  BOOST_TEST(read_error("no_such_histogram_file.h5").find("no_such_histogram_file.h5") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
