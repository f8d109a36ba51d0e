#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/hdf5_file.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using cwola::store::ColumnType;
using cwola::store::Hdf5File;

BOOST_AUTO_TEST_SUITE(hdf5_file)

BOOST_AUTO_TEST_CASE(columns_round_trip_with_rows_from_every_rank) {
  const std::string path = "test_hdf5_file_" + std::to_string(g_mpi->size()) + ".h5";
  const hsize_t rows = 7;
  {
    Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kCreate);
    file.create_dataset("/t/x", ColumnType::kFloat64, {rows});
    file.create_dataset("/t/m", ColumnType::kFloat64, {rows, 3});
    file.create_dataset("/t/s", ColumnType::kString, {rows}, 5);
    file.create_dataset("/t/i", ColumnType::kInt64, {rows});
    file.write_string_list_attribute("/t", "axes", {"a.b", "c"});
    file.flush();
    // Ranks write disjoint rows independently; rank 1 of 2 writes none of "/t/i"
    // (an empty selection must not block anyone).
    for (hsize_t r = static_cast<hsize_t>(g_mpi->rank()); r < rows;
         r += static_cast<hsize_t>(g_mpi->size())) {
      file.write_doubles("/t/x", r, {0.5 * static_cast<double>(r)});
      file.write_doubles("/t/m", r, {1.0 * r, 2.0 * r, 3.0 * r});
      file.write_strings("/t/s", r, {"row" + std::to_string(r) + "-too-long"});
    }
    if (g_mpi->rank() == 0) file.write_int64s("/t/i", 0, {1, 2, 3, 4, 5, 6, 7});
    g_mpi->barrier();
  }
  Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kReadOnly);
  const auto x = file.read_doubles("/t/x");
  const auto m = file.read_doubles("/t/m");
  const auto s = file.read_strings("/t/s");
  for (hsize_t r = 0; r < rows; ++r) {
    BOOST_TEST(x[r] == 0.5 * static_cast<double>(r));
    BOOST_TEST(m[r * 3 + 2] == 3.0 * r);
    BOOST_TEST(s[r] == ("row" + std::to_string(r) + "-too-long").substr(0, 5));  // cut at the width
  }
  BOOST_TEST(file.read_int64s("/t/i")[6] == 7);
  BOOST_TEST(file.read_string_list_attribute("/t", "axes") == (std::vector<std::string>{"a.b", "c"}));
  BOOST_TEST(file.exists("/t/x"));
  BOOST_TEST(!file.exists("/t/nope/deeper"));
  BOOST_TEST(file.is_string("/t/s"));
}

BOOST_AUTO_TEST_CASE(unwritten_floats_read_as_nan) {
  const std::string path = "test_hdf5_fill_" + std::to_string(g_mpi->size()) + ".h5";
  {
    Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kCreate);
    file.create_dataset("/x", ColumnType::kFloat64, {3});
  }
  Hdf5File file(g_mpi->comm(), path, Hdf5File::Mode::kReadOnly);
  for (double v : file.read_doubles("/x")) BOOST_TEST(std::isnan(v));
}

BOOST_AUTO_TEST_CASE(opening_a_non_hdf5_file_is_an_input_error) {
  const std::string path = "test_not_hdf5_" + std::to_string(g_mpi->size()) + ".h5";
  if (g_mpi->rank() == 0) {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("not an HDF5 file", f);
    std::fclose(f);
  }
  g_mpi->barrier();
  BOOST_CHECK_THROW(Hdf5File(g_mpi->comm(), path, Hdf5File::Mode::kReadOnly),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
