#include "data/dihiggs_mixing.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cwola::data {

MassRegion MassWindows::region(double mass) const {
  if (mass >= signal.first && mass < signal.second) return MassRegion::kSignal;
  for (const auto& [low, high] : sidebands) {
    if (mass >= low && mass < high) return MassRegion::kSideband;
  }
  return MassRegion::kOutside;
}

bool MassWindows::valid() const {
  if (!(signal.first < signal.second) || sidebands.empty()) return false;
  for (const auto& [low, high] : sidebands) {
    if (!(low < high)) return false;
    if (low < signal.second && high > signal.first) return false;  // overlaps the signal region
  }
  return true;
}

std::optional<MassWindows> note_windows(double heavy_mass) {
  if (heavy_mass == 500) return MassWindows{{350, 550}, {{250, 350}, {550, 700}}};
  if (heavy_mass == 1000) return MassWindows{{800, 1050}, {{700, 800}, {1050, 1100}}};
  return std::nullopt;
}

std::optional<WindowCrossSections> note_cross_sections(double heavy_mass) {
  // Table 3 (fb): four tag, signal region, sideband region; signal and background.
  if (heavy_mass == 500) return WindowCrossSections{3.64, 3.13, 2.57e3, 0.35, 2.36e3, 6.03e3};
  if (heavy_mass == 1000) return WindowCrossSections{0.081, 0.063, 3.32e2, 0.010, 3.19e2, 6.03e3};
  return std::nullopt;
}

HuntingSizes hunting_sizes(const WindowCrossSections& sigma, double luminosity,
                           double signal_multiplier) {
  const auto count = [](double n) { return static_cast<std::size_t>(std::llround(n)); };
  HuntingSizes sizes;
  sizes.signal_in_signal_region =
      count(sigma.signal_region_signal * luminosity * signal_multiplier);
  sizes.signal_in_sideband = count(sigma.sideband_signal * luminosity * signal_multiplier);
  sizes.background_in_signal_region = count(sigma.signal_region_background * luminosity);
  sizes.background_in_sideband = count(sigma.sideband_background * luminosity);
  return sizes;
}

FeatureScaling FeatureScaling::fit(const EventTable& table) {
  const std::size_t f = table.features;
  const std::size_t n = table.size();
  FeatureScaling s;
  s.mean.assign(f, 0.0);
  s.sigma.assign(f, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < f; ++c) s.mean[c] += table.rows[r * f + c];
  }
  for (auto& m : s.mean) m /= static_cast<double>(std::max<std::size_t>(n, 1));
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < f; ++c) {
      const double d = table.rows[r * f + c] - s.mean[c];
      s.sigma[c] += d * d;
    }
  }
  for (auto& v : s.sigma) {
    v = std::sqrt(v / static_cast<double>(std::max<std::size_t>(n, 1)));
    if (!(v > 0)) v = 1.0;
  }
  return s;
}

void FeatureScaling::apply(EventTable& table) const {
  const std::size_t f = table.features;
  CWOLA_EXPECT(f == mean.size());
  for (std::size_t r = 0; r < table.size(); ++r) {
    for (std::size_t c = 0; c < f; ++c) {
      auto& x = table.rows[r * f + c];
      x = static_cast<float>((x - mean[c]) / sigma[c]);
    }
  }
}

}  // namespace cwola::data
