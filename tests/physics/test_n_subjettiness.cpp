#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "physics/dijet_generator.hpp"
#include "physics/jet_clustering.hpp"
#include "physics/n_subjettiness.hpp"

using namespace cwola;
using physics::Constituent;
using physics::Constituents;

namespace {
physics::NSubjettinessConfig config(double radius = 1.0) {
  physics::NSubjettinessConfig c;
  c.max_n = 3;
  c.radius = radius;
  c.beta = 1.0;
  return c;
}

/// The leading jet of one generated QCD event of the LHCO-like benchmark (anti-kT R = 1.0,
/// p_T > 1.2 TeV): a realistic many-particle jet.
Constituents generated_jet(std::uint64_t seed) {
  const physics::DijetGenerator generator(
      physics::lhco_generator_config(physics::DijetProcess::kQcd),
      physics::lhco_selection_config());
  for (std::uint64_t block = seed;; ++block) {
    const auto events = generator.generate_block(seed, block, 1).events;
    if (!events.empty() && events[0].jets[0].size() > 20) return events[0].jets[0];
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(n_subjettiness)

BOOST_AUTO_TEST_CASE(two_equal_prongs_have_tau1_of_half_their_separation) {
  // Equal p_T at η = ±d/2: the one kT axis (their sum) sits at η = 0, so each is d/2 away and
  // τ1 = (p d/2 + p d/2) / (2 p R0) = d / (2 R0).
  const double d = 0.4;
  const Constituents jet = {{300.0, -d / 2, 0.7}, {300.0, d / 2, 0.7}};
  for (const double radius : {0.8, 1.0}) {
    const auto tau = physics::n_subjettiness(jet, config(radius));
    BOOST_TEST(tau[0] == d / (2 * radius), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(tau[1] == 0.0);  // each particle its own axis
    BOOST_TEST(tau[2] == 0.0);
  }
}

BOOST_AUTO_TEST_CASE(tau2_uses_the_two_exclusive_kt_axes) {
  // A and B (100 GeV each at φ = ±0.005) merge first in kT; their axis is at φ = 0, η = 0 exactly
  // by symmetry, and C is the second axis: τ2 = (100·0.005 + 100·0.005) / (250 R0).
  const Constituents jet = {{100.0, 0.0, -0.005}, {100.0, 0.0, 0.005}, {50.0, 0.5, 0.0}};
  const auto tau = physics::n_subjettiness(jet, config());
  BOOST_TEST(tau[1] == 1.0 / 250.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(tau[2] == 0.0);
  BOOST_TEST(tau[0] > tau[1]);
}

BOOST_AUTO_TEST_CASE(invariant_under_boosts_rotations_and_pt_scale) {
  const Constituents jet = generated_jet(3);
  const auto reference = physics::n_subjettiness(jet, config());
  BOOST_TEST(reference[0] > 0.0);
  Constituents moved = jet;
  for (auto& c : moved) {
    c.eta += 0.37;  // a longitudinal boost shifts every (massless) rapidity
    c.phi = physics::wrap_phi(c.phi + 2.1);
    c.pt *= 7.0;
  }
  const auto tau = physics::n_subjettiness(moved, config());
  for (std::size_t n = 0; n < 3; ++n)
    BOOST_TEST(tau[n] == reference[n], boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(tau1_of_a_generated_jet_is_the_sum_around_its_momentum_axis) {
  // One exclusive kT jet is the E-scheme sum of all constituents: τ1 is Σ p_T ΔR to the jet's
  // own (rapidity, φ), computed here without FastJet.
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const auto jet = generated_jet(seed);
    physics::FourVector sum;
    double pt_sum = 0;
    for (const auto& c : jet) {
      sum += physics::FourVector::from_pt_eta_phi_m(c.pt, c.eta, c.phi, 0.0);
      pt_sum += c.pt;
    }
    double expected = 0;
    for (const auto& c : jet) {
      const double dy = c.eta - sum.rapidity();
      const double dphi = physics::delta_phi(c.phi, sum.phi());
      expected += c.pt * std::sqrt(dy * dy + dphi * dphi);
    }
    expected /= pt_sum * 1.0;
    const auto tau = physics::n_subjettiness(jet, config());
    BOOST_TEST(tau[0] == expected, boost::test_tools::tolerance(1e-9));
    for (const double t : tau) BOOST_TEST((t >= 0.0 && t < 1.0));  // bounded by R0 at β = 1
    BOOST_TEST(tau[1] < tau[0]);
  }
}

BOOST_AUTO_TEST_CASE(ratios_and_bad_settings) {
  BOOST_TEST(physics::tau_ratio(0.1, 0.4) == 0.25);
  BOOST_TEST(physics::tau_ratio(0.1, 0.0) == 0.0);
  BOOST_TEST(physics::n_subjettiness({}, config())[0] == 0.0);
  auto bad = config();
  bad.max_n = 0;
  BOOST_CHECK_THROW(physics::n_subjettiness({{1.0, 0.0, 0.0}}, bad), core::InputError);
  bad = config(-1.0);
  BOOST_CHECK_THROW(physics::n_subjettiness({{1.0, 0.0, 0.0}}, bad), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
