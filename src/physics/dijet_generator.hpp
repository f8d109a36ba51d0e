#pragma once
/// Dijet events with jet constituents at √s = 13 TeV, without Pythia: a QCD dijet background
/// and the hidden-valley signal Z_V → q_V q̄_V (note §4.1), each as particles → detector
/// (constituent_smearing) → anti-kT R = 0.8 jets (jet_clustering) → the note's §4.3 selection.
///
/// Background (process "qcd"): the dijet mass follows the standard dijet function
///     dσ/dm ∝ (1 − x)^p1 / x^(p2 + p3 ln x),   x = m / √s,
/// with p1 = 8.156, p2 = 5.227, p3 = 0 from our fit (χ² = 33.9 for 38 degrees of freedom; a 4th
/// parameter is not needed by Fisher's F-test) to the CMS 13 TeV dijet spectrum of 137 fb⁻¹
/// (arXiv:1911.03947, HEPData ins1764471; shared/data/spectra). It is sampled in the generation
/// window [m_min, m_max] and normalised to the note's MadGraph cross section, 6837 fb for
/// m_jj > 3000 GeV (§4.5), so σ(window) = 6837 fb × ∫_window / ∫_{3000}^{√s}.
/// The scattering angle follows the t-channel dominance of QCD 2 → 2: dσ/dχ ≈ const for
/// χ = exp(|y1 − y2|) ∈ [1, χ_max] (the variable of the CMS/ATLAS angular analyses); the boost
/// y_B of the dijet system is Gaussian (σ = `boost_sigma`) within the kinematic limit
/// |y_B| < −ln(m / √s). The outgoing partons are quarks with probability `quark_fraction` (else
/// gluons) and are showered with the SM Lund-plane shower (C_F or C_A) and fragmented.
///
/// Signal (process "hidden_valley"): Z_V of mass M (Breit–Wigner of width Γ) produced at
/// rapidity ~ N(0, `rapidity_sigma`) decays to q_V q̄_V with the (1 + cos²θ*) angular
/// distribution of a vector from q q̄ annihilation; each dark quark becomes a dark jet
/// (dark_shower). Its cross section is not needed (the signal yield is set by S/√B).
///
/// Signal (process "wprime", the LHC Olympics 2020 R&D benchmark): W′ of mass M_W′ (Breit–Wigner
/// of width Γ) at rapidity ~ N(0, `rapidity_sigma`) decays isotropically (our assumption: the
/// R&D sample does not document the W′ couplings) into X and Y of fixed masses m_X, m_Y (narrow);
/// each decays isotropically in its rest frame to q q̄, and the four quarks are showered with the
/// SM shower (C_F) and fragmented. A q q̄ pair from a colour singlet radiates coherently, so each
/// quark's emissions stay inside the pair's opening angle (the shower's θ_max is that angle). At M_W′ = 3.5 TeV the X (Y) of 500 (100) GeV has
/// p ≈ 1.71 TeV, so its quarks open by ΔR ≈ 2m/p_T ≈ 0.6 (0.12): two-prong jets inside R = 1.0.
///
/// The QCD sample over a wide mass range (the LHCO-like benchmark, 1.5–8 TeV) would spend most
/// of its time showering events that a leading-jet trigger then rejects. `min_parton_pt` skips
/// the shower of events whose partons have p_T below it (cutflow step "parton_pt"); set it well
/// below the trigger, so that no event that would pass the trigger is lost: the shower bounds
/// emissions by angle, so a forward parton can throw a hard gluon into the central region and a
/// jet can carry more p_T than its parton (half the trigger threshold is safe: docs/hunt.md).
///
/// All processes add an underlying event: Poisson(ρ × area) soft particles uniform in
/// |η| < 2.5 and φ, pT exponential with mean `ue_mean_pt`.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/random_stream.hpp"
#include "physics/constituent_smearing.hpp"
#include "physics/dark_shower.hpp"
#include "physics/jet_clustering.hpp"
#include "physics/lund_shower.hpp"
#include "physics/mass_windows.hpp"
#include "physics/particle.hpp"

namespace cwola::physics {

/// The standard dijet function f(m) = (1 − x)^p1 / x^(p2 + p3 ln x), x = m/√s (unnormalised).
struct DijetFunction {
  double sqrt_s = 13000.0;  ///< GeV
  double p1 = 8.156;
  double p2 = 5.227;
  double p3 = 0.0;
  double operator()(double mass) const;
  /// ∫ f dm over [lo, hi] (GeV), by Simpson's rule on a log grid.
  double integral(double lo, double hi) const;
};

/// Inverse-CDF sampler of a DijetFunction on [lo, hi] (tabulated on a fine log grid).
class DijetMassSampler {
 public:
  DijetMassSampler(const DijetFunction& function, double lo, double hi);
  double sample(core::RandomStream& stream) const;

 private:
  std::vector<double> mass_;
  std::vector<double> cdf_;
};

enum class DijetProcess { kQcd, kHiddenValley, kWprime };

struct QcdDijetConfig {
  DijetFunction shape;
  double m_min = 4000.0;  ///< GeV, generation window of the parton-level dijet mass
  double m_max = 7000.0;
  double chi_max = 30.0;  ///< largest χ = exp(|Δy|)
  double boost_sigma = 0.5;
  double quark_fraction = 0.6;                 ///< qq + qg at high x are mostly quark jets
  double reference_mass = 3000.0;              ///< GeV, lower edge of the reference cross section
  double reference_cross_section_fb = 6837.0;  ///< σ(m_jj > reference_mass), note §4.5
  double min_parton_pt = 0.0;  ///< GeV, events with softer partons are not showered (see above)
};

struct HiddenValleySignalConfig {
  double zv_mass = 5500.0;  ///< GeV, M_ZV (4900023:m0)
  double zv_width = 55.0;   ///< GeV, Γ_ZV (1% of M: a narrow resonance; our assumption)
  double rapidity_sigma = 0.5;
  DarkSectorConfig dark;
};

/// W′ → X Y → (q q̄)(q q̄), the LHCO R&D signal (defaults: its masses).
struct WprimeSignalConfig {
  double wprime_mass = 3500.0;  ///< GeV
  double wprime_width = 35.0;   ///< GeV (1 % of M: narrow; our assumption)
  double x_mass = 500.0;        ///< GeV
  double y_mass = 100.0;        ///< GeV
  double rapidity_sigma = 0.5;
};

struct UnderlyingEventConfig {
  double density = 1.0;  ///< particles per unit η–φ area
  double mean_pt = 1.0;  ///< GeV
};

struct DijetGeneratorConfig {
  DijetProcess process = DijetProcess::kQcd;
  QcdDijetConfig qcd;
  HiddenValleySignalConfig signal;
  WprimeSignalConfig wprime;
  ShowerConfig sm_shower = default_sm_shower();
  FragmentationConfig sm_fragmentation;
  double charged_fraction = 2.0 / 3.0;  ///< π± : π0 isospin counting
  UnderlyingEventConfig underlying_event;
  ConstituentSmearingConfig detector;
  ClusteringConfig clustering;

  /// QCD: Λ = 0.2 GeV, n_f = 5, α frozen at 0.5, k_t > 1 GeV, θ < 1.
  static ShowerConfig default_sm_shower();
  void validate() const;
  /// σ of the generated sample (fb): the QCD window's cross section; 0 for the signal.
  double cross_section_fb() const;
};

/// The §4.3 selection and the mass windows; all masses in GeV.
struct DijetSelectionConfig {
  int min_jets = 2;
  double min_pt = 750.0;           ///< both leading jets
  double leading_min_pt = 0.0;     ///< GeV, the leading jet only (a single-jet trigger)
  double max_abs_eta = 2.0;        ///< both leading jets
  double store_min_mass = 4000.0;  ///< events outside [store_min, store_max] are not kept
  double store_max_mass = 6500.0;
  std::array<double, 2> signal_region = {4700.0, 5500.0};
  std::array<double, 4> sideband = {4400.0, 4700.0, 5500.0, 5800.0};  ///< [lo1, hi1] ∪ [lo2, hi2]
  std::size_t max_constituents = 200;                                 ///< per jet, hardest first
  void validate() const;
  /// The windows above as the one mass-window type.
  MassWindows windows() const;
  bool in_signal_region(double mjj) const { return windows().in_signal_region(mjj); }
  bool in_sideband(double mjj) const { return windows().in_sideband(mjj); }
};

/// The LHC Olympics 2020 R&D-like benchmark (docs/hunt.md, `cwola generate` process = lhco):
/// `process` (kQcd or kWprime) over m_jj 1.5–8 TeV, partons below 600 GeV p_T not showered,
/// anti-kT R = 1.0 ...
DijetGeneratorConfig lhco_generator_config(DijetProcess process);
/// ... a leading jet above 1.2 TeV (the trigger), both jets |η| < 2.5, every event of
/// 1.5–8 TeV kept with all its constituents (the N-subjettiness sums over them).
DijetSelectionConfig lhco_selection_config();

/// Names of the cutflow steps, in order: generated, parton_pt, n_jets>=2, leading_pt>…, pt>…,
/// abs_eta<…, stored_window, signal_region, sideband (thresholds from the selection).
std::vector<std::string> cutflow_steps(const DijetSelectionConfig& selection);

/// Indices into cutflow_steps().
namespace cutflow {
constexpr std::size_t kGenerated = 0;
constexpr std::size_t kPartonPt = 1;
constexpr std::size_t kTwoJets = 2;
constexpr std::size_t kLeadingPt = 3;
constexpr std::size_t kBothPt = 4;
constexpr std::size_t kEta = 5;
constexpr std::size_t kStoredWindow = 6;
constexpr std::size_t kSignalRegion = 7;
constexpr std::size_t kSideband = 8;
constexpr std::size_t kSteps = 9;
}  // namespace cutflow

/// One selected event: the constituents of the two leading jets (by p_T; hardest constituent
/// first, at most max_constituents each) and the dijet mass.
struct DijetEvent {
  std::array<Constituents, 2> jets;
  std::array<FourVector, 2> jet_momenta;
  std::array<std::size_t, 2> constituent_counts{};  ///< of the whole jet, before the cap
  double mjj = 0;
  bool signal = false;
};

/// Selected events of one block, and the block's cutflow counts (cutflow_steps() order).
struct DijetBlock {
  std::vector<DijetEvent> events;
  std::vector<std::int64_t> cutflow;
};

class DijetGenerator {
 public:
  /// Validates both configurations.
  DijetGenerator(DijetGeneratorConfig config, DijetSelectionConfig selection);

  /// Generator-level particles of one event; false (and no particles) when the event fails
  /// qcd.min_parton_pt before the shower.
  bool generate_particles(core::RandomStream& stream, StableParticles& out) const;
  /// As above for a configuration without a parton-p_T cut (tests, examples).
  StableParticles generate_particles(core::RandomStream& stream) const;

  /// Generates `events` events of block `block`: the particle stream is seeded with
  /// stream_seed(seed, block, kEventBlock) and the detector stream with a second mix of it, so
  /// a block is the same whichever rank makes it.
  DijetBlock generate_block(std::uint64_t seed, std::uint64_t block, std::size_t events) const;

  /// Applies detector, clustering and selection to one event's particles; false if rejected at
  /// `passed_steps` (the number of cutflow steps passed).
  bool reconstruct(const StableParticles& particles, core::RandomStream& detector_stream,
                   DijetEvent& event, std::size_t& passed_steps) const;

  const DijetGeneratorConfig& config() const { return config_; }
  const DijetSelectionConfig& selection() const { return selection_; }
  std::vector<std::string> cutflow_steps() const { return physics::cutflow_steps(selection_); }

 private:
  DijetGeneratorConfig config_;
  DijetSelectionConfig selection_;
  DijetMassSampler mass_sampler_;
};

}  // namespace cwola::physics
