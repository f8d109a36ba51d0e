#include "store/hdf5_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>

#include "core/error.hpp"
#include "parallel/agreed_step.hpp"

namespace cwola::store {

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  id_ = -1;
}

namespace {
// HDF5 prints its own error stack by default; we report errors ourselves.
struct SilenceHdf5Errors {
  SilenceHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const SilenceHdf5Errors g_silence;

Handle file_access(MPI_Comm comm) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_mpio(fapl.id(), comm, MPI_INFO_NULL);
  return fapl;
}

hid_t file_type(ColumnType type) {
  switch (type) {
    case ColumnType::kFloat64:
      return H5T_IEEE_F64LE;
    case ColumnType::kFloat32:
      return H5T_IEEE_F32LE;
    case ColumnType::kInt64:
      return H5T_STD_I64LE;
    case ColumnType::kUInt64:
      return H5T_STD_U64LE;
    case ColumnType::kInt8:
      return H5T_STD_I8LE;
    case ColumnType::kString:
      break;
  }
  return -1;
}
}  // namespace

Hdf5File::Hdf5File(MPI_Comm comm, const std::string& path, Mode mode) : path_(path), comm_(comm) {
  collective([&] { open(comm, mode); });
}

template <typename Step>
void Hdf5File::collective(const Step& step) {
  try {
    parallel::run_agreed(comm_, step);
  } catch (...) {
    // Agreed by every rank (or a single rank): the destructor's close, collective, is
    // joined by all, unless the owner closes it first (close_after_failure).
    failed_together_ = true;
    throw;
  }
}

int Hdf5File::comm_size() const {
  int size = 1;
  MPI_Comm_size(comm_, &size);
  return size;
}

void Hdf5File::open(MPI_Comm comm, Mode mode) {
  const std::string& path = path_;
  Handle fapl = file_access(comm);
  hid_t id = -1;
  if (mode == Mode::kCreate) {
    Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
    id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.id(), fapl.id());
    if (id < 0) {
      throw core::Error("cannot create HDF5 file '" + path +
                        "' (directory missing or not writable?); choose a writable --output");
    }
  } else {
    // Look for the HDF5 signature first: opening read-write through MPI-IO "succeeds" on
    // an empty file and writes to it, and a refused input must stay unchanged.
    if (H5Fis_hdf5(path.c_str()) > 0) {
      id =
          H5Fopen(path.c_str(), mode == Mode::kReadOnly ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl.id());
    }
    if (id < 0) {
      throw core::InputError("store '" + path +
                             "' cannot be opened as HDF5 (missing, truncated or not an HDF5 "
                             "file); check the path, or start again with --overwrite");
    }
  }
  file_ = Handle(id, H5Fclose);
}

Hdf5File::~Hdf5File() {
  // Closing is collective: when one rank unwinds from an error of its own (a failed
  // independent write) the job is aborted instead, and a close here would wait for ranks
  // that never come. Errors every rank met alike (agreed ones, a refused store) close.
  if (std::uncaught_exceptions() > 0 && failed_here_ && !failed_together_ && file_.valid() &&
      comm_ != MPI_COMM_NULL && comm_size() > 1) {
    file_.release();
    return;
  }
  file_.reset();
}

void Hdf5File::close() {
  if (!file_.valid()) return;
  collective([&] {
    const hid_t id = file_.id();
    file_.release();
    if (H5Fclose(id) < 0) fail("close", "/");
  });
}

void Hdf5File::fail(const std::string& what, const std::string& object) const {
  failed_here_ = true;
  throw core::Error("HDF5 " + what + " failed for '" + object + "' in '" + path_ +
                    "' (file damaged or disk full?)");
}

bool Hdf5File::exists(const std::string& object) const {
  // Check each path component, as H5Lexists requires.
  std::string partial;
  std::size_t start = 1;
  while (start <= object.size()) {
    auto end = object.find('/', start);
    if (end == std::string::npos) end = object.size();
    partial = object.substr(0, end);
    if (H5Lexists(file_.id(), partial.c_str(), H5P_DEFAULT) <= 0) return false;
    start = end + 1;
  }
  return true;
}

void Hdf5File::create_group(const std::string& name) {
  collective([&] { create_group_here(name); });
}

void Hdf5File::create_group_here(const std::string& name) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  Handle group(H5Gcreate2(file_.id(), name.c_str(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!group.valid()) fail("group creation", name);
}

void Hdf5File::create_dataset(const std::string& name, ColumnType type,
                              const std::vector<hsize_t>& dims, std::size_t string_length) {
  collective([&] { create_dataset_with(name, type, dims, string_length, {}); });
}

void Hdf5File::create_chunked_dataset(const std::string& name, ColumnType type,
                                      const std::vector<hsize_t>& dims,
                                      const std::vector<hsize_t>& chunk) {
  if (chunk.size() != dims.size()) fail("chunked dataset creation (chunk rank)", name);
  collective([&] { create_dataset_with(name, type, dims, 0, chunk); });
}

void Hdf5File::create_dataset_with(const std::string& name, ColumnType type,
                                   const std::vector<hsize_t>& dims, std::size_t string_length,
                                   const std::vector<hsize_t>& chunk) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (chunk.empty()) {
    H5Pset_layout(dcpl.id(), H5D_CONTIGUOUS);
  } else {
    H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data());
  }
  H5Pset_alloc_time(dcpl.id(), H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_ALLOC);
  // No modification times: a raw-data write then never touches an object header.
  H5Pset_obj_track_times(dcpl.id(), false);
  Handle string_file_type;
  hid_t type_id = file_type(type);
  if (type == ColumnType::kString) {
    string_file_type = fixed_string_type(string_length == 0 ? 1 : string_length);
    type_id = string_file_type.id();
  } else if (type == ColumnType::kFloat64) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    H5Pset_fill_value(dcpl.id(), H5T_NATIVE_DOUBLE, &nan);
  } else if (type == ColumnType::kFloat32) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    H5Pset_fill_value(dcpl.id(), H5T_NATIVE_FLOAT, &nan);
  }
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  Handle dataset(
      H5Dcreate2(file_.id(), name.c_str(), type_id, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
      H5Dclose);
  if (!dataset.valid()) fail("dataset creation", name);
}

void Hdf5File::write_string_list_attribute(const std::string& object, const std::string& attribute,
                                           const std::vector<std::string>& values) {
  collective([&] { write_string_list_attribute_here(object, attribute, values); });
}

void Hdf5File::write_string_list_attribute_here(const std::string& object,
                                                const std::string& attribute,
                                                const std::vector<std::string>& values) {
  std::size_t length = 0;
  const auto buffer = fixed_string_buffer(values, length);
  Handle type = fixed_string_type(length);
  const hsize_t n = values.size();
  Handle space(n == 0 ? H5Screate(H5S_NULL) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle owner(H5Oopen(file_.id(), object.c_str(), H5P_DEFAULT), H5Oclose);
  Handle attr(
      H5Acreate2(owner.id(), attribute.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  if (!attr.valid()) fail("attribute creation", object + "@" + attribute);
  if (n > 0 && H5Awrite(attr.id(), type.id(), buffer.data()) < 0) {
    fail("attribute write", object + "@" + attribute);
  }
}

std::vector<std::string> Hdf5File::read_string_list_attribute(const std::string& object,
                                                              const std::string& attribute) const {
  Handle owner(H5Oopen(file_.id(), object.c_str(), H5P_DEFAULT), H5Oclose);
  Handle attr(H5Aopen(owner.id(), attribute.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) fail("attribute open", object + "@" + attribute);
  Handle space(H5Aget_space(attr.id()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id());
  if (n <= 0) return {};
  Handle type(H5Aget_type(attr.id()), H5Tclose);
  const std::size_t length = H5Tget_size(type.id());
  Handle memory = fixed_string_type(length);
  std::vector<char> buffer(static_cast<std::size_t>(n) * length);
  if (H5Aread(attr.id(), memory.id(), buffer.data()) < 0) fail("attribute read", object);
  std::vector<std::string> values;
  for (hssize_t i = 0; i < n; ++i) {
    const char* begin = buffer.data() + static_cast<std::size_t>(i) * length;
    values.emplace_back(begin, strnlen(begin, length));
  }
  return values;
}

Handle Hdf5File::open_dataset(const std::string& name) const {
  Handle dataset(H5Dopen2(file_.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) {
    throw core::InputError("store '" + path_ + "' has no dataset '" + name +
                           "' (not a cwola store of this version, or damaged)");
  }
  return dataset;
}

std::vector<hsize_t> Hdf5File::shape(const std::string& name) const {
  Handle dataset = open_dataset(name);
  Handle space(H5Dget_space(dataset.id()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return dims;
}

bool Hdf5File::is_string(const std::string& name) const {
  Handle dataset = open_dataset(name);
  Handle type(H5Dget_type(dataset.id()), H5Tclose);
  return H5Tget_class(type.id()) == H5T_STRING;
}

void Hdf5File::write_raw(const std::string& name, hid_t memory_type, hsize_t first_row,
                         hsize_t count, const void* data) {
  Handle dataset = open_dataset(name);
  Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(file_space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(file_space.id(), dims.data(), nullptr);
  hsize_t row_size = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) row_size *= dims[i];
  if (rank == 0) {
    if (first_row != 0 || count != 1) fail("scalar write (row out of range)", name);
  } else {
    if (first_row + count / row_size > dims[0] || count % row_size != 0) {
      fail("write (rows out of range)", name);
    }
    std::vector<hsize_t> start(dims.size(), 0);
    std::vector<hsize_t> extent = dims;
    start[0] = first_row;
    extent[0] = count / row_size;
    H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                        nullptr);
  }
  Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_INDEPENDENT);
  if (H5Dwrite(dataset.id(), memory_type, memory_space.id(), file_space.id(), dxpl.id(), data) <
      0) {
    fail("write", name);
  }
}

void Hdf5File::read_raw(const std::string& name, hid_t memory_type, void* data) const {
  Handle dataset = open_dataset(name);
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_INDEPENDENT);
  if (H5Dread(dataset.id(), memory_type, H5S_ALL, H5S_ALL, dxpl.id(), data) < 0) {
    fail("read", name);
  }
}

namespace {
hsize_t element_count(const std::vector<hsize_t>& dims) {
  hsize_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}
}  // namespace

void Hdf5File::write_doubles(const std::string& name, hsize_t first_row,
                             const std::vector<double>& values) {
  write_raw(name, H5T_NATIVE_DOUBLE, first_row, values.size(), values.data());
}
void Hdf5File::write_int64s(const std::string& name, hsize_t first_row,
                            const std::vector<std::int64_t>& values) {
  write_raw(name, H5T_NATIVE_INT64, first_row, values.size(), values.data());
}
void Hdf5File::write_uint64s(const std::string& name, hsize_t first_row,
                             const std::vector<std::uint64_t>& values) {
  write_raw(name, H5T_NATIVE_UINT64, first_row, values.size(), values.data());
}
void Hdf5File::write_int8s(const std::string& name, hsize_t first_row,
                           const std::vector<std::int8_t>& values) {
  write_raw(name, H5T_NATIVE_INT8, first_row, values.size(), values.data());
}

void Hdf5File::write_floats(const std::string& name, hsize_t first_row,
                            const std::vector<float>& values) {
  write_raw(name, H5T_NATIVE_FLOAT, first_row, values.size(), values.data());
}

void Hdf5File::write_strings(const std::string& name, hsize_t first_row,
                             const std::vector<std::string>& values) {
  Handle dataset = open_dataset(name);
  Handle type(H5Dget_type(dataset.id()), H5Tclose);
  const std::size_t length = H5Tget_size(type.id());
  std::vector<char> buffer(values.size() * length, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) {
    // Longer text is cut: the column width was fixed when the store was created.
    std::memcpy(buffer.data() + i * length, values[i].data(), std::min(length, values[i].size()));
  }
  Handle memory = fixed_string_type(length);
  write_raw(name, memory.id(), first_row, values.size(), buffer.data());
}

std::vector<double> Hdf5File::read_doubles(const std::string& name) const {
  std::vector<double> values(element_count(shape(name)));
  read_raw(name, H5T_NATIVE_DOUBLE, values.data());
  return values;
}
std::vector<double> Hdf5File::read_double_row(const std::string& name, hsize_t row) const {
  Handle dataset = open_dataset(name);
  Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
  auto dims = shape(name);
  if (dims.empty() || row >= dims[0]) fail("read (row out of range)", name);
  std::vector<hsize_t> start(dims.size(), 0);
  start[0] = row;
  dims[0] = 1;
  H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, dims.data(), nullptr);
  hsize_t count = element_count(dims);
  std::vector<double> values(count);
  Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_INDEPENDENT);
  if (H5Dread(dataset.id(), H5T_NATIVE_DOUBLE, memory_space.id(), file_space.id(), dxpl.id(),
              values.data()) < 0) {
    fail("read", name);
  }
  return values;
}

std::vector<std::int64_t> Hdf5File::read_int64s(const std::string& name) const {
  std::vector<std::int64_t> values(element_count(shape(name)));
  read_raw(name, H5T_NATIVE_INT64, values.data());
  return values;
}
std::vector<std::int8_t> Hdf5File::read_int8s(const std::string& name) const {
  std::vector<std::int8_t> values(element_count(shape(name)));
  read_raw(name, H5T_NATIVE_INT8, values.data());
  return values;
}

std::vector<std::uint64_t> Hdf5File::read_uint64s(const std::string& name) const {
  std::vector<std::uint64_t> values(element_count(shape(name)));
  read_raw(name, H5T_NATIVE_UINT64, values.data());
  return values;
}

hsize_t Hdf5File::read_rows_raw(const std::string& name, hid_t memory_type, hsize_t first_row,
                                hsize_t rows, std::vector<char>& buffer,
                                std::size_t element_size) const {
  Handle dataset = open_dataset(name);
  Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(file_space.id());
  if (rank < 1) fail("row read (scalar dataset)", name);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(file_space.id(), dims.data(), nullptr);
  if (first_row + rows > dims[0]) fail("row read (rows out of range)", name);
  hsize_t row_size = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) row_size *= dims[i];
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> extent = dims;
  start[0] = first_row;
  extent[0] = rows;
  H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                      nullptr);
  hsize_t count = rows * row_size;
  buffer.assign(std::max<hsize_t>(count, 1) * element_size, 0);
  Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_INDEPENDENT);
  if (count > 0 && H5Dread(dataset.id(), memory_type, memory_space.id(), file_space.id(), dxpl.id(),
                           buffer.data()) < 0) {
    fail("row read", name);
  }
  return count;
}

std::vector<float> Hdf5File::read_float_rows(const std::string& name, hsize_t first_row,
                                             hsize_t rows) const {
  std::vector<char> buffer;
  const auto count = read_rows_raw(name, H5T_NATIVE_FLOAT, first_row, rows, buffer, sizeof(float));
  std::vector<float> values(count);
  std::memcpy(values.data(), buffer.data(), count * sizeof(float));
  return values;
}

std::vector<std::int8_t> Hdf5File::read_int8_rows(const std::string& name, hsize_t first_row,
                                                  hsize_t rows) const {
  std::vector<char> buffer;
  const auto count = read_rows_raw(name, H5T_NATIVE_INT8, first_row, rows, buffer, 1);
  std::vector<std::int8_t> values(count);
  std::memcpy(values.data(), buffer.data(), count);
  return values;
}

std::vector<std::string> Hdf5File::read_strings(const std::string& name) const {
  Handle dataset = open_dataset(name);
  Handle type(H5Dget_type(dataset.id()), H5Tclose);
  if (H5Tget_class(type.id()) != H5T_STRING) fail("string read (not a string dataset)", name);
  const std::size_t length = H5Tget_size(type.id());
  const auto n = element_count(shape(name));
  std::vector<char> buffer(n * length);
  Handle memory = fixed_string_type(length);
  read_raw(name, memory.id(), buffer.data());
  std::vector<std::string> values;
  for (hsize_t i = 0; i < n; ++i) {
    const char* begin = buffer.data() + i * length;
    values.emplace_back(begin, strnlen(begin, length));
  }
  return values;
}

void Hdf5File::reserve_space(std::uint64_t bytes) {
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  collective([&] {
    if (rank != 0) return;
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    const int error = fd < 0 ? errno : posix_fallocate(fd, 0, static_cast<off_t>(bytes));
    if (fd >= 0) ::close(fd);
    if (error != 0) {
      failed_here_ = true;
      throw core::Error("cannot allocate " + std::to_string(bytes) + " bytes for '" + path_ +
                        "' (" + std::strerror(error) +
                        "); free space on that disk or choose "
                        "another --output");
    }
  });
}

void Hdf5File::flush() {
  collective([&] {
    if (H5Fflush(file_.id(), H5F_SCOPE_GLOBAL) < 0) fail("flush", "/");
  });
}

Handle create_contiguous_dataset(hid_t file, const std::string& name, hid_t type, hsize_t rows,
                                 hsize_t columns) {
  const hsize_t dims[2] = {rows, columns};
  Handle space(H5Screate_simple(columns > 0 ? 2 : 1, dims, nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl.id(), 0);
  H5Pset_layout(dcpl.id(), H5D_CONTIGUOUS);
  H5Pset_alloc_time(dcpl.id(), H5D_ALLOC_TIME_EARLY);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  return Handle(H5Dcreate2(file, name.c_str(), type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                H5Dclose);
}

Handle fixed_string_type(std::size_t length) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.id(), std::max<std::size_t>(length, 1));
  H5Tset_strpad(type.id(), H5T_STR_NULLPAD);
  return type;
}

Handle bool_enum_type() {
  Handle type(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose);
  std::int8_t value = 0;
  H5Tenum_insert(type.id(), "FALSE", &value);
  value = 1;
  H5Tenum_insert(type.id(), "TRUE", &value);
  return type;
}

void close_hdf5_library() { H5close(); }

std::string hdf5_version() {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned release = 0;
  H5get_libversion(&major, &minor, &release);
  return "HDF5 " + std::to_string(major) + "." + std::to_string(minor) + "." +
         std::to_string(release);
}

Handle create_partial_file(MPI_Comm comm, const std::string& path, const std::string& what) {
  const std::string partial = path + ".partial";
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_mpio(fapl.id(), comm, MPI_INFO_NULL);
  Handle file(H5Fcreate(partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()), H5Fclose);
  if (!file.valid()) {
    throw core::InputError("cannot create " + what + " '" + partial +
                           "' (directory missing or not writable); choose another --output");
  }
  return file;
}

void publish_partial_file(MPI_Comm comm, const std::string& path, const std::string& what) {
  const std::string partial = path + ".partial";
  MPI_Barrier(comm);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int renamed = 0;
  if (rank == 0) renamed = std::rename(partial.c_str(), path.c_str()) == 0 ? 1 : 0;
  MPI_Bcast(&renamed, 1, MPI_INT, 0, comm);
  if (renamed == 0) {
    throw core::Error(what + " '" + path + "': renaming the finished '" + partial +
                      "' into place failed");
  }
}

std::vector<char> fixed_string_buffer(const std::vector<std::string>& values, std::size_t& length) {
  length = 1;
  for (const auto& v : values) length = std::max(length, v.size());
  std::vector<char> buffer(values.size() * length, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::memcpy(buffer.data() + i * length, values[i].data(), values[i].size());
  }
  return buffer;
}

}  // namespace cwola::store
