#include "features/dihiggs_features.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::features {

const std::vector<std::string>& dihiggs_feature_names() {
  static const std::vector<std::string> kNames = {
      "h1_pt", "h1_eta", "h1_phi",     "h1_m",       "h2_pt",      "h2_eta",     "h2_phi", "h2_m",
      "h1_dr", "h2_dr",  "h1_j1_btag", "h1_j2_btag", "h2_j1_btag", "h2_j2_btag", "hh_pt",  "hh_m"};
  return kNames;
}

std::size_t dihiggs_feature_index(const std::string& name) {
  const auto& names = dihiggs_feature_names();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) {
    std::vector<std::string> sets;
    for (const auto& [set, members] : feature_sets()) sets.push_back(set);
    throw core::InputError("feature '" + name + "' is not a di-Higgs feature; choose from {" +
                           core::join(names, ", ") + "} or a set {" + core::join(sets, ", ") + "}");
  }
  return static_cast<std::size_t>(it - names.begin());
}

std::array<double, kDihiggsFeatureCount> compute_dihiggs_features(const HiggsCandidates& h) {
  const auto hh = h.hh();
  return {h.h1.pt(),
          h.h1.eta(),
          h.h1.phi(),
          h.h1.m(),
          h.h2.pt(),
          h.h2.eta(),
          h.h2.phi(),
          h.h2.m(),
          h.h1_delta_r,
          h.h2_delta_r,
          h.btag[0] ? 1.0 : 0.0,
          h.btag[1] ? 1.0 : 0.0,
          h.btag[2] ? 1.0 : 0.0,
          h.btag[3] ? 1.0 : 0.0,
          hh.pt(),
          hh.m()};
}

const std::vector<std::pair<std::string, std::vector<std::string>>>& feature_sets() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kSets = [] {
    const auto& all = dihiggs_feature_names();
    const auto without = [&all](std::set<std::string> drop) {
      std::vector<std::string> kept;
      for (const auto& n : all) {
        if (drop.count(n) == 0) kept.push_back(n);
      }
      return kept;
    };
    const std::set<std::string> btag = {"h1_j1_btag", "h1_j2_btag", "h2_j1_btag", "h2_j2_btag"};
    auto hunting = btag;
    hunting.insert("hh_m");
    auto hunting_no_pt_m = hunting;
    hunting_no_pt_m.insert({"h1_pt", "h1_m", "h2_pt", "h2_m"});
    return std::vector<std::pair<std::string, std::vector<std::string>>>{
        {"all", all},
        {"no_btag", without(btag)},
        {"hunting", without(hunting)},
        {"hunting_no_pt_m", without(hunting_no_pt_m)}};
  }();
  return kSets;
}

FeatureSelection FeatureSelection::parse(const std::vector<std::string>& items,
                                         const std::vector<std::string>& drop) {
  std::set<std::size_t> chosen;
  for (const auto& item : items) {
    const auto set = std::find_if(feature_sets().begin(), feature_sets().end(),
                                  [&item](const auto& s) { return s.first == item; });
    if (set != feature_sets().end()) {
      for (const auto& name : set->second) chosen.insert(dihiggs_feature_index(name));
    } else {
      chosen.insert(dihiggs_feature_index(item));
    }
  }
  for (const auto& name : drop) chosen.erase(dihiggs_feature_index(name));
  if (chosen.empty()) {
    throw core::InputError("feature selection {" + core::join(items, ", ") + "} minus {" +
                           core::join(drop, ", ") + "} is empty; keep at least one feature");
  }
  FeatureSelection out;
  for (std::size_t index : chosen) {
    out.indices.push_back(index);
    out.names.push_back(dihiggs_feature_names()[index]);
  }
  return out;
}

void FeatureSelection::append(const std::array<double, kDihiggsFeatureCount>& all,
                              std::vector<float>& out) const {
  for (std::size_t index : indices) out.push_back(static_cast<float>(all[index]));
}

}  // namespace cwola::features
