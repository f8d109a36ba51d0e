#include "features/top_chi2_assignment.hpp"

#include <limits>

#include "physics/four_vector.hpp"

namespace cwola::features {

TopTriplets assign_tops_chi2(const std::vector<ChiJet>& jets, const TopChi2Config& config) {
  TopTriplets best{{{-1, -1, -1}, {-1, -1, -1}}};
  const int n = static_cast<int>(jets.size());
  if (n < 6) return best;
  std::vector<physics::FourVector> p;
  int tagged = 0;
  for (const auto& j : jets) {
    p.push_back(physics::FourVector::from_pt_eta_phi_m(j.pt, j.eta, j.phi, j.mass));
    tagged += j.btag >= config.btag_threshold ? 1 : 0;
  }
  const bool tags_only = tagged >= 2;
  const auto b_allowed = [&](int i) {
    return !tags_only || jets[static_cast<std::size_t>(i)].btag >= config.btag_threshold;
  };
  const auto top_chi2 = [&](int b, int q1, int q2) {
    const auto w = p[static_cast<std::size_t>(q1)] + p[static_cast<std::size_t>(q2)];
    const double dw = (w.m() - config.w_mass) / config.w_width;
    const double dt = ((w + p[static_cast<std::size_t>(b)]).m() - config.top_mass) /
                      config.top_width;
    return dw * dw + dt * dt;
  };
  double lowest = std::numeric_limits<double>::infinity();
  // Top 1 takes the lower b index, so each unordered pair of tops is visited once.
  for (int b1 = 0; b1 < n; ++b1) {
    if (!b_allowed(b1)) continue;
    for (int b2 = b1 + 1; b2 < n; ++b2) {
      if (!b_allowed(b2)) continue;
      for (int a1 = 0; a1 < n; ++a1) {
        if (a1 == b1 || a1 == b2) continue;
        for (int a2 = a1 + 1; a2 < n; ++a2) {
          if (a2 == b1 || a2 == b2) continue;
          const double first = top_chi2(b1, a1, a2);
          if (first >= lowest) continue;
          for (int c1 = 0; c1 < n; ++c1) {
            if (c1 == b1 || c1 == b2 || c1 == a1 || c1 == a2) continue;
            for (int c2 = c1 + 1; c2 < n; ++c2) {
              if (c2 == b1 || c2 == b2 || c2 == a1 || c2 == a2) continue;
              const double total = first + top_chi2(b2, c1, c2);
              if (total < lowest) {
                lowest = total;
                best = {{{a1, a2, b1}, {c1, c2, b2}}};
              }
            }
          }
        }
      }
    }
  }
  return best;
}

}  // namespace cwola::features
