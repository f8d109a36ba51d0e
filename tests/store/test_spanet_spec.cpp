#include "store/spanet_spec.hpp"

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"

using cwola::store::FeatureScaling;
using cwola::store::parse_spanet_spec;

namespace {
const char* kTtbar = R"(
INPUTS:
  SEQUENTIAL:
    Source:
      mass: log_normalize
      pt: log_normalize
      eta: normalize
      phi: normalize
      btag: none
  GLOBAL:
EVENT:
  t1: [q1, q2, b]
  t2: [q1, q2, b]
PERMUTATIONS:
  EVENT:
    - [t1, t2]
  t1:
    - [q1, q2]
  t2:
    - [q1, q2]
CLASSIFICATIONS:
)";
}  // namespace

BOOST_AUTO_TEST_SUITE(spanet_spec)

BOOST_AUTO_TEST_CASE(reads_inputs_particles_and_permutations_in_file_order) {
  const auto spec = parse_spanet_spec(kTtbar, "ttbar.yaml");
  BOOST_TEST(spec.sequential.size() == 1U);
  BOOST_TEST(spec.global.empty());
  const auto& source = spec.sequential[0];
  BOOST_TEST(source.name == "Source");
  BOOST_TEST(source.features.size() == 5U);
  BOOST_TEST(source.features[0].name == "mass");
  BOOST_TEST((source.features[0].scaling == FeatureScaling::kLogNormalize));
  BOOST_TEST(source.features[2].name == "eta");
  BOOST_TEST((source.features[2].scaling == FeatureScaling::kNormalize));
  BOOST_TEST((source.features[4].scaling == FeatureScaling::kNone));
  BOOST_TEST(spec.particles.size() == 2U);
  BOOST_TEST(spec.particles[1].name == "t2");
  BOOST_TEST(spec.particles[1].daughters == std::vector<std::string>({"q1", "q2", "b"}));
  BOOST_TEST(spec.particles[0].symmetric_daughters.size() == 1U);
  BOOST_TEST(spec.particles[0].symmetric_daughters[0] == std::vector<int>({0, 1}));
  BOOST_TEST(spec.symmetric_particles[0] == std::vector<int>({0, 1}));
  BOOST_TEST(spec.classifications.empty());
}

BOOST_AUTO_TEST_CASE(reads_classifications) {
  const auto spec = parse_spanet_spec(R"(
INPUTS: {SEQUENTIAL: {Source: {pt: log_normalize}}}
EVENT: {h1: [b1, b2], h2: [b1, b2]}
CLASSIFICATIONS: {EVENT: [signal]}
)",
                                      "hh.yaml");
  BOOST_TEST(spec.classifications == std::vector<std::string>({"signal"}));
  BOOST_TEST(spec.particles[0].symmetric_daughters.empty());
}

BOOST_AUTO_TEST_CASE(rejects_malformed_specs_naming_the_key) {
  const auto message = [](const std::string& text) {
    try {
      parse_spanet_spec(text, "bad.yaml");
    } catch (const cwola::core::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string unknown_scaling =
      message("INPUTS: {SEQUENTIAL: {Source: {pt: log}}}\nEVENT: {h1: [b1, b2]}\n");
  BOOST_TEST(unknown_scaling.find("INPUTS/SEQUENTIAL/Source/pt") != std::string::npos);
  BOOST_TEST(unknown_scaling.find("log") != std::string::npos);
  const std::string unknown_daughter = message(
      "INPUTS: {SEQUENTIAL: {Source: {pt: none}}}\nEVENT: {h1: [b1, b2]}\n"
      "PERMUTATIONS: {h1: [[b1, b3]]}\n");
  BOOST_TEST(unknown_daughter.find("b3") != std::string::npos);
  const std::string no_event = message("INPUTS: {SEQUENTIAL: {Source: {pt: none}}}\n");
  BOOST_TEST(no_event.find("EVENT") != std::string::npos);
  const std::string not_yaml = message("INPUTS: [unclosed");
  BOOST_TEST(not_yaml.find("bad.yaml") != std::string::npos);
  BOOST_CHECK_THROW(cwola::store::read_spanet_spec("/nonexistent/spec.yaml"),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
