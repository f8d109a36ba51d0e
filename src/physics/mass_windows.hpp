#pragma once
/// The signal region and sidebands of a resonance search on a mass (m_jj, m_hh, a user's
/// column): the one window type of the generators, the mixing and the studies.
#include <utility>
#include <vector>

namespace cwola::physics {

enum class MassRegion { kSignal, kSideband, kOutside };

/// Half-open windows [low, high) in GeV.
struct MassWindows {
  std::pair<double, double> signal{0, 0};
  std::vector<std::pair<double, double>> sidebands;

  bool in_signal_region(double mass) const;
  bool in_sideband(double mass) const;
  /// kSignal if in the signal region, else kSideband if in a sideband, else kOutside.
  MassRegion region(double mass) const;
  /// Non-empty windows, signal region not overlapping the sidebands.
  bool valid() const;
};

}  // namespace cwola::physics
