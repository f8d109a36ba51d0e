#pragma once
/// A parameterised detector for jets (no Delphes here): jet energy and angular
/// smearing, the reconstruction threshold and acceptance, and b-tagging.
///
/// Jet pT resolution σ(pT) = sqrt(c2 pT² + c1 pT) (pT in GeV). Defaults c2 = 0.052,
/// c1 = 1.502 are the note's formula (its eq. 3, "the energy smearing applied by
/// Delphes"); for comparison Delphes' CMS card has σ(E) = sqrt((0.050 E)² + 1.50² E),
/// i.e. c2 = 0.0025, c1 = 2.25, for |η| ≤ 3 — set those in the card to use it. The
/// same formula (with the note's numbers) drives the pT-smearing augmentation.
#include "core/job_config.hpp"
#include "core/random_stream.hpp"
#include "physics/btagging.hpp"
#include "physics/jet_event.hpp"

namespace cwola::physics {

struct DetectorConfig {
  double pt_resolution_quadratic = 0.052;  ///< c2 (dimensionless)
  double pt_resolution_linear = 1.502;     ///< c1 (GeV)
  /// Absolute η and φ smearing of the jet axis: a calorimeter tower of 0.087
  /// (ATLAS/CMS hadronic granularity) has an r.m.s. of 0.087/√12 ≈ 0.025.
  double eta_resolution = 0.025;
  double phi_resolution = 0.025;  ///< rad
  /// Reconstructed jets: pT above this (GeV) and |η| below eta_max (calorimeter coverage).
  double jet_pt_min = 20;
  double jet_eta_max = 4.5;
  BTaggingConfig btagging;

  /// Reads [section] and the b-tagging settings from [btag_section].
  static DetectorConfig read(core::JobConfig& card, const std::string& section,
                             const std::string& btag_section);
  void validate() const;
  /// σ(pT) in GeV.
  double pt_resolution(double pt) const;
};

/// σ(pT) = sqrt(c2 pT² + c1 pT) in GeV (0 for pT <= 0).
double jet_pt_resolution(double pt, double quadratic, double linear);

class Detector {
 public:
  explicit Detector(DetectorConfig config);
  /// Smears every jet (pT, η, φ; the mass scales with pT so m/pT is kept), drops those
  /// below threshold or outside acceptance, b-tags the rest and sorts by pT. A fixed
  /// number of variates per input jet, so events stay aligned in the random stream.
  void apply(JetEvent& event, core::RandomStream& stream) const;
  const DetectorConfig& config() const { return config_; }

 private:
  DetectorConfig config_;
};

}  // namespace cwola::physics
