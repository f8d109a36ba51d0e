#pragma once
/// A small owning layer over the HDF5 C API in HighFive's spirit: files, groups,
/// datasets and property lists as RAII handles; every status checked and turned
/// into an exception that names the file and object. MPI-IO is switched on by
/// opening with a communicator.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwola::store {

/// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  /// Forgets the id without closing it (a collective close that other ranks would not join).
  void release() { id_ = -1; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Element types of the columns we store.
enum class ColumnType { kFloat64, kFloat32, kInt64, kUInt64, kInt8, kString };

/// An HDF5 file opened collectively through MPI-IO.
///
/// Every collective step (open, create, attribute, flush, close) ends with an agreement of
/// all ranks on its outcome (parallel/agreed_step.hpp): when it failed on any rank (a full
/// disk is often seen by one rank only), every rank closes the file and throws
/// parallel::AgreedFailure, instead of the others waiting in the next collective.
class Hdf5File {
 public:
  enum class Mode { kCreate, kReadWrite, kReadOnly };
  /// Collective over `comm`. kCreate truncates an existing file.
  Hdf5File(MPI_Comm comm, const std::string& path, Mode mode);
  Hdf5File(Hdf5File&&) = default;
  Hdf5File& operator=(Hdf5File&&) = default;
  ~Hdf5File();

  const std::string& path() const { return path_; }
  bool exists(const std::string& object) const;

  /// Collective. Intermediate groups are created as needed.
  void create_group(const std::string& name);
  /// Collective. A contiguous dataset of shape `dims` allocated now and filled
  /// (NaN for floats, 0 otherwise), so later writes never change metadata.
  void create_dataset(const std::string& name, ColumnType type, const std::vector<hsize_t>& dims,
                      std::size_t string_length = 0);
  /// Collective. As create_dataset, but stored in chunks of shape `chunk` (allocated now, at
  /// fixed places, so independent writes still never change metadata; unfiltered, because
  /// parallel HDF5 writes filtered datasets only collectively).
  void create_chunked_dataset(const std::string& name, ColumnType type,
                              const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk);
  /// Collective: string-array attribute (e.g. the list of scan axes).
  void write_string_list_attribute(const std::string& object, const std::string& attribute,
                                   const std::vector<std::string>& values);
  std::vector<std::string> read_string_list_attribute(const std::string& object,
                                                      const std::string& attribute) const;

  /// Independent writes of `count` rows starting at `first_row` (row = everything
  /// after the first dimension). Lengths must match the dataset.
  void write_doubles(const std::string& name, hsize_t first_row, const std::vector<double>& values);
  void write_int64s(const std::string& name, hsize_t first_row,
                    const std::vector<std::int64_t>& values);
  void write_uint64s(const std::string& name, hsize_t first_row,
                     const std::vector<std::uint64_t>& values);
  void write_int8s(const std::string& name, hsize_t first_row,
                   const std::vector<std::int8_t>& values);
  void write_floats(const std::string& name, hsize_t first_row, const std::vector<float>& values);
  void write_strings(const std::string& name, hsize_t first_row,
                     const std::vector<std::string>& values);

  std::vector<double> read_doubles(const std::string& name) const;
  /// Independent read of one row (everything after the first dimension) of a dataset.
  std::vector<double> read_double_row(const std::string& name, hsize_t row) const;
  std::vector<std::int64_t> read_int64s(const std::string& name) const;
  std::vector<std::int8_t> read_int8s(const std::string& name) const;
  std::vector<std::uint64_t> read_uint64s(const std::string& name) const;
  /// Rows [first_row, first_row + rows) of a dataset, row-major (a slice of a large table).
  std::vector<float> read_float_rows(const std::string& name, hsize_t first_row,
                                     hsize_t rows) const;
  std::vector<std::int8_t> read_int8_rows(const std::string& name, hsize_t first_row,
                                          hsize_t rows) const;
  std::vector<std::string> read_strings(const std::string& name) const;
  std::vector<hsize_t> shape(const std::string& name) const;
  bool is_string(const std::string& name) const;

  /// Collective: rank 0 allocates `bytes` of disk for the file now (posix_fallocate), so a
  /// full disk fails here, agreed by all ranks. Inside H5Dcreate a failed fill write on
  /// rank 0 skips a barrier the other ranks wait in (HDF5 1.10): the job would hang.
  void reserve_space(std::uint64_t bytes);
  /// Collective: pushes metadata and raw data to the file.
  void flush();
  /// Collective close (also done by the destructor unless unwinding from an error on
  /// more than one rank, where the other ranks may never join it).
  void close();
  /// Collective close that ignores errors: after an agreed failure, when every rank drops
  /// the file (e.g. a half-created store that is then removed).
  void close_after_failure() { file_.reset(); }

 private:
  /// Runs a collective step, then agrees on its outcome with every rank (see above).
  template <typename Step>
  void collective(const Step& step);
  int comm_size() const;
  void open(MPI_Comm comm, Mode mode);
  void create_group_here(const std::string& name);
  void write_string_list_attribute_here(const std::string& object, const std::string& attribute,
                                        const std::vector<std::string>& values);

  Handle open_dataset(const std::string& name) const;
  void write_raw(const std::string& name, hid_t memory_type, hsize_t first_row, hsize_t count,
                 const void* data);
  void read_raw(const std::string& name, hid_t memory_type, void* data) const;
  /// Reads rows [first_row, first_row + rows); returns the values per row.
  hsize_t read_rows_raw(const std::string& name, hid_t memory_type, hsize_t first_row, hsize_t rows,
                        std::vector<char>& buffer, std::size_t element_size) const;
  void create_dataset_with(const std::string& name, ColumnType type,
                           const std::vector<hsize_t>& dims, std::size_t string_length,
                           const std::vector<hsize_t>& chunk);
  [[noreturn]] void fail(const std::string& what, const std::string& object) const;

  std::string path_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  bool failed_together_ = false;      ///< a collective step failed on all ranks alike
  mutable bool failed_here_ = false;  ///< an HDF5 call failed on this rank
  Handle file_;
};

/// `values` packed as fixed-length, null-padded strings of the longest one's length (at least
/// 1, returned in `length`): the buffer for a dataset or attribute of fixed_string_type(length).
std::vector<char> fixed_string_buffer(const std::vector<std::string>& values, std::size_t& length);

/// Fixed-length, null-padded string type of `length` bytes (at least 1).
Handle fixed_string_type(std::size_t length);
/// The boolean h5py and SPANet files use: an int8 enum FALSE = 0, TRUE = 1.
Handle bool_enum_type();

/// Creates the contiguous dataset `name` [rows] (columns 0) or [rows, columns] in `file`,
/// without time stamps, allocated at creation, with intermediate groups (collective on a
/// parallel file). Returns an invalid Handle when HDF5 fails; the caller names the file.
Handle create_contiguous_dataset(hid_t file, const std::string& name, hid_t type, hsize_t rows,
                                 hsize_t columns);

/// The writers of whole files (event files, histogram sets) write "<path>.partial" and rename it
/// when complete, so a file at `path` is always whole. Collective over `comm`: creates (truncating)
/// "<path>.partial" for MPI-IO writes; InputError naming the file's role `what` ("event file")
/// when it cannot be created.
Handle create_partial_file(MPI_Comm comm, const std::string& path, const std::string& what);
/// Collective, after the partial file is closed: rank 0 renames it to `path`; core::Error naming
/// `what` on every rank when that fails.
void publish_partial_file(MPI_Comm comm, const std::string& path, const std::string& what);

/// Closes everything HDF5 still holds (H5close), while MPI is still up. After a failed
/// close (a full disk) HDF5 keeps the file and would close it again at exit, after
/// MPI_Finalize, and crash; call this on the error path before MPI ends.
void close_hdf5_library();

/// "HDF5 1.10.8" from the linked library.
std::string hdf5_version();

}  // namespace cwola::store
