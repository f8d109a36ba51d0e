#pragma once
/// What the signal and background generators share: how a hard system of mass m
/// is produced in a 13 TeV pp collision (longitudinal boost from the gluon
/// luminosity, transverse recoil against initial-state radiation) and the ISR
/// jets themselves. Parameterisations, not a parton shower; each is documented
/// with where its numbers come from (see also inputs/*.card and docs/dihiggs.md).
#include <vector>

#include "core/job_config.hpp"
#include "core/random_stream.hpp"
#include "physics/four_vector.hpp"
#include "physics/jet_event.hpp"

namespace cwola::physics {

struct ProductionConfig {
  /// pp centre-of-mass energy (GeV): LHC Run 2, the note's samples.
  double sqrt_s = 13000;
  /// Gluon density shape x g(x) ∝ (1 − x)^n. n = 5 is the classic quark-counting
  /// exponent and a fair leading-order gluon shape at the scales here; it fixes the
  /// rapidity distribution dL/dy ∝ (1 − x1)^n (1 − x2)^n, x1,2 = (m/√s) e^{±y}.
  double gluon_power = 5;
  /// Transverse recoil of the hard system: pT ~ Gamma(k = 2, θ) with θ = this (GeV),
  /// i.e. p(pT) ∝ pT e^{−pT/θ}: peak at θ, mean 2θ. θ = 15 GeV gives a mean of 30 GeV,
  /// the size of the gg → H transverse-momentum spectrum at the LHC.
  double recoil_pt_scale = 15;
  /// Below this pT (GeV) radiation is not a jet (the detector threshold is applied later).
  double isr_pt_min = 20;
  /// Mean number of further ISR jets (Poisson), independent of the recoil jet.
  double isr_extra_jets_mean = 0.5;
  /// Their spectrum dN/dpT ∝ pT^{−a} above isr_pt_min (a > 1); a = 3 is a soft QCD tail.
  double isr_pt_power = 3;
  /// ISR jet pseudorapidity ~ N(0, σ) (forward-spread radiation); |η| is capped at 4.5.
  double isr_eta_sigma = 2.0;
  /// Flavour of ISR jets: charm and bottom fractions (gluon splitting); the rest light.
  double isr_charm_fraction = 0.04;
  double isr_bottom_fraction = 0.02;
  /// Hard final-state radiation out of the R = 0.4 cone, per final-state parton:
  /// with this probability a gluon takes a fraction z ~ U[z_min, z_max] of the
  /// parton's pT at an angle ΔR ~ U[angle_min, angle_max] (rad) from it and becomes
  /// a jet of its own. This makes the low tail of the jet-pair masses and the extra
  /// jets that make pairing non-trivial (no energy is lost: the parton keeps 1 − z).
  double fsr_probability = 0.15;
  double fsr_z_min = 0.05;
  double fsr_z_max = 0.3;
  double fsr_angle_min = 0.4;
  double fsr_angle_max = 1.2;

  /// Reads `section.key` for every field (defaults as above).
  static ProductionConfig read(core::JobConfig& card, const std::string& section);
  void validate() const;
};

/// Rapidity of a system of mass m (GeV) produced by gluon fusion, from the
/// luminosity shape above (rejection sampling; |y| < ln(√s/m)).
double sample_rapidity(double mass, const ProductionConfig& config, core::RandomStream& stream);
/// Transverse recoil pT (GeV) of the hard system.
double sample_recoil_pt(const ProductionConfig& config, core::RandomStream& stream);
/// Four-vector of mass m, rapidity y, transverse momentum pt and azimuth phi.
FourVector from_pt_y_phi_m(double pt, double rapidity, double phi, double mass);

/// The ISR jets of an event whose hard system has transverse momentum
/// (recoil_px, recoil_py) and rapidity `rapidity`: one jet balancing the recoil
/// when it is above isr_pt_min, plus Poisson(isr_extra_jets_mean) further jets.
std::vector<Jet> isr_jets(double recoil_px, double recoil_py, double rapidity,
                          const ProductionConfig& config, core::RandomStream& stream);

/// Applies the out-of-cone FSR model to `partons` (appending the gluon jets).
void apply_fsr(std::vector<Jet>& partons, const ProductionConfig& config,
               core::RandomStream& stream);

/// A Poisson variate with mean `mean` (Knuth's product method; small means only).
int sample_poisson(double mean, core::RandomStream& stream);

}  // namespace cwola::physics
