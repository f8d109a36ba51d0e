#pragma once
/// Reading users' HDF5 files (serially, on whichever rank needs them): a small
/// reader class for any numeric, boolean (h5py's enum) or string dataset, and the
/// generic table reader for users' samples.
///
/// A table is either
///   - a group holding one 1-D dataset per column (all the same length), or
///   - one 2-D dataset [rows, columns] whose attribute `columns` (or `column_names`,
///     `names`) lists the column names (fixed- or variable-length strings).
/// The job names the columns it needs; missing ones, wrong shapes and non-numeric
/// data are errors that name the file, the dataset and what was found. Rows with a
/// NaN or ±inf in a needed column are an error, or skipped and counted when asked.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/hdf5_file.hpp"

namespace cwola::store {

/// Rows [first, first + count) of a dataset; count 0 = to the end.
struct RowRange {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

/// "[10000, 10]"
std::string shape_text(const std::vector<hsize_t>& dims);

/// A read-only HDF5 file opened with the default (serial) driver.
class Hdf5Reader {
 public:
  /// `what` names the file's role in errors ("event file", "table").
  Hdf5Reader(const std::string& path, const std::string& what);
  const std::string& path() const { return path_; }
  bool exists(const std::string& name) const;
  bool is_group(const std::string& name) const;
  /// Names of the links in a group, sorted.
  std::vector<std::string> members(const std::string& group) const;
  std::vector<hsize_t> shape(const std::string& name) const;
  /// Any integer, float or enum-over-integer (h5py bool) dataset, as double,
  /// row-major; rows as given (all columns of each row).
  std::vector<double> read_numeric(const std::string& name, const RowRange& rows = {}) const;
  std::vector<std::uint64_t> read_uint64s(const std::string& name, const RowRange& rows = {}) const;
  /// Fixed- or variable-length string dataset.
  std::vector<std::string> read_strings(const std::string& name) const;
  bool has_attribute(const std::string& object, const std::string& attribute) const;
  /// Fixed- or variable-length string (array) attribute.
  std::vector<std::string> read_string_attribute(const std::string& object,
                                                 const std::string& attribute) const;

 private:
  Handle open_dataset(const std::string& name) const;
  [[noreturn]] void fail(const std::string& name, const std::string& problem) const;
  std::string path_;
  std::string what_;
  Handle file_;
};

/// What to do with a row that has a NaN or ±inf in a needed column.
enum class BadRows { kError, kSkip };

struct TableReadOptions {
  /// Group of 1-D columns, or a 2-D dataset with a column-names attribute ("/" = root).
  std::string table = "/";
  /// Columns wanted, in the order wanted.
  std::vector<std::string> columns;
  BadRows bad_rows = BadRows::kError;
  /// Where the job asked for this table, for error messages ("user.class1_file").
  std::string origin;
};

struct Table {
  std::vector<std::string> columns;
  std::vector<double> values;  ///< row-major [rows × columns]
  std::size_t rows = 0;
  std::size_t skipped_rows = 0;  ///< rows dropped for NaN/inf (BadRows::kSkip)
  /// Column `name` as a vector (InputError if absent).
  std::vector<double> column(const std::string& name) const;
};

Table read_table(const std::string& path, const TableReadOptions& options);

}  // namespace cwola::store
