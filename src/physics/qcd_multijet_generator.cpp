#include "physics/qcd_multijet_generator.hpp"

#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

QcdMultijetConfig QcdMultijetConfig::read(core::JobConfig& card, const std::string& section,
                                          const std::string& production_section) {
  QcdMultijetConfig c;
  const auto key = [&section](const char* name) { return section + "." + name; };
  c.mass_min = card.get_double(key("mass_min"), c.mass_min, 20, 10000);
  c.power_high = card.get_double(key("power_high"), c.power_high, 0, 100);
  c.power_low = card.get_double(key("power_low"), c.power_low, 1.01, 100);
  c.fraction_bbbb = card.get_double(key("fraction_bbbb"), c.fraction_bbbb, 0, 1);
  c.fraction_bbcc = card.get_double(key("fraction_bbcc"), c.fraction_bbcc, 0, 1);
  c.fraction_bbjj = card.get_double(key("fraction_bbjj"), c.fraction_bbjj, 0, 1);
  c.b_mass = card.get_double(key("b_mass"), c.b_mass, 0, 20);
  c.c_mass = card.get_double(key("c_mass"), c.c_mass, 0, 20);
  if (c.fraction_bbbb + c.fraction_bbcc + c.fraction_bbjj <= 0) {
    card.fail(key("fraction_bbbb"),
              "plus fraction_bbcc and fraction_bbjj is 0 (no flavour "
              "composition left); give at least one positive fraction");
  }
  c.production = ProductionConfig::read(card, production_section);
  if (c.mass_min >= c.production.sqrt_s) {
    card.fail(key("mass_min"), "must be below production.sqrt_s");
  }
  c.validate();
  return c;
}

void QcdMultijetConfig::validate() const {
  const double total = fraction_bbbb + fraction_bbcc + fraction_bbjj;
  if (!(mass_min > 0 && mass_min < production.sqrt_s && power_low > 1 && power_high >= 0 &&
        fraction_bbbb >= 0 && fraction_bbcc >= 0 && fraction_bbjj >= 0 && total > 0 &&
        4 * std::max(b_mass, c_mass) < mass_min)) {
    throw core::InputError("qcd multijet config", "mass_min", core::format_double(mass_min),
                           "needs 0 < mass_min < sqrt_s, power_low > 1, power_high >= 0, "
                           "non-negative flavour fractions with a positive sum");
  }
  production.validate();
}

std::vector<FourVector> rambo(double total_mass, const std::vector<double>& masses,
                              core::RandomStream& stream) {
  const std::size_t n = masses.size();
  CWOLA_EXPECT(n >= 2);
  std::vector<FourVector> q(n);
  FourVector sum;
  for (auto& v : q) {
    const double c = 2 * stream.uniform() - 1;
    const double s = std::sqrt(std::max(0.0, 1 - c * c));
    const double phi = 2 * kPi * stream.uniform();
    const double energy = -std::log((1 - stream.uniform()) * (1 - stream.uniform()));
    v = {energy * s * std::cos(phi), energy * s * std::sin(phi), energy * c, energy};
    sum += v;
  }
  // Conformal transformation to the rest frame and total energy.
  const double m = std::sqrt(sum.e * sum.e - sum.px * sum.px - sum.py * sum.py - sum.pz * sum.pz);
  const double bx = -sum.px / m;
  const double by = -sum.py / m;
  const double bz = -sum.pz / m;
  const double x = total_mass / m;
  const double gamma = sum.e / m;
  const double a = 1 / (1 + gamma);
  std::vector<FourVector> p(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double bq = bx * q[i].px + by * q[i].py + bz * q[i].pz;
    p[i].e = x * (gamma * q[i].e + bq);
    p[i].px = x * (q[i].px + bx * q[i].e + a * bq * bx);
    p[i].py = x * (q[i].py + by * q[i].e + a * bq * by);
    p[i].pz = x * (q[i].pz + bz * q[i].e + a * bq * bz);
  }
  // Masses: scale all 3-momenta by ξ so that Σ sqrt(m² + ξ² |p|²) = total_mass (Newton).
  double mass_sum = 0;
  for (double mi : masses) mass_sum += mi;
  CWOLA_EXPECT(mass_sum < total_mass);
  if (mass_sum == 0) return p;
  double xi = std::sqrt(1 - (mass_sum / total_mass) * (mass_sum / total_mass));
  for (int iteration = 0; iteration < 50; ++iteration) {
    double f = -total_mass;
    double df = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double e = std::sqrt(masses[i] * masses[i] + xi * xi * p[i].e * p[i].e);
      f += e;
      df += xi * p[i].e * p[i].e / e;
    }
    const double step = f / df;
    xi -= step;
    if (std::abs(step) < 1e-14) break;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double momentum = p[i].e;  // massless energy = |p|
    p[i].px *= xi;
    p[i].py *= xi;
    p[i].pz *= xi;
    p[i].e = std::sqrt(masses[i] * masses[i] + xi * xi * momentum * momentum);
  }
  return p;
}

QcdMultijetGenerator::QcdMultijetGenerator(QcdMultijetConfig config) : config_(std::move(config)) {
  config_.validate();
}

double QcdMultijetGenerator::sample_mass(core::RandomStream& stream) const {
  // Proposal x^{-b} on [x_min, ∞) by inversion; accept with (1 − x)^a ≤ 1.
  const double x_min = config_.mass_min / config_.production.sqrt_s;
  for (;;) {
    const double x = x_min * std::pow(1 - stream.uniform(), -1 / (config_.power_low - 1));
    if (x >= 1) continue;
    if (stream.uniform() <= std::pow(1 - x, config_.power_high)) {
      return x * config_.production.sqrt_s;
    }
  }
}

JetEvent QcdMultijetGenerator::generate(core::RandomStream& stream) const {
  JetEvent event;
  event.signal = false;
  const double mass = sample_mass(stream);
  event.truth_mass = mass;
  const double y = sample_rapidity(mass, config_.production, stream);
  const double pt = sample_recoil_pt(config_.production, stream);
  const double phi = 2 * kPi * stream.uniform() - kPi;
  const FourVector system = from_pt_y_phi_m(pt, y, phi, mass);

  // Flavours: b b̄ plus a second pair chosen from the composition, in random order.
  const double total = config_.fraction_bbbb + config_.fraction_bbcc + config_.fraction_bbjj;
  const double u = stream.uniform() * total;
  const Flavour second = u < config_.fraction_bbbb                           ? Flavour::kBottom
                         : u < config_.fraction_bbbb + config_.fraction_bbcc ? Flavour::kCharm
                                                                             : Flavour::kLight;
  std::vector<Flavour> flavours = {Flavour::kBottom, Flavour::kBottom, second, second};
  const auto order = stream.permutation(4);
  std::vector<double> masses(4);
  std::vector<Flavour> shuffled(4);
  for (std::size_t i = 0; i < 4; ++i) {
    shuffled[i] = flavours[order[i]];
    masses[i] = shuffled[i] == Flavour::kBottom  ? config_.b_mass
                : shuffled[i] == Flavour::kCharm ? config_.c_mass
                                                 : 0.0;
  }
  const auto rest = rambo(mass, masses, stream);
  const double bx = system.px / system.e;
  const double by = system.py / system.e;
  const double bz = system.pz / system.e;
  std::vector<Jet> partons;
  for (std::size_t i = 0; i < 4; ++i) {
    Jet jet;
    jet.p4 = rest[i].boosted(bx, by, bz);
    jet.flavour = shuffled[i];
    partons.push_back(jet);
  }
  apply_fsr(partons, config_.production, stream);
  auto isr = isr_jets(system.px, system.py, y, config_.production, stream);
  partons.insert(partons.end(), isr.begin(), isr.end());
  event.jets = std::move(partons);
  return event;
}

}  // namespace cwola::physics
