#pragma once
/// The event record shared by the di-Higgs generators, the detector model, the
/// four-tag selection and the feature builders: reconstructed jets with their
/// generator truth (parton flavour and which Higgs boson they come from).
#include <cstdint>
#include <vector>

#include "physics/four_vector.hpp"

namespace cwola::physics {

/// Parton flavour of a jet (PDG-like codes: 5 b, 4 c, 0 light quark or gluon).
enum class Flavour : std::int8_t { kLight = 0, kCharm = 4, kBottom = 5 };

/// Which resonance a jet comes from (truth), for SPANet targets and pairing checks.
enum class JetOrigin : std::int8_t { kOther = -1, kHiggs1 = 0, kHiggs2 = 1 };

struct Jet {
  FourVector p4;  ///< GeV; after detector smearing once the detector has run
  Flavour flavour = Flavour::kLight;
  JetOrigin origin = JetOrigin::kOther;
  /// For origin h1/h2: 0 = the b quark, 1 = the b̄ (SPANet's b1, b2).
  std::int8_t daughter = -1;
  bool btag = false;  ///< set by the b-tagging model
};

struct JetEvent {
  std::vector<Jet> jets;  ///< sorted by decreasing pT after the detector
  bool signal = false;
  /// Truth mass (GeV): the heavy scalar's Breit–Wigner mass for signal, the
  /// four-parton mass of the hard process for background.
  double truth_mass = 0;
  /// Global index of the generated event: block × block size + index in block.
  std::uint64_t id = 0;
};

/// Sorts jets by decreasing pT (stable, so equal pT keeps generator order).
void sort_by_pt(std::vector<Jet>& jets);

}  // namespace cwola::physics
