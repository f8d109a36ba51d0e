#include "physics/constituent_smearing.hpp"

#include <cmath>
#include <cstdint>
#include <map>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

namespace {
void check(bool ok, const std::string& key, double value, const std::string& why) {
  if (!ok) throw core::InputError("detector", key, core::format_double(value), why);
}

struct Cell {
  double energy = 0;
  double eta_sum = 0;  // energy-weighted
  double sin_sum = 0;  // energy-weighted unit vector in φ (no seam at ±π)
  double cos_sum = 0;
};
}  // namespace

void ConstituentSmearingConfig::validate() const {
  check(tracker_max_eta >= 0, "tracker_max_eta", tracker_max_eta, "must be >= 0");
  check(track_min_pt >= 0, "track_min_pt", track_min_pt, "must be >= 0 GeV");
  check(track_resolution_constant >= 0, "track_resolution_constant", track_resolution_constant,
        "must be >= 0");
  check(track_resolution_slope >= 0, "track_resolution_slope", track_resolution_slope,
        "must be >= 0");
  check(calorimeter_max_eta > 0, "calorimeter_max_eta", calorimeter_max_eta, "must be > 0");
  check(cell_size > 0 && cell_size < 1, "cell_size", cell_size, "must be in (0, 1)");
  check(cell_min_energy >= 0, "cell_min_energy", cell_min_energy, "must be >= 0 GeV");
  check(calorimeter_stochastic >= 0, "calorimeter_stochastic", calorimeter_stochastic,
        "must be >= 0");
  check(calorimeter_constant >= 0, "calorimeter_constant", calorimeter_constant, "must be >= 0");
}

double calorimeter_resolution(double energy, const ConstituentSmearingConfig& config) {
  const double c = config.calorimeter_constant * energy;
  return std::sqrt(c * c + config.calorimeter_stochastic * config.calorimeter_stochastic *
                               std::max(energy, 0.0));
}

Constituents reconstruct(const StableParticles& particles, const ConstituentSmearingConfig& config,
                         core::RandomStream& stream) {
  Constituents out;
  std::map<std::int64_t, Cell> cells;  // ordered: output independent of hashing
  const auto n_phi = static_cast<std::int64_t>(std::ceil(2.0 * kPi / config.cell_size));
  for (const auto& particle : particles) {
    const double pt = particle.p.pt();
    if (pt <= 0) continue;
    const double eta = particle.p.eta();
    const double phi = particle.p.phi();
    if (particle.charge == ParticleCharge::kCharged && std::abs(eta) < config.tracker_max_eta) {
      double measured = pt;
      if (config.smear) {
        const double a = config.track_resolution_constant;
        const double b = config.track_resolution_slope * pt;
        measured = pt * (1.0 + std::sqrt(a * a + b * b) * stream.normal());
      }
      if (measured > config.track_min_pt) out.push_back({measured, eta, phi});
      continue;
    }
    if (std::abs(eta) >= config.calorimeter_max_eta) continue;
    const auto i_eta = static_cast<std::int64_t>(std::floor(eta / config.cell_size));
    auto i_phi = static_cast<std::int64_t>(std::floor((phi + kPi) / config.cell_size)) % n_phi;
    const std::int64_t key = i_eta * (n_phi + 1) + i_phi;
    Cell& cell = cells[key];
    const double energy = particle.p.e;
    cell.energy += energy;
    cell.eta_sum += energy * eta;
    cell.sin_sum += energy * std::sin(phi);
    cell.cos_sum += energy * std::cos(phi);
  }
  for (const auto& [key, cell] : cells) {
    double energy = cell.energy;
    if (config.smear) {
      energy = std::max(0.0, energy + calorimeter_resolution(energy, config) * stream.normal());
    }
    if (energy <= config.cell_min_energy) continue;
    const double eta = cell.eta_sum / cell.energy;
    out.push_back({energy / std::cosh(eta), eta, std::atan2(cell.sin_sum, cell.cos_sum)});
  }
  return out;
}

}  // namespace cwola::physics
