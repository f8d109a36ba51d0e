#include <boost/test/unit_test.hpp>
#include <cmath>

#include "features/higgs_pairing.hpp"
#include "physics/hh_event_source.hpp"

using namespace cwola;
using physics::FourVector;

namespace {
physics::Jet jet(double pt, double eta, double phi, physics::JetOrigin origin, bool tag = true) {
  physics::Jet j;
  j.p4 = FourVector::from_pt_eta_phi_m(pt, eta, phi, 0.0);
  j.origin = origin;
  j.btag = tag;
  j.flavour = physics::Flavour::kBottom;
  return j;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(higgs_pairing)

BOOST_AUTO_TEST_CASE(delta_r_wraps_phi) {
  // Jets at φ = ±3.1 are 0.083 apart, not 6.2.
  BOOST_TEST(physics::delta_r(0, 3.1, 0, -3.1) == 2 * physics::kPi - 6.2,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(physics::delta_r(1.0, 0.0, 0.0, 0.0) == 1.0);
}

BOOST_AUTO_TEST_CASE(min_delta_r_picks_the_close_pairs_across_phi_wrap) {
  // h1: two jets straddling φ = π (close only if φ wraps); h2: two jets near φ = 0.
  physics::JetEvent event;
  event.jets = {jet(200, 0.0, 3.05, physics::JetOrigin::kHiggs1),
                jet(150, 0.2, 0.1, physics::JetOrigin::kHiggs2),
                jet(120, 0.1, -3.05, physics::JetOrigin::kHiggs1),
                jet(100, -0.3, -0.2, physics::JetOrigin::kHiggs2),
                jet(60, 3.0, 1.5, physics::JetOrigin::kOther, false)};
  const auto candidates = features::make_candidates(event, features::PairingConfig{});
  BOOST_REQUIRE(candidates.has_value());
  BOOST_TEST(features::pairing_is_correct(event, *candidates));
  BOOST_TEST(candidates->jet_index == (std::array<int, 4>{0, 2, 1, 3}));
  BOOST_TEST(candidates->h1.pt() > candidates->h2.pt());
  BOOST_TEST(candidates->h1_delta_r < 0.3);
  // The untagged jet is not used; with kLeading it would be, but it is above |η| < 2.5.
  features::PairingConfig leading;
  leading.jets = features::PairingJets::kLeading;
  BOOST_TEST(features::pairing_jets(event, leading).has_value());
}

BOOST_AUTO_TEST_CASE(fewer_than_four_tagged_jets_give_no_candidates) {
  physics::JetEvent event;
  event.jets = {
      jet(200, 0, 0, physics::JetOrigin::kOther), jet(100, 0, 1, physics::JetOrigin::kOther),
      jet(80, 0, 2, physics::JetOrigin::kOther), jet(70, 0, 3, physics::JetOrigin::kOther, false)};
  BOOST_TEST(!features::make_candidates(event, features::PairingConfig{}).has_value());
  BOOST_TEST(std::isnan(features::four_jet_mass(event, features::PairingConfig{})));
}

BOOST_AUTO_TEST_CASE(pairing_finds_the_truth_in_most_signal_events) {
  for (double mass : {500.0, 1000.0}) {
    physics::HhEventSourceConfig config;
    physics::HhGeneratorConfig hh;
    hh.heavy_mass = mass;
    config.process = hh;
    const physics::HhEventSource source(config);
    const auto block = source.generate_accepted(17, 2000);
    int correct = 0;
    int daughters = 0;
    std::vector<int> h_mass_bins(30, 0);
    for (const auto& event : block.events) {
      const auto c = features::make_candidates(event, features::PairingConfig{});
      BOOST_REQUIRE(c.has_value());
      correct += features::pairing_is_correct(event, *c);
      daughters += features::jets_are_higgs_daughters(event, *c);
      for (const auto* h : {&c->h1, &c->h2}) {
        const int bin = static_cast<int>(h->m() / 10);
        if (bin >= 0 && bin < 30) ++h_mass_bins[static_cast<std::size_t>(bin)];
      }
    }
    const double rate = correct / 2000.0;
    const double among_daughters = correct / static_cast<double>(daughters);
    BOOST_TEST_MESSAGE("m_H = " << mass << ": min-dR pairing correct in " << rate
                                << " of four-tag signal events (" << among_daughters
                                << " of those whose four jets are the four b's)");
    BOOST_TEST(rate > (mass == 500 ? 0.85 : 0.9));
    const auto mode =
        std::max_element(h_mass_bins.begin(), h_mass_bins.end()) - h_mass_bins.begin();
    BOOST_TEST((mode == 11 || mode == 12));  // reconstructed candidates peak at 125 GeV
  }
}

BOOST_AUTO_TEST_SUITE_END()
