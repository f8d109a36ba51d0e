#include "store/spanet_spec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace cwola::store {

namespace {

FeatureScaling parse_scaling(const std::string& value, const std::string& where,
                             const std::string& key) {
  if (value == "none") return FeatureScaling::kNone;
  if (value == "normalize") return FeatureScaling::kNormalize;
  if (value == "log_normalize") return FeatureScaling::kLogNormalize;
  throw core::InputError(where, key, value,
                         "is not a SPANet feature scaling (use none, normalize or log_normalize)");
}

std::vector<SpanetInputGroup> parse_groups(const YAML::Node& node, const std::string& where,
                                           const std::string& key) {
  std::vector<SpanetInputGroup> groups;
  if (!node || node.IsNull()) return groups;
  if (!node.IsMap()) {
    throw core::InputError(where, key, YAML::Dump(node),
                           "must map group names to {feature: scaling}");
  }
  for (const auto& group : node) {
    SpanetInputGroup g{group.first.as<std::string>(), {}};
    const auto group_key = key + "/" + g.name;
    if (!group.second.IsMap() || group.second.size() == 0) {
      throw core::InputError(where, group_key, YAML::Dump(group.second),
                             "must map feature names to a scaling");
    }
    for (const auto& feature : group.second) {
      const auto name = feature.first.as<std::string>();
      g.features.push_back(
          {name, parse_scaling(feature.second.as<std::string>(), where, group_key + "/" + name)});
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

/// [[a, b], [c, d]] with names looked up in `names` -> index sets.
std::vector<std::vector<int>> parse_permutations(const YAML::Node& node,
                                                 const std::vector<std::string>& names,
                                                 const std::string& where, const std::string& key) {
  std::vector<std::vector<int>> sets;
  if (!node || node.IsNull()) return sets;
  if (!node.IsSequence()) {
    throw core::InputError(where, key, YAML::Dump(node), "must be a list of lists of names");
  }
  for (const auto& set : node) {
    if (!set.IsSequence()) {
      throw core::InputError(where, key, YAML::Dump(set), "must be a list of names");
    }
    std::vector<int> indices;
    for (const auto& item : set) {
      const auto name = item.as<std::string>();
      const auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) {
        throw core::InputError(where, key, name, "names nothing declared under EVENT");
      }
      indices.push_back(static_cast<int>(it - names.begin()));
    }
    sets.push_back(std::move(indices));
  }
  return sets;
}

}  // namespace

SpanetEventSpec parse_spanet_spec(const std::string& text, const std::string& where) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw core::InputError(where, "YAML", e.what(), "is not valid YAML");
  }
  SpanetEventSpec spec;
  try {
    const auto inputs = root["INPUTS"];
    if (!inputs || !inputs.IsMap()) {
      throw core::InputError(where, "INPUTS", "missing", "SPANet specs need INPUTS/SEQUENTIAL");
    }
    spec.sequential = parse_groups(inputs["SEQUENTIAL"], where, "INPUTS/SEQUENTIAL");
    spec.global = parse_groups(inputs["GLOBAL"], where, "INPUTS/GLOBAL");
    if (spec.sequential.empty()) {
      throw core::InputError(where, "INPUTS/SEQUENTIAL", "empty",
                             "the attention network needs one sequential (jet) group");
    }
    const auto event = root["EVENT"];
    if (!event || !event.IsMap() || event.size() == 0) {
      throw core::InputError(where, "EVENT", event ? YAML::Dump(event) : "missing",
                             "must list the particles and their daughters");
    }
    std::vector<std::string> particle_names;
    for (const auto& particle : event) {
      SpanetParticle p{particle.first.as<std::string>(), {}, {}};
      if (!particle.second.IsSequence() || particle.second.size() == 0) {
        throw core::InputError(where, "EVENT/" + p.name, YAML::Dump(particle.second),
                               "must be a list of daughter names");
      }
      for (const auto& d : particle.second) p.daughters.push_back(d.as<std::string>());
      particle_names.push_back(p.name);
      spec.particles.push_back(std::move(p));
    }
    const auto permutations = root["PERMUTATIONS"];
    if (permutations && permutations.IsMap()) {
      for (const auto& entry : permutations) {
        const auto name = entry.first.as<std::string>();
        if (name == "EVENT") {
          spec.symmetric_particles =
              parse_permutations(entry.second, particle_names, where, "PERMUTATIONS/EVENT");
          continue;
        }
        const auto it = std::find(particle_names.begin(), particle_names.end(), name);
        if (it == particle_names.end()) {
          throw core::InputError(where, "PERMUTATIONS/" + name, name,
                                 "names no particle declared under EVENT");
        }
        auto& particle = spec.particles[static_cast<std::size_t>(it - particle_names.begin())];
        particle.symmetric_daughters =
            parse_permutations(entry.second, particle.daughters, where, "PERMUTATIONS/" + name);
      }
    }
    const auto classifications = root["CLASSIFICATIONS"];
    if (classifications && classifications.IsMap() && classifications["EVENT"]) {
      for (const auto& c : classifications["EVENT"]) {
        spec.classifications.push_back(c.as<std::string>());
      }
    }
  } catch (const YAML::Exception& e) {
    throw core::InputError(where, "YAML", e.what(), "does not have SPANet's event-spec shape");
  }
  return spec;
}

SpanetEventSpec read_spanet_spec(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw core::InputError(path, "event spec", path, "cannot be opened (check the path)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_spanet_spec(text.str(), path);
}

}  // namespace cwola::store
