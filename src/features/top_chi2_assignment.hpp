#pragma once
/// The chi-squared mass-constraint baseline for fully hadronic ttbar (t -> b W, W -> q q):
/// of all ways to choose two disjoint (b, q1, q2) triplets among an event's jets, take the one
/// minimising
///   chi2 = sum over tops [ (m_qq - m_W)^2 / sigma_W^2 + (m_bqq - m_t)^2 / sigma_t^2 ],
/// with the b slots restricted to b-tagged jets when the event has at least two of them.
/// This is the reference the attention network's triplet assignment is compared with.
#include <array>
#include <vector>

namespace cwola::features {

struct TopChi2Config {
  double w_mass = 80.4;     ///< GeV
  double w_width = 10.0;    ///< GeV, the resolution in the chi2
  double top_mass = 172.5;  ///< GeV
  double top_width = 15.0;  ///< GeV
  double btag_threshold = 0.5;  ///< a jet with btag >= this is b-tagged
};

/// One jet: pT (GeV), eta, phi (rad), mass (GeV), b-tag score.
struct ChiJet {
  double pt = 0, eta = 0, phi = 0, mass = 0, btag = 0;
};

/// Per top: {q1, q2, b} jet indices (q1 < q2); tops ordered as found. All -1 when the event
/// has fewer than 6 jets.
using TopTriplets = std::array<std::array<int, 3>, 2>;

TopTriplets assign_tops_chi2(const std::vector<ChiJet>& jets, const TopChi2Config& config = {});

}  // namespace cwola::features
