#include <hdf5.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <limits>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/table_reader.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;

namespace {
/// Serial HDF5 writes, as a user's h5py script would make them.
void write_column(hid_t file, const std::string& name, const std::vector<double>& values,
                  std::vector<hsize_t> dims = {}) {
  if (dims.empty()) dims = {values.size()};
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t set =
      H5Dcreate2(file, name.c_str(), H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(set);
  H5Pclose(lcpl);
  H5Sclose(space);
}

void write_bool_column(hid_t file, const std::string& name,
                       const std::vector<std::int8_t>& values) {
  const hid_t type = H5Tenum_create(H5T_NATIVE_INT8);
  std::int8_t v = 0;
  H5Tenum_insert(type, "FALSE", &v);
  v = 1;
  H5Tenum_insert(type, "TRUE", &v);
  const hsize_t n = values.size();
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t set =
      H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(set);
  H5Sclose(space);
  H5Tclose(type);
}

void write_names_attribute(hid_t file, const std::string& object,
                           const std::vector<std::string>& names) {
  // Variable-length strings: what h5py writes for a list of str.
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  const hsize_t n = names.size();
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t owner = H5Oopen(file, object.c_str(), H5P_DEFAULT);
  const hid_t attr = H5Acreate2(owner, "columns", type, space, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<const char*> raw;
  for (const auto& s : names) raw.push_back(s.c_str());
  H5Awrite(attr, type, raw.data());
  H5Aclose(attr);
  H5Oclose(owner);
  H5Sclose(space);
  H5Tclose(type);
}

std::string make_file() {
  const std::string path = "test_table_reader_r" + std::to_string(g_mpi->rank()) + "_np" +
                           std::to_string(g_mpi->size()) + ".h5";
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  write_column(file, "/events/x", {1, 2, 3, 4});
  write_column(file, "/events/y", {10, nan, 30, 40});
  write_column(file, "/events/mjj", {100, 200, 300, std::numeric_limits<double>::infinity()});
  write_column(file, "/events/short", {1, 2, 3});
  write_column(file, "/events/matrix", {1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  write_bool_column(file, "/events/label", {1, 0, 1, 0});
  write_column(file, "/table", {1, 10, 2, 20, 3, 30}, {3, 2});
  write_names_attribute(file, "/table", {"a", "b"});
  write_column(file, "/unnamed", {1, 2}, {1, 2});
  H5Fclose(file);
  return path;
}

store::Table read(const std::string& path, const std::string& table,
                  std::vector<std::string> columns, store::BadRows bad = store::BadRows::kError) {
  store::TableReadOptions options;
  options.table = table;
  options.columns = std::move(columns);
  options.bad_rows = bad;
  options.origin = "user.test_file";
  return store::read_table(path, options);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(table_reader)

BOOST_AUTO_TEST_CASE(group_of_columns_and_bool_labels) {
  const auto path = make_file();
  const auto t = read(path, "/events", {"x", "label"});
  BOOST_TEST(t.rows == 4U);
  BOOST_TEST(t.column("x") == (std::vector<double>{1, 2, 3, 4}));
  BOOST_TEST(t.column("label") == (std::vector<double>{1, 0, 1, 0}));
}

BOOST_AUTO_TEST_CASE(two_dimensional_dataset_with_column_names) {
  const auto path = make_file();
  const auto t = read(path, "/table", {"b", "a"});
  BOOST_TEST(t.rows == 3U);
  BOOST_TEST(t.column("b") == (std::vector<double>{10, 20, 30}));
  BOOST_TEST(t.values[0] == 10.0);  // in the order asked for
  const auto no_names = message_of([&] { read(path, "/unnamed", {"a"}); });
  BOOST_TEST(no_names.find("column-names attribute") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_inputs_give_errors_that_name_what_is_wrong) {
  const auto path = make_file();
  const auto missing = message_of([&] { read(path, "/events", {"x", "z"}); });
  BOOST_TEST(missing.find("'z'") != std::string::npos);
  BOOST_TEST(missing.find("user.test_file") != std::string::npos);
  BOOST_TEST(missing.find(path) != std::string::npos);
  const auto shape = message_of([&] { read(path, "/events", {"x", "matrix"}); });
  BOOST_TEST(shape.find("[4, 2]") != std::string::npos);
  const auto length = message_of([&] { read(path, "/events", {"x", "short"}); });
  BOOST_TEST(length.find("same length") != std::string::npos);
  const auto nan_row = message_of([&] { read(path, "/events", {"x", "y"}); });
  BOOST_TEST(nan_row.find("row 1 of column 'y'") != std::string::npos);
  BOOST_CHECK_THROW(read("no_such_file.h5", "/", {"x"}), core::InputError);
  BOOST_CHECK_THROW(read(path, "/nothing", {"x"}), core::InputError);
}

BOOST_AUTO_TEST_CASE(non_finite_rows_are_skipped_and_counted_when_asked) {
  const auto path = make_file();
  const auto t = read(path, "/events", {"x", "y", "mjj"}, store::BadRows::kSkip);
  BOOST_TEST(t.rows == 2U);
  BOOST_TEST(t.skipped_rows == 2U);  // NaN in y (row 1), inf in mjj (row 3)
  BOOST_TEST(t.column("x") == (std::vector<double>{1, 3}));
}

BOOST_AUTO_TEST_SUITE_END()
