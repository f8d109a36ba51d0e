#include "physics/dark_shower.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

namespace {
constexpr int kPionId = 0;
constexpr int kRhoId = 1;

void check(bool ok, const std::string& key, double value, const std::string& why) {
  if (!ok) throw core::InputError("dark sector", key, core::format_double(value), why);
}

void decay_to_quarks(const FourVector& meson, const FragmentationConfig& sm,
                     double charged_fraction, core::RandomStream& stream, DarkJetRecord& record,
                     StableParticles& out) {
  const auto quarks = two_body_decay(meson, 0.0, 0.0, stream);
  std::vector<Hadron> hadrons;
  fragment(quarks.first, sm, stream, hadrons);
  fragment(quarks.second, sm, stream, hadrons);
  record.sm_quarks += 2;
  for (const auto& h : hadrons) {
    out.push_back({h.p, stream.uniform() < charged_fraction ? ParticleCharge::kCharged
                                                            : ParticleCharge::kNeutral});
  }
}
}  // namespace

std::string to_string(DarkDecayMode mode) {
  return mode == DarkDecayMode::kDirect ? "direct" : "indirect";
}

void DarkSectorConfig::validate() const {
  check(lambda_d > 0, "lambda_d", lambda_d, "Λ_D must be > 0 GeV");
  check(pion_mass > 0, "pion_mass", pion_mass, "m_πD must be > 0 GeV");
  check(rho_mass >= pion_mass, "rho_mass", rho_mass, "m_ρD must be >= m_πD");
  check(quark_mass > 0, "quark_mass", quark_mass,
        "the constituent dark-quark mass must be > 0 GeV");
  check(colours >= 2, "colours", colours, "an SU(N) gauge group needs N >= 2");
  check(flavours >= 1 && 11 * colours > 2 * flavours, "flavours", flavours,
        "the dark sector must confine (asymptotic freedom: 11 N_c > 2 n_f)");
  check(vector_fraction >= 0 && vector_fraction <= 1, "vector_fraction", vector_fraction,
        "a fraction must be in [0, 1]");
  check(max_angle > 0 && max_angle <= kPi / 2, "max_angle", max_angle, "must be in (0, π/2] rad");
  check(fragmentation_a > -1, "fragmentation_a", fragmentation_a, "needs a > -1");
  check(sigma_pt_over_lambda >= 0, "sigma_pt_over_lambda", sigma_pt_over_lambda, "must be >= 0");
  if (mode == DarkDecayMode::kIndirect) {
    check(rho_mass >= 2 * pion_mass, "rho_mass", rho_mass,
          "the indirect mode needs ρ_D → π_D π_D open (m_ρD >= 2 m_πD)");
  }
}

DarkSectorConfig DarkSectorConfig::benchmark(double lambda, DarkDecayMode mode) {
  DarkSectorConfig c;
  c.lambda_d = lambda;
  c.pion_mass = lambda;
  c.rho_mass = 2.6944 * lambda;
  c.quark_mass = 1.03306 * lambda;
  c.mode = mode;
  return c;
}

DarkJetRecord dark_jet(const FourVector& dark_quark, const DarkSectorConfig& dark,
                       const FragmentationConfig& sm_fragmentation, double charged_fraction,
                       core::RandomStream& stream, StableParticles& out) {
  DarkJetRecord record;
  ShowerConfig shower_config;
  shower_config.coupling.lambda = dark.lambda_d;
  shower_config.coupling.colours = dark.colours;
  shower_config.coupling.flavours = dark.flavours;
  shower_config.coupling.alpha_max = 0.5;
  shower_config.cutoff = dark.quark_mass;
  shower_config.max_angle = dark.max_angle;
  const double nc = dark.colours;
  const double cf = (nc * nc - 1.0) / (2.0 * nc);
  const auto partons = shower({dark_quark, cf}, shower_config, stream);
  record.dark_partons = static_cast<int>(partons.size());

  FragmentationConfig dark_fragmentation;
  dark_fragmentation.species = {{dark.pion_mass, 1.0 - dark.vector_fraction, kPionId},
                                {dark.rho_mass, dark.vector_fraction, kRhoId}};
  dark_fragmentation.a = dark.fragmentation_a;
  dark_fragmentation.sigma_pt = dark.sigma_pt_over_lambda * dark.lambda_d;
  dark_fragmentation.min_energy_over_mass = 1.5;
  std::vector<Hadron> mesons;
  for (const auto& parton : partons) fragment(parton.p, dark_fragmentation, stream, mesons);

  for (const auto& meson : mesons) {
    if (meson.id == kRhoId && dark.mode == DarkDecayMode::kIndirect) {
      ++record.dark_rhos;
      const auto pions = two_body_decay(meson.p, dark.pion_mass, dark.pion_mass, stream);
      record.dark_pions += 2;
      decay_to_quarks(pions.first, sm_fragmentation, charged_fraction, stream, record, out);
      decay_to_quarks(pions.second, sm_fragmentation, charged_fraction, stream, record, out);
    } else {
      (meson.id == kRhoId ? record.dark_rhos : record.dark_pions) += 1;
      decay_to_quarks(meson.p, sm_fragmentation, charged_fraction, stream, record, out);
    }
  }
  return record;
}

}  // namespace cwola::physics
