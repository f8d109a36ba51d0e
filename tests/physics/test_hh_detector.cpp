#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/random_stream.hpp"
#include "physics/btagging.hpp"
#include "physics/detector.hpp"
#include "physics/four_tag_selection.hpp"
#include "physics/hh_event_source.hpp"

using namespace cwola;
using physics::FourVector;

BOOST_AUTO_TEST_SUITE(hh_detector)

BOOST_AUTO_TEST_CASE(resolution_is_the_notes_formula) {
  physics::DetectorConfig config;
  BOOST_TEST(config.pt_resolution(100.0) == std::sqrt(0.052 * 1e4 + 1.502 * 100),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(config.pt_resolution(0.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(smearing_keeps_the_mean_and_has_the_width) {
  physics::DetectorConfig config;
  config.jet_pt_min = 0;
  config.btagging.efficiency_b = 1.0;
  const physics::Detector detector(config);
  core::RandomStream stream(21);
  const double pt = 200;
  const int n = 20000;
  double sum = 0;
  double sum2 = 0;
  double sum_phi = 0;
  int tagged = 0;
  int dropped = 0;
  for (int i = 0; i < n; ++i) {
    physics::JetEvent event;
    physics::Jet jet;
    jet.p4 = FourVector::from_pt_eta_phi_m(pt, 0.5, 3.13, 4.8);  // near φ = π: wraps
    jet.flavour = physics::Flavour::kBottom;
    event.jets.push_back(jet);
    detector.apply(event, stream);
    if (event.jets.empty()) {  // smeared below zero (a 4σ fluctuation): dropped
      ++dropped;
      continue;
    }
    const double x = event.jets[0].p4.pt();
    sum += x;
    sum2 += x * x;
    const double phi = event.jets[0].p4.phi();
    BOOST_REQUIRE(phi > -physics::kPi && phi <= physics::kPi);
    sum_phi += physics::delta_phi(phi, 3.13);
    tagged += event.jets[0].btag;
  }
  BOOST_TEST(dropped < 5);
  const double kept = n - dropped;
  const double mean = sum / kept;
  const double width = std::sqrt(sum2 / kept - mean * mean);
  BOOST_TEST(mean == pt, boost::test_tools::tolerance(0.005));
  BOOST_TEST(width == config.pt_resolution(pt), boost::test_tools::tolerance(0.03));
  BOOST_TEST(std::abs(sum_phi / kept) < 0.001);  // Δφ wrapped: no bias from crossing ±π
  BOOST_TEST(tagged == n - dropped);
}

BOOST_AUTO_TEST_CASE(btag_rates_by_flavour_and_acceptance) {
  physics::BTaggingConfig config;
  core::RandomStream stream(4);
  const int n = 40000;
  int tags[3] = {0, 0, 0};
  const physics::Flavour flavours[3] = {physics::Flavour::kBottom, physics::Flavour::kCharm,
                                        physics::Flavour::kLight};
  for (int f = 0; f < 3; ++f) {
    physics::Jet jet;
    jet.flavour = flavours[f];
    jet.p4 = FourVector::from_pt_eta_phi_m(50, 1.0, 0, 0);
    for (int i = 0; i < n; ++i) tags[f] += physics::draw_btag(config, jet, stream);
  }
  BOOST_TEST(tags[0] / double(n) == 0.77, boost::test_tools::tolerance(0.02));
  BOOST_TEST(tags[1] / double(n) == 0.20, boost::test_tools::tolerance(0.05));
  BOOST_TEST(tags[2] / double(n) == 0.01, boost::test_tools::tolerance(0.15));
  physics::Jet forward;
  forward.flavour = physics::Flavour::kBottom;
  forward.p4 = FourVector::from_pt_eta_phi_m(50, 3.0, 0, 0);
  BOOST_TEST(config.efficiency(forward.flavour, forward.p4.eta()) == 0.0);
}

BOOST_AUTO_TEST_CASE(four_tag_cut_and_cutflow) {
  physics::FourTagConfig cut;
  physics::JetEvent event;
  for (double pt : {120.0, 90.0, 60.0, 45.0, 35.0}) {
    physics::Jet jet;
    jet.p4 = FourVector::from_pt_eta_phi_m(pt, 0.0, 0.0, 0.0);
    jet.btag = true;
    event.jets.push_back(jet);
  }
  physics::FourTagCutflow flow;
  BOOST_TEST(physics::passes_four_tag(event, cut, flow));
  event.jets[3].btag = false;  // only three tagged jets above 40 GeV remain
  BOOST_TEST(!physics::passes_four_tag(event, cut, flow));
  event.jets[3].p4 = FourVector::from_pt_eta_phi_m(45.0, 2.7, 0.0, 0.0);  // out of |η| < 2.5
  BOOST_TEST(!physics::passes_four_tag(event, cut, flow));
  BOOST_TEST(flow.counts == (std::vector<std::uint64_t>{3, 2, 1}));
}

BOOST_AUTO_TEST_CASE(blocks_are_reproducible_and_independent_of_order) {
  physics::HhEventSourceConfig config;
  config.block_size = 200;
  const physics::HhEventSource source(config);
  const auto second_first = source.generate_block(99, 1);
  const auto first = source.generate_block(99, 0);
  const auto second = source.generate_block(99, 1);
  BOOST_REQUIRE_EQUAL(second.events.size(), second_first.events.size());
  for (std::size_t i = 0; i < second.events.size(); ++i) {
    BOOST_TEST(second.events[i].id == second_first.events[i].id);
    BOOST_TEST(second.events[i].jets[0].p4.px == second_first.events[i].jets[0].p4.px);
  }
  // generate_accepted is the concatenation of blocks 0, 1, ... cut at n.
  const auto n = first.events.size() + 3;
  const auto accepted = source.generate_accepted(99, n);
  BOOST_REQUIRE_EQUAL(accepted.events.size(), n);
  BOOST_TEST(accepted.events[n - 1].id == second.events[2].id);
  BOOST_TEST(accepted.cutflow.counts[0] == 400U);
  BOOST_TEST_MESSAGE("signal four-tag efficiency (m_H = 500): "
                     << double(accepted.cutflow.counts[2]) / accepted.cutflow.counts[0]);
}

BOOST_AUTO_TEST_SUITE_END()
