#include "data/dihiggs_mixing.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cwola::data {

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

}  // namespace cwola::data
