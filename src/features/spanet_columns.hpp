#pragma once
/// Events as the columns of a SPANet-layout file (one row per event, jets padded
/// to `max_jets` with MASK = false), plus the extras cwola writes: the reconstructed
/// m_hh, the generator truth and the event id. Plain vectors, no HDF5: the store
/// module reads and writes these; here they are built from and turned back into
/// JetEvents.
#include <cstdint>
#include <vector>

#include "features/higgs_pairing.hpp"
#include "physics/jet_event.hpp"

namespace cwola::features {

struct SpanetColumns {
  std::size_t max_jets = 10;
  /// INPUTS/Source/*: [events × max_jets], row-major. GeV and rad; btag 0/1.
  std::vector<float> pt, eta, phi, mass, btag;
  std::vector<std::int8_t> mask;
  /// TARGETS/h1/{b1,b2}, TARGETS/h2/{b1,b2}: jet index of each b quark, −1 if not
  /// among the stored jets.
  std::vector<std::int64_t> h1_b1, h1_b2, h2_b1, h2_b2;
  /// CLASSIFICATIONS/EVENT/signal: 1 signal, 0 background (−1 unknown).
  std::vector<std::int64_t> signal;
  /// m_hh of the four highest-pT b-tagged jets (GeV; NaN if fewer than four).
  std::vector<double> m_hh;
  /// TRUTH/*: resonance (or four-parton) mass in GeV, jet flavours (−1 padding /
  /// unknown), generated-event id.
  std::vector<double> truth_mass;
  std::vector<std::int8_t> flavour;
  std::vector<std::uint64_t> event_id;

  std::size_t size() const { return signal.size(); }
  /// Appends another table with the same max_jets.
  void append(const SpanetColumns& other);
  /// Resizes every column to `events` rows (padding: MASK false, targets −1, NaN masses).
  void resize(std::size_t events);
};

/// Columns of `events`: the `max_jets` leading jets of each (they are pT-ordered);
/// m_hh from the four highest-pT jets chosen by `pairing`.
SpanetColumns to_spanet_columns(const std::vector<physics::JetEvent>& events, std::size_t max_jets,
                                const PairingConfig& pairing);

/// Events back from columns: masked-in jets with their tag; origins from the
/// targets (b1 → daughter 0, b2 → daughter 1); flavour from TRUTH if present.
std::vector<physics::JetEvent> from_spanet_columns(const SpanetColumns& columns);

}  // namespace cwola::features
