#pragma once
/// Di-Higgs event files in the SPANet layout, written collectively and read back
/// by anyone:
///   INPUTS/Source/{pt,eta,phi,mass,btag}  float32 [N, J]  jets by decreasing pT (GeV, rad)
///   INPUTS/Source/MASK                    bool (h5py enum int8) [N, J]
///   TARGETS/h1/{b1,b2}, TARGETS/h2/{b1,b2} int64 [N]     jet index of each b quark, −1 if lost
///   CLASSIFICATIONS/EVENT/signal          int64 [N]      1 signal, 0 background
///   m_hh                                  float64 [N]    four highest-pT b-tagged jets (GeV)
///   TRUTH/mass float64 [N], TRUTH/flavour int8 [N, J], TRUTH/event_id uint64 [N]
///   GENERATOR/{process, card} (strings), GENERATOR/{seed, blocks, block_size} (uint64),
///   GENERATOR/cross_section_fb (float64), CUTFLOW/{step (strings), count (int64)}
/// The reader accepts any SPANet-layout file: the jet group is chosen by name
/// ("Source" by default; "Momenta" in SPANet's ttH example), φ may be given as
/// cos_phi/sin_phi, btag and MASK are optional (no tags; pT > 0), as are the
/// targets (−1), the classification (−1), m_hh (recomputed from the jets) and TRUTH.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "features/spanet_columns.hpp"
#include "physics/hh_event_source.hpp"

namespace cwola::store {

struct EventFileInfo {
  std::string process;  ///< "dihiggs-signal", "dihiggs-background", or what a file says
  std::string card;     ///< the effective generator card (INI text)
  std::uint64_t seed = 0;
  std::uint64_t blocks = 0;      ///< event blocks generated
  std::uint64_t block_size = 0;  ///< events generated per block
  double cross_section_fb = 0;   ///< σ after the four-tag cut (fb), for N = σ ε L
  std::vector<std::string> cutflow_steps;
  std::vector<std::int64_t> cutflow_counts;
};

/// Collective over `comm`. `local` holds this rank's events, which go to the rows
/// given by `ranges` ((first row, count) pairs, in the order of `local`'s rows);
/// `total` rows in all. `info` must be the same on every rank. Written to
/// "<path>.partial" and renamed when complete; an existing file is replaced only
/// with `overwrite` (InputError otherwise).
void write_event_file(MPI_Comm comm, const std::string& path, std::uint64_t total,
                      const features::SpanetColumns& local,
                      const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges,
                      const EventFileInfo& info, bool overwrite);

/// What generate_event_file did: the cutflow over the blocks used and how many.
struct GeneratedEvents {
  physics::FourTagCutflow cutflow;
  std::uint64_t blocks_used = 0;
  /// This rank's rows (for summaries; the file has all of them).
  features::SpanetColumns local;
};

/// Collective over `comm`: generates blocks round × ranks + rank of `source` from
/// `seed` in rounds until `events` accepted events exist in block order, and writes
/// the first `events` of them (block order) to `path` with write_event_file. The file
/// is identical for any rank count. `info`'s blocks, block size, seed and cutflow are
/// filled in here. Throws core::Error after `max_blocks` blocks without enough events.
GeneratedEvents generate_event_file(MPI_Comm comm, const std::string& path,
                                    const physics::HhEventSource& source, std::uint64_t seed,
                                    std::uint64_t events, std::size_t max_jets,
                                    const features::PairingConfig& pairing, EventFileInfo info,
                                    bool overwrite, std::uint64_t max_blocks = 1000000);

struct EventFileReadOptions {
  std::string source_group = "Source";  ///< INPUTS/<source_group>
  /// Events are read from row `first` for `count` rows (0 = to the end).
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

/// Reads a SPANet-layout file (serial; any rank). Throws core::InputError naming the
/// file and dataset when it is not in the layout (missing pt/eta/mass/phi, shapes
/// that disagree, rows out of range).
features::SpanetColumns read_event_file(const std::string& path,
                                        const EventFileReadOptions& options = {},
                                        EventFileInfo* info = nullptr);

}  // namespace cwola::store
