#pragma once
/// The signal region and sidebands of a resonance search on a mass (m_jj, m_hh, a user's
/// column): the one window type of the generators, the mixing and the studies.
#include <string>
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

/// The sliding windows of a hunt: bin edges e_0 < e_1 < … < e_n (GeV); window w has the signal
/// region [e_w, e_{w+1}) and its neighbours [e_{w−1}, e_w), [e_{w+1}, e_{w+2}) as sidebands, so
/// w runs over 1 … n − 2 (the outermost bins are sidebands only). Neighbouring windows share
/// events (one window's signal region is the next one's sideband), but each window's events
/// are fitted in that window's own spectrum, never twice in one fit.
struct SlidingWindows {
  std::vector<double> edges;

  /// The CMS dijet anomaly search's sets: A = 1350, 1650, 2017, 2465, 3013, 3682, 4500, 5500,
  /// 8000 (each edge ×1.2222 the last up to 5.5 TeV, then 8 TeV) and B at the geometric
  /// midpoints of A: 1492, 1824, 2230, 2725, 3331, 4071, 4975, 6081, 8000. `set` "A" or "B".
  static SlidingWindows cms_set(const std::string& set);
  /// Number of windows (n − 2 for n bins; 0 with fewer than 3 bins).
  std::size_t count() const;
  /// Window `index` (1-based in the edges: 1 … count()) as signal region + sidebands.
  MassWindows window(std::size_t index) const;
  /// First and last window index.
  std::size_t first() const { return 1; }
  std::size_t last() const { return count(); }
  /// The span [e_{w−1}, e_{w+2}) of window w: its sidebands and signal region together.
  std::pair<double, double> span(std::size_t index) const;
  /// InputError naming `key` and the value unless there are >= 4 finite edges, strictly
  /// increasing (no overlapping or empty bins).
  void validate(const std::string& key) const;
};

}  // namespace cwola::physics
