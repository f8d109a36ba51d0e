#pragma once
/// The dense network's inputs of the note's Table 1 (16 variables), each with a
/// stable name, computed from the two Higgs candidates:
///   h1_pt h1_eta h1_phi h1_m  h2_pt h2_eta h2_phi h2_m   candidate (pT, η, φ, m); GeV, rad
///   h1_dr h2_dr                                           ΔR of each candidate's two jets
///   h1_j1_btag h1_j2_btag h2_j1_btag h2_j2_btag           b-tag flags of the four jets
///   hh_pt hh_m                                            pT and mass of the hh system (GeV)
/// Jobs choose features by name or by named set (see feature_sets()).
#include <array>
#include <string>
#include <vector>

#include "features/higgs_pairing.hpp"

namespace cwola::features {

constexpr std::size_t kDihiggsFeatureCount = 16;

/// The 16 names, in the order compute_dihiggs_features fills them.
const std::vector<std::string>& dihiggs_feature_names();
/// Index of a feature name; throws core::InputError naming it when unknown.
std::size_t dihiggs_feature_index(const std::string& name);

/// The 16 values (double; GeV and rad).
std::array<double, kDihiggsFeatureCount> compute_dihiggs_features(const HiggsCandidates& h);

/// Named feature sets (of the note):
///   all              the 16 of Table 1 (§1)
///   no_btag          without the four b-tag flags (§3: 12)
///   hunting          without b-tag flags and hh_m (§2, Table 5: 11; m_hh defines the regions)
///   hunting_no_pt_m  hunting without the candidates' pT and m (§2.4, Table 6: 7)
const std::vector<std::pair<std::string, std::vector<std::string>>>& feature_sets();

/// A chosen subset of the 16 features, in a fixed order.
struct FeatureSelection {
  std::vector<std::size_t> indices;  ///< into the 16
  std::vector<std::string> names;
  std::size_t size() const { return indices.size(); }
  /// Items are feature names or set names (their union, in the canonical order),
  /// minus `drop`. Throws core::InputError for an unknown name or an empty result.
  static FeatureSelection parse(const std::vector<std::string>& items,
                                const std::vector<std::string>& drop = {});
  /// Appends the chosen values of `all` to `out` (as float).
  void append(const std::array<double, kDihiggsFeatureCount>& all, std::vector<float>& out) const;
};

}  // namespace cwola::features
