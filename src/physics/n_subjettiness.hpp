#pragma once
/// N-subjettiness (Thaler, Van Tilburg, JHEP 03 (2011) 015) of a jet, with exclusive-kT axes:
///     τ_N = Σ_i p_T,i min_k ΔR_ik^β / Σ_i p_T,i R0^β,
/// the sum over the jet's constituents i, the minimum over N axes k, ΔR in (rapidity, φ) —
/// the normalised measure of fjcontrib's Nsubjettiness (β = 1, R0 = the jet radius in the LHC
/// Olympics R&D sample). The axes are the N exclusive jets of the constituents reclustered with
/// the kT algorithm (FastJet; E-scheme). Debian ships FastJet without fjcontrib, so the sum is
/// ours. A jet with at most N constituents has τ_N = 0 (each constituent is its own axis).
/// Ratios τ21 = τ2/τ1 (two-prong jets: small) and τ32 = τ3/τ2 (three-prong: small).
#include <vector>

#include "physics/particle.hpp"

namespace cwola::physics {

struct NSubjettinessConfig {
  int max_n = 3;        ///< τ_1 … τ_max_n
  double radius = 1.0;  ///< R0, the jet radius
  double beta = 1.0;    ///< angular exponent β
  void validate() const;
};

/// τ_1 … τ_max_n of the massless constituents `jet` (p_T, η = rapidity, φ).
std::vector<double> n_subjettiness(const Constituents& jet, const NSubjettinessConfig& config);

/// a / b, or 0 when b is 0 (a jet with too few constituents for the ratio).
double tau_ratio(double numerator, double denominator);

}  // namespace cwola::physics
