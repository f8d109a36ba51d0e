#include "physics/production_model.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

namespace {
void require(bool ok, const std::string& field, double value, const std::string& problem) {
  if (!ok) {
    throw core::InputError("production config", field, core::format_double(value), problem);
  }
}
}  // namespace

ProductionConfig ProductionConfig::read(core::JobConfig& card, const std::string& section) {
  ProductionConfig c;
  const auto key = [&section](const char* name) { return section + "." + name; };
  c.sqrt_s = card.get_double(key("sqrt_s"), c.sqrt_s, 100, 1e6);
  c.gluon_power = card.get_double(key("gluon_power"), c.gluon_power, 0, 50);
  c.recoil_pt_scale = card.get_double(key("recoil_pt_scale"), c.recoil_pt_scale, 0, 1000);
  c.isr_pt_min = card.get_double(key("isr_pt_min"), c.isr_pt_min, 1, 1000);
  c.isr_extra_jets_mean = card.get_double(key("isr_extra_jets_mean"), c.isr_extra_jets_mean, 0, 20);
  c.isr_pt_power = card.get_double(key("isr_pt_power"), c.isr_pt_power, 1.1, 20);
  c.isr_eta_sigma = card.get_double(key("isr_eta_sigma"), c.isr_eta_sigma, 0, 10);
  c.isr_charm_fraction = card.get_double(key("isr_charm_fraction"), c.isr_charm_fraction, 0, 1);
  c.isr_bottom_fraction = card.get_double(key("isr_bottom_fraction"), c.isr_bottom_fraction, 0, 1);
  c.fsr_probability = card.get_double(key("fsr_probability"), c.fsr_probability, 0, 1);
  c.fsr_z_min = card.get_double(key("fsr_z_min"), c.fsr_z_min, 0, 0.9);
  c.fsr_z_max = card.get_double(key("fsr_z_max"), c.fsr_z_max, 0, 0.9);
  c.fsr_angle_min = card.get_double(key("fsr_angle_min"), c.fsr_angle_min, 0, 3);
  c.fsr_angle_max = card.get_double(key("fsr_angle_max"), c.fsr_angle_max, 0, 3);
  if (c.isr_charm_fraction + c.isr_bottom_fraction > 1) {
    card.fail(key("isr_bottom_fraction"),
              "plus isr_charm_fraction exceeds 1 (they are fractions of all ISR jets); lower one");
  }
  c.validate();
  return c;
}

void ProductionConfig::validate() const {
  require(sqrt_s > 0, "sqrt_s", sqrt_s, "must be positive (GeV)");
  require(gluon_power >= 0, "gluon_power", gluon_power, "must be >= 0");
  require(recoil_pt_scale >= 0, "recoil_pt_scale", recoil_pt_scale, "must be >= 0 (GeV)");
  require(isr_pt_min > 0, "isr_pt_min", isr_pt_min, "must be positive (GeV)");
  require(isr_extra_jets_mean >= 0 && isr_extra_jets_mean <= 20, "isr_extra_jets_mean",
          isr_extra_jets_mean, "must be in [0, 20]");
  require(isr_pt_power > 1, "isr_pt_power", isr_pt_power, "must exceed 1 (normalisable spectrum)");
  require(isr_charm_fraction >= 0 && isr_bottom_fraction >= 0 &&
              isr_charm_fraction + isr_bottom_fraction <= 1,
          "isr_charm_fraction", isr_charm_fraction, "and isr_bottom_fraction must be fractions");
  require(fsr_probability >= 0 && fsr_probability <= 1, "fsr_probability", fsr_probability,
          "must be in [0, 1]");
  require(fsr_z_min >= 0 && fsr_z_min <= fsr_z_max && fsr_z_max < 1, "fsr_z_min", fsr_z_min,
          "must satisfy 0 <= fsr_z_min <= fsr_z_max < 1");
  require(fsr_angle_min >= 0 && fsr_angle_min <= fsr_angle_max, "fsr_angle_min", fsr_angle_min,
          "must satisfy 0 <= fsr_angle_min <= fsr_angle_max (rad)");
}

double sample_rapidity(double mass, const ProductionConfig& config, core::RandomStream& stream) {
  const double root_tau = mass / config.sqrt_s;
  CWOLA_EXPECT(root_tau > 0 && root_tau < 1);
  const double y_max = -std::log(root_tau);
  // The weight (1 − x1)^n (1 − x2)^n is symmetric and log-concave in y: largest at y = 0.
  const double peak = std::pow((1 - root_tau) * (1 - root_tau), config.gluon_power);
  for (;;) {
    const double y = (2 * stream.uniform() - 1) * y_max;
    const double x1 = root_tau * std::exp(y);
    const double x2 = root_tau * std::exp(-y);
    if (x1 >= 1 || x2 >= 1) continue;
    const double weight = std::pow((1 - x1) * (1 - x2), config.gluon_power);
    if (stream.uniform() * peak <= weight) return y;
  }
}

double sample_recoil_pt(const ProductionConfig& config, core::RandomStream& stream) {
  // Gamma(2, θ) = θ (E1 + E2), the sum of two exponentials.
  const double u1 = 1 - stream.uniform();
  const double u2 = 1 - stream.uniform();
  return -config.recoil_pt_scale * (std::log(u1) + std::log(u2));
}

FourVector from_pt_y_phi_m(double pt, double rapidity, double phi, double mass) {
  const double mt = std::sqrt(pt * pt + mass * mass);
  FourVector v;
  v.px = pt * std::cos(phi);
  v.py = pt * std::sin(phi);
  v.pz = mt * std::sinh(rapidity);
  v.e = mt * std::cosh(rapidity);
  return v;
}

int sample_poisson(double mean, core::RandomStream& stream) {
  const double limit = std::exp(-mean);
  int k = 0;
  double product = stream.uniform();
  while (product > limit) {
    ++k;
    product *= stream.uniform();
  }
  return k;
}

namespace {
Jet isr_jet(double pt, double phi, double eta_centre, const ProductionConfig& config,
            core::RandomStream& stream) {
  const double eta = std::clamp(eta_centre + config.isr_eta_sigma * stream.normal(), -4.5, 4.5);
  Jet jet;
  jet.p4 = FourVector::from_pt_eta_phi_m(pt, eta, phi, 0.0);
  const double u = stream.uniform();
  if (u < config.isr_bottom_fraction) {
    jet.flavour = Flavour::kBottom;
  } else if (u < config.isr_bottom_fraction + config.isr_charm_fraction) {
    jet.flavour = Flavour::kCharm;
  }
  return jet;
}
}  // namespace

std::vector<Jet> isr_jets(double recoil_px, double recoil_py, double rapidity,
                          const ProductionConfig& config, core::RandomStream& stream) {
  std::vector<Jet> jets;
  const double recoil = std::hypot(recoil_px, recoil_py);
  if (recoil >= config.isr_pt_min) {
    // The radiation that gave the hard system its pT, opposite in azimuth, near it in rapidity.
    const double phi = std::atan2(-recoil_py, -recoil_px);
    jets.push_back(isr_jet(recoil, phi, rapidity, config, stream));
  }
  const int extra = sample_poisson(config.isr_extra_jets_mean, stream);
  for (int i = 0; i < extra; ++i) {
    // Inverse CDF of pT^{-a} above pT_min.
    const double pt =
        config.isr_pt_min * std::pow(1 - stream.uniform(), -1.0 / (config.isr_pt_power - 1));
    const double phi = 2 * kPi * stream.uniform() - kPi;
    jets.push_back(isr_jet(pt, phi, 0.0, config, stream));
  }
  return jets;
}

void apply_fsr(std::vector<Jet>& partons, const ProductionConfig& config,
               core::RandomStream& stream) {
  const std::size_t n = partons.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (stream.uniform() >= config.fsr_probability) continue;
    const FourVector parent = partons[i].p4;
    const double z = config.fsr_z_min + (config.fsr_z_max - config.fsr_z_min) * stream.uniform();
    const double angle =
        config.fsr_angle_min + (config.fsr_angle_max - config.fsr_angle_min) * stream.uniform();
    const double direction = 2 * kPi * stream.uniform();
    const double eta = parent.eta() + angle * std::cos(direction);
    const double phi = wrap_phi(parent.phi() + angle * std::sin(direction));
    Jet gluon;
    gluon.p4 = FourVector::from_pt_eta_phi_m(z * parent.pt(), eta, phi, 0.0);
    partons[i].p4 = FourVector::from_pt_eta_phi_m((1 - z) * parent.pt(), parent.eta(), parent.phi(),
                                                  parent.m());
    partons.push_back(gluon);
  }
}

}  // namespace cwola::physics
