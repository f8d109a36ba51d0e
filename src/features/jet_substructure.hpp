#pragma once
/// Jet substructure observables of the transfer-learning report §IV (extra jet features):
/// the jet mass and the Les Houches angularity λ¹_0.5 = Σ_i z_i (ΔR_i / R)^0.5
/// (Les Houches 2015, arXiv:1605.04692; z_i = pT_i / Σ pT, ΔR_i to the jet axis, the direction of
/// the summed constituent four-momentum).
#include "features/jet_image.hpp"

namespace cwola::features {

/// Invariant mass (GeV) of the jet's massless constituents (padding skipped).
double jet_mass(const ConstituentView& jet);

/// Generalised angularity λ^κ_β = Σ z_i^κ (ΔR_i / R)^β; Les Houches angularity: κ = 1, β = 0.5.
double jet_angularity(const ConstituentView& jet, double radius, double kappa = 1.0,
                      double beta = 0.5);

}  // namespace cwola::features
