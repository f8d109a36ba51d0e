#pragma once
/// Higgs-boson candidates from four jets by the note's min-ΔR pairing: of the three
/// ways to split four jets into two pairs, take the one whose higher-pT pair has
/// the smallest ΔR between its two jets. The jets are the four highest-pT b-tagged
/// jets passing the four-tag kinematics (pT > 40 GeV, |η| < 2.5), or optionally the
/// four highest-pT such jets whatever their tag.
#include <array>
#include <optional>

#include "physics/four_tag_selection.hpp"
#include "physics/four_vector.hpp"
#include "physics/jet_event.hpp"

namespace cwola::features {

enum class PairingJets { kBTagged, kLeading };

struct PairingConfig {
  PairingJets jets = PairingJets::kBTagged;
  physics::FourTagConfig kinematics;  ///< pT and |η| a jet must pass to be used
};

/// The two candidates: h1 is the higher-pT one. Jet slots 0,1 belong to h1 and
/// 2,3 to h2, each pair ordered by decreasing jet pT.
struct HiggsCandidates {
  physics::FourVector h1;
  physics::FourVector h2;
  double h1_delta_r = 0;  ///< ΔR between h1's jets
  double h2_delta_r = 0;
  std::array<int, 4> jet_index{};  ///< indices into the event's jets
  std::array<bool, 4> btag{};
  physics::FourVector hh() const { return h1 + h2; }
};

/// The four jets used (indices into event.jets, by decreasing pT), or nullopt if
/// fewer than four qualify.
std::optional<std::array<int, 4>> pairing_jets(const physics::JetEvent& event,
                                               const PairingConfig& config);
/// Min-ΔR pairing of four jets (indices into event.jets).
HiggsCandidates pair_min_delta_r(const physics::JetEvent& event, const std::array<int, 4>& jets);
/// Selects the jets and pairs them; nullopt when fewer than four jets qualify.
std::optional<HiggsCandidates> make_candidates(const physics::JetEvent& event,
                                               const PairingConfig& config);

/// Whether the pairing matches the generator truth: each candidate's two jets come
/// from the same Higgs boson, and the two candidates from different ones.
bool pairing_is_correct(const physics::JetEvent& event, const HiggsCandidates& candidates);
/// Whether the four jets used are exactly the four b jets of the two Higgs bosons.
bool jets_are_higgs_daughters(const physics::JetEvent& event, const HiggsCandidates& candidates);

/// m of the four jets used for the pairing (the note's m_hh: the four highest-pT
/// b-tagged jets), or NaN when fewer than four qualify.
double four_jet_mass(const physics::JetEvent& event, const PairingConfig& config);

}  // namespace cwola::features
