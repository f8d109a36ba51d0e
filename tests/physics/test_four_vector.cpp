#include <boost/test/unit_test.hpp>
#include <cmath>

#include "physics/four_vector.hpp"

using namespace cwola::physics;
namespace tt = boost::test_tools;

BOOST_AUTO_TEST_SUITE(four_vector)

BOOST_AUTO_TEST_CASE(pt_eta_phi_m_round_trip) {
  const auto v = FourVector::from_pt_eta_phi_m(55.0, -1.3, 2.9, 4.7);
  BOOST_TEST(v.pt() == 55.0, tt::tolerance(1e-12));
  BOOST_TEST(v.eta() == -1.3, tt::tolerance(1e-12));
  BOOST_TEST(v.phi() == 2.9, tt::tolerance(1e-12));
  BOOST_TEST(v.m() == 4.7, tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(phi_wrapping_and_delta_r) {
  BOOST_TEST(wrap_phi(3 * kPi) == kPi, tt::tolerance(1e-12));
  BOOST_TEST(wrap_phi(-kPi) == kPi, tt::tolerance(1e-12));
  BOOST_TEST(delta_phi(3.0, -3.0) == 6.0 - 2 * kPi, tt::tolerance(1e-12));
  BOOST_TEST(delta_r(0.0, 3.1, 0.0, -3.1) == 2 * kPi - 6.2, tt::tolerance(1e-12));
  BOOST_TEST(delta_r(1.0, 0.0, 4.0, 4.0) == std::hypot(3.0, 4.0 - 2 * kPi), tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(boost_keeps_the_mass) {
  const auto v = FourVector::from_pt_eta_phi_m(30.0, 0.4, -1.0, 125.0);
  const auto w = v.boosted(0.3, -0.5, 0.6);
  BOOST_TEST(w.m() == 125.0, tt::tolerance(1e-9));
  // Boosting back with the opposite velocity restores the vector.
  // A vector at rest boosted by b moves with velocity b.
  FourVector rest;
  rest.e = 10.0;
  const auto moving = rest.boosted(0.6, 0.0, 0.0);
  BOOST_TEST(moving.px / moving.e == 0.6, tt::tolerance(1e-12));
  BOOST_TEST(moving.e == 12.5, tt::tolerance(1e-12));  // γ = 1.25
}

BOOST_AUTO_TEST_CASE(two_body_decay_conserves_momentum_and_masses) {
  cwola::core::RandomStream stream(7);
  const auto parent = FourVector::from_pt_eta_phi_m(200.0, 1.1, 0.3, 125.0);
  for (int i = 0; i < 100; ++i) {
    const auto d = two_body_decay(parent, 4.7, 4.7, stream);
    const auto sum = d.first + d.second;
    BOOST_TEST(sum.px == parent.px, tt::tolerance(1e-9));
    BOOST_TEST(sum.pz == parent.pz, tt::tolerance(1e-9));
    BOOST_TEST(sum.e == parent.e, tt::tolerance(1e-9));
    BOOST_TEST(sum.m() == 125.0, tt::tolerance(1e-7));
    BOOST_TEST(d.first.m() == 4.7, tt::tolerance(1e-6));
  }
}

BOOST_AUTO_TEST_CASE(decay_is_isotropic_in_the_rest_frame) {
  // For a parent at rest, cos θ of a daughter is uniform: mean 0, mean of cos² 1/3.
  cwola::core::RandomStream stream(8);
  FourVector parent;
  parent.e = 500.0;
  double mean = 0, mean2 = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const auto d = two_body_decay(parent, 0.0, 0.0, stream);
    const double c = d.first.pz / d.first.p();
    mean += c / n;
    mean2 += c * c / n;
  }
  BOOST_TEST(std::abs(mean) < 0.01);
  BOOST_TEST(std::abs(mean2 - 1.0 / 3.0) < 0.005);
}

BOOST_AUTO_TEST_SUITE_END()
