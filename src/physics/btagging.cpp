#include "physics/btagging.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

BTaggingConfig BTaggingConfig::read(core::JobConfig& card, const std::string& section) {
  BTaggingConfig c;
  const auto key = [&section](const char* name) { return section + "." + name; };
  c.efficiency_b = card.get_double(key("efficiency_b"), c.efficiency_b, 0, 1);
  c.efficiency_c = card.get_double(key("efficiency_c"), c.efficiency_c, 0, 1);
  c.efficiency_light = card.get_double(key("efficiency_light"), c.efficiency_light, 0, 1);
  c.eta_max = card.get_double(key("eta_max"), c.eta_max, 0, 10);
  return c;
}

void BTaggingConfig::validate() const {
  for (const auto& [name, value] :
       {std::pair{"efficiency_b", efficiency_b}, std::pair{"efficiency_c", efficiency_c},
        std::pair{"efficiency_light", efficiency_light}}) {
    if (!(value >= 0 && value <= 1)) {
      throw core::InputError("b-tagging config", name, core::format_double(value),
                             "is not a probability in [0, 1]");
    }
  }
  if (!(eta_max >= 0)) {
    throw core::InputError("b-tagging config", "eta_max", core::format_double(eta_max),
                           "must be >= 0");
  }
}

double BTaggingConfig::efficiency(Flavour flavour, double eta) const {
  if (std::abs(eta) >= eta_max) return 0.0;
  switch (flavour) {
    case Flavour::kBottom:
      return efficiency_b;
    case Flavour::kCharm:
      return efficiency_c;
    case Flavour::kLight:
      break;
  }
  return efficiency_light;
}

bool draw_btag(const BTaggingConfig& config, const Jet& jet, core::RandomStream& stream) {
  const double u = stream.uniform();
  return u < config.efficiency(jet.flavour, jet.p4.eta());
}

}  // namespace cwola::physics
