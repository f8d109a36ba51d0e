#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "features/correlation_matrix.hpp"
#include "features/dihiggs_features.hpp"
#include "features/spanet_columns.hpp"
#include "physics/hh_event_source.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(dihiggs_features)

BOOST_AUTO_TEST_CASE(sixteen_named_features_and_sets) {
  const auto& names = features::dihiggs_feature_names();
  BOOST_TEST(names.size() == 16U);
  BOOST_TEST(features::dihiggs_feature_index("hh_m") == 15U);
  BOOST_CHECK_THROW(features::dihiggs_feature_index("h3_pt"), core::InputError);
  const auto sets = features::feature_sets();
  BOOST_TEST(features::FeatureSelection::parse({"all"}).size() == 16U);
  BOOST_TEST(features::FeatureSelection::parse({"no_btag"}).size() == 12U);
  BOOST_TEST(features::FeatureSelection::parse({"hunting"}).size() == 11U);
  const auto decorrelated = features::FeatureSelection::parse({"hunting_no_pt_m"});
  BOOST_TEST(decorrelated.names == (std::vector<std::string>{"h1_eta", "h1_phi", "h2_eta", "h2_phi",
                                                             "h1_dr", "h2_dr", "hh_pt"}));
  // Sets and names mix; drops apply last; the order is always the canonical one.
  const auto custom = features::FeatureSelection::parse({"hh_m", "h1_pt"}, {"hh_m"});
  BOOST_TEST(custom.names == (std::vector<std::string>{"h1_pt"}));
  BOOST_CHECK_THROW(features::FeatureSelection::parse({"h1_pt"}, {"h1_pt"}), core::InputError);
}

BOOST_AUTO_TEST_CASE(feature_values_follow_the_candidates) {
  features::HiggsCandidates h;
  h.h1 = physics::FourVector::from_pt_eta_phi_m(300, 0.5, 1.0, 125);
  h.h2 = physics::FourVector::from_pt_eta_phi_m(250, -0.5, -2.0, 120);
  h.h1_delta_r = 0.8;
  h.h2_delta_r = 1.1;
  h.btag = {true, true, false, true};
  const auto v = features::compute_dihiggs_features(h);
  BOOST_TEST(v[0] == 300.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(v[3] == 125.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(v[6] == -2.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(v[9] == 1.1);
  BOOST_TEST(v[12] == 0.0);
  BOOST_TEST(v[15] == (h.h1 + h.h2).m(), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(correlation_matrix_basics) {
  // x, 2x + 1 (ρ = 1), −x (ρ = −1), constant (NaN).
  std::vector<float> rows;
  for (int i = 0; i < 10; ++i) {
    const float x = static_cast<float>(i);
    rows.insert(rows.end(), {x, 2 * x + 1, -x, 3.0F});
  }
  const auto c = features::correlation_matrix(rows, 4);
  BOOST_TEST(c[0 * 4 + 1] == 1.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(c[0 * 4 + 2] == -1.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(std::isnan(c[0 * 4 + 3]));
  BOOST_TEST(c[3 * 4 + 3] == 1.0);
  BOOST_TEST(c[2 * 4 + 0] == c[0 * 4 + 2]);
}

BOOST_AUTO_TEST_CASE(spanet_columns_round_trip) {
  physics::HhEventSourceConfig config;
  config.block_size = 300;
  const physics::HhEventSource source(config);
  const auto block = source.generate_block(5, 0);
  BOOST_REQUIRE(!block.events.empty());
  const auto columns = features::to_spanet_columns(block.events, 10, features::PairingConfig{});
  BOOST_TEST(columns.size() == block.events.size());
  const auto back = features::from_spanet_columns(columns);
  for (std::size_t e = 0; e < back.size(); ++e) {
    const auto& a = block.events[e];
    const auto& b = back[e];
    BOOST_REQUIRE_EQUAL(b.jets.size(), std::min<std::size_t>(a.jets.size(), 10));
    for (std::size_t j = 0; j < b.jets.size(); ++j) {
      BOOST_TEST(b.jets[j].p4.pt() == a.jets[j].p4.pt(), boost::test_tools::tolerance(1e-5));
      BOOST_TEST(b.jets[j].btag == a.jets[j].btag);
      BOOST_TEST((b.jets[j].origin == a.jets[j].origin));
    }
    BOOST_TEST(b.signal);
    BOOST_TEST(columns.m_hh[e] == features::four_jet_mass(a, features::PairingConfig{}),
               boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_SUITE_END()
