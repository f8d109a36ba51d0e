#include "physics/dijet_generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "core/text.hpp"

namespace cwola::physics {

namespace {
void check(bool ok, const std::string& where, const std::string& key, double value,
           const std::string& why) {
  if (!ok) throw core::InputError(where, key, core::format_double(value), why);
}

/// Appends the hadrons of one SM parton, showered with `shower_config` and fragmented.
void hadronise(const Parton& parton, const ShowerConfig& shower_config,
               const DijetGeneratorConfig& config, core::RandomStream& stream,
               std::vector<Hadron>& hadrons) {
  const auto partons = shower(parton, shower_config, stream);
  for (const auto& p : partons) fragment(p.p, config.sm_fragmentation, stream, hadrons);
}

/// Appends hadrons as stable particles, each charged with probability charged_fraction.
void append_hadrons(const std::vector<Hadron>& hadrons, const DijetGeneratorConfig& config,
                    core::RandomStream& stream, StableParticles& out) {
  for (const auto& h : hadrons) {
    out.push_back({h.p, stream.uniform() < config.charged_fraction ? ParticleCharge::kCharged
                                                                   : ParticleCharge::kNeutral});
  }
}

void underlying_event(const UnderlyingEventConfig& ue, double charged_fraction,
                      core::RandomStream& stream, StableParticles& out) {
  constexpr double kMaxEta = 2.5;
  const double mean = ue.density * (2.0 * kMaxEta) * (2.0 * kPi);
  if (mean <= 0) return;
  // Poisson by counting exponential gaps (mean ~ 30: cheap).
  int n = 0;
  for (double t = -std::log(1.0 - stream.uniform()); t < mean;
       t += -std::log(1.0 - stream.uniform()))
    ++n;
  for (int i = 0; i < n; ++i) {
    const double pt = -ue.mean_pt * std::log(1.0 - stream.uniform());
    const double eta = kMaxEta * (2.0 * stream.uniform() - 1.0);
    const double phi = kPi * (2.0 * stream.uniform() - 1.0);
    out.push_back({FourVector::from_pt_eta_phi_m(pt, eta, phi, 0.14),
                   stream.uniform() < charged_fraction ? ParticleCharge::kCharged
                                                       : ParticleCharge::kNeutral});
  }
}

/// Gaussian rapidity within |y| < limit (rejection).
double truncated_normal(double sigma, double limit, core::RandomStream& stream) {
  if (limit <= 0) return 0.0;
  for (;;) {
    const double y = sigma * stream.normal();
    if (std::abs(y) < limit) return y;
  }
}
}  // namespace

double DijetFunction::operator()(double mass) const {
  const double x = mass / sqrt_s;
  if (x <= 0 || x >= 1) return 0.0;
  const double lx = std::log(x);
  return std::pow(1.0 - x, p1) / std::pow(x, p2 + p3 * lx);
}

double DijetFunction::integral(double lo, double hi) const {
  if (!(hi > lo)) return 0.0;
  // Simpson on u = ln m: ∫ f dm = ∫ f(e^u) e^u du.
  constexpr int kSteps = 2000;
  const double a = std::log(lo);
  const double h = (std::log(hi) - a) / kSteps;
  double sum = 0;
  for (int i = 0; i <= kSteps; ++i) {
    const double m = std::exp(a + i * h);
    const double w = (i == 0 || i == kSteps) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0);
    sum += w * (*this)(m)*m;
  }
  return sum * h / 3.0;
}

DijetMassSampler::DijetMassSampler(const DijetFunction& function, double lo, double hi) {
  constexpr int kPoints = 4001;
  const double a = std::log(lo);
  const double h = (std::log(hi) - a) / (kPoints - 1);
  mass_.resize(kPoints);
  cdf_.assign(kPoints, 0.0);
  double previous = function(lo) * lo;
  mass_[0] = lo;
  for (int i = 1; i < kPoints; ++i) {
    mass_[i] = std::exp(a + i * h);
    const double value = function(mass_[i]) * mass_[i];
    cdf_[i] = cdf_[i - 1] + 0.5 * (previous + value) * h;
    previous = value;
  }
  const double total = cdf_.back();
  for (auto& c : cdf_) c /= total;
}

double DijetMassSampler::sample(core::RandomStream& stream) const {
  const double u = stream.uniform();
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  const auto i = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(
      it - cdf_.begin(), 1, static_cast<std::ptrdiff_t>(cdf_.size()) - 1));
  const double t = (u - cdf_[i - 1]) / std::max(cdf_[i] - cdf_[i - 1], 1e-300);
  // Linear in ln m between the grid points.
  return std::exp(std::log(mass_[i - 1]) + t * (std::log(mass_[i]) - std::log(mass_[i - 1])));
}

ShowerConfig DijetGeneratorConfig::default_sm_shower() {
  ShowerConfig s;
  s.coupling.lambda = 0.2;
  s.coupling.colours = 3;
  s.coupling.flavours = 5;
  s.coupling.alpha_max = 0.5;
  s.cutoff = 1.0;
  s.max_angle = 1.0;
  return s;
}

void DijetGeneratorConfig::validate() const {
  const std::string where = "dijet generator";
  const auto& q = qcd;
  check(q.shape.sqrt_s > 0, where, "sqrt_s", q.shape.sqrt_s, "must be > 0 GeV");
  check(q.m_min > 0 && q.m_min < q.m_max && q.m_max < q.shape.sqrt_s, where, "m_min", q.m_min,
        "the generation window needs 0 < m_min < m_max < √s");
  check(q.chi_max > 1, where, "chi_max", q.chi_max, "χ = exp(|Δy|) needs χ_max > 1");
  check(q.boost_sigma >= 0, where, "boost_sigma", q.boost_sigma, "must be >= 0");
  check(q.quark_fraction >= 0 && q.quark_fraction <= 1, where, "quark_fraction", q.quark_fraction,
        "a fraction must be in [0, 1]");
  check(q.reference_mass > 0 && q.reference_mass < q.shape.sqrt_s, where, "reference_mass",
        q.reference_mass, "must be in (0, √s)");
  check(q.reference_cross_section_fb > 0, where, "reference_cross_section_fb",
        q.reference_cross_section_fb, "must be > 0 fb");
  check(signal.zv_mass > 0 && signal.zv_mass < q.shape.sqrt_s, where, "zv_mass", signal.zv_mass,
        "must be in (0, √s)");
  check(signal.zv_width >= 0 && signal.zv_width < 0.2 * signal.zv_mass, where, "zv_width",
        signal.zv_width, "must be in [0, 0.2 M_ZV) (a narrow resonance)");
  check(signal.rapidity_sigma >= 0, where, "rapidity_sigma", signal.rapidity_sigma, "must be >= 0");
  check(q.min_parton_pt >= 0, where, "min_parton_pt", q.min_parton_pt, "must be >= 0 GeV");
  const auto& w = wprime;
  check(w.wprime_mass > 0 && w.wprime_mass < q.shape.sqrt_s, where, "wprime_mass", w.wprime_mass,
        "must be in (0, √s)");
  check(w.wprime_width >= 0 && w.wprime_width < 0.2 * w.wprime_mass, where, "wprime_width",
        w.wprime_width, "must be in [0, 0.2 M_W′) (a narrow resonance)");
  check(w.x_mass > 0, where, "x_mass", w.x_mass, "must be > 0 GeV");
  check(w.y_mass > 0, where, "y_mass", w.y_mass, "must be > 0 GeV");
  check(w.x_mass + w.y_mass < 0.5 * w.wprime_mass, where, "x_mass", w.x_mass,
        "m_X + m_Y must stay below M_W′ / 2 (boosted, two-prong X and Y jets)");
  check(w.rapidity_sigma >= 0, where, "rapidity_sigma", w.rapidity_sigma, "must be >= 0");
  signal.dark.validate();
  sm_shower.validate();
  sm_fragmentation.validate();
  check(charged_fraction >= 0 && charged_fraction <= 1, where, "charged_fraction", charged_fraction,
        "a fraction must be in [0, 1]");
  check(underlying_event.density >= 0, where, "ue_density", underlying_event.density,
        "must be >= 0");
  check(underlying_event.mean_pt > 0, where, "ue_mean_pt", underlying_event.mean_pt,
        "must be > 0 GeV");
  detector.validate();
  clustering.validate();
}

double DijetGeneratorConfig::cross_section_fb() const {
  if (process != DijetProcess::kQcd) return 0.0;
  const double reference = qcd.shape.integral(qcd.reference_mass, qcd.shape.sqrt_s * 0.999);
  return qcd.reference_cross_section_fb * qcd.shape.integral(qcd.m_min, qcd.m_max) / reference;
}

void DijetSelectionConfig::validate() const {
  const std::string where = "dijet selection";
  check(min_jets >= 2, where, "min_jets", min_jets, "a dijet selection needs >= 2 jets");
  check(min_pt >= 0, where, "min_pt", min_pt, "must be >= 0 GeV");
  check(leading_min_pt >= 0, where, "leading_min_pt", leading_min_pt, "must be >= 0 GeV");
  check(max_abs_eta > 0, where, "max_abs_eta", max_abs_eta, "must be > 0");
  check(store_min_mass < store_max_mass, where, "store_min_mass", store_min_mass,
        "the stored window needs store_min_mass < store_max_mass");
  check(signal_region[0] < signal_region[1], where, "signal_region", signal_region[0],
        "needs lo < hi");
  check(sideband[0] <= sideband[1] && sideband[1] <= sideband[2] && sideband[2] <= sideband[3],
        where, "sideband", sideband[0], "needs lo1 <= hi1 <= lo2 <= hi2");
  check(max_constituents >= 1, where, "max_constituents", static_cast<double>(max_constituents),
        "must be >= 1");
}

MassWindows DijetSelectionConfig::windows() const {
  return {{signal_region[0], signal_region[1]},
          {{sideband[0], sideband[1]}, {sideband[2], sideband[3]}}};
}

DijetGeneratorConfig lhco_generator_config(DijetProcess process) {
  DijetGeneratorConfig g;
  g.process = process;
  g.qcd.m_min = 1500.0;
  g.qcd.m_max = 8000.0;
  g.qcd.min_parton_pt = 600.0;
  g.clustering.radius = 1.0;
  return g;
}

DijetSelectionConfig lhco_selection_config() {
  DijetSelectionConfig s;
  s.leading_min_pt = 1200.0;
  s.min_pt = 0.0;
  s.max_abs_eta = 2.5;
  s.store_min_mass = 1500.0;
  s.store_max_mass = 8000.0;
  // Informational cutflow counts around the R&D sample's usual signal region.
  s.signal_region = {3300.0, 3700.0};
  s.sideband = {3000.0, 3300.0, 3700.0, 4000.0};
  s.max_constituents = 2000;
  return s;
}

std::vector<std::string> cutflow_steps(const DijetSelectionConfig& selection) {
  const auto g = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return std::string(text);
  };
  return {"generated",
          "parton_pt",
          "n_jets>=2",
          "leading_pt>" + g(selection.leading_min_pt),
          "pt>" + g(selection.min_pt),
          "abs_eta<" + g(selection.max_abs_eta),
          "stored_window",
          "signal_region",
          "sideband"};
}

DijetGenerator::DijetGenerator(DijetGeneratorConfig config, DijetSelectionConfig selection)
    : config_(std::move(config)),
      selection_(selection),
      mass_sampler_((config_.validate(), selection_.validate(), config_.qcd.shape),
                    config_.qcd.m_min, config_.qcd.m_max) {}

namespace {
/// A Breit–Wigner mass around `mass` of width `width`, kept within (0.5, 1.5) × mass and below √s.
double breit_wigner(double mass, double width, double sqrt_s, core::RandomStream& stream) {
  double m = 0;
  do {
    m = mass + 0.5 * width * std::tan(kPi * (stream.uniform() - 0.5));
  } while (!(m > 0.5 * mass && m < std::min(1.5 * mass, 0.99 * sqrt_s)));
  return m;
}

/// Angle (rad) between the three-momenta of a and b.
double opening_angle(const FourVector& a, const FourVector& b) {
  const double dot = a.px * b.px + a.py * b.py + a.pz * b.pz;
  return std::acos(std::clamp(dot / (a.p() * b.p()), -1.0, 1.0));
}

/// A resonance of mass `mass` at rest in the transverse plane, at rapidity `y`.
FourVector at_rapidity(double mass, double y) {
  return {0.0, 0.0, mass * std::sinh(y), mass * std::cosh(y)};
}
}  // namespace

bool DijetGenerator::generate_particles(core::RandomStream& stream, StableParticles& out) const {
  out.clear();
  const double sqrt_s = config_.qcd.shape.sqrt_s;
  if (config_.process == DijetProcess::kQcd) {
    const auto& q = config_.qcd;
    const double mass = mass_sampler_.sample(stream);
    const double y_boost = truncated_normal(q.boost_sigma, -std::log(mass / sqrt_s), stream);
    const double chi = 1.0 + (q.chi_max - 1.0) * stream.uniform();
    const double y_star = 0.5 * std::log(chi) * (stream.uniform() < 0.5 ? 1.0 : -1.0);
    const double pt = mass / (2.0 * std::cosh(y_star));
    if (pt < q.min_parton_pt) return false;
    const double phi = kPi * (2.0 * stream.uniform() - 1.0);
    for (const auto& [y, azimuth] :
         {std::pair{y_boost + y_star, phi}, std::pair{y_boost - y_star, wrap_phi(phi + kPi)}}) {
      const double colour = stream.uniform() < q.quark_fraction ? 4.0 / 3.0 : 3.0;
      std::vector<Hadron> hadrons;
      hadronise({FourVector::from_pt_eta_phi_m(pt, y, azimuth, 0.0), colour}, config_.sm_shower,
                config_, stream, hadrons);
      append_hadrons(hadrons, config_, stream, out);
    }
  } else if (config_.process == DijetProcess::kHiddenValley) {
    const auto& s = config_.signal;
    const double mass = breit_wigner(s.zv_mass, s.zv_width, sqrt_s, stream);
    const double y = truncated_normal(s.rapidity_sigma, -std::log(mass / sqrt_s), stream);
    // 1 + cos²θ* by rejection (envelope 2).
    double cos_theta = 0;
    do {
      cos_theta = 2.0 * stream.uniform() - 1.0;
    } while (2.0 * stream.uniform() > 1.0 + cos_theta * cos_theta);
    const double sin_theta = std::sqrt(1.0 - cos_theta * cos_theta);
    const double phi = kPi * (2.0 * stream.uniform() - 1.0);
    const double half = 0.5 * mass;
    FourVector quark{half * sin_theta * std::cos(phi), half * sin_theta * std::sin(phi),
                     half * cos_theta, half};
    FourVector antiquark{-quark.px, -quark.py, -quark.pz, half};
    const double beta = std::tanh(y);
    for (const auto& dark_quark : {quark.boosted(0, 0, beta), antiquark.boosted(0, 0, beta)}) {
      dark_jet(dark_quark, s.dark, config_.sm_fragmentation, config_.charged_fraction, stream, out);
    }
  } else {
    const auto& w = config_.wprime;
    const double mass = breit_wigner(w.wprime_mass, w.wprime_width, sqrt_s, stream);
    const double y = truncated_normal(w.rapidity_sigma, -std::log(mass / sqrt_s), stream);
    const auto xy = two_body_decay(at_rapidity(mass, y), w.x_mass, w.y_mass, stream);
    for (const auto& boson : {xy.first, xy.second}) {
      const auto quarks = two_body_decay(boson, 0.0, 0.0, stream);
      // A colour-singlet q q̄ radiates coherently: each quark's emissions stay inside the
      // pair's opening angle (angular ordering; the Chudakov effect).
      ShowerConfig singlet = config_.sm_shower;
      singlet.max_angle = std::min(singlet.max_angle, opening_angle(quarks.first, quarks.second));
      std::vector<Hadron> hadrons;
      for (const auto& quark : {quarks.first, quarks.second})
        hadronise({quark, 4.0 / 3.0}, singlet, config_, stream, hadrons);
      conserve_system_momentum(hadrons, boson);
      append_hadrons(hadrons, config_, stream, out);
    }
  }
  underlying_event(config_.underlying_event, config_.charged_fraction, stream, out);
  return true;
}

StableParticles DijetGenerator::generate_particles(core::RandomStream& stream) const {
  StableParticles out;
  if (!generate_particles(stream, out)) {
    throw core::Error("dijet generator: generate_particles(stream) needs qcd.min_parton_pt = 0");
  }
  return out;
}

bool DijetGenerator::reconstruct(const StableParticles& particles,
                                 core::RandomStream& detector_stream, DijetEvent& event,
                                 std::size_t& passed_steps) const {
  passed_steps = cutflow::kPartonPt + 1;
  const Constituents constituents =
      physics::reconstruct(particles, config_.detector, detector_stream);
  const auto jets = cluster_jets(constituents, config_.clustering);
  if (static_cast<int>(jets.size()) < selection_.min_jets) return false;
  passed_steps = cutflow::kTwoJets + 1;
  if (jets[0].p.pt() <= selection_.leading_min_pt) return false;
  passed_steps = cutflow::kLeadingPt + 1;
  if (jets[0].p.pt() <= selection_.min_pt || jets[1].p.pt() <= selection_.min_pt) return false;
  passed_steps = cutflow::kBothPt + 1;
  if (std::abs(jets[0].p.eta()) >= selection_.max_abs_eta ||
      std::abs(jets[1].p.eta()) >= selection_.max_abs_eta) {
    return false;
  }
  passed_steps = cutflow::kEta + 1;
  event.mjj = (jets[0].p + jets[1].p).m();
  if (event.mjj < selection_.store_min_mass || event.mjj >= selection_.store_max_mass) return false;
  passed_steps = cutflow::kStoredWindow + 1;
  event.signal = config_.process != DijetProcess::kQcd;
  for (int j = 0; j < 2; ++j) {
    event.jet_momenta[j] = jets[j].p;
    event.constituent_counts[j] = jets[j].constituents.size();
    event.jets[j].clear();
    const std::size_t n = std::min(jets[j].constituents.size(), selection_.max_constituents);
    for (std::size_t i = 0; i < n; ++i)
      event.jets[j].push_back(constituents[jets[j].constituents[i]]);
  }
  return true;
}

DijetBlock DijetGenerator::generate_block(std::uint64_t seed, std::uint64_t block,
                                          std::size_t events) const {
  const std::uint64_t particle_seed =
      core::stream_seed(seed, block, core::SeedPurpose::kEventBlock);
  core::RandomStream particle_stream(particle_seed);
  core::RandomStream detector_stream(
      core::stream_seed(particle_seed, 1, core::SeedPurpose::kEventBlock));
  DijetBlock out;
  out.cutflow.assign(cutflow::kSteps, 0);
  StableParticles particles;
  for (std::size_t i = 0; i < events; ++i) {
    ++out.cutflow[cutflow::kGenerated];
    if (!generate_particles(particle_stream, particles)) continue;
    DijetEvent event;
    std::size_t passed = 0;
    const bool kept = reconstruct(particles, detector_stream, event, passed);
    for (std::size_t s = cutflow::kPartonPt; s < passed; ++s) ++out.cutflow[s];
    if (!kept) continue;
    if (selection_.in_signal_region(event.mjj)) ++out.cutflow[cutflow::kSignalRegion];
    if (selection_.in_sideband(event.mjj)) ++out.cutflow[cutflow::kSideband];
    out.events.push_back(std::move(event));
  }
  return out;
}

}  // namespace cwola::physics
