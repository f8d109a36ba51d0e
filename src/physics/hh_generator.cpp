#include "physics/hh_generator.hpp"

#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

HhGeneratorConfig HhGeneratorConfig::read(core::JobConfig& card, const std::string& section,
                                          const std::string& production_section) {
  HhGeneratorConfig c;
  const auto key = [&section](const char* name) { return section + "." + name; };
  c.heavy_mass = card.get_double(key("heavy_mass"), c.heavy_mass, 260, 5000);
  c.relative_width = card.get_double(key("relative_width"), c.relative_width, 0, 0.3);
  c.width_cutoff = card.get_double(key("width_cutoff"), c.width_cutoff, 1, 1000);
  c.higgs_mass = card.get_double(key("higgs_mass"), c.higgs_mass, 10, 1000);
  c.b_mass = card.get_double(key("b_mass"), c.b_mass, 0, 20);
  if (c.heavy_mass <= 2 * c.higgs_mass) {
    card.fail(key("heavy_mass"),
              "must exceed 2 × higgs_mass = " + core::format_double(2 * c.higgs_mass) +
                  " GeV (H → hh must be open)");
  }
  c.production = ProductionConfig::read(card, production_section);
  c.validate();
  return c;
}

void HhGeneratorConfig::validate() const {
  if (!(higgs_mass > 2 * b_mass) || !(heavy_mass > 2 * higgs_mass) || relative_width < 0 ||
      width_cutoff <= 0) {
    throw core::InputError("hh generator config", "heavy_mass", core::format_double(heavy_mass),
                           "needs heavy_mass > 2 higgs_mass > 4 b_mass, relative_width >= 0 and "
                           "width_cutoff > 0");
  }
  production.validate();
}

HhGenerator::HhGenerator(HhGeneratorConfig config) : config_(std::move(config)) {
  config_.validate();
}

double HhGenerator::sample_mass(core::RandomStream& stream) const {
  const double m0 = config_.heavy_mass;
  const double width = config_.relative_width * m0;
  if (width == 0) return m0;
  const double threshold = 2 * config_.higgs_mass + 1e-6;
  for (;;) {
    const double m = m0 + 0.5 * width * std::tan(kPi * (stream.uniform() - 0.5));
    if (std::abs(m - m0) <= config_.width_cutoff * width && m > threshold) return m;
  }
}

JetEvent HhGenerator::generate(core::RandomStream& stream) const {
  JetEvent event;
  event.signal = true;
  const double mass = sample_mass(stream);
  event.truth_mass = mass;
  const double y = sample_rapidity(mass, config_.production, stream);
  const double pt = sample_recoil_pt(config_.production, stream);
  const double phi = 2 * kPi * stream.uniform() - kPi;
  const FourVector heavy = from_pt_y_phi_m(pt, y, phi, mass);

  // H is a scalar: H → hh and h → b b̄ are isotropic in the parents' rest frames.
  auto higgs = two_body_decay(heavy, config_.higgs_mass, config_.higgs_mass, stream);
  if (higgs.second.pt() > higgs.first.pt()) std::swap(higgs.first, higgs.second);
  std::vector<Jet> partons;
  for (int h = 0; h < 2; ++h) {
    const auto bb =
        two_body_decay(h == 0 ? higgs.first : higgs.second, config_.b_mass, config_.b_mass, stream);
    for (int d = 0; d < 2; ++d) {
      Jet jet;
      jet.p4 = d == 0 ? bb.first : bb.second;
      jet.flavour = Flavour::kBottom;
      jet.origin = h == 0 ? JetOrigin::kHiggs1 : JetOrigin::kHiggs2;
      jet.daughter = static_cast<std::int8_t>(d);
      partons.push_back(jet);
    }
  }
  apply_fsr(partons, config_.production, stream);
  auto isr = isr_jets(heavy.px, heavy.py, y, config_.production, stream);
  partons.insert(partons.end(), isr.begin(), isr.end());
  event.jets = std::move(partons);
  return event;
}

}  // namespace cwola::physics
