#pragma once
/// b-tagging as per-flavour efficiencies, the way a working point is quoted.
/// Defaults: ATLAS's 77% working point of the MV2c10 tagger (ATL-PHYS-PUB-2016-012 /
/// JINST 14 (2019) P12006): ε_b = 0.77, c rejection ≈ 5 (ε_c = 0.20), light
/// rejection ≈ 110 (ε_light ≈ 0.009, rounded to 0.01). Tagging needs the tracker: |η| < 2.5.
#include "core/job_config.hpp"
#include "core/random_stream.hpp"
#include "physics/jet_event.hpp"

namespace cwola::physics {

struct BTaggingConfig {
  double efficiency_b = 0.77;
  double efficiency_c = 0.20;
  double efficiency_light = 0.01;
  double eta_max = 2.5;  ///< no tag beyond the tracker acceptance

  static BTaggingConfig read(core::JobConfig& card, const std::string& section);
  void validate() const;
  /// Tag probability of a jet of this flavour at pseudorapidity eta.
  double efficiency(Flavour flavour, double eta) const;
};

/// Draws the tag of one jet (one uniform variate per call, always, so the random
/// sequence does not depend on the jet's flavour).
bool draw_btag(const BTaggingConfig& config, const Jet& jet, core::RandomStream& stream);

}  // namespace cwola::physics
