#pragma once
/// The hidden-valley dark sector (Strassler, Zurek, Phys. Lett. B 651 (2007) 374; the Pythia 8
/// HiddenValley model as configured in the note's Table 13): a dark quark q_V from Z_V → q_V q̄_V
/// showers in a confining SU(N_c) dark gauge group with scale Λ_D, hadronises into dark mesons
/// π_D (mass m_πD) and ρ_D (mass m_ρD), which decay back into Standard-Model quark pairs that
/// fragment into hadrons. The result is a wide jet made of many sub-jets (multi-prong) with many
/// more constituents than a QCD jet of the same energy.
///
/// Decay modes (our two benchmarks families; Beauchesne, Chen, Chiang, JHEP 02 (2024) 138 use a
/// direct and an indirect family with several Λ_D):
///  - direct:   π_D → q q̄ and ρ_D → q q̄ (every dark meson gives one SM quark pair);
///  - indirect: ρ_D → π_D π_D first (needs m_ρD ≥ 2 m_πD), then π_D → q q̄: a further cascade
///    step, so more, softer and wider prongs.
/// The SM quarks of a decay are taken massless and fragment without a shower of their own: their
/// virtuality is bounded by the meson mass (~Λ_D), so their showers are short (documented
/// simplification).
#include <string>

#include "core/random_stream.hpp"
#include "physics/lund_shower.hpp"
#include "physics/particle.hpp"

namespace cwola::physics {

enum class DarkDecayMode { kDirect, kIndirect };

/// "direct" / "indirect".
std::string to_string(DarkDecayMode mode);

/// Parameters of the dark sector. Defaults: the note's Table 13 (Λ_D = m_πD = 10 GeV,
/// m_ρD = 26.944 GeV, constituent dark-quark mass 10.3306 GeV).
struct DarkSectorConfig {
  double lambda_d = 10.0;       ///< GeV, dark confinement scale Λ_D (HiddenValley:Lambda)
  double pion_mass = 10.0;      ///< GeV, m_πD (4900111:m0 ...)
  double rho_mass = 26.944;     ///< GeV, m_ρD (4900113:m0 ...)
  double quark_mass = 10.3306;  ///< GeV, constituent dark-quark mass: the dark shower's k_t cut-off
  int colours = 3;              ///< N_c of the dark gauge group (HiddenValley:Ngauge)
  int flavours = 3;             ///< dark flavours (490010x, x = 1, 2, 3)
  double vector_fraction =
      0.75;  ///< fraction of ρ_D among dark mesons (spin counting 3 : 1; Pythia's probVector)
  DarkDecayMode mode = DarkDecayMode::kDirect;
  double max_angle = 1.0;        ///< rad, angular-ordering start of the dark shower
  double fragmentation_a = 1.0;  ///< f(z) = (a + 1)(1 − z)^a for dark mesons
  /// Dark string p_T per component in units of Λ_D (QCD: σ ≈ 0.35 GeV ≈ 1.75 Λ_QCD).
  double sigma_pt_over_lambda = 1.0;

  /// Throws core::InputError naming the field and value.
  void validate() const;
  /// The Pythia-style benchmark with Λ_D = m_πD = `lambda`, m_ρD and m_q scaled with Λ_D as in
  /// Table 13 (m_ρD / Λ_D = 2.6944, m_q / Λ_D = 1.03306).
  static DarkSectorConfig benchmark(double lambda, DarkDecayMode mode);
};

/// Counters of one dark jet (for tests and documentation).
struct DarkJetRecord {
  int dark_partons = 0;  ///< dark quark + dark gluons after the dark shower
  int dark_pions = 0;    ///< π_D produced (in hadronisation or in ρ_D decays)
  int dark_rhos = 0;
  int sm_quarks = 0;
};

/// Showers and hadronises one dark quark of four-momentum `dark_quark`, decays the dark mesons
/// into SM quark pairs and fragments them with `sm_fragmentation`; appends the SM hadrons
/// (charged with probability `charged_fraction`) to `out`.
DarkJetRecord dark_jet(const FourVector& dark_quark, const DarkSectorConfig& dark,
                       const FragmentationConfig& sm_fragmentation, double charged_fraction,
                       core::RandomStream& stream, StableParticles& out);

}  // namespace cwola::physics
