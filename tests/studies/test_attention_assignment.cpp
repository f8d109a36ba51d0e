// `cwola assign`'s pieces: the note's min-ΔR pairing on SPANet-layout events, the truth targets of
// generated events, and the detection head on SPANet's ttbar example.
#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <unistd.h>

#include "core/error.hpp"
#include "models/attention_network.hpp"
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

BOOST_AUTO_TEST_CASE(generated_events_carry_their_truth_pairing_only_when_asked) {
  // Event 0 (signal): 12 jets by falling pT; h1 -> jets 1 (b1) and 4 (b2), h2 -> jets 0 (b2)
  // and 11 (b1), the last outside the 10 kept slots. Event 1 (background): 5 light jets.
  const auto jet = [](double pt, physics::JetOrigin origin, int daughter) {
    physics::Jet j;
    j.p4 = physics::FourVector::from_pt_eta_phi_m(pt, 0.1 * pt / 100, 0.5, 10);
    j.origin = origin;
    j.daughter = static_cast<std::int8_t>(daughter);
    j.btag = origin != physics::JetOrigin::kOther;
    return j;
  };
  physics::JetEvent signal;
  signal.signal = true;
  for (int i = 0; i < 12; ++i) {
    auto origin = physics::JetOrigin::kOther;
    int daughter = -1;
    if (i == 1 || i == 4) origin = physics::JetOrigin::kHiggs1, daughter = i == 1 ? 0 : 1;
    if (i == 0 || i == 11) origin = physics::JetOrigin::kHiggs2, daughter = i == 11 ? 0 : 1;
    signal.jets.push_back(jet(500 - 20 * i, origin, daughter));
  }
  physics::JetEvent background;
  for (int i = 0; i < 5; ++i) background.jets.push_back(jet(300 - 30 * i, physics::JetOrigin::kOther, -1));

  const auto truth =
      studies::to_attention_sample({signal, background}, {1.0F, 0.0F}, 10, true);
  BOOST_TEST(truth.jets.sizes() == torch::IntArrayRef({2, 10, 5}));
  BOOST_TEST(truth.targets.sizes() == torch::IntArrayRef({2, 2, 2}));
  const auto t = truth.targets;
  BOOST_TEST(t[0][0][0].item<std::int64_t>() == 1);
  BOOST_TEST(t[0][0][1].item<std::int64_t>() == 4);
  BOOST_TEST(t[0][1][0].item<std::int64_t>() == -1);  // jet 11 is not kept
  BOOST_TEST(t[0][1][1].item<std::int64_t>() == 0);
  BOOST_TEST(t[1].eq(-1).all().item<bool>());
  BOOST_TEST(truth.mask[0].all().item<bool>());
  BOOST_TEST(truth.mask[1].sum().item<std::int64_t>() == 5);
  BOOST_TEST(truth.jets[0][3][0].item<float>() == 440.0F, boost::test_tools::tolerance(1e-3F));
  BOOST_TEST(truth.jets[1][4][4].item<float>() == 0.0F);  // light jet, no tag
  BOOST_TEST(truth.jets[0][1][4].item<float>() == 1.0F);
  BOOST_TEST(truth.labels[0].item<float>() == 1.0F);
  BOOST_TEST(truth.labels[1].item<float>() == 0.0F);

  // Detection targets: h1 is reconstructable from the kept jets, h2 is not (its b1 is jet 11),
  // and background has nothing to reconstruct.
  const auto detect = models::reconstructable(t);
  BOOST_TEST(detect[0][0].item<bool>());
  BOOST_TEST(!detect[0][1].item<bool>());
  BOOST_TEST(!detect[1].any().item<bool>());

  const auto none = studies::to_attention_sample({signal, background}, {1.0F, 0.0F}, 10, false);
  BOOST_TEST(none.targets.eq(-1).all().item<bool>());
  BOOST_TEST(none.jets.equal(truth.jets));
  BOOST_CHECK_THROW(studies::to_attention_sample({signal}, {1.0F, 0.0F}, 10, true),
                    core::Error);
}

BOOST_AUTO_TEST_CASE(the_detection_head_learns_which_tops_are_reconstructable) {
  // SPANet's ttbar example: about half of the tops have all three jets among the kept ones. A
  // small network, 2000 training events, 3 epochs: on the 500 test events the detection head
  // must rank the complete events (both tops reconstructable) above the others.
  const std::string dir = "/work/shared/data/spanet/";
  if (access((dir + "full_hadronic_ttbar_example.h5").c_str(), R_OK) != 0) {
    BOOST_TEST_MESSAGE("SPANet's ttbar example not present; skipped");
    return;
  }
  const auto spec = store::read_spanet_spec(dir + "full_hadronic_ttbar.yaml");
  store::SpanetDatasetOptions read;
  read.count = 2500;
  const auto data =
      store::read_spanet_dataset(dir + "full_hadronic_ttbar_example.h5", spec, read);
  studies::AssignmentOptions options;
  options.network.hidden = 16;
  options.network.heads = 2;
  options.network.embedding_blocks = 1;
  options.network.encoder_layers = 1;
  options.network.branch_layers = 1;
  options.trainer.epochs = 3;
  options.trainer.batch_size = 64;
  options.trainer.learning_rate = 3e-3;
  options.trainer.loss_weights.detection = 1.0;
  options.baseline = false;
  const auto result = studies::run_assignment(spec, data, options);
  const auto& d = result.detection;
  BOOST_TEST_MESSAGE("detection on " << d.events << " test events: complete-event AUC "
                                     << d.complete_auc << " (" << d.complete_events
                                     << " complete); cross-entropy " << d.loss << " (null "
                                     << d.null_loss << ")");
  BOOST_TEST(d.events == 500);
  BOOST_TEST(d.complete_events > 50);
  // Null 0.5 (its error with ~120 complete events of 500 is ~0.03); measured 0.62. The jet
  // count alone ranks complete events with AUC 0.585 on the file's last 2000 events.
  BOOST_TEST(d.complete_auc > 0.58);
}

BOOST_AUTO_TEST_SUITE_END()
