#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "report/hunt_analysis.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(hunt_analysis)

BOOST_AUTO_TEST_CASE(the_threshold_keeps_the_asked_fraction_of_sideband_events) {
  // 200 sideband events with scores 0..199 and 50 signal-region events above them all.
  std::vector<float> scores;
  std::vector<bool> sideband;
  for (int i = 0; i < 200; ++i) {
    scores.push_back(static_cast<float>(i));
    sideband.push_back(true);
  }
  for (int i = 0; i < 50; ++i) {
    scores.push_back(1000.0F + static_cast<float>(i));
    sideband.push_back(false);
  }
  for (const double efficiency : {0.1, 0.03, 0.01, 0.5}) {
    const double t = report::sideband_threshold(scores, sideband, efficiency);
    std::size_t passing = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) passing += sideband[i] && scores[i] >= t;
    BOOST_TEST(passing == static_cast<std::size_t>(std::llround(efficiency * 200)));
  }
  // At least one sideband event passes, however small the efficiency.
  const double tiny = report::sideband_threshold(scores, sideband, 1e-6);
  BOOST_TEST(tiny == 199.0);
  // No cut.
  BOOST_TEST(std::isinf(report::sideband_threshold(scores, sideband, 1.0)));
  // Permuting the events does not move the threshold.
  std::vector<float> reversed(scores.rbegin(), scores.rend());
  std::vector<bool> reversed_sb(sideband.rbegin(), sideband.rend());
  BOOST_TEST(report::sideband_threshold(reversed, reversed_sb, 0.1) ==
             report::sideband_threshold(scores, sideband, 0.1));
}

BOOST_AUTO_TEST_CASE(crossings_interpolate_linearly) {
  const std::vector<double> injected = {0, 100, 200, 400};
  const std::vector<double> z = {0.5, 2.0, 4.0, 8.0};
  BOOST_TEST(report::crossing(injected, z, 3.0) == 150.0);
  BOOST_TEST(report::crossing(injected, z, 5.0) == 250.0);
  BOOST_TEST(report::crossing(injected, z, 0.2) == 0.0);
  BOOST_TEST(std::isnan(report::crossing(injected, z, 9.0)));
}

BOOST_AUTO_TEST_CASE(the_cms_limit_is_the_smallest_injection_it_cannot_exclude_below) {
  // n_exc falls as the injection grows (the cut tightens on the signal); the rule takes
  // min over injections of max(n_inj, n_exc).
  const std::vector<double> injected = {0, 100, 200, 400};
  const std::vector<double> excluded = {NAN, 500, 260, 240};
  BOOST_TEST(report::cms_limit(injected, excluded) == 260.0);
  BOOST_TEST(report::cms_limit({0, 100}, {NAN, 80}) == 100.0);
  BOOST_TEST(std::isnan(report::cms_limit({0}, {NAN})));
}

BOOST_AUTO_TEST_CASE(bad_settings_are_refused) {
  report::HuntAnalysisSettings s;
  s.validate("hunt.");
  s.efficiencies = {0.1, 0.0};
  BOOST_CHECK_THROW(s.validate("hunt."), core::InputError);
  s = {};
  s.bins = 3;
  BOOST_CHECK_THROW(s.validate("hunt."), core::InputError);
  s = {};
  s.max_params = 6;
  BOOST_CHECK_THROW(s.validate("hunt."), core::InputError);
  s = {};
  s.signal_mass = -1;
  BOOST_CHECK_THROW(s.validate("hunt."), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
