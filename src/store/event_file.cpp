#include "store/event_file.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "store/hdf5_file.hpp"
#include "store/table_reader.hpp"

namespace cwola::store {

namespace {
[[noreturn]] void fail_write(const std::string& path, const std::string& what) {
  throw core::Error("event file '" + path + "': " + what +
                    " failed (HDF5 error; disk full or directory not writable?)");
}

class EventFileWriter {
 public:
  EventFileWriter(hid_t file, std::string path) : file_(file), path_(std::move(path)) {}

  /// Collective: creates `name` with [rows] or [rows, columns] and writes this rank's rows.
  void column(const std::string& name, hid_t file_type, hid_t memory_type, hsize_t rows,
              hsize_t columns, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges,
              std::size_t local_rows, const void* data) {
    Handle dataset = create_contiguous_dataset(file_, name, file_type, rows, columns);
    if (!dataset.valid()) fail_write(path_, "creating dataset " + name);
    Handle file_space(H5Dget_space(dataset.id()), H5Sclose);
    H5Sselect_none(file_space.id());
    for (const auto& [first, count] : ranges) {
      if (count == 0) continue;
      const hsize_t start[2] = {first, 0};
      const hsize_t extent[2] = {count, columns};
      H5Sselect_hyperslab(file_space.id(), H5S_SELECT_OR, start, nullptr, extent, nullptr);
    }
    const hsize_t elements = std::max<hsize_t>(1, local_rows * std::max<hsize_t>(columns, 1));
    Handle memory_space(H5Screate_simple(1, &elements, nullptr), H5Sclose);
    if (local_rows == 0) H5Sselect_none(memory_space.id());
    Handle dxpl(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
    H5Pset_dxpl_mpio(dxpl.id(), H5FD_MPIO_COLLECTIVE);
    static const double kDummy = 0;
    if (H5Dwrite(dataset.id(), memory_type, memory_space.id(), file_space.id(), dxpl.id(),
                 local_rows == 0 ? &kDummy : data) < 0) {
      fail_write(path_, "writing dataset " + name);
    }
  }

  /// Collective: a 1-D dataset of `values`, the same on every rank (rank 0 writes).
  template <typename T>
  void small(const std::string& name, hid_t file_type, hid_t memory_type,
             const std::vector<T>& values, int rank) {
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges =
        rank == 0 ? std::vector<std::pair<std::uint64_t, std::uint64_t>>{{0, values.size()}}
                  : std::vector<std::pair<std::uint64_t, std::uint64_t>>{};
    column(name, file_type, memory_type, values.size(), 0, ranges, rank == 0 ? values.size() : 0,
           values.data());
  }

  void strings(const std::string& name, const std::vector<std::string>& values, int rank) {
    std::size_t length = 0;
    const auto buffer = fixed_string_buffer(values, length);
    Handle type = fixed_string_type(length);
    const std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges =
        rank == 0 ? std::vector<std::pair<std::uint64_t, std::uint64_t>>{{0, values.size()}}
                  : std::vector<std::pair<std::uint64_t, std::uint64_t>>{};
    column(name, type.id(), type.id(), values.size(), 0, ranges, rank == 0 ? values.size() : 0,
           buffer.data());
  }

 private:
  hid_t file_;
  std::string path_;
};
}  // namespace

void write_event_file(MPI_Comm comm, const std::string& path, std::uint64_t total,
                      const features::SpanetColumns& local,
                      const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges,
                      const EventFileInfo& info, bool overwrite) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (!overwrite && access(path.c_str(), F_OK) == 0) {
    throw core::InputError("event file '" + path +
                           "' already exists; pass --overwrite to replace it or choose another "
                           "--output");
  }
  std::uint64_t local_rows = 0;
  for (const auto& range : ranges) local_rows += range.second;
  if (local_rows != local.size()) {
    throw core::Error("event file '" + path + "': the row ranges cover " +
                      std::to_string(local_rows) + " rows but " + std::to_string(local.size()) +
                      " events were given (a bug in the caller)");
  }
  {
    const Handle file = create_partial_file(comm, path, "event file");
    EventFileWriter w(file.id(), path);
    const hsize_t jets = local.max_jets;
    const std::size_t n = local.size();
    const std::pair<const char*, const std::vector<float>*> floats[] = {
        {"/INPUTS/Source/pt", &local.pt},
        {"/INPUTS/Source/eta", &local.eta},
        {"/INPUTS/Source/phi", &local.phi},
        {"/INPUTS/Source/mass", &local.mass},
        {"/INPUTS/Source/btag", &local.btag}};
    for (const auto& [name, column] : floats) {
      w.column(name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, total, jets, ranges, n, column->data());
    }
    Handle boolean = bool_enum_type();
    w.column("/INPUTS/Source/MASK", boolean.id(), boolean.id(), total, jets, ranges, n,
             local.mask.data());
    const std::pair<const char*, const std::vector<std::int64_t>*> targets[] = {
        {"/TARGETS/h1/b1", &local.h1_b1},
        {"/TARGETS/h1/b2", &local.h1_b2},
        {"/TARGETS/h2/b1", &local.h2_b1},
        {"/TARGETS/h2/b2", &local.h2_b2},
        {"/CLASSIFICATIONS/EVENT/signal", &local.signal}};
    for (const auto& [name, column] : targets) {
      w.column(name, H5T_STD_I64LE, H5T_NATIVE_INT64, total, 0, ranges, n, column->data());
    }
    w.column("/m_hh", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, total, 0, ranges, n, local.m_hh.data());
    w.column("/TRUTH/mass", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, total, 0, ranges, n,
             local.truth_mass.data());
    w.column("/TRUTH/flavour", H5T_STD_I8LE, H5T_NATIVE_INT8, total, jets, ranges, n,
             local.flavour.data());
    w.column("/TRUTH/event_id", H5T_STD_U64LE, H5T_NATIVE_UINT64, total, 0, ranges, n,
             local.event_id.data());
    w.strings("/GENERATOR/process", {info.process}, rank);
    w.strings("/GENERATOR/card", {info.card}, rank);
    w.small("/GENERATOR/seed", H5T_STD_U64LE, H5T_NATIVE_UINT64,
            std::vector<std::uint64_t>{info.seed}, rank);
    w.small("/GENERATOR/blocks", H5T_STD_U64LE, H5T_NATIVE_UINT64,
            std::vector<std::uint64_t>{info.blocks}, rank);
    w.small("/GENERATOR/block_size", H5T_STD_U64LE, H5T_NATIVE_UINT64,
            std::vector<std::uint64_t>{info.block_size}, rank);
    w.small("/GENERATOR/cross_section_fb", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
            std::vector<double>{info.cross_section_fb}, rank);
    if (!info.cutflow_steps.empty()) {
      w.strings("/CUTFLOW/step", info.cutflow_steps, rank);
      w.small("/CUTFLOW/count", H5T_STD_I64LE, H5T_NATIVE_INT64, info.cutflow_counts, rank);
    }
    if (H5Fflush(file.id(), H5F_SCOPE_GLOBAL) < 0) fail_write(path, "flush");
  }
  publish_partial_file(comm, path, "event file");
}

GeneratedEvents generate_event_file(MPI_Comm comm, const std::string& path,
                                    const physics::HhEventSource& source, std::uint64_t seed,
                                    std::uint64_t events, std::size_t max_jets,
                                    const features::PairingConfig& pairing, EventFileInfo info,
                                    bool overwrite, std::uint64_t max_blocks) {
  int rank_int = 0;
  int size_int = 1;
  MPI_Comm_rank(comm, &rank_int);
  MPI_Comm_size(comm, &size_int);
  const auto rank = static_cast<std::uint64_t>(rank_int);
  const auto ranks = static_cast<std::uint64_t>(size_int);
  if (!overwrite && access(path.c_str(), F_OK) == 0) {
    throw core::InputError("event file '" + path +
                           "' already exists; pass --overwrite to replace it or choose another "
                           "--output");
  }
  // Rounds of one block per rank until the accepted events (in block order) suffice.
  GeneratedEvents out;
  std::vector<physics::HhEventBlock> mine;
  std::vector<std::uint64_t> block_counts;  // accepted per block, in block order
  std::uint64_t accepted = 0;
  for (std::uint64_t round = 0; accepted < events; ++round) {
    if (round * ranks >= max_blocks) {
      throw core::Error("event generation: only " + std::to_string(accepted) + " of " +
                        std::to_string(events) + " events passed after " +
                        std::to_string(round * ranks) +
                        " blocks (the maximum); the selection efficiency is too low for this "
                        "request: raise generator.max_blocks or ask for fewer events");
    }
    auto generated = source.generate_block(seed, round * ranks + rank);
    std::vector<std::uint64_t> summary = {generated.events.size()};
    for (auto count : generated.cutflow.counts) summary.push_back(count);
    std::vector<std::uint64_t> all(summary.size() * ranks);
    MPI_Allgather(summary.data(), static_cast<int>(summary.size()), MPI_UINT64_T, all.data(),
                  static_cast<int>(summary.size()), MPI_UINT64_T, comm);
    mine.push_back(std::move(generated));
    const std::size_t width = summary.size();
    for (std::uint64_t k = 0; k < ranks; ++k) {
      block_counts.push_back(all[k * width]);
      if (accepted >= events) continue;  // blocks after the last one used
      accepted += all[k * width];
      ++out.blocks_used;
      for (std::size_t i = 0; i + 1 < width; ++i) out.cutflow.counts[i] += all[k * width + 1 + i];
    }
  }
  // This rank's rows: its blocks in block order, cut at `events`.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  std::vector<physics::JetEvent> local;
  std::uint64_t offset = 0;
  for (std::uint64_t block = 0; block < block_counts.size(); ++block) {
    const std::uint64_t count = block_counts[block];
    const std::uint64_t rows = offset >= events ? 0 : std::min(count, events - offset);
    if (block % ranks == rank && rows > 0) {
      const auto& block_events = mine[block / ranks].events;
      local.insert(local.end(), block_events.begin(),
                   block_events.begin() + static_cast<std::ptrdiff_t>(rows));
      ranges.emplace_back(offset, rows);
    }
    offset += count;
  }
  out.local = features::to_spanet_columns(local, max_jets, pairing);
  info.seed = seed;
  info.blocks = out.blocks_used;
  info.block_size = source.config().block_size;
  info.cutflow_steps = out.cutflow.names;
  info.cutflow_counts.clear();
  for (auto count : out.cutflow.counts)
    info.cutflow_counts.push_back(static_cast<std::int64_t>(count));
  write_event_file(comm, path, events, out.local, ranges, info, overwrite);
  return out;
}

features::SpanetColumns read_event_file(const std::string& path,
                                        const EventFileReadOptions& options, EventFileInfo* info) {
  Hdf5Reader file(path, "event file");
  const std::string group = "/INPUTS/" + options.source_group;
  if (!file.exists(group)) {
    const auto inputs =
        file.exists("/INPUTS") ? file.members("/INPUTS") : std::vector<std::string>{};
    throw core::InputError("event file '" + path + "' has no group '" + group +
                           "' (SPANet layout: INPUTS/<jet group>/{pt,eta,phi,mass}); its INPUTS "
                           "holds {" +
                           [&inputs] {
                             std::string s;
                             for (const auto& m : inputs) s += (s.empty() ? "" : ", ") + m;
                             return s;
                           }() +
                           "}: set the jet group name (source_group) to one of them");
  }
  // Rows to read.
  const auto pt_dims = file.shape(group + "/pt");
  if (pt_dims.size() != 2) {
    throw core::InputError("event file '" + path + "': dataset '" + group + "/pt' has rank " +
                           std::to_string(pt_dims.size()) +
                           ", not 2 ([events, jets] as SPANet's sequential inputs)");
  }
  const std::uint64_t rows = pt_dims[0];
  if (options.first > rows) {
    throw core::InputError("event file '" + path + "' has " + std::to_string(rows) +
                           " events; cannot start reading at row " + std::to_string(options.first));
  }
  const std::uint64_t count =
      options.count == 0 ? rows - options.first : std::min(options.count, rows - options.first);
  const RowRange range{options.first, count};

  features::SpanetColumns out;
  out.max_jets = pt_dims[1];
  out.resize(count);
  const auto jet_matrix = [&](const std::string& name) {
    const auto dims = file.shape(name);
    if (dims != pt_dims) {
      throw core::InputError("event file '" + path + "': dataset '" + name + "' has shape " +
                             shape_text(dims) + " but '" + group + "/pt' has " +
                             shape_text(pt_dims) + "; all jet inputs must be [events, jets]");
    }
    return file.read_numeric(name, range);
  };
  const auto to_float = [](const std::vector<double>& v, std::vector<float>& out_column) {
    out_column.assign(v.begin(), v.end());
  };
  for (const char* required : {"pt", "eta", "mass"}) {
    if (!file.exists(group + "/" + required)) {
      throw core::InputError("event file '" + path + "' has no dataset '" + group + "/" + required +
                             "' (needed for every jet)");
    }
  }
  to_float(jet_matrix(group + "/pt"), out.pt);
  to_float(jet_matrix(group + "/eta"), out.eta);
  to_float(jet_matrix(group + "/mass"), out.mass);
  if (file.exists(group + "/phi")) {
    to_float(jet_matrix(group + "/phi"), out.phi);
  } else if (file.exists(group + "/cos_phi") && file.exists(group + "/sin_phi")) {
    const auto c = jet_matrix(group + "/cos_phi");
    const auto s = jet_matrix(group + "/sin_phi");
    for (std::size_t i = 0; i < c.size(); ++i)
      out.phi[i] = static_cast<float>(std::atan2(s[i], c[i]));
  } else {
    throw core::InputError("event file '" + path + "' has neither '" + group + "/phi' nor '" +
                           group + "/cos_phi' and '" + group + "/sin_phi'");
  }
  if (file.exists(group + "/btag")) to_float(jet_matrix(group + "/btag"), out.btag);
  if (file.exists(group + "/MASK")) {
    const auto mask = jet_matrix(group + "/MASK");
    for (std::size_t i = 0; i < mask.size(); ++i) out.mask[i] = mask[i] != 0 ? 1 : 0;
  } else {
    for (std::size_t i = 0; i < out.pt.size(); ++i) out.mask[i] = out.pt[i] > 0 ? 1 : 0;
  }
  const auto event_column = [&](const std::string& name, auto& column) {
    if (!file.exists(name)) return false;
    const auto dims = file.shape(name);
    if (dims.size() != 1 || dims[0] != rows) {
      throw core::InputError("event file '" + path + "': dataset '" + name + "' has shape " +
                             shape_text(dims) + "; expected [" + std::to_string(rows) +
                             "] (one value per event)");
    }
    const auto values = file.read_numeric(name, range);
    using T = typename std::decay_t<decltype(column)>::value_type;
    column.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) column[i] = static_cast<T>(values[i]);
    return true;
  };
  event_column("/TARGETS/h1/b1", out.h1_b1);
  event_column("/TARGETS/h1/b2", out.h1_b2);
  event_column("/TARGETS/h2/b1", out.h2_b1);
  event_column("/TARGETS/h2/b2", out.h2_b2);
  event_column("/CLASSIFICATIONS/EVENT/signal", out.signal);
  event_column("/TRUTH/mass", out.truth_mass);
  if (file.exists("/TRUTH/event_id") && file.shape("/TRUTH/event_id").size() == 1) {
    const auto ids = file.read_uint64s("/TRUTH/event_id", range);
    out.event_id.assign(ids.begin(), ids.end());
  } else {
    for (std::uint64_t i = 0; i < count; ++i) out.event_id[i] = options.first + i;
  }
  if (file.exists("/TRUTH/flavour") && file.shape("/TRUTH/flavour") == pt_dims) {
    const auto flavour = file.read_numeric("/TRUTH/flavour", range);
    for (std::size_t i = 0; i < flavour.size(); ++i)
      out.flavour[i] = static_cast<std::int8_t>(flavour[i]);
  }
  if (!event_column("/m_hh", out.m_hh)) {
    // Not written by cwola: the note's definition from the jets.
    const auto events = features::from_spanet_columns(out);
    for (std::size_t i = 0; i < events.size(); ++i) {
      out.m_hh[i] = features::four_jet_mass(events[i], features::PairingConfig{});
    }
  }
  if (info != nullptr) {
    *info = EventFileInfo{};
    if (file.exists("/GENERATOR/process"))
      info->process = file.read_strings("/GENERATOR/process").at(0);
    if (file.exists("/GENERATOR/card")) info->card = file.read_strings("/GENERATOR/card").at(0);
    const auto scalar = [&file](const std::string& name, double fallback) {
      return file.exists(name) ? file.read_numeric(name, {}).at(0) : fallback;
    };
    const auto count_value = [&file](const std::string& name) {
      return file.exists(name) ? file.read_uint64s(name).at(0) : std::uint64_t{0};
    };
    info->seed = count_value("/GENERATOR/seed");
    info->blocks = count_value("/GENERATOR/blocks");
    info->block_size = count_value("/GENERATOR/block_size");
    info->cross_section_fb = scalar("/GENERATOR/cross_section_fb", 0);
    if (file.exists("/CUTFLOW/step")) {
      info->cutflow_steps = file.read_strings("/CUTFLOW/step");
      for (double c : file.read_numeric("/CUTFLOW/count", {})) {
        info->cutflow_counts.push_back(static_cast<std::int64_t>(c));
      }
    }
  }
  return out;
}

}  // namespace cwola::store
