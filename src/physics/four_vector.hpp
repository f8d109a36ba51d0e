#pragma once
/// Four-vectors (GeV) in the collider frame: z along the beam, φ in (−π, π].
#include "core/random_stream.hpp"

namespace cwola::physics {

constexpr double kPi = 3.14159265358979323846;

struct FourVector {
  double px = 0;  ///< GeV
  double py = 0;
  double pz = 0;
  double e = 0;

  /// From transverse momentum (GeV), pseudorapidity, azimuth (rad) and mass (GeV).
  static FourVector from_pt_eta_phi_m(double pt, double eta, double phi, double mass);

  double pt() const;
  /// Pseudorapidity; ±1e10-style large values for particles along the beam are avoided by
  /// returning ±kMaxEta when pt is zero.
  double eta() const;
  double phi() const;
  /// Invariant mass (GeV); a slightly negative m² from rounding gives 0, a clearly
  /// space-like vector gives −sqrt(−m²).
  double m() const;
  double p() const;
  double rapidity() const;

  FourVector& operator+=(const FourVector& other);
  /// Lorentz boost by velocity (bx, by, bz) (units of c), |b| < 1.
  FourVector boosted(double bx, double by, double bz) const;
};

FourVector operator+(FourVector a, const FourVector& b);

constexpr double kMaxEta = 1e3;

/// φ wrapped into (−π, π].
double wrap_phi(double phi);
/// φ1 − φ2 wrapped into (−π, π].
double delta_phi(double phi1, double phi2);
/// sqrt(Δη² + Δφ²) with Δφ wrapped.
double delta_r(double eta1, double phi1, double eta2, double phi2);

struct DecayProducts {
  FourVector first;
  FourVector second;
};

/// Isotropic two-body decay of `parent` into masses m1, m2 (GeV): generated in the
/// parent's rest frame and boosted to the lab. Requires parent.m() >= m1 + m2.
DecayProducts two_body_decay(const FourVector& parent, double m1, double m2,
                             core::RandomStream& stream);

}  // namespace cwola::physics
