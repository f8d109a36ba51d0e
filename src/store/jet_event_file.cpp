#include "store/jet_event_file.hpp"

#include <hdf5.h>

#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

namespace {
const char* const kJetGroups[2] = {"/J1", "/J2"};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw core::Error("jet event file '" + path + "': " + what);
}

void ok(herr_t status, const std::string& path, const std::string& what) {
  if (status < 0) fail(path, what + " failed (HDF5 error; disk full or file not writable?)");
}

/// Collective creation of a contiguous dataset [rows] or [rows, columns] without time stamps.
Handle create(hid_t file, const std::string& path, const std::string& name, hid_t type,
              hsize_t rows, hsize_t columns) {
  Handle dataset = create_contiguous_dataset(file, name, type, rows, columns);
  if (!dataset.valid()) fail(path, "creating dataset " + name);
  return dataset;
}

/// Collective write of rows [first, first + count) (count may be 0 on some ranks).
void write_rows(const Handle& dataset, const std::string& path, const std::string& name,
                hid_t memory_type, hsize_t first, hsize_t count, hsize_t columns,
                const void* data) {
  Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
  const hsize_t start[2] = {first, 0};
  const hsize_t extent[2] = {count, columns};
  const int rank = columns > 0 ? 2 : 1;
  Handle memory_space(H5Screate_simple(rank, extent, nullptr), H5Sclose);
  if (count == 0) {
    H5Sselect_none(file_space.id());
    H5Sselect_none(memory_space.id());
  } else {
    H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start, nullptr, extent, nullptr);
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_COLLECTIVE);
  static const float kDummy = 0;
  ok(H5Dwrite(dataset.id(), memory_type, memory_space.id(), file_space.id(), dxpl.id(),
              count == 0 ? static_cast<const void*>(&kDummy) : data),
     path, "writing " + name);
}

bool exists(hid_t file, const std::string& name) {
  // Check each path component so that a missing group is not an error.
  std::size_t position = 0;
  while ((position = name.find('/', position + 1)) != std::string::npos) {
    if (H5Lexists(file, name.substr(0, position).c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<hsize_t> shape_of(hid_t dataset) {
  Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return dims;
}

template <typename T>
std::vector<T> read_all(hid_t file, const std::string& path, const std::string& name,
                        hid_t memory_type, std::vector<hsize_t>* dims_out = nullptr) {
  Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) {
    throw core::InputError("jet event file '" + path + "' has no dataset " + name +
                           " (not in the J1|J2/{pt,eta,phi,MASK}, EVENT/{mjj,signal} layout); "
                           "write it in that layout or regenerate it with `cwola generate`");
  }
  const auto dims = shape_of(dataset.id());
  std::size_t n = 1;
  for (auto d : dims) n *= d;
  std::vector<T> values(n);
  if (n > 0 &&
      H5Dread(dataset.id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    throw core::InputError("jet event file '" + path + "': dataset " + name +
                           " cannot be read as the expected type (numbers); check its type");
  }
  if (dims_out) *dims_out = dims;
  return values;
}

std::vector<std::uint8_t> read_bytes(hid_t file, const std::string& path, const std::string& name,
                                     std::vector<hsize_t>& dims) {
  Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(dataset.id()), H5Tclose);
  if (H5Tget_size(type.id()) != 1) {
    // Not a one-byte bool/enum/int8: convert through a native integer type.
    const auto values = read_all<std::int32_t>(file, path, name, H5T_NATIVE_INT32, &dims);
    std::vector<std::uint8_t> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i] != 0 ? 1 : 0;
    return out;
  }
  dims = shape_of(dataset.id());
  std::size_t n = 1;
  for (auto d : dims) n *= d;
  std::vector<std::uint8_t> out(n);
  Handle native(H5Tget_native_type(type.id(), H5T_DIR_ASCEND), H5Tclose);
  if (n > 0 && H5Dread(dataset.id(), native.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    fail(path, "reading " + name);
  }
  return out;
}

std::vector<std::string> read_strings(hid_t file, const std::string& name) {
  Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(dataset.id()), H5Tclose);
  const auto dims = shape_of(dataset.id());
  const std::size_t n = dims.empty() ? 1 : dims[0];
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.id()) > 0) {
    std::vector<char*> raw(n, nullptr);
    Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.id(), H5T_VARIABLE);
    H5Dread(dataset.id(), memory.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
    for (auto* s : raw) out.emplace_back(s ? s : "");
    Handle space(H5Dget_space(dataset.id()), H5Sclose);
    H5Dvlen_reclaim(memory.id(), space.id(), H5P_DEFAULT, raw.data());
    return out;
  }
  const std::size_t length = H5Tget_size(type.id());
  std::vector<char> raw(n * length, '\0');
  H5Dread(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
  for (std::size_t i = 0; i < n; ++i) {
    std::string s(raw.data() + i * length, length);
    s.erase(s.find_last_not_of('\0') + 1);
    out.push_back(s);
  }
  return out;
}

void write_string_scalar(hid_t file, const std::string& path, const std::string& name,
                         const std::string& value, bool writer) {
  Handle type = fixed_string_type(value.size());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl.id(), 0);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  Handle dataset(
      H5Dcreate2(file, name.c_str(), type.id(), space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
      H5Dclose);
  if (!dataset.valid()) fail(path, "creating " + name);
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_COLLECTIVE);
  Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
  Handle memory_space(H5Screate(H5S_SCALAR), H5Sclose);
  if (!writer) {
    H5Sselect_none(file_space.id());
    H5Sselect_none(memory_space.id());
  }
  std::vector<char> buffer(std::max<std::size_t>(value.size(), 1), '\0');
  std::memcpy(buffer.data(), value.data(), value.size());
  ok(H5Dwrite(dataset.id(), type.id(), memory_space.id(), file_space.id(), dxpl.id(),
              buffer.data()),
     path, "writing " + name);
}
}  // namespace

void JetEventData::check_consistent() const {
  const std::size_t n = size();
  const std::size_t cells = n * max_constituents;
  for (int j = 0; j < 2; ++j) {
    if (pt[j].size() != cells || eta[j].size() != cells || phi[j].size() != cells ||
        mask[j].size() != cells) {
      throw core::Error("jet event data: jet " + std::to_string(j + 1) +
                        " columns do not have events × max_constituents entries (a bug in the "
                        "producer)");
    }
  }
  if (signal.size() != n)
    throw core::Error("jet event data: signal column length differs from mjj");
  if (table.size() != table_columns.size())
    throw core::Error("jet event data: table has a different number of columns than names");
  for (std::size_t c = 0; c < table.size(); ++c) {
    if (table[c].size() != n)
      throw core::Error("jet event data: table column " + table_columns[c] +
                        " length differs from mjj (a bug in the producer)");
  }
}

std::int64_t JetEventFileInfo::count(const std::string& name) const {
  for (std::size_t i = 0; i < cutflow_steps.size(); ++i) {
    if (cutflow_steps[i] == name) return cutflow_counts.at(i);
  }
  throw core::InputError("the event file has no cutflow step '" + name +
                         "' (needed for the selection efficiencies); use a file written by "
                         "`cwola generate` or give the yields in the job");
}

void write_jet_event_file(MPI_Comm comm, const std::string& path, const JetEventData& local,
                          const JetEventFileInfo& info) {
  local.check_consistent();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Global size and this rank's first row.
  unsigned long long mine = local.size();
  unsigned long long before = 0;
  unsigned long long total = 0;
  MPI_Exscan(&mine, &before, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
  if (rank == 0) before = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
  unsigned long long width = local.max_constituents;
  unsigned long long width_max = 0;
  MPI_Allreduce(&width, &width_max, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm);
  if (mine > 0 && width != width_max) {
    throw core::Error("jet event file '" + path + "': ranks disagree on max_constituents (a bug)");
  }
  const hsize_t columns = width_max;

  {
    const Handle file = create_partial_file(comm, path, "event file");
    const hid_t f = file.id();
    const Handle mask_type = bool_enum_type();
    for (int j = 0; j < (columns > 0 ? 2 : 0); ++j) {
      const std::string g = kJetGroups[j];
      const std::pair<const char*, const std::vector<float>*> floats[3] = {
          {"/pt", &local.pt[j]}, {"/eta", &local.eta[j]}, {"/phi", &local.phi[j]}};
      for (const auto& [name, values] : floats) {
        Handle d = create(f, path, g + name, H5T_IEEE_F32LE, total, columns);
        write_rows(d, path, g + name, H5T_NATIVE_FLOAT, before, mine, columns, values->data());
      }
      Handle d = create(f, path, g + "/MASK", mask_type.id(), total, columns);
      write_rows(d, path, g + "/MASK", mask_type.id(), before, mine, columns, local.mask[j].data());
    }
    {
      Handle d = create(f, path, "/EVENT/mjj", H5T_IEEE_F32LE, total, 0);
      write_rows(d, path, "/EVENT/mjj", H5T_NATIVE_FLOAT, before, mine, 0, local.mjj.data());
      Handle s = create(f, path, "/EVENT/signal", H5T_STD_I8LE, total, 0);
      write_rows(s, path, "/EVENT/signal", H5T_NATIVE_INT8, before, mine, 0, local.signal.data());
    }
    for (std::size_t c = 0; c < local.table_columns.size(); ++c) {
      const std::string name = "/TABLE/" + local.table_columns[c];
      Handle d = create(f, path, name, H5T_IEEE_F64LE, total, 0);
      write_rows(d, path, name, H5T_NATIVE_DOUBLE, before, mine, 0, local.table[c].data());
    }
    const bool writer = rank == 0;
    if (info.has_cutflow()) {
      std::size_t length = 0;
      const auto buffer = fixed_string_buffer(info.cutflow_steps, length);
      Handle type = fixed_string_type(length);
      const hsize_t n = info.cutflow_steps.size();
      Handle steps = create(f, path, "/CUTFLOW/step", type.id(), n, 0);
      write_rows(steps, path, "/CUTFLOW/step", type.id(), 0, writer ? n : 0, 0, buffer.data());
      Handle counts = create(f, path, "/CUTFLOW/count", H5T_STD_I64LE, n, 0);
      write_rows(counts, path, "/CUTFLOW/count", H5T_NATIVE_INT64, 0, writer ? n : 0, 0,
                 info.cutflow_counts.data());
    }
    write_string_scalar(f, path, "/GENERATOR/process", info.process, writer);
    write_string_scalar(f, path, "/GENERATOR/card", info.card, writer);
    {
      Handle xs = create(f, path, "/GENERATOR/cross_section_fb", H5T_IEEE_F64LE, 1, 0);
      write_rows(xs, path, "/GENERATOR/cross_section_fb", H5T_NATIVE_DOUBLE, 0, writer ? 1 : 0, 0,
                 &info.cross_section_fb);
      Handle seed = create(f, path, "/GENERATOR/seed", H5T_STD_U64LE, 1, 0);
      write_rows(seed, path, "/GENERATOR/seed", H5T_NATIVE_UINT64, 0, writer ? 1 : 0, 0,
                 &info.seed);
    }
    ok(H5Fflush(f, H5F_SCOPE_GLOBAL), path, "flushing");
  }
  publish_partial_file(comm, path, "jet event file");
}

JetEventData read_jet_event_file(const std::string& path, JetEventFileInfo* info) {
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) {
    throw core::InputError("jet event file '" + path +
                           "' cannot be opened as HDF5 (missing or not HDF5); check the path or "
                           "make it with `cwola generate`");
  }
  const hid_t f = file.id();
  JetEventData data;
  std::vector<hsize_t> dims;
  data.mjj = read_all<float>(f, path, "/EVENT/mjj", H5T_NATIVE_FLOAT, &dims);
  const std::size_t n = data.mjj.size();
  for (int j = 0; j < 2; ++j) {
    const std::string g = kJetGroups[j];
    std::vector<hsize_t> shape;
    data.pt[j] = read_all<float>(f, path, g + "/pt", H5T_NATIVE_FLOAT, &shape);
    if (shape.size() != 2 || shape[0] != n) {
      throw core::InputError("jet event file '" + path + "': " + g +
                             "/pt must be [events, constituents] with events = length of "
                             "/EVENT/mjj; fix the file's shapes");
    }
    if (j == 1 && shape[1] != data.max_constituents) {
      throw core::InputError("jet event file '" + path +
                             "': J1 and J2 have different constituent counts per row; pad them "
                             "to the same width");
    }
    data.max_constituents = shape[1];
    data.eta[j] = read_all<float>(f, path, g + "/eta", H5T_NATIVE_FLOAT);
    data.phi[j] = read_all<float>(f, path, g + "/phi", H5T_NATIVE_FLOAT);
    if (exists(f, g + "/MASK")) {
      data.mask[j] = read_bytes(f, path, g + "/MASK", shape);
    } else {
      data.mask[j].resize(data.pt[j].size());
      for (std::size_t i = 0; i < data.pt[j].size(); ++i)
        data.mask[j][i] = data.pt[j][i] > 0 ? 1 : 0;
    }
    // Padding is pt = 0, so consumers need only look at pt.
    for (std::size_t i = 0; i < data.pt[j].size(); ++i) {
      if (data.mask[j][i] == 0) data.pt[j][i] = 0.0F;
    }
  }
  if (exists(f, "/EVENT/signal")) {
    data.signal = read_all<std::int8_t>(f, path, "/EVENT/signal", H5T_NATIVE_INT8);
  } else {
    data.signal.assign(n, -1);
  }
  data.check_consistent();
  if (info != nullptr) {
    *info = JetEventFileInfo{};
    if (exists(f, "/CUTFLOW/step") && exists(f, "/CUTFLOW/count")) {
      info->cutflow_steps = read_strings(f, "/CUTFLOW/step");
      info->cutflow_counts = read_all<std::int64_t>(f, path, "/CUTFLOW/count", H5T_NATIVE_INT64);
    }
    if (exists(f, "/GENERATOR/process"))
      info->process = read_strings(f, "/GENERATOR/process").at(0);
    if (exists(f, "/GENERATOR/card")) info->card = read_strings(f, "/GENERATOR/card").at(0);
    if (exists(f, "/GENERATOR/cross_section_fb")) {
      info->cross_section_fb =
          read_all<double>(f, path, "/GENERATOR/cross_section_fb", H5T_NATIVE_DOUBLE).at(0);
    }
    if (exists(f, "/GENERATOR/seed")) {
      info->seed = read_all<std::uint64_t>(f, path, "/GENERATOR/seed", H5T_NATIVE_UINT64).at(0);
    }
  }
  return data;
}

}  // namespace cwola::store
