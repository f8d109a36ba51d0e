#include "stats/limits.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "stats/signal_shape.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(zero_events_no_background_is_three) {
  // CLs with n = 0 is e^{−s} whatever b: the textbook 3.00 events (−ln 0.05 = 2.9957).
  for (double b : {0.0, 1e-9, 1e-3, 2.0}) {
    BOOST_TEST(stats::counting_cls_limit(0.0, b) == -std::log(0.05), boost::test_tools::tolerance(1e-6));
  }
  // n = 1, b = 0: CLs = (1 + s)e^{−s} = 0.05 → s = 4.7439.
  BOOST_TEST(stats::counting_cls_limit(1.0, 0.0) == 4.743865, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(toy_cls_reproduces_the_exact_counting_limit) {
  // n = 0, b → 0 by toys: 3.00 within the toys' statistics (10000 toys: σ ≈ 0.045).
  const auto zero = stats::toy_cls_limit({0.0}, {1e-6}, {1.0}, 10000, 11);
  BOOST_REQUIRE(zero.ok);
  BOOST_TEST(std::fabs(zero.observed - 3.00) < 0.15);
  // n = 3, b = 1.5: the toy CLs with q̃_μ (monotone in n for one bin) is the exact CLs.
  const auto three = stats::toy_cls_limit({3.0}, {1.5}, {1.0}, 10000, 12);
  BOOST_REQUIRE(three.ok);
  const double exact = stats::counting_cls_limit(3.0, 1.5);
  BOOST_TEST(std::fabs(three.observed / exact - 1.0) < 0.05);
}

BOOST_AUTO_TEST_CASE(asymptotic_formula) {
  // Asimov data: q̃ = q_A → CLs = 2(1 − Φ(√q_A)); 0.05 at √q_A = 1.95996.
  BOOST_TEST(stats::asymptotic_cls(1.959964 * 1.959964, 1.959964 * 1.959964) == 0.05,
             boost::test_tools::tolerance(1e-5));
  // q̃ = 0: p_μ = ½, 1 − p_b = Φ(2).
  BOOST_TEST(stats::asymptotic_cls(0.0, 4.0) == 1.0 / std::erfc(-2.0 / std::sqrt(2.0)),
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(asymptotic_limit_on_asimov_data_is_the_median) {
  stats::Histogram h;
  for (int i = 0; i <= 40; ++i) h.edges.push_back(1500.0 + 100.0 * i);
  const stats::BackgroundFamily family{stats::FamilyKind::kDijet, 3, 13000.0};
  h.counts = stats::expected_counts(family, {std::log(50.0), 12.0, 5.0}, h);
  stats::BinnedFitter fitter(h, family);
  const auto background_fit = fitter.fit_background();
  BOOST_REQUIRE(background_fit.converged);
  stats::SignalShape shape;
  shape.mass_gev = 2500.0;
  shape.sigma_gev = 120.0;
  const auto s = shape.bin_fractions(h.edges);
  const auto limit = stats::asymptotic_cls_limit(fitter, background_fit, s);
  BOOST_REQUIRE(limit.ok);
  BOOST_TEST_MESSAGE("asymptotic limit " << limit.observed << " expected " << limit.expected[0] << " "
                                         << limit.expected[1] << " " << limit.expected[2] << " "
                                         << limit.expected[3] << " " << limit.expected[4]);
  BOOST_TEST(limit.observed == limit.expected[2], boost::test_tools::tolerance(0.01));
  for (int k = 1; k < 5; ++k) BOOST_TEST(limit.expected[k] > limit.expected[k - 1]);
  // Median ≈ 1.96 σ(μ̂) with σ from the signal+background fit's Hessian.
  const auto free_fit = fitter.fit_signal(s, background_fit.theta);
  BOOST_TEST(limit.expected[2] == 1.959964 * free_fit.signal_yield_error,
             boost::test_tools::tolerance(0.05));
  // A large-count single bin: asymptotic and exact limits agree to a few per cent.
  const double exact = stats::counting_cls_limit(1000.0, 1000.0);
  BOOST_TEST(exact == 1.959964 * std::sqrt(1000.0), boost::test_tools::tolerance(0.08));
}

BOOST_AUTO_TEST_SUITE_END()
