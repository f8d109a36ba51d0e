#include "physics/lund_shower.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

namespace {
void check(bool ok, const std::string& key, double value, const std::string& why) {
  if (!ok) throw core::InputError("shower", key, core::format_double(value), why);
}

void unit(const FourVector& p, double out[3]) {
  const double norm = p.p();
  out[0] = p.px / norm;
  out[1] = p.py / norm;
  out[2] = p.pz / norm;
}

FourVector massless(double energy, const double n[3]) {
  FourVector v;
  v.px = energy * n[0];
  v.py = energy * n[1];
  v.pz = energy * n[2];
  v.e = energy;
  return v;
}

/// Two unit vectors perpendicular to `d` and to each other.
void perpendicular_basis(const double d[3], double e1[3], double e2[3]) {
  // Helper axis: the coordinate axis least aligned with d.
  double helper[3] = {0, 0, 0};
  const double ax = std::abs(d[0]), ay = std::abs(d[1]), az = std::abs(d[2]);
  helper[(ax <= ay && ax <= az) ? 0 : (ay <= az ? 1 : 2)] = 1.0;
  e1[0] = d[1] * helper[2] - d[2] * helper[1];
  e1[1] = d[2] * helper[0] - d[0] * helper[2];
  e1[2] = d[0] * helper[1] - d[1] * helper[0];
  const double n1 = std::sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
  for (int i = 0; i < 3; ++i) e1[i] /= n1;
  e2[0] = d[1] * e1[2] - d[2] * e1[1];
  e2[1] = d[2] * e1[0] - d[0] * e1[2];
  e2[2] = d[0] * e1[1] - d[1] * e1[0];
}
}  // namespace

double RunningCoupling::operator()(double q) const {
  const double b0 = (11.0 * colours - 2.0 * flavours) / (12.0 * kPi);
  if (q <= lambda) return alpha_max;
  const double alpha = 1.0 / (b0 * std::log(q * q / (lambda * lambda)));
  return std::min(alpha, alpha_max);
}

void RunningCoupling::validate() const {
  check(lambda > 0 && std::isfinite(lambda), "lambda", lambda,
        "the confinement scale must be > 0 GeV");
  check(colours >= 2, "colours", colours, "an SU(N) gauge group needs N >= 2");
  check(flavours >= 0 && 11 * colours > 2 * flavours, "flavours", flavours,
        "the theory must be asymptotically free (11 N_c > 2 n_f)");
  check(alpha_max > 0 && alpha_max < 5, "alpha_max", alpha_max,
        "the frozen coupling must be in (0, 5)");
}

void ShowerConfig::validate() const {
  coupling.validate();
  check(cutoff > 0 && std::isfinite(cutoff), "cutoff", cutoff, "the k_t cut-off must be > 0 GeV");
  check(max_angle > 0 && max_angle <= kPi / 2, "max_angle", max_angle,
        "the largest emission angle must be in (0, π/2] rad");
}

void FragmentationConfig::validate() const {
  if (species.empty())
    throw core::InputError("fragmentation has no hadron species (nothing to make) add one");
  for (const auto& s : species) {
    check(s.mass > 0, "mass", s.mass, "hadron masses must be > 0 GeV");
    check(s.probability >= 0, "probability", s.probability, "weights must be >= 0");
  }
  check(a > -1, "a", a, "f(z) = (a+1)(1-z)^a needs a > -1");
  check(sigma_pt >= 0, "sigma_pt", sigma_pt, "the transverse-momentum width must be >= 0 GeV");
  check(min_energy_over_mass >= 1, "min_energy_over_mass", min_energy_over_mass, "must be >= 1");
}

void rotate_direction(const double d[3], double theta, double psi, double out[3]) {
  double e1[3];
  double e2[3];
  perpendicular_basis(d, e1, e2);
  const double c = std::cos(theta);
  const double s = std::sin(theta);
  for (int i = 0; i < 3; ++i) {
    out[i] = c * d[i] + s * (std::cos(psi) * e1[i] + std::sin(psi) * e2[i]);
  }
}

std::vector<Parton> shower(const Parton& parton, const ShowerConfig& config,
                           core::RandomStream& stream) {
  std::vector<Parton> out;
  double direction[3];
  unit(parton.p, direction);
  double energy = parton.p.e;
  const double q0 = config.cutoff;
  const double log_kt_max = std::log(energy * config.max_angle);
  const double log_q0 = std::log(q0);
  std::vector<Parton> emitted;
  if (log_kt_max > log_q0) {
    // Veto algorithm in (L = ln θ_max/θ, ln k_t): the overestimate has the constant density
    // 2 C α_max / π over the full k_t range of the first emission.
    const double width = log_kt_max - log_q0;
    const double rate = 2.0 * parton.colour_factor * config.coupling.alpha_max / kPi * width;
    double big_l = 0;
    const double l_end = width;  // below θ = Q0 / E no emission is possible
    for (;;) {
      big_l += -std::log(1.0 - stream.uniform()) / rate;
      if (big_l >= l_end) break;
      const double theta = config.max_angle * std::exp(-big_l);
      const double kt = std::exp(log_q0 + width * stream.uniform());
      const double z = kt / (energy * theta);
      if (z > 0.5) continue;  // the harder branch stays the emitter
      if (stream.uniform() * config.coupling.alpha_max > config.coupling(kt)) continue;
      const double psi = 2.0 * kPi * stream.uniform();
      double n[3];
      rotate_direction(direction, theta, psi, n);
      emitted.push_back({massless(z * energy, n), 3.0});
      energy *= 1.0 - z;
    }
  }
  out.push_back({massless(energy, direction), parton.colour_factor});
  out.insert(out.end(), emitted.begin(), emitted.end());
  return out;
}

void fragment(const FourVector& p, const FragmentationConfig& config, core::RandomStream& stream,
              std::vector<Hadron>& out) {
  double direction[3];
  unit(p, direction);
  double e1[3];
  double e2[3];
  perpendicular_basis(direction, e1, e2);
  double total_weight = 0;
  for (const auto& s : config.species) total_weight += s.probability;

  const std::size_t first = out.size();
  double remaining = p.e;
  for (;;) {
    // Species by weight.
    double pick = stream.uniform() * total_weight;
    std::size_t k = 0;
    while (k + 1 < config.species.size() && pick >= config.species[k].probability) {
      pick -= config.species[k].probability;
      ++k;
    }
    const HadronSpecies& species = config.species[k];
    if (remaining < config.min_energy_over_mass * species.mass) break;
    double energy = 0;
    for (int attempt = 0; attempt < 16 && energy < species.mass; ++attempt) {
      const double z = 1.0 - std::pow(1.0 - stream.uniform(), 1.0 / (config.a + 1.0));
      energy = z * remaining;
    }
    if (energy < species.mass) energy = species.mass;
    const double momentum = std::sqrt(std::max(energy * energy - species.mass * species.mass, 0.0));
    double kx = config.sigma_pt * stream.normal();
    double ky = config.sigma_pt * stream.normal();
    const double kt = std::hypot(kx, ky);
    if (kt > 0.5 * momentum && kt > 0) {  // keep hadrons forward of the parton
      kx *= 0.5 * momentum / kt;
      ky *= 0.5 * momentum / kt;
    }
    const double along = std::sqrt(std::max(momentum * momentum - kx * kx - ky * ky, 0.0));
    Hadron h;
    h.id = species.id;
    h.p.px = along * direction[0] + kx * e1[0] + ky * e2[0];
    h.p.py = along * direction[1] + kx * e1[1] + ky * e2[1];
    h.p.pz = along * direction[2] + kx * e1[2] + ky * e2[2];
    h.p.e = energy;
    out.push_back(h);
    remaining -= energy;
  }
  // The rest of the energy goes to the last hadron (along its direction), or, if none was made,
  // to one hadron of the lightest species when kinematically possible.
  if (out.size() > first) {
    Hadron& last = out.back();
    const double m = last.p.m() > 0 ? last.p.m() : 0.0;
    const double e = last.p.e + remaining;
    const double old_p = last.p.p();
    const double new_p = std::sqrt(std::max(e * e - m * m, 0.0));
    const double scale = old_p > 0 ? new_p / old_p : 0.0;
    last.p.px *= scale;
    last.p.py *= scale;
    last.p.pz *= scale;
    last.p.e = e;
  } else {
    const auto lightest = std::min_element(
        config.species.begin(), config.species.end(),
        [](const HadronSpecies& a, const HadronSpecies& b) { return a.mass < b.mass; });
    if (remaining > lightest->mass) {
      const double momentum = std::sqrt(remaining * remaining - lightest->mass * lightest->mass);
      Hadron h;
      h.id = lightest->id;
      h.p.px = momentum * direction[0];
      h.p.py = momentum * direction[1];
      h.p.pz = momentum * direction[2];
      h.p.e = remaining;
      out.push_back(h);
    }
  }
}

bool conserve_system_momentum(std::vector<Hadron>& hadrons, const FourVector& system) {
  const double target = system.m();
  FourVector sum;
  double masses = 0;
  for (const auto& h : hadrons) {
    sum += h.p;
    masses += std::max(h.p.m(), 0.0);
  }
  if (hadrons.size() < 2 || !(masses < target) || !(sum.e > 0)) return false;
  const double inv = 1.0 / sum.e;
  std::vector<double> mass(hadrons.size());
  for (std::size_t i = 0; i < hadrons.size(); ++i) {
    mass[i] = std::max(hadrons[i].p.m(), 0.0);
    hadrons[i].p = hadrons[i].p.boosted(-sum.px * inv, -sum.py * inv, -sum.pz * inv);
  }
  // Σ sqrt(m² + λ² p²) rises monotonically in λ from Σ m < target: bisect on λ.
  const auto energy = [&](double lambda) {
    double e = 0;
    for (std::size_t i = 0; i < hadrons.size(); ++i) {
      const double p = hadrons[i].p.p() * lambda;
      e += std::sqrt(mass[i] * mass[i] + p * p);
    }
    return e;
  };
  double lo = 0.0;
  double hi = 1.0;
  while (energy(hi) < target) hi *= 2.0;
  for (int iteration = 0; iteration < 200 && hi - lo > 1e-15 * hi; ++iteration) {
    const double mid = 0.5 * (lo + hi);
    (energy(mid) < target ? lo : hi) = mid;
  }
  const double lambda = 0.5 * (lo + hi);
  const double b = 1.0 / system.e;
  for (std::size_t i = 0; i < hadrons.size(); ++i) {
    auto& p = hadrons[i].p;
    p.px *= lambda;
    p.py *= lambda;
    p.pz *= lambda;
    p.e = std::sqrt(mass[i] * mass[i] + p.px * p.px + p.py * p.py + p.pz * p.pz);
    p = p.boosted(system.px * b, system.py * b, system.pz * b);
  }
  return true;
}

}  // namespace cwola::physics
