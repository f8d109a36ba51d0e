#include "physics/four_tag_selection.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

FourTagConfig FourTagConfig::read(core::JobConfig& card, const std::string& section) {
  FourTagConfig c;
  c.pt_min = card.get_double(section + ".pt_min", c.pt_min, 0, 10000);
  c.eta_max = card.get_double(section + ".eta_max", c.eta_max, 0, 10);
  c.tags = static_cast<int>(card.get_int(section + ".tags", c.tags, 4, 20));
  return c;
}

void FourTagConfig::validate() const {
  if (!(pt_min >= 0 && eta_max > 0 && tags >= 4)) {
    throw core::InputError(
        "four-tag selection", "tags", std::to_string(tags),
        "needs pt_min >= 0, eta_max > 0 and tags >= 4 (four Higgs-candidate jets)");
  }
}

bool FourTagConfig::selects(const Jet& jet) const {
  return jet.p4.pt() > pt_min && std::abs(jet.p4.eta()) < eta_max;
}

void FourTagCutflow::add(const FourTagCutflow& other) {
  CWOLA_EXPECT(other.counts.size() == counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
}

int selection_stage(const JetEvent& event, const FourTagConfig& config) {
  int selected = 0;
  int tagged = 0;
  for (const Jet& jet : event.jets) {
    if (!config.selects(jet)) continue;
    ++selected;
    if (jet.btag) ++tagged;
  }
  if (selected < 4) return 0;
  return tagged >= config.tags ? 2 : 1;
}

bool passes_four_tag(const JetEvent& event, const FourTagConfig& config, FourTagCutflow& cutflow) {
  const int stage = selection_stage(event, config);
  for (int i = 0; i <= stage; ++i) ++cutflow.counts[static_cast<std::size_t>(i)];
  return stage == 2;
}

}  // namespace cwola::physics
