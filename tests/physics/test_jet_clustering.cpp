#include <boost/test/unit_test.hpp>
#include <cmath>

#include "physics/constituent_smearing.hpp"
#include "physics/dijet_generator.hpp"
#include "physics/jet_clustering.hpp"

using namespace cwola;
using physics::Constituent;

BOOST_AUTO_TEST_SUITE(jet_clustering)

BOOST_AUTO_TEST_CASE(two_groups_give_two_jets_with_their_constituents) {
  physics::Constituents in = {{500, 0.0, 0.0}, {300, 0.1, 0.05}, {20, -0.2, 0.1},
                              {800, 0.5, 3.0}, {100, 0.6, 3.1},  {5, 0.4, -3.1}};
  const auto jets = physics::cluster_jets(in, physics::ClusteringConfig{});
  BOOST_REQUIRE_EQUAL(jets.size(), 2u);
  BOOST_TEST(jets[0].constituents.size() == 3u);   // 800, 100 and the 5 GeV one across ±π
  BOOST_TEST(jets[0].constituents.front() == 3u);  // hardest first
  BOOST_TEST(jets[1].constituents.size() == 3u);
  BOOST_TEST(jets[0].p.pt() > jets[1].p.pt());
  double sum = 0;
  for (auto i : jets[1].constituents) sum += in[i].pt;
  BOOST_TEST(jets[1].p.pt() <= sum + 1e-9);
  BOOST_TEST(jets[1].p.pt() > 0.95 * sum);
}

BOOST_AUTO_TEST_CASE(the_radius_separates_jets) {
  const physics::Constituents in = {{500, 0.0, 0.0}, {200, 0.9, 0.0}};
  BOOST_TEST(physics::cluster_jets(in, physics::ClusteringConfig{}).size() == 2u);
  physics::ClusteringConfig wide;
  wide.radius = 1.0;
  BOOST_TEST(physics::cluster_jets(in, wide).size() == 1u);
}

BOOST_AUTO_TEST_CASE(jets_are_invariant_under_phi_rotation_and_eta_boost) {
  physics::DijetGeneratorConfig config;
  const physics::DijetGenerator generator(config, physics::DijetSelectionConfig{});
  core::RandomStream stream(17);
  core::RandomStream detector(18);
  const auto particles = generator.generate_particles(stream);
  const auto constituents = physics::reconstruct(particles, config.detector, detector);
  auto moved = constituents;
  for (auto& c : moved) {
    c.phi = physics::wrap_phi(c.phi + 1.234);
    c.eta += 0.37;
  }
  const auto a = physics::cluster_jets(constituents, config.clustering);
  const auto b = physics::cluster_jets(moved, config.clustering);
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (std::size_t j = 0; j < std::min<std::size_t>(a.size(), 4); ++j) {
    BOOST_TEST(a[j].p.pt() == b[j].p.pt(), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(a[j].constituents == b[j].constituents);
  }
}

BOOST_AUTO_TEST_CASE(detector_merges_neutrals_in_cells_and_applies_thresholds) {
  physics::ConstituentSmearingConfig config;
  config.smear = false;
  physics::StableParticles in;
  in.push_back({physics::FourVector::from_pt_eta_phi_m(10, 0.1001, 0.2001, 0),
                physics::ParticleCharge::kNeutral});
  in.push_back({physics::FourVector::from_pt_eta_phi_m(10, 0.1002, 0.2002, 0),
                physics::ParticleCharge::kNeutral});
  in.push_back({physics::FourVector::from_pt_eta_phi_m(0.3, 0.0, 0.0, 0),
                physics::ParticleCharge::kCharged});
  in.push_back(
      {physics::FourVector::from_pt_eta_phi_m(5, 0.0, 1.0, 0), physics::ParticleCharge::kCharged});
  core::RandomStream stream(1);
  const auto out = physics::reconstruct(in, config, stream);
  BOOST_REQUIRE_EQUAL(out.size(), 2u);  // the soft track is below threshold
  BOOST_TEST(out[0].pt == 5.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(out[1].pt == 20.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(physics::calorimeter_resolution(100.0, config) == std::sqrt(25.0 + 225.0),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()
