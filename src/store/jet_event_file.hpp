#pragma once
/// Dijet event files with jet constituents (the hidden-valley inputs), HDF5 layout:
///   /J1/pt, /J1/eta, /J1/phi   float32 [N, M]  constituents of the leading jet, hardest first,
///                                               zero-padded (GeV, –, rad)
///   /J1/MASK                    bool (h5py enum int8) [N, M]  1 for a real constituent
///   /J2/...                     the same for the subleading jet
///   /EVENT/mjj                  float32 [N]  dijet invariant mass (GeV)
///   /EVENT/signal               int8 [N]     1 signal, 0 background (truth of generated events)
///   /TABLE/<column>             float64 [N]  optional: a per-event feature table (e.g. the LHCO
///                                            R&D columns); read it as a user table with
///                                            `format = table`, `table = /TABLE`
///   /CUTFLOW/step (strings), /CUTFLOW/count (int64)   optional: selection cutflow
///   /GENERATOR/process, card, seed, cross_section_fb   optional: provenance and σ of the
///                                                       generated sample (fb)
/// Writing is collective over a communicator: every rank passes its events (ranks in order, so
/// the event order is that of the global block order) and they are written with collective
/// MPI-IO into one file, identical for any rank count. Reading is serial and also accepts user
/// files with only J1, J2 (any float type; MASK optional: then pt > 0) and EVENT/mjj. A file
/// written with max_constituents = 0 has no J1/J2 (a table-only file, e.g. a full-range
/// spectrum whose constituents would take gigabytes).
#include <mpi.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cwola::store {

/// Events as padded columns (row length max_constituents; 0 = no constituents stored).
struct JetEventData {
  std::size_t max_constituents = 0;
  std::array<std::vector<float>, 2> pt, eta, phi;
  std::array<std::vector<std::uint8_t>, 2> mask;
  std::vector<float> mjj;
  std::vector<std::int8_t> signal;  ///< -1 when unknown (user files without EVENT/signal)
  /// Optional per-event table: column names and, per column, one value per event.
  std::vector<std::string> table_columns;
  std::vector<std::vector<double>> table;

  std::size_t size() const { return mjj.size(); }
  /// Checks that all columns have consistent lengths (core::Error if not).
  void check_consistent() const;
};

/// File-level information; `cutflow_counts` are global (already summed over ranks).
struct JetEventFileInfo {
  std::string process;
  std::string card;  ///< effective generator settings (INI)
  std::uint64_t seed = 0;
  double cross_section_fb = 0;  ///< σ of the generated sample (0: not applicable)
  std::vector<std::string> cutflow_steps;
  std::vector<std::int64_t> cutflow_counts;
  bool has_cutflow() const { return !cutflow_steps.empty(); }
  /// The count of the cutflow step `name` (core::InputError if absent).
  std::int64_t count(const std::string& name) const;
};

/// Collective over `comm`: writes `local` (this rank's events) after the events of lower ranks
/// into `path` (through "<path>.partial", renamed when complete). `info` must be the same on
/// every rank. A rank may have no events.
void write_jet_event_file(MPI_Comm comm, const std::string& path, const JetEventData& local,
                          const JetEventFileInfo& info);

/// Reads a whole file (serial; call on any rank). `info` (optional) gets what the file has.
/// Throws core::InputError naming the file and dataset for a file not in the layout.
JetEventData read_jet_event_file(const std::string& path, JetEventFileInfo* info = nullptr);

}  // namespace cwola::store
