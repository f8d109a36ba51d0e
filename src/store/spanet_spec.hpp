#pragma once
/// SPANet's event specification (the YAML beside a SPANet data set; see docs/attention.md):
///   INPUTS: SEQUENTIAL: <group>: {<feature>: none | normalize | log_normalize, ...}
///           GLOBAL:     <group>: {...}                  (may be empty)
///   EVENT:  <particle>: [<daughter>, ...]               (resonances and their jets, in order)
///   PERMUTATIONS: EVENT: [[<particle>, ...]], <particle>: [[<daughter>, ...]]
///   CLASSIFICATIONS: EVENT: [<name>, ...]              (may be empty)
/// yaml-cpp is used only in spanet_spec.cpp.
#include <string>
#include <vector>

namespace cwola::store {

/// SPANet's per-feature preprocessing.
enum class FeatureScaling { kNone, kNormalize, kLogNormalize };

struct SpanetFeature {
  std::string name;
  FeatureScaling scaling = FeatureScaling::kNone;
};

/// A group of inputs: INPUTS/<name>/<feature>.
struct SpanetInputGroup {
  std::string name;
  std::vector<SpanetFeature> features;  ///< in the YAML's order
};

struct SpanetParticle {
  std::string name;
  std::vector<std::string> daughters;  ///< in the YAML's order (the target order)
  /// Sets of daughters that are interchangeable, as indices into `daughters`.
  std::vector<std::vector<int>> symmetric_daughters;
};

struct SpanetEventSpec {
  std::vector<SpanetInputGroup> sequential;
  std::vector<SpanetInputGroup> global;
  std::vector<SpanetParticle> particles;
  /// Sets of particles that are interchangeable, as indices into `particles`.
  std::vector<std::vector<int>> symmetric_particles;
  std::vector<std::string> classifications;  ///< CLASSIFICATIONS/EVENT/<name>
};

/// Parses the YAML text; `where` names the source (a file name) in errors. Throws
/// core::InputError naming the key and value for anything outside the format above (an unknown
/// scaling, a permutation naming an unknown particle or daughter, an empty EVENT).
SpanetEventSpec parse_spanet_spec(const std::string& text, const std::string& where);

/// Reads and parses a spec file; InputError if it cannot be read.
SpanetEventSpec read_spanet_spec(const std::string& path);

}  // namespace cwola::store
