#pragma once
/// How many signal and background events a CWoLa-hunting mixed sample gets for a requested
/// injected significance (conventions note "Mixed samples by significance"; note §4.5 and
/// Table 15; transfer-learning report eq. 1):
///   N_B(SR) = σ_B ε_B(SR) L,   N_B(SB) = σ_B ε_B(SB) L,
///   N_S(SR) = (S/√B) √N_B(SR)              (definition s_over_sqrt_b), or
///   N_S(SR) such that Z = sqrt(2((s + b) ln(1 + s/b) − s)) equals the request (asimov, note eq.
///   5), N_S(SB) = N_S(SR) ε_S(SB) / ε_S(SR)     (the signal's own SB/SR ratio from its cutflow).
/// Efficiencies are per generated event. Counts are rounded to the nearest integer.
/// Check: σ_B = 6837 fb, ε_B = 1.991% (SR) / 3.090% (SB), L = 139 fb⁻¹, ε_S = 55.84% / 16.08%,
/// S/√B = 1 give 18921 + 138 (SR) and 29366 + 40 (SB): the note's 19k + 138 and 29k + 40.
#include <cstddef>
#include <string>
#include <vector>

namespace cwola::data {

enum class SignificanceDefinition {
  kSOverSqrtB,  ///< S/√B
  kAsimov,      ///< Z = sqrt(2((s + b) ln(1 + s/b) − s))
};

struct SignificanceMixingInput {
  double background_cross_section_fb = 0;  ///< σ_B of the generated background sample (fb)
  double background_sr_efficiency = 0;     ///< ε_B(SR), per generated event
  double background_sb_efficiency = 0;     ///< ε_B(SB)
  double signal_sr_efficiency = 0;         ///< ε_S(SR)
  double signal_sb_efficiency = 0;         ///< ε_S(SB)
  double luminosity_fb = 139.0;            ///< L (fb⁻¹)
  double significance = 1.0;               ///< requested S/√B or Z (0: no signal)
  SignificanceDefinition definition = SignificanceDefinition::kSOverSqrtB;
  /// Throws core::InputError naming the field and value.
  void validate() const;
};

struct MixingCounts {
  std::size_t background_sr = 0;
  std::size_t background_sb = 0;
  std::size_t signal_sr = 0;
  std::size_t signal_sb = 0;
  double expected_background_sr = 0;  ///< σ_B ε_B(SR) L before rounding
  double expected_signal_sr = 0;      ///< before rounding
  /// S/√B of the rounded counts in the signal region.
  double injected_s_over_sqrt_b() const;
};

MixingCounts significance_mixing_counts(const SignificanceMixingInput& input);

/// The signal count s with Z_asimov(s, b) = z (z >= 0, b > 0), by bisection to 1e-10 relative.
double signal_for_asimov_significance(double z, double b);

/// `total` events split over sources in proportion to `shares` (positive, any scale): each
/// source gets the floor of its share, the rest go one by one to the largest remainders (ties:
/// the earlier source), so the counts sum to `total` and each is within 1 of its share. Throws
/// core::InputError for no shares or a share that is not positive and finite.
std::vector<std::size_t> share_counts(std::size_t total, const std::vector<double>& shares);

}  // namespace cwola::data
