#pragma once
/// A Delphes-like particle-flow detector model turning generator-level particles into jet
/// constituents (pT, η, φ):
///  - charged particles with |η| < `tracker_max_eta` and pT > `track_min_pt` are tracks, with a
///    Gaussian relative pT resolution sqrt(a² + (b pT)²) (a = 1%, b = 2e-4 / GeV: the order of the
///    CMS tracker terms in Delphes' CMS card) and exact direction;
///  - every other particle with |η| < `calorimeter_max_eta` deposits its energy in a calorimeter
///    cell of Δη × Δφ = `cell_size`² (default 0.0174, the CMS ECAL barrel granularity of the
///    Delphes card); deposits in one cell merge into one massless constituent at their
///    energy-weighted (η, φ); the cell energy is smeared with
///        σ(E) = sqrt((0.050 E)² + 1.50² E)   (E in GeV)
///    — the HCAL term of Delphes' CMS card (|η| ≤ 3), applied to all neutrals, a conservative
///    choice for photons — and negative results are set to 0; cells below `cell_min_energy` are
///    dropped (the Delphes CMS HCAL threshold, 1 GeV).
/// With `smear = false` the model only applies acceptances, thresholds and cell merging.
#include "core/random_stream.hpp"
#include "physics/particle.hpp"

namespace cwola::physics {

struct ConstituentSmearingConfig {
  double tracker_max_eta = 2.5;
  double track_min_pt = 0.5;  ///< GeV
  double track_resolution_constant = 0.01;
  double track_resolution_slope = 2e-4;  ///< 1/GeV
  double calorimeter_max_eta = 3.0;
  double cell_size = 0.0174;             ///< Δη = Δφ of a calorimeter cell
  double cell_min_energy = 1.0;          ///< GeV
  double calorimeter_stochastic = 1.50;  ///< GeV^1/2, σ(E) stochastic term
  double calorimeter_constant = 0.050;   ///< σ(E) constant term
  bool smear = true;

  /// Throws core::InputError naming the field and value.
  void validate() const;
};

/// σ(E) = sqrt((c E)² + s² E) of the calorimeter (GeV).
double calorimeter_resolution(double energy, const ConstituentSmearingConfig& config);

/// Reconstructed constituents of `particles`: tracks first (input order), then calorimeter cells
/// (in cell-index order), so the output depends only on the particles and the stream.
Constituents reconstruct(const StableParticles& particles, const ConstituentSmearingConfig& config,
                         core::RandomStream& stream);

}  // namespace cwola::physics
