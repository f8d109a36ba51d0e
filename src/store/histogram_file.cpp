#include "store/histogram_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

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

}  // namespace cwola::store
