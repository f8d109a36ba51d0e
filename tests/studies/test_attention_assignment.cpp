// The physics baselines of `cwola assign`: the note's min-ΔR pairing on SPANet-layout events.
#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "studies/attention_assignment.hpp"
#include "training/attention_trainer.hpp"

using namespace cwola;

namespace {
/// Two events of five jet slots with features in a non-canonical order (mass, pt, eta, phi,
/// btag). Event 0: a leading light jet, then four b jets out of pT order; event 1: only three
/// b-tagged jets, so the pairing has nothing to pair.
store::SpanetDataset two_events() {
  store::SpanetDataset data;
  data.events = 2;
  data.jet_slots = 5;
  for (const char* name : {"mass", "pt", "eta", "phi", "btag"}) data.features.push_back({name});
  const std::vector<std::vector<float>> event0 = {
      {10, 200, 0.0F, 0.0F, 0},  // slot 0: light, highest pT: not used
      {10, 60, 1.0F, 1.0F, 1},   // slot 1
      {10, 150, 0.1F, 0.1F, 1},  // slot 2: the leading b jet
      {10, 55, 1.1F, 1.2F, 1},   // slot 3
      {10, 120, 0.3F, 0.0F, 1},  // slot 4
  };
  std::vector<std::vector<float>> event1 = event0;
  event1[3][4] = 0;  // three b tags left
  for (const auto* event : {&event0, static_cast<const decltype(event0)*>(&event1)}) {
    for (const auto& jet : *event) data.jets.insert(data.jets.end(), jet.begin(), jet.end());
    data.mask.insert(data.mask.end(), {1, 1, 1, 1, 1});
  }
  return data;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(attention_assignment)

BOOST_AUTO_TEST_CASE(min_delta_r_pairs_the_leading_b_jets_by_file_slot) {
  const auto data = two_events();
  const auto out = studies::min_delta_r_assignments(data, torch::tensor(std::vector<std::int64_t>{0, 1}));
  BOOST_REQUIRE(out.sizes() == torch::IntArrayRef({2, 2, 2}));
  // Of the three splits of slots {2, 4, 1, 3}, the one whose harder pair is closest:
  // h1 = (2, 4) (ΔR 0.22, by decreasing pT), h2 = (1, 3); the light slot 0 is never used.
  const auto expected = torch::tensor(std::vector<std::int64_t>{2, 4, 1, 3}).view({2, 2});
  BOOST_TEST(torch::equal(out[0], expected));
  BOOST_TEST(torch::equal(out[1], torch::full({2, 2}, -1, torch::kInt64)));
  // Scored as SPANet does, the pairing is right whatever the order of particles and jets.
  const auto truth = torch::tensor(std::vector<std::int64_t>{3, 1, 4, 2}).view({1, 2, 2});
  BOOST_TEST(training::event_purity(out.slice(0, 0, 1), truth, {{0, 1}}).first == 1.0);
}

BOOST_AUTO_TEST_CASE(a_baseline_without_its_features_names_them) {
  auto data = two_events();
  data.features[4].name = "tag";
  BOOST_CHECK_THROW(studies::min_delta_r_assignments(data, torch::tensor(std::vector<std::int64_t>{0})),
                    core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
