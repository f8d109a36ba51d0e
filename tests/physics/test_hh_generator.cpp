#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "physics/hh_event_source.hpp"
#include "physics/hh_generator.hpp"

using namespace cwola;
using physics::FourVector;

BOOST_AUTO_TEST_SUITE(hh_generator)

BOOST_AUTO_TEST_CASE(parton_level_masses_are_exact) {
  // Before the detector: each h's two b jets have m = 125 GeV, all four m = m_H (BW).
  physics::HhGeneratorConfig config;
  config.production.fsr_probability = 0;  // FSR moves momentum into extra jets
  const physics::HhGenerator generator(config);
  core::RandomStream stream(7);
  double sum_mass = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const auto event = generator.generate(stream);
    FourVector h[2];
    FourVector all;
    int b_jets = 0;
    for (const auto& jet : event.jets) {
      if (jet.origin == physics::JetOrigin::kOther) continue;
      h[static_cast<int>(jet.origin)] += jet.p4;
      all += jet.p4;
      ++b_jets;
      BOOST_REQUIRE(jet.flavour == physics::Flavour::kBottom);
    }
    BOOST_REQUIRE_EQUAL(b_jets, 4);
    BOOST_TEST(h[0].m() == 125.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(h[1].m() == 125.0, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(h[0].pt() >= h[1].pt());  // h1 is the harder Higgs
    BOOST_TEST(all.m() == event.truth_mass, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(std::abs(event.truth_mass - 500.0) <= 10 * 5.0 + 1e-9);  // ±10 Γ, Γ = 5 GeV
    sum_mass += event.truth_mass;
  }
  // The Breit–Wigner is centred on m_H (symmetric truncation).
  BOOST_TEST(sum_mass / n == 500.0, boost::test_tools::tolerance(0.005));
}

BOOST_AUTO_TEST_CASE(recoil_is_balanced_by_isr) {
  // With no extra ISR jets and no FSR, the event's visible pT sums to zero when the
  // recoil jet exists.
  physics::HhGeneratorConfig config;
  config.production.fsr_probability = 0;
  config.production.isr_extra_jets_mean = 0;
  const physics::HhGenerator generator(config);
  core::RandomStream stream(11);
  int with_isr = 0;
  for (int i = 0; i < 500; ++i) {
    const auto event = generator.generate(stream);
    if (event.jets.size() != 5) continue;
    ++with_isr;
    FourVector sum;
    for (const auto& jet : event.jets) sum += jet.p4;
    BOOST_TEST(std::hypot(sum.px, sum.py) < 1e-6);
  }
  BOOST_TEST(with_isr > 100);  // pT > 20 GeV for most of Gamma(2, 15 GeV)
}

BOOST_AUTO_TEST_CASE(detector_level_candidates_peak_at_the_higgs_mass) {
  // After smearing and the four-tag cut, the truth b-jet pairs' masses have their
  // mode at 125 GeV and the four b jets' mass sits at m_H, within the resolution.
  physics::HhEventSourceConfig config;
  physics::HhGeneratorConfig hh;
  hh.heavy_mass = 1000;
  config.process = hh;
  const physics::HhEventSource source(config);
  const auto block = source.generate_accepted(3, 3000);
  std::vector<int> histogram(30, 0);  // 10 GeV bins on [0, 300)
  std::vector<double> m4;
  for (const auto& event : block.events) {
    FourVector h[2];
    int found = 0;
    for (const auto& jet : event.jets) {
      if (jet.origin == physics::JetOrigin::kOther) continue;
      h[static_cast<int>(jet.origin)] += jet.p4;
      ++found;
    }
    if (found != 4) continue;
    for (const auto& v : h) {
      const int bin = static_cast<int>(v.m() / 10);
      if (bin >= 0 && bin < 30) ++histogram[static_cast<std::size_t>(bin)];
    }
    m4.push_back((h[0] + h[1]).m());
  }
  const auto mode = std::max_element(histogram.begin(), histogram.end()) - histogram.begin();
  BOOST_TEST_MESSAGE("mode of truth-paired b-jet masses: [" << mode * 10 << ", " << mode * 10 + 10
                                                            << ") GeV");
  BOOST_TEST((mode == 11 || mode == 12));  // [110, 130): 125 within one bin
  std::sort(m4.begin(), m4.end());
  const double median = m4[m4.size() / 2];
  BOOST_TEST_MESSAGE("median m(4b) at m_H = 1000 GeV: " << median);
  // Resolution ~ sqrt(0.052) ≈ 23% per jet at high pT, ~12% on the four-jet mass; FSR
  // pulls it down a little.
  BOOST_TEST(std::abs(median - 1000.0) < 0.08 * 1000.0);
}

BOOST_AUTO_TEST_CASE(invalid_settings_are_rejected) {
  physics::HhGeneratorConfig config;
  config.heavy_mass = 200;  // below 2 m_h
  BOOST_CHECK_THROW(physics::HhGenerator generator(config), core::InputError);
  auto card = core::JobConfig::from_text("[hh]\nheavy_mass = 240\n", "card");
  BOOST_CHECK_THROW(physics::HhGeneratorConfig::read(card, "hh", "production"), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
