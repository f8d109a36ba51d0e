#include "store/store_compaction.hpp"

#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/error.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

namespace {

constexpr const char* kArtifacts = "artifacts";
// A compressed chunk holds whole task rows, about this many values (deflate works on long
// runs; one task's row, the running store's chunk, can be a few hundred values).
constexpr hsize_t kChunkValues = hsize_t{1} << 18U;
// Tasks copied per read/write (bounded memory for stores of any size).
constexpr hsize_t kCopyValues = hsize_t{1} << 24U;

hid_t checked(hid_t id, const std::string& what) {
  if (id < 0) throw core::Error("HDF5 failed to " + what);
  return id;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw core::Error("HDF5 failed to " + what);
}

std::uint64_t file_bytes(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
}

herr_t copy_attribute(hid_t from, const char* name, const H5A_info_t* /*info*/, void* data) {
  const hid_t to = *static_cast<hid_t*>(data);
  try {
    Handle attribute(checked(H5Aopen(from, name, H5P_DEFAULT), "open an attribute"), H5Aclose);
    Handle type(H5Aget_type(attribute.id()), H5Tclose);
    Handle space(H5Aget_space(attribute.id()), H5Sclose);
    Handle copy(checked(H5Acreate2(to, name, type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                        std::string("create attribute ") + name),
                H5Aclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.id());
    if (n <= 0) return 0;  // a null dataspace: an empty list
    if (H5Tdetect_class(type.id(), H5T_VLEN) > 0 || H5Tis_variable_str(type.id()) > 0) {
      throw core::Error(std::string("attribute ") + name +
                        " has variable-length values, which no cwola store writes");
    }
    std::vector<unsigned char> buffer(static_cast<std::size_t>(n) * H5Tget_size(type.id()));
    check(H5Aread(attribute.id(), type.id(), buffer.data()), std::string("read attribute ") + name);
    check(H5Awrite(copy.id(), type.id(), buffer.data()), std::string("write attribute ") + name);
    return 0;
  } catch (const std::exception&) {
    return -1;
  }
}

void copy_attributes(hid_t from, hid_t to, const std::string& object) {
  hsize_t index = 0;
  hid_t target = to;
  check(H5Aiterate2(from, H5_INDEX_NAME, H5_ITER_INC, &index, copy_attribute, &target),
        "copy the attributes of " + object);
}

std::vector<std::string> link_names(hid_t group) {
  std::vector<std::string> names;
  hsize_t index = 0;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names),
        "list the members of a group");
  return names;
}

bool is_float_column(hid_t dataset) {
  Handle type(H5Dget_type(dataset), H5Tclose);
  Handle space(H5Dget_space(dataset), H5Sclose);
  return H5Tget_class(type.id()) == H5T_FLOAT && H5Tget_size(type.id()) == 4 &&
         H5Sget_simple_extent_ndims(space.id()) == 2;
}

/// One artifact column [tasks, rows] of float32, rewritten with shuffle + deflate.
void copy_compressed(hid_t from, hid_t to, const std::string& name, int level,
                     CompactionOutcome& outcome) {
  Handle source(checked(H5Dopen2(from, name.c_str(), H5P_DEFAULT), "open " + name), H5Dclose);
  Handle space(H5Dget_space(source.id()), H5Sclose);
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.id(), dims, nullptr);
  const hsize_t rows = std::max<hsize_t>(dims[1], 1);
  const hsize_t chunk[2] = {
      std::clamp<hsize_t>(kChunkValues / rows, 1, std::max<hsize_t>(dims[0], 1)),
      std::min(rows, kChunkValues)};
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  check(H5Pset_chunk(properties.id(), 2, chunk), "set the chunks of " + name);
  check(H5Pset_shuffle(properties.id()), "set the shuffle filter of " + name);
  check(H5Pset_deflate(properties.id(), static_cast<unsigned>(level)),
        "set the deflate filter of " + name);
  Handle target(checked(H5Dcreate2(to, name.c_str(), H5T_IEEE_F32LE, space.id(), H5P_DEFAULT,
                                   properties.id(), H5P_DEFAULT),
                        "create " + name),
                H5Dclose);
  copy_attributes(source.id(), target.id(), name);
  const hsize_t step = std::max<hsize_t>(kCopyValues / rows, 1);
  std::vector<float> buffer;
  for (hsize_t first = 0; first < dims[0]; first += step) {
    const hsize_t count[2] = {std::min(step, dims[0] - first), dims[1]};
    const hsize_t start[2] = {first, 0};
    buffer.resize(count[0] * count[1]);
    Handle memory(H5Screate_simple(2, count, nullptr), H5Sclose);
    Handle in_space(H5Dget_space(source.id()), H5Sclose);
    Handle out_space(H5Dget_space(target.id()), H5Sclose);
    H5Sselect_hyperslab(in_space.id(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    H5Sselect_hyperslab(out_space.id(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    check(H5Dread(source.id(), H5T_NATIVE_FLOAT, memory.id(), in_space.id(), H5P_DEFAULT,
                  buffer.data()),
          "read " + name);
    check(H5Dwrite(target.id(), H5T_NATIVE_FLOAT, memory.id(), out_space.id(), H5P_DEFAULT,
                   buffer.data()),
          "write " + name);
  }
  outcome.raw_artifact_bytes += dims[0] * dims[1] * sizeof(float);
  outcome.compressed_artifact_bytes += H5Dget_storage_size(target.id());
  ++outcome.compressed_datasets;
}

void copy_object(hid_t from, hid_t to, const std::string& name) {
  check(H5Ocopy(from, name.c_str(), to, name.c_str(), H5P_DEFAULT, H5P_DEFAULT), "copy " + name);
}

/// /artifacts and each artifact group with their attributes; float columns compressed, the
/// per-task datasets (rows, seed, events_id, written) copied.
void copy_artifacts(hid_t in, hid_t out, int level, CompactionOutcome& outcome) {
  Handle from(checked(H5Gopen2(in, kArtifacts, H5P_DEFAULT), "open /artifacts"), H5Gclose);
  Handle to(checked(H5Gcreate2(out, kArtifacts, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    "create /artifacts"),
            H5Gclose);
  copy_attributes(from.id(), to.id(), "/artifacts");
  for (const auto& artifact : link_names(from.id())) {
    Handle source(checked(H5Gopen2(from.id(), artifact.c_str(), H5P_DEFAULT), "open " + artifact),
                  H5Gclose);
    Handle target(
        checked(H5Gcreate2(to.id(), artifact.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                "create " + artifact),
        H5Gclose);
    copy_attributes(source.id(), target.id(), artifact);
    for (const auto& name : link_names(source.id())) {
      Handle dataset(checked(H5Dopen2(source.id(), name.c_str(), H5P_DEFAULT), "open " + name),
                     H5Dclose);
      if (is_float_column(dataset.id())) {
        copy_compressed(source.id(), target.id(), name, level, outcome);
      } else {
        copy_object(source.id(), target.id(), name);
      }
    }
  }
}

void check_finished(const std::string& input) {
  Hdf5File file(MPI_COMM_SELF, input, Hdf5File::Mode::kReadOnly);
  if (!file.exists("/job/hash")) {
    throw core::InputError("store '" + input +
                           "' is not a cwola results store (no /job/hash); compact only stores "
                           "written by 'cwola run'");
  }
  const auto complete = file.read_int8s("/job/complete");
  if (complete.empty() || complete[0] != 1) {
    throw core::InputError(input, "/job/complete", complete.empty() ? "(none)" : "0",
                           "the run has not finished (killed, or still running): resume it "
                           "with 'cwola run --resume' before compacting");
  }
  file.close();
}

}  // namespace

CompactionOutcome compact_store(const std::string& input, const std::string& output, int level) {
  if (level < 1 || level > 9) {
    throw core::InputError("cwola compact", "--level", std::to_string(level),
                           "the deflate level is 1 (fastest) to 9 (smallest)");
  }
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 || H5Zfilter_avail(H5Z_FILTER_SHUFFLE) <= 0) {
    throw core::Error("this HDF5 library has no deflate or shuffle filter");
  }
  if (access(output.c_str(), F_OK) == 0) {
    throw core::InputError("cwola compact", "output", output,
                           "the file exists; a copy never replaces a file");
  }
  check_finished(input);
  CompactionOutcome outcome;
  outcome.bytes_before = file_bytes(input);
  try {
    Handle in(checked(H5Fopen(input.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "open " + input),
              H5Fclose);
    Handle out(checked(H5Fcreate(output.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT),
                       "create " + output),
               H5Fclose);
    Handle in_root(H5Gopen2(in.id(), "/", H5P_DEFAULT), H5Gclose);
    Handle out_root(H5Gopen2(out.id(), "/", H5P_DEFAULT), H5Gclose);
    copy_attributes(in_root.id(), out_root.id(), "/");
    for (const auto& name : link_names(in_root.id())) {
      if (name == kArtifacts) {
        copy_artifacts(in.id(), out.id(), level, outcome);
      } else {
        copy_object(in.id(), out.id(), name);
      }
    }
  } catch (...) {
    std::remove(output.c_str());  // ours: it did not exist before
    throw;
  }
  outcome.bytes_after = file_bytes(output);
  return outcome;
}

}  // namespace cwola::store
