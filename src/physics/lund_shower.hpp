#pragma once
/// A compact final-state parton shower and string-like fragmentation, used for both the
/// Standard-Model (QCD) jets of the background and the dark showers of the signal.
///
/// Shower: primary emissions of the Lund plane (Andersson, Gustafson, Lönnblad, Pettersson,
/// Z. Phys. C 43 (1989) 625; Dreyer, Salam, Soyez, JHEP 12 (2018) 064). In the soft-collinear
/// limit a parton of colour factor C emits gluons with density
///     dN = (2 C α(k_t) / π) d ln(1/θ) d ln k_t,
/// k_t = z E θ, uniformly in the Lund plane up to the running of α. Emissions are generated in
/// decreasing angle θ ≤ θ_max (angular ordering) with the veto algorithm, for k_t above the
/// cut-off Q0; the emitter loses the emitted energy. Secondary (gluon → gluon gluon) branchings
/// are not followed: each emitted gluon fragments on its own. This gives the one-prong
/// radiation pattern of QCD jets (one hard core, soft wide-angle radiation) with a multiplicity
/// growing like α ln²(E θ_max / Q0) and C_A/C_F = 9/4 more emissions for gluon jets.
///
/// Running coupling at one loop, α(k_t) = 1 / (b0 ln(k_t² / Λ²)), b0 = (11 N_c − 2 n_f)/(12 π),
/// frozen at `alpha_max` below the Landau pole.
///
/// Fragmentation: every final parton of energy E is cut into hadrons of mass m by iterated
/// longitudinal splitting, the hadron taking a fraction z of the remaining energy with
/// f(z) = (a + 1)(1 − z)^a (Field–Feynman-like; mean z = 1/(a + 2)), and a Gaussian transverse
/// momentum of width σ_pT relative to the parton direction (string p_T), until less than
/// `min_energy_over_mass` × m is left, which goes to the last hadron. Energy is conserved exactly,
/// momentum up to the transverse kicks.
#include <vector>

#include "core/random_stream.hpp"
#include "physics/four_vector.hpp"

namespace cwola::physics {

/// One-loop running coupling of an SU(N_c) gauge theory with n_f light flavours.
struct RunningCoupling {
  double lambda = 0.2;     ///< GeV, confinement scale Λ (QCD: ~0.2 GeV; dark: Λ_D)
  int colours = 3;         ///< N_c
  int flavours = 5;        ///< n_f
  double alpha_max = 0.5;  ///< α is frozen at this value near and below Λ
  /// α(q) for a scale q in GeV.
  double operator()(double q) const;
  void validate() const;
};

/// Settings of the primary-emission shower.
struct ShowerConfig {
  RunningCoupling coupling;
  double cutoff = 1.0;     ///< GeV, lowest k_t of an emission (Q0)
  double max_angle = 1.0;  ///< rad, largest emission angle θ_max (angular-ordering start)
  void validate() const;
};

/// A parton: its four-momentum and its colour factor (C_F = 4/3 for a quark, C_A = 3 for a gluon
/// in SU(3); in SU(N): C_F = (N² − 1)/(2N), C_A = N).
struct Parton {
  FourVector p;
  double colour_factor = 4.0 / 3.0;
};

/// Showers `parton`: returns the final partons (the emitter after its emissions, then the emitted
/// gluons, in emission order), all massless. Energy is conserved exactly.
std::vector<Parton> shower(const Parton& parton, const ShowerConfig& config,
                           core::RandomStream& stream);

/// A hadron species produced in fragmentation.
struct HadronSpecies {
  double mass = 0.14;        ///< GeV
  double probability = 1.0;  ///< relative production weight
  int id = 0;                ///< caller's label (e.g. 0 = pion, 1 = vector meson)
};

/// Settings of the string-like fragmentation.
struct FragmentationConfig {
  std::vector<HadronSpecies> species = {{0.14, 1.0, 0}};
  double a = 1.0;                     ///< shape of f(z) = (a + 1)(1 − z)^a
  double sigma_pt = 0.35;             ///< GeV, width of each transverse-momentum component
  double min_energy_over_mass = 2.0;  ///< stop when the remaining energy is below this × mass
  void validate() const;
};

struct Hadron {
  FourVector p;
  int id = 0;
};

/// Fragments a parton of four-momentum `p` into hadrons (appended to `out`).
void fragment(const FourVector& p, const FragmentationConfig& config, core::RandomStream& stream,
              std::vector<Hadron>& out);

/// Restores the four-momentum of a colour-singlet system (a boson decayed to q q̄) to its
/// hadrons, as a string would: independent showers and fragmentation keep each parton's energy
/// but their transverse kicks add invariant mass (+30 GeV on a 100 GeV boson at p_T = 1.7 TeV).
/// The hadrons are boosted to their own rest frame, their three-momenta scaled by one common
/// factor so that their energies sum to system.m(), then boosted with the system's velocity
/// (Pythia 6's momentum reshuffling for independent fragmentation). Hadrons heavier in total
/// than the system are left as they are (false).
bool conserve_system_momentum(std::vector<Hadron>& hadrons, const FourVector& system);

/// `direction` rotated by polar angle θ (rad) about itself, at azimuth ψ around it: the unit
/// vector of an emission at angle θ from `direction`.
void rotate_direction(const double direction[3], double theta, double psi, double out[3]);

}  // namespace cwola::physics
