#pragma once
/// The inputs of CWoLa hunting on di-Higgs → 4b (the note's §2): signal and
/// sideband windows on m_hh (Table 2), cross sections after the four-tag cut and
/// in the windows (Table 3), and the mixed-sample sizes they give at a luminosity:
///   N = round(σ × L) per window, the signal scaled by a multiplier ("0×, 1×, 10×, 100×").
/// With L = 78 fb⁻¹ these reproduce the note's Table 4 (244 + 200k in M1, 28 + 184k
/// in M2 at m_H = 500 GeV); the default L is 139 fb⁻¹ (LHC Run 2).
#include <optional>
#include <utility>
#include <vector>

#include "data/mixed_sample.hpp"
#include "physics/mass_windows.hpp"

namespace cwola::data {

using physics::MassRegion;
using physics::MassWindows;

/// Table 2 of the note for m_H = 500 and 1000 GeV; nullopt for other masses.
std::optional<MassWindows> note_windows(double heavy_mass);

/// Cross sections in fb (the note's Table 3: after the four-tag cut, and in the
/// signal and sideband regions).
struct WindowCrossSections {
  double signal_four_tag = 0;
  double signal_region_signal = 0;  ///< σ_S in the signal region
  double signal_region_background = 0;
  double sideband_signal = 0;
  double sideband_background = 0;
  double background_four_tag = 0;
};

/// Table 3 for m_H = 500 and 1000 GeV; nullopt for other masses.
std::optional<WindowCrossSections> note_cross_sections(double heavy_mass);

struct HuntingSizes {
  std::size_t signal_in_signal_region = 0;
  std::size_t background_in_signal_region = 0;
  std::size_t signal_in_sideband = 0;
  std::size_t background_in_sideband = 0;
};

/// N = round(σ × L); signal counts times `signal_multiplier`. L in fb⁻¹.
HuntingSizes hunting_sizes(const WindowCrossSections& sigma, double luminosity,
                           double signal_multiplier);

}  // namespace cwola::data
