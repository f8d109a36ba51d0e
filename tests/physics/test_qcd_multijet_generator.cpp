#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/random_stream.hpp"
#include "physics/hh_event_source.hpp"
#include "physics/qcd_multijet_generator.hpp"

using namespace cwola;
using physics::FourVector;

BOOST_AUTO_TEST_SUITE(qcd_multijet_generator)

BOOST_AUTO_TEST_CASE(rambo_conserves_momentum_and_masses) {
  core::RandomStream stream(5);
  const std::vector<double> masses = {4.8, 4.8, 1.5, 0.0};
  for (int i = 0; i < 200; ++i) {
    const auto p = physics::rambo(300.0, masses, stream);
    FourVector sum;
    for (std::size_t k = 0; k < p.size(); ++k) {
      sum += p[k];
      BOOST_TEST(p[k].m() == masses[k], boost::test_tools::tolerance(1e-4));
    }
    BOOST_TEST(std::abs(sum.px) < 1e-9);
    BOOST_TEST(std::abs(sum.py) < 1e-9);
    BOOST_TEST(std::abs(sum.pz) < 1e-9);
    BOOST_TEST(sum.e == 300.0, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(four_jet_mass_falls_smoothly_and_pairs_are_not_resonant) {
  physics::QcdMultijetConfig config;
  config.production.fsr_probability = 0;
  const physics::QcdMultijetGenerator generator(config);
  core::RandomStream stream(9);
  std::vector<int> mass_bins(8, 0);  // 100 GeV bins from 200 GeV
  int pairs_near_125 = 0;
  int pairs_near_100 = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const auto event = generator.generate(stream);
    BOOST_REQUIRE(event.truth_mass >= config.mass_min);
    const int bin = static_cast<int>((event.truth_mass - 200) / 100);
    if (bin >= 0 && bin < 8) ++mass_bins[static_cast<std::size_t>(bin)];
    for (int a = 0; a < 4; ++a) {
      for (int b = a + 1; b < 4; ++b) {
        const double m = (event.jets[static_cast<std::size_t>(a)].p4 +
                          event.jets[static_cast<std::size_t>(b)].p4)
                             .m();
        if (std::abs(m - 125) < 10) ++pairs_near_125;
        if (std::abs(m - 100) < 10) ++pairs_near_100;
      }
    }
  }
  // Falling spectrum above the first populated bin.
  for (std::size_t k = 2; k < mass_bins.size(); ++k) BOOST_TEST(mass_bins[k] < mass_bins[k - 1]);
  // Phase space: the pair-mass density is smooth, no excess at m_h.
  BOOST_TEST(pairs_near_125 < 1.2 * pairs_near_100 + 50);
}

BOOST_AUTO_TEST_CASE(flavour_composition_is_respected) {
  physics::QcdMultijetConfig config;
  config.fraction_bbbb = 0.5;
  config.fraction_bbcc = 0.5;
  config.fraction_bbjj = 0.0;
  config.production.fsr_probability = 0;
  const physics::QcdMultijetGenerator generator(config);
  core::RandomStream stream(13);
  int four_b = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const auto event = generator.generate(stream);
    int b = 0;
    for (int k = 0; k < 4; ++k)
      b += event.jets[static_cast<std::size_t>(k)].flavour == physics::Flavour::kBottom;
    BOOST_REQUIRE(b >= 2);
    four_b += b == 4;
  }
  BOOST_TEST(static_cast<double>(four_b) / n == 0.5, boost::test_tools::tolerance(0.06));
}

BOOST_AUTO_TEST_SUITE_END()
