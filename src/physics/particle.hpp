#pragma once
/// Final-state particles and jet constituents shared by the dijet generators, the
/// detector model and the jet clustering.
#include <vector>

#include "physics/four_vector.hpp"

namespace cwola::physics {

/// Whether a final-state particle leaves a track (charged) or only calorimeter energy.
enum class ParticleCharge { kNeutral, kCharged };

/// A stable particle at generator level (GeV).
struct StableParticle {
  FourVector p;
  ParticleCharge charge = ParticleCharge::kCharged;
};

/// A reconstructed jet constituent (massless): transverse momentum (GeV), pseudorapidity, azimuth
/// (rad).
struct Constituent {
  double pt = 0;
  double eta = 0;
  double phi = 0;
};

using StableParticles = std::vector<StableParticle>;
using Constituents = std::vector<Constituent>;

}  // namespace cwola::physics
