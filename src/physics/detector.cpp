#include "physics/detector.hpp"

#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

DetectorConfig DetectorConfig::read(core::JobConfig& card, const std::string& section,
                                    const std::string& btag_section) {
  DetectorConfig c;
  const auto key = [&section](const char* name) { return section + "." + name; };
  c.pt_resolution_quadratic =
      card.get_double(key("pt_resolution_quadratic"), c.pt_resolution_quadratic, 0, 10);
  c.pt_resolution_linear =
      card.get_double(key("pt_resolution_linear"), c.pt_resolution_linear, 0, 1000);
  c.eta_resolution = card.get_double(key("eta_resolution"), c.eta_resolution, 0, 1);
  c.phi_resolution = card.get_double(key("phi_resolution"), c.phi_resolution, 0, 1);
  c.jet_pt_min = card.get_double(key("jet_pt_min"), c.jet_pt_min, 0, 10000);
  c.jet_eta_max = card.get_double(key("jet_eta_max"), c.jet_eta_max, 0, 10);
  c.btagging = BTaggingConfig::read(card, btag_section);
  c.validate();
  return c;
}

void DetectorConfig::validate() const {
  if (!(pt_resolution_quadratic >= 0 && pt_resolution_linear >= 0 && eta_resolution >= 0 &&
        phi_resolution >= 0 && jet_pt_min >= 0 && jet_eta_max > 0)) {
    throw core::InputError("detector config", "pt_resolution_quadratic",
                           core::format_double(pt_resolution_quadratic),
                           "resolutions and thresholds must be non-negative");
  }
  btagging.validate();
}

double jet_pt_resolution(double pt, double quadratic, double linear) {
  if (pt <= 0) return 0.0;
  return std::sqrt(quadratic * pt * pt + linear * pt);
}

double DetectorConfig::pt_resolution(double pt) const {
  return jet_pt_resolution(pt, pt_resolution_quadratic, pt_resolution_linear);
}

Detector::Detector(DetectorConfig config) : config_(std::move(config)) { config_.validate(); }

void Detector::apply(JetEvent& event, core::RandomStream& stream) const {
  std::vector<Jet> kept;
  kept.reserve(event.jets.size());
  for (const Jet& jet : event.jets) {
    const double pt = jet.p4.pt();
    const double eta = jet.p4.eta();
    // Always four variates per jet (three normals, one uniform for the tag).
    const double n_pt = stream.normal();
    const double n_eta = stream.normal();
    const double n_phi = stream.normal();
    const double pt_smeared = pt + config_.pt_resolution(pt) * n_pt;
    const double eta_smeared = eta + config_.eta_resolution * n_eta;
    const double phi_smeared = wrap_phi(jet.p4.phi() + config_.phi_resolution * n_phi);
    Jet out = jet;
    const double scale = pt > 0 ? std::max(pt_smeared, 0.0) / pt : 0.0;
    out.p4 = FourVector::from_pt_eta_phi_m(std::max(pt_smeared, 0.0), eta_smeared, phi_smeared,
                                           std::max(jet.p4.m(), 0.0) * scale);
    out.btag = draw_btag(config_.btagging, out, stream);
    if (pt_smeared < config_.jet_pt_min || std::abs(eta_smeared) > config_.jet_eta_max) continue;
    kept.push_back(out);
  }
  sort_by_pt(kept);
  event.jets = std::move(kept);
}

}  // namespace cwola::physics
