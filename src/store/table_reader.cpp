#include "store/table_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/memory_limit.hpp"
#include "core/text.hpp"

namespace cwola::store {

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

Hdf5Reader::Hdf5Reader(const std::string& path, const std::string& what)
    : path_(path), what_(what) {
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    throw core::InputError(what + " '" + path +
                           "' cannot be opened as HDF5 (missing, unreadable or not an HDF5 "
                           "file); check the path");
  }
  file_ = Handle(id, H5Fclose);
}

void Hdf5Reader::fail(const std::string& name, const std::string& problem) const {
  throw core::InputError(what_ + " '" + path_ + "': '" + name + "' " + problem);
}

bool Hdf5Reader::exists(const std::string& name) const {
  if (name.empty() || name == "/") return true;
  std::size_t start = name[0] == '/' ? 1 : 0;
  while (start <= name.size()) {
    auto end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (H5Lexists(file_.id(), name.substr(0, end).c_str(), H5P_DEFAULT) <= 0) return false;
    start = end + 1;
  }
  return true;
}

bool Hdf5Reader::is_group(const std::string& name) const {
  if (!exists(name)) return false;
  H5O_info_t info;
#if H5_VERSION_GE(1, 12, 0)
  if (H5Oget_info_by_name3(file_.id(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
#else
  if (H5Oget_info_by_name2(file_.id(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
#endif
    return false;
  }
  return info.type == H5O_TYPE_GROUP;
}

std::vector<std::string> Hdf5Reader::members(const std::string& group) const {
  Handle g(H5Gopen2(file_.id(), group.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail(group, "is not a group");
  std::vector<std::string> names;
  H5Literate(
      g.id(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
        return 0;
      },
      &names);
  std::sort(names.begin(), names.end());
  return names;
}

Handle Hdf5Reader::open_dataset(const std::string& name) const {
  if (!exists(name)) fail(name, "does not exist");
  Handle dataset(H5Dopen2(file_.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) fail(name, "is not a dataset");
  return dataset;
}

std::vector<hsize_t> Hdf5Reader::shape(const std::string& name) const {
  Handle dataset = open_dataset(name);
  Handle space(H5Dget_space(dataset.id()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return dims;
}

namespace {
/// File and memory dataspaces selecting `rows` (all of a scalar dataset).
struct Selection {
  Handle file_space;
  Handle memory_space;
  std::size_t elements = 0;
};

Selection select_rows(hid_t dataset, const RowRange& rows, const std::string& name,
                      const std::string& path) {
  Selection s;
  s.file_space = Handle(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(s.file_space.id());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(s.file_space.id(), dims.data(), nullptr);
  if (rank == 0) {
    s.elements = 1;
  } else {
    if (rows.first > dims[0]) {
      throw core::InputError("file '" + path + "': dataset '" + name + "' has " +
                             std::to_string(dims[0]) + " rows; row " + std::to_string(rows.first) +
                             " is out of range");
    }
    std::vector<hsize_t> start(dims.size(), 0);
    std::vector<hsize_t> extent = dims;
    start[0] = rows.first;
    extent[0] = rows.count == 0 ? dims[0] - rows.first
                                : std::min<hsize_t>(rows.count, dims[0] - rows.first);
    H5Sselect_hyperslab(s.file_space.id(), H5S_SELECT_SET, start.data(), nullptr, extent.data(),
                        nullptr);
    s.elements = 1;
    for (auto e : extent) s.elements *= e;
  }
  const hsize_t n = std::max<std::size_t>(s.elements, 1);
  s.memory_space = Handle(H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (s.elements == 0) {
    H5Sselect_none(s.memory_space.id());
    H5Sselect_none(s.file_space.id());
  }
  return s;
}
}  // namespace

std::vector<double> Hdf5Reader::read_numeric(const std::string& name, const RowRange& rows) const {
  Handle dataset = open_dataset(name);
  Handle type(H5Dget_type(dataset.id()), H5Tclose);
  const H5T_class_t type_class = H5Tget_class(type.id());
  auto selection = select_rows(dataset.id(), rows, name, path_);
  std::vector<double> values(selection.elements);
  if (selection.elements == 0) return values;
  if (type_class == H5T_INTEGER || type_class == H5T_FLOAT) {
    if (H5Dread(dataset.id(), H5T_NATIVE_DOUBLE, selection.memory_space.id(),
                selection.file_space.id(), H5P_DEFAULT, values.data()) < 0) {
      fail(name, "could not be read as numbers (HDF5 read failed; file damaged?)");
    }
    return values;
  }
  if (type_class == H5T_ENUM) {
    // h5py's bool: an enum over a (usually 8-bit) integer. Read its integer values.
    Handle base(H5Tget_super(type.id()), H5Tclose);
    Handle native(H5Tget_native_type(base.id(), H5T_DIR_ASCEND), H5Tclose);
    Handle memory(H5Tget_native_type(type.id(), H5T_DIR_ASCEND), H5Tclose);
    const std::size_t size = H5Tget_size(native.id());
    const bool is_signed = H5Tget_sign(native.id()) == H5T_SGN_2;
    std::vector<unsigned char> raw(selection.elements * size);
    if (H5Dread(dataset.id(), memory.id(), selection.memory_space.id(), selection.file_space.id(),
                H5P_DEFAULT, raw.data()) < 0) {
      fail(name, "could not be read (HDF5 read of an enum/bool dataset failed)");
    }
    for (std::size_t i = 0; i < selection.elements; ++i) {
      const unsigned char* p = raw.data() + i * size;
      std::int64_t v = 0;
      switch (size) {
        case 1:
          v = is_signed ? *reinterpret_cast<const std::int8_t*>(p) : *p;
          break;
        case 2: {
          std::int16_t s16;
          std::memcpy(&s16, p, 2);
          v = is_signed ? s16 : static_cast<std::uint16_t>(s16);
          break;
        }
        case 4: {
          std::int32_t s32;
          std::memcpy(&s32, p, 4);
          v = is_signed ? s32 : static_cast<std::uint32_t>(s32);
          break;
        }
        default:
          std::memcpy(&v, p, std::min<std::size_t>(size, 8));
          break;
      }
      values[i] = static_cast<double>(v);
    }
    return values;
  }
  fail(name, "is not numeric (HDF5 class " + std::to_string(static_cast<int>(type_class)) +
                 "; strings and compound types cannot be features); choose a numeric dataset");
}

std::vector<std::uint64_t> Hdf5Reader::read_uint64s(const std::string& name,
                                                    const RowRange& rows) const {
  Handle dataset = open_dataset(name);
  auto selection = select_rows(dataset.id(), rows, name, path_);
  std::vector<std::uint64_t> values(selection.elements);
  if (selection.elements > 0 &&
      H5Dread(dataset.id(), H5T_NATIVE_UINT64, selection.memory_space.id(),
              selection.file_space.id(), H5P_DEFAULT, values.data()) < 0) {
    fail(name, "could not be read as unsigned 64-bit integers");
  }
  return values;
}

namespace {
std::vector<std::string> read_string_object(hid_t object, hid_t type, hid_t space, bool attribute,
                                            bool* ok) {
  const hssize_t n = std::max<hssize_t>(H5Sget_simple_extent_npoints(space), 0);
  std::vector<std::string> out;
  *ok = true;
  if (H5Tget_class(type) != H5T_STRING) {
    *ok = false;
    return out;
  }
  if (H5Tis_variable_str(type) > 0) {
    Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.id(), H5T_VARIABLE);
    H5Tset_cset(memory.id(), H5Tget_cset(type));
    std::vector<char*> raw(static_cast<std::size_t>(n), nullptr);
    const herr_t status =
        attribute ? H5Aread(object, memory.id(), raw.data())
                  : H5Dread(object, memory.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
    if (status < 0) {
      *ok = false;
      return out;
    }
    for (char* s : raw) out.emplace_back(s != nullptr ? s : "");
    H5Dvlen_reclaim(memory.id(), space, H5P_DEFAULT, raw.data());
    return out;
  }
  const std::size_t length = H5Tget_size(type);
  Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory.id(), length);
  H5Tset_strpad(memory.id(), H5T_STR_NULLPAD);
  std::vector<char> raw(static_cast<std::size_t>(n) * length + 1, '\0');
  const herr_t status =
      attribute ? H5Aread(object, memory.id(), raw.data())
                : H5Dread(object, memory.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data());
  if (status < 0) {
    *ok = false;
    return out;
  }
  for (hssize_t i = 0; i < n; ++i) {
    const char* begin = raw.data() + static_cast<std::size_t>(i) * length;
    out.emplace_back(begin, strnlen(begin, length));
  }
  return out;
}
}  // namespace

std::vector<std::string> Hdf5Reader::read_strings(const std::string& name) const {
  Handle dataset = open_dataset(name);
  Handle type(H5Dget_type(dataset.id()), H5Tclose);
  Handle space(H5Dget_space(dataset.id()), H5Sclose);
  bool ok = false;
  auto out = read_string_object(dataset.id(), type.id(), space.id(), false, &ok);
  if (!ok) fail(name, "is not a readable string dataset");
  return out;
}

bool Hdf5Reader::has_attribute(const std::string& object, const std::string& attribute) const {
  if (!exists(object)) return false;
  return H5Aexists_by_name(file_.id(), object.c_str(), attribute.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> Hdf5Reader::read_string_attribute(const std::string& object,
                                                           const std::string& attribute) const {
  Handle attr(
      H5Aopen_by_name(file_.id(), object.c_str(), attribute.c_str(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  if (!attr.valid()) fail(object, "has no attribute '" + attribute + "'");
  Handle type(H5Aget_type(attr.id()), H5Tclose);
  Handle space(H5Aget_space(attr.id()), H5Sclose);
  bool ok = false;
  auto out = read_string_object(attr.id(), type.id(), space.id(), true, &ok);
  if (!ok) fail(object, "attribute '" + attribute + "' is not a list of strings");
  return out;
}

std::vector<double> Table::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) {
    throw core::InputError("table has no column '" + name + "'; it has {" +
                           core::join(columns, ", ") + "}");
  }
  const auto c = static_cast<std::size_t>(it - columns.begin());
  std::vector<double> out(rows);
  for (std::size_t r = 0; r < rows; ++r) out[r] = values[r * columns.size() + c];
  return out;
}

Table read_table(const std::string& path, const TableReadOptions& options) {
  Hdf5Reader file(path, "table");
  const std::string where = options.origin.empty() ? "" : " (" + options.origin + ")";
  const auto error = [&](const std::string& problem) {
    return core::InputError("table '" + path + "'" + where + ": " + problem);
  };
  if (options.columns.empty()) throw error("no columns requested");
  // Rows as the file declares them, before any is read: a runaway size is refused with
  // its number instead of ending the job out of memory.
  const auto check_table_memory = [&](hsize_t rows, std::size_t columns) {
    const std::string problem = core::memory_shortfall(
        2.0 * static_cast<double>(rows) * static_cast<double>(columns) * 8.0,
        std::to_string(rows) + " rows x " + std::to_string(columns) + " columns, float64");
    if (!problem.empty()) {
      throw error("'" + options.table + "' " + problem +
                  "; use a smaller table (fewer rows) or a machine with more memory");
    }
  };
  if (!file.exists(options.table)) {
    throw error("has no group or dataset '" + options.table +
                "'; give the group of 1-D columns "
                "or the 2-D dataset that holds the table");
  }
  Table table;
  table.columns = options.columns;
  std::vector<std::vector<double>> data(options.columns.size());
  std::size_t rows = 0;
  if (file.is_group(options.table)) {
    const auto available = file.members(options.table);
    const std::string prefix = options.table == "/" ? "/" : options.table + "/";
    for (std::size_t c = 0; c < options.columns.size(); ++c) {
      const std::string& name = options.columns[c];
      if (std::find(available.begin(), available.end(), name) == available.end()) {
        throw error("column '" + name + "' is missing from group '" + options.table +
                    "', which holds {" + core::join(available, ", ") + "}");
      }
      const auto dims = file.shape(prefix + name);
      if (dims.size() != 1) {
        throw error("column '" + prefix + name + "' has shape " + shape_text(dims) +
                    "; a column must be 1-D (one value per row) — for a 2-D table give the "
                    "dataset itself with a 'columns' attribute");
      }
      if (c > 0 && dims[0] != rows) {
        throw error("column '" + prefix + name + "' has " + std::to_string(dims[0]) +
                    " rows but '" + prefix + options.columns[0] + "' has " + std::to_string(rows) +
                    "; all columns must have the same length");
      }
      rows = dims[0];
      check_table_memory(rows, options.columns.size());
      data[c] = file.read_numeric(prefix + name);
    }
  } else {
    const auto dims = file.shape(options.table);
    if (dims.size() != 2) {
      throw error("dataset '" + options.table + "' has shape " + shape_text(dims) +
                  "; a table dataset must be 2-D [rows, columns] (or give a group of 1-D columns)");
    }
    std::vector<std::string> names;
    for (const char* attribute : {"columns", "column_names", "names"}) {
      if (file.has_attribute(options.table, attribute)) {
        names = file.read_string_attribute(options.table, attribute);
        break;
      }
    }
    if (names.empty()) {
      throw error("dataset '" + options.table +
                  "' has no column-names attribute ('columns', 'column_names' or 'names'); add "
                  "one listing its " +
                  std::to_string(dims[1]) + " columns");
    }
    if (names.size() != dims[1]) {
      throw error("dataset '" + options.table + "' has " + std::to_string(dims[1]) +
                  " columns but its column-names attribute lists " + std::to_string(names.size()) +
                  " names");
    }
    rows = dims[0];
    check_table_memory(rows, dims[1] + options.columns.size());
    const auto all = file.read_numeric(options.table);
    for (std::size_t c = 0; c < options.columns.size(); ++c) {
      const auto it = std::find(names.begin(), names.end(), options.columns[c]);
      if (it == names.end()) {
        throw error("column '" + options.columns[c] + "' is not among the columns {" +
                    core::join(names, ", ") + "} of dataset '" + options.table + "'");
      }
      const auto index = static_cast<std::size_t>(it - names.begin());
      data[c].resize(rows);
      for (std::size_t r = 0; r < rows; ++r) data[c][r] = all[r * dims[1] + index];
    }
  }
  table.values.reserve(rows * options.columns.size());
  for (std::size_t r = 0; r < rows; ++r) {
    bool finite = true;
    for (std::size_t c = 0; c < data.size(); ++c) {
      if (!std::isfinite(data[c][r])) {
        if (options.bad_rows == BadRows::kError) {
          throw error("row " + std::to_string(r) + " of column '" + options.columns[c] + "' is " +
                      core::format_double(data[c][r]) +
                      " (not finite); fix the file, or let the job skip such rows "
                      "(bad_rows = skip)");
        }
        finite = false;
        break;
      }
    }
    if (!finite) {
      ++table.skipped_rows;
      continue;
    }
    for (const auto& column : data) table.values.push_back(column[r]);
    ++table.rows;
  }
  return table;
}

}  // namespace cwola::store
