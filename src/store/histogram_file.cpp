#include "store/histogram_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

namespace {
/// Elements per chunk of the compressed columns: 64 Ki (512 KiB of doubles), large enough for
/// deflate to work well, small enough that reading one histogram decompresses little.
constexpr hsize_t kChunkElements = hsize_t{1} << 16;
constexpr unsigned kDeflateLevel = 4;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw core::Error("histogram file '" + path + "': " + what);
}

void ok(herr_t status, const std::string& path, const std::string& what) {
  if (status < 0) fail(path, what + " failed (HDF5 error; disk full or file not writable?)");
}

/// Collective creation of a chunked, shuffled and deflated 1-D dataset of `size` elements.
/// (Parallel HDF5 writes filtered datasets collectively only: write_range below does so.)
Handle create_compressed(hid_t file, const std::string& path, const std::string& name, hid_t type,
                         hsize_t size) {
  Handle space(H5Screate_simple(1, &size, nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl.id(), false);
  const hsize_t chunk = std::max<hsize_t>(1, std::min(size, kChunkElements));
  H5Pset_chunk(dcpl.id(), 1, &chunk);
  H5Pset_shuffle(dcpl.id());
  H5Pset_deflate(dcpl.id(), kDeflateLevel);
  H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_NEVER);
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  Handle dataset(
      H5Dcreate2(file, name.c_str(), type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
      H5Dclose);
  if (!dataset.valid()) fail(path, "creating dataset " + name);
  return dataset;
}

/// Collective write of elements [first, first + count) (count may be 0 on some ranks).
void write_range(const Handle& dataset, const std::string& path, const std::string& name,
                 hid_t memory_type, hsize_t first, hsize_t count, const void* data) {
  Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
  Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (count == 0) {
    H5Sselect_none(file_space.id());
    H5Sselect_none(memory_space.id());
  } else {
    H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, &first, nullptr, &count, nullptr);
  }
  Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_COLLECTIVE);
  static const double kDummy = 0;
  ok(H5Dwrite(dataset.id(), memory_type, memory_space.id(), file_space.id(), dxpl.id(),
              count == 0 ? static_cast<const void*>(&kDummy) : data),
     path, "writing " + name);
}

/// A compressed column written from every rank's part.
template <typename T>
void column(hid_t file, const std::string& path, const std::string& name, hid_t file_type,
            hid_t memory_type, hsize_t total, hsize_t first, const std::vector<T>& values) {
  Handle dataset = create_compressed(file, path, name, file_type, total);
  write_range(dataset, path, name, memory_type, first, values.size(), values.data());
}

/// A small contiguous dataset written by rank 0 (`writer`) alone, inside a collective call.
void small(hid_t file, const std::string& path, const std::string& name, hid_t file_type,
           hid_t memory_type, hsize_t size, const void* data, bool writer) {
  Handle dataset = create_contiguous_dataset(file, name, file_type, size, 0);
  if (!dataset.valid()) fail(path, "creating dataset " + name);
  write_range(dataset, path, name, memory_type, 0, writer ? size : 0, data);
}

void string_list_attribute(hid_t file, const std::string& path, const std::string& object,
                           const std::string& attribute, const std::vector<std::string>& values) {
  std::size_t length = 0;
  const auto buffer = fixed_string_buffer(values, length);
  Handle type = fixed_string_type(length);
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle owner(H5Oopen(file, object.c_str(), H5P_DEFAULT), H5Oclose);
  Handle attr(
      H5Acreate2(owner.id(), attribute.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  if (!attr.valid()) fail(path, "creating attribute " + object + "@" + attribute);
  ok(H5Awrite(attr.id(), type.id(), buffer.data()), path, "writing " + object + "@" + attribute);
}
}  // namespace

std::size_t HistogramSetData::total_bins() const {
  std::size_t total = 0;
  for (auto n : n_bins) total += static_cast<std::size_t>(n);
  return total;
}

void HistogramSetData::check_consistent() const {
  const std::size_t h = histograms();
  const std::size_t b = total_bins();
  auto bad = [](const std::string& what) {
    throw core::Error("histogram set: " + what + " has the wrong length (a bug in the producer)");
  };
  if (edges.size() != b + h) bad("edges");
  if (counts.size() != b || background.size() != b || signal.size() != b || z_mixed.size() != b)
    bad("a per-bin column");
  if (z.size() != target_widths.size()) bad("z (rows per target width)");
  for (const auto& row : z) {
    if (row.size() != b) bad("a z row");
  }
  for (std::size_t size :
       {family.size(), binning.size(), has_signal.size(), y_max.size(), y_min.size(),
        shape_parameter.size(), stretch_cut.size(), mass_scale_gev.size(), dijet_theta1.size(),
        dijet_theta3.size(), mu.size(), z_want.size(), signal_width.size(), centre_bin.size(),
        seed.size()}) {
    if (size != h) bad("a per-histogram column");
  }
}

void write_histogram_file(MPI_Comm comm, const std::string& path, const HistogramSetData& local,
                          const HistogramFileInfo& info) {
  local.check_consistent();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Global sizes and this rank's first histogram and first bin.
  unsigned long long mine[2] = {local.histograms(), local.total_bins()};
  unsigned long long before[2] = {0, 0};
  unsigned long long total[2] = {0, 0};
  MPI_Exscan(mine, before, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
  if (rank == 0) before[0] = before[1] = 0;
  MPI_Allreduce(mine, total, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
  if (total[0] == 0) fail(path, "no histograms to write (a bug: the card requires >= 1)");
  std::vector<std::int64_t> offset(local.histograms());
  auto next = static_cast<std::int64_t>(before[1]);
  for (std::size_t h = 0; h < offset.size(); ++h) {
    offset[h] = next;
    next += local.n_bins[h];
  }

  {
    const Handle file = create_partial_file(comm, path, "histogram file");
    const hid_t f = file.id();
    const hsize_t nh = total[0];
    const hsize_t h0 = before[0];
    const hsize_t nb = total[1];
    const hsize_t b0 = before[1];
    const auto i64 = [&](const std::string& name, const std::vector<std::int64_t>& v) {
      column(f, path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, nh, h0, v);
    };
    const auto i8 = [&](const std::string& name, const std::vector<std::int8_t>& v) {
      column(f, path, name, H5T_STD_I8LE, H5T_NATIVE_INT8, nh, h0, v);
    };
    const auto f64 = [&](const std::string& name, const std::vector<double>& v) {
      column(f, path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nh, h0, v);
    };
    const auto bins = [&](const std::string& name, const std::vector<double>& v) {
      column(f, path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nb, b0, v);
    };
    i64("/histograms/n_bins", local.n_bins);
    i64("/histograms/offset", offset);
    i8("/histograms/family", local.family);
    i8("/histograms/binning", local.binning);
    f64("/histograms/y_max", local.y_max);
    f64("/histograms/y_min", local.y_min);
    f64("/histograms/shape_parameter", local.shape_parameter);
    f64("/histograms/stretch_cut", local.stretch_cut);
    f64("/histograms/mass_scale_gev", local.mass_scale_gev);
    f64("/histograms/dijet_theta1", local.dijet_theta1);
    f64("/histograms/dijet_theta3", local.dijet_theta3);
    i8("/histograms/has_signal", local.has_signal);
    i64("/histograms/signal_width", local.signal_width);
    i64("/histograms/centre_bin", local.centre_bin);
    f64("/histograms/mu", local.mu);
    f64("/histograms/z_want", local.z_want);
    column(f, path, "/histograms/seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, nh, h0, local.seed);
    string_list_attribute(f, path, "/histograms/family", "names", info.family_names);
    bins("/bins/counts", local.counts);
    bins("/bins/background", local.background);
    bins("/bins/signal", local.signal);
    for (std::size_t k = 0; k < local.target_widths.size(); ++k) {
      bins("/bins/z_w" + std::to_string(local.target_widths[k]), local.z[k]);
    }
    bins("/bins/z_mixed", local.z_mixed);
    column(f, path, "/edges", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nb + nh, b0 + h0, local.edges);

    const bool writer = rank == 0;
    {
      Handle type = fixed_string_type(info.card.size());
      std::vector<char> buffer(std::max<std::size_t>(info.card.size(), 1), '\0');
      std::memcpy(buffer.data(), info.card.data(), info.card.size());
      small(f, path, "/generator/card", type.id(), type.id(), 1, buffer.data(), writer);
    }
    small(f, path, "/generator/seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &info.seed, writer);
    std::vector<std::int64_t> widths(local.target_widths.begin(), local.target_widths.end());
    small(f, path, "/generator/target_widths", H5T_STD_I64LE, H5T_NATIVE_INT64, widths.size(),
          widths.data(), writer);
    ok(H5Fflush(f, H5F_SCOPE_GLOBAL), path, "flushing");
  }
  publish_partial_file(comm, path, "histogram file");
}

namespace {
/// A file opened for serial reading, with InputError naming it on any failure.
class ReadFile {
 public:
  explicit ReadFile(const std::string& path) : path_(path) {
    H5E_auto2_t handler = nullptr;
    void* data = nullptr;
    H5Eget_auto2(H5E_DEFAULT, &handler, &data);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // our messages name file and key instead
    file_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    H5Eset_auto2(H5E_DEFAULT, handler, data);
    if (!file_.valid()) {
      throw core::InputError(path, "(file)", path,
                             "cannot be opened as HDF5 (missing, or not a histogram file written "
                             "by `cwola generate` with process = bump_histograms)");
    }
  }

  /// Elements in a 1-D dataset.
  hsize_t length(const std::string& name) const {
    const Handle dataset = open(name);
    Handle space(H5Dget_space(dataset.id()), H5Sclose);
    if (H5Sget_simple_extent_ndims(space.id()) != 1) {
      throw core::InputError(path_, name, "(shape)", "is not a 1-D dataset");
    }
    hsize_t n = 0;
    H5Sget_simple_extent_dims(space.id(), &n, nullptr);
    return n;
  }

  /// Elements [first, first + count) of a 1-D dataset.
  template <typename T>
  std::vector<T> range(const std::string& name, hid_t memory_type, hsize_t first,
                       hsize_t count) const {
    const hsize_t n = length(name);
    if (first + count > n) {
      throw core::InputError(path_, name, std::to_string(n) + " elements",
                             "is shorter than the " + std::to_string(first + count) +
                                 " the histograms need (mismatched lengths; a truncated or "
                                 "foreign file)");
    }
    std::vector<T> out(count);
    if (count == 0) return out;
    const Handle dataset = open(name);
    Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
    H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, &first, nullptr, &count, nullptr);
    Handle memory_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    if (H5Dread(dataset.id(), memory_type, memory_space.id(), file_space.id(), H5P_DEFAULT,
                out.data()) < 0) {
      throw core::InputError(path_, name, "(data)", "cannot be read (HDF5 error; corrupt file?)");
    }
    return out;
  }

  std::string string(const std::string& name) const {
    const Handle dataset = open(name);
    Handle type(H5Dget_type(dataset.id()), H5Tclose);
    if (H5Tget_class(type.id()) != H5T_STRING || H5Tis_variable_str(type.id()) > 0) {
      throw core::InputError(path_, name, "(type)", "is not a fixed-length string");
    }
    std::vector<char> buffer(H5Tget_size(type.id()) + 1, '\0');
    if (H5Dread(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) {
      throw core::InputError(path_, name, "(data)", "cannot be read (HDF5 error)");
    }
    return std::string(buffer.data());
  }

  std::vector<std::string> names_attribute(const std::string& object) const {
    Handle owner(H5Oopen(file_.id(), object.c_str(), H5P_DEFAULT), H5Oclose);
    if (!owner.valid() || H5Aexists(owner.id(), "names") <= 0) {
      throw core::InputError(path_, object + "@names", "(missing)",
                             "is absent (not a histogram file)");
    }
    Handle attr(H5Aopen(owner.id(), "names", H5P_DEFAULT), H5Aclose);
    Handle type(H5Aget_type(attr.id()), H5Tclose);
    Handle space(H5Aget_space(attr.id()), H5Sclose);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id()));
    const std::size_t size = H5Tget_size(type.id());
    std::vector<char> raw(n * size + 1, '\0');
    if (H5Tis_variable_str(type.id()) > 0 || H5Aread(attr.id(), type.id(), raw.data()) < 0) {
      throw core::InputError(path_, object + "@names", "(data)", "cannot be read");
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) {
      const char* begin = raw.data() + i * size;
      out.emplace_back(begin, strnlen(begin, size));
    }
    return out;
  }

 private:
  Handle open(const std::string& name) const {
    if (H5Lexists(file_.id(), name.c_str(), H5P_DEFAULT) <= 0) {
      throw core::InputError(path_, name, "(missing)",
                             "dataset is absent (not a histogram file, or written by an older "
                             "cwola) regenerate it with `cwola generate`");
    }
    Handle dataset(H5Dopen2(file_.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset.valid()) throw core::InputError(path_, name, "(open)", "cannot be opened");
    return dataset;
  }

  std::string path_;
  Handle file_;
};

std::string number(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}
}  // namespace

std::size_t count_histograms(const std::string& path) {
  return ReadFile(path).length("/histograms/n_bins");
}

HistogramSetData read_histogram_file(const std::string& path, std::size_t first, std::size_t count,
                                     HistogramFileInfo* info) {
  const ReadFile file(path);
  const hsize_t total = file.length("/histograms/n_bins");
  if (first + count > total) {
    throw core::InputError(path, "/histograms/n_bins", std::to_string(total) + " histograms",
                           "has fewer than the " + std::to_string(first + count) +
                               " asked for (histograms " + std::to_string(first) + " to " +
                               std::to_string(first + count - 1) +
                               ") lower the training/test sizes or generate more");
  }
  HistogramSetData out;
  const auto h0 = static_cast<hsize_t>(first);
  const auto nh = static_cast<hsize_t>(count);
  const auto i64 = [&](const std::string& name) {
    return file.range<std::int64_t>(name, H5T_NATIVE_INT64, h0, nh);
  };
  const auto i8 = [&](const std::string& name) {
    return file.range<std::int8_t>(name, H5T_NATIVE_INT8, h0, nh);
  };
  const auto f64 = [&](const std::string& name) {
    return file.range<double>(name, H5T_NATIVE_DOUBLE, h0, nh);
  };
  out.n_bins = i64("/histograms/n_bins");
  const std::vector<std::int64_t> offset = i64("/histograms/offset");
  // Every column of the file must have the file's histogram count, not just cover the range.
  for (const char* name :
       {"/histograms/offset", "/histograms/family", "/histograms/binning", "/histograms/y_max",
        "/histograms/y_min", "/histograms/shape_parameter", "/histograms/stretch_cut",
        "/histograms/mass_scale_gev", "/histograms/dijet_theta1", "/histograms/dijet_theta3",
        "/histograms/has_signal", "/histograms/signal_width", "/histograms/centre_bin",
        "/histograms/mu", "/histograms/z_want", "/histograms/seed"}) {
    const hsize_t n = file.length(name);
    if (n != total) {
      throw core::InputError(path, name, std::to_string(n) + " elements",
                             "differs from /histograms/n_bins' " + std::to_string(total) +
                                 " (mismatched lengths; a corrupt or foreign file)");
    }
  }
  std::int64_t bins = 0;
  for (std::size_t h = 0; h < count; ++h) {
    const std::string element = "[" + std::to_string(first + h) + "]";
    if (out.n_bins[h] < 2) {
      throw core::InputError(path, "/histograms/n_bins" + element, std::to_string(out.n_bins[h]),
                             "is below 2 (a histogram needs at least 2 bins)");
    }
    if (h > 0 && offset[h] != offset[h - 1] + out.n_bins[h - 1]) {
      throw core::InputError(path, "/histograms/offset" + element, std::to_string(offset[h]),
                             "is not offset + n_bins of the histogram before (" +
                                 std::to_string(offset[h - 1] + out.n_bins[h - 1]) +
                                 "; mismatched lengths)");
    }
    bins += out.n_bins[h];
  }
  const auto b0 = static_cast<hsize_t>(count == 0 ? 0 : offset.front());
  const auto nb = static_cast<hsize_t>(bins);
  const hsize_t file_bins = file.length("/bins/counts");
  const auto per_bin = [&](const std::string& name) {
    const hsize_t n = file.length(name);
    if (n != file_bins) {
      throw core::InputError(
          path, name, std::to_string(n) + " elements",
          "differs from /bins/counts' " + std::to_string(file_bins) + " (mismatched lengths)");
    }
    return file.range<double>(name, H5T_NATIVE_DOUBLE, b0, nb);
  };
  out.counts = per_bin("/bins/counts");
  out.background = per_bin("/bins/background");
  out.signal = per_bin("/bins/signal");
  const std::vector<std::int64_t> widths = file.range<std::int64_t>(
      "/generator/target_widths", H5T_NATIVE_INT64, 0, file.length("/generator/target_widths"));
  for (auto w : widths) {
    out.target_widths.push_back(static_cast<int>(w));
    out.z.push_back(per_bin("/bins/z_w" + std::to_string(w)));
  }
  out.z_mixed = per_bin("/bins/z_mixed");
  if (file.length("/edges") != file_bins + total) {
    throw core::InputError(path, "/edges", std::to_string(file.length("/edges")) + " elements",
                           "is not bins + histograms = " + std::to_string(file_bins + total) +
                               " (mismatched lengths)");
  }
  out.edges = file.range<double>("/edges", H5T_NATIVE_DOUBLE, b0 + h0, nb + nh);

  // Values a training cannot use, named by their element in the file.
  const auto check = [&](const std::string& name, const std::vector<double>& values,
                         bool positive) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double v = values[i];
      const bool bad = !std::isfinite(v) || (positive ? v <= 0 : v < 0);
      if (bad) {
        throw core::InputError(path, name + "[" + std::to_string(b0 + i) + "]", number(v),
                               positive ? "must be positive and finite (an expected background)"
                                        : "must be a finite count >= 0");
      }
    }
  };
  check("/bins/counts", out.counts, false);
  check("/bins/background", out.background, true);
  for (std::size_t k = 0; k < out.z.size(); ++k) {
    const std::string name = "/bins/z_w" + std::to_string(out.target_widths[k]);
    for (std::size_t i = 0; i < out.z[k].size(); ++i) {
      if (!std::isfinite(out.z[k][i])) {
        throw core::InputError(path, name + "[" + std::to_string(b0 + i) + "]", number(out.z[k][i]),
                               "must be a finite significance");
      }
    }
  }
  for (std::size_t i = 0; i < out.z_mixed.size(); ++i) {
    if (!std::isfinite(out.z_mixed[i])) {
      throw core::InputError(path, "/bins/z_mixed[" + std::to_string(b0 + i) + "]",
                             number(out.z_mixed[i]), "must be a finite significance");
    }
  }

  out.family = i8("/histograms/family");
  out.binning = i8("/histograms/binning");
  out.has_signal = i8("/histograms/has_signal");
  out.y_max = f64("/histograms/y_max");
  out.y_min = f64("/histograms/y_min");
  out.shape_parameter = f64("/histograms/shape_parameter");
  out.stretch_cut = f64("/histograms/stretch_cut");
  out.mass_scale_gev = f64("/histograms/mass_scale_gev");
  out.dijet_theta1 = f64("/histograms/dijet_theta1");
  out.dijet_theta3 = f64("/histograms/dijet_theta3");
  out.mu = f64("/histograms/mu");
  out.z_want = f64("/histograms/z_want");
  out.signal_width = i64("/histograms/signal_width");
  out.centre_bin = i64("/histograms/centre_bin");
  out.seed = file.range<std::uint64_t>("/histograms/seed", H5T_NATIVE_UINT64, h0, nh);
  if (info != nullptr) {
    info->card = file.string("/generator/card");
    info->seed = file.range<std::uint64_t>("/generator/seed", H5T_NATIVE_UINT64, 0, 1).front();
    info->family_names = file.names_attribute("/histograms/family");
  }
  out.check_consistent();
  return out;
}

}  // namespace cwola::store
