#include "stats/significance.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

using namespace cwola;

BOOST_AUTO_TEST_SUITE(significance)

BOOST_AUTO_TEST_CASE(single_bin_closed_form) {
  // The likelihood-ratio code (root finding on the score) against the closed form.
  for (double b : {0.3, 1.0, 7.5, 100.0, 1e4}) {
    for (double n : {0.0, 1.0, 2.0, 5.0, 13.0, 120.0, 10300.0}) {
      const double z = stats::fixed_background_z({n}, {b}, {1.0});
      BOOST_TEST_CONTEXT("n=" << n << " b=" << b) {
        BOOST_TEST(std::fabs(z - stats::single_bin_z(n, b)) < 1e-6);
      }
    }
  }
  BOOST_TEST(stats::single_bin_z(0.0, 2.0) == -2.0, boost::test_tools::tolerance(1e-12));
  // n = b + s with s = 10, b = 100: Z = 0.98399 (vs s/√b = 1).
  BOOST_TEST(stats::single_bin_z(110.0, 100.0) == 0.98399, boost::test_tools::tolerance(1e-4));
}

BOOST_AUTO_TEST_CASE(asimov_closed_form) {
  const std::vector<double> b = {120.0, 80.0, 55.0, 30.0, 12.0, 4.0};
  const std::vector<double> s = {0.05, 0.2, 0.4, 0.25, 0.08, 0.02};
  for (double mu : {5.0, 40.0, 300.0}) {
    BOOST_TEST(std::fabs(stats::asimov_z(b, s, mu) - stats::asimov_z_closed_form(b, s, mu)) < 1e-6);
  }
  // Small signal: z_A → μ √(Σ s²/b).
  double info = 0.0;
  for (std::size_t i = 0; i < b.size(); ++i) info += s[i] * s[i] / b[i];
  BOOST_TEST(stats::asimov_z(b, s, 0.1) == 0.1 * std::sqrt(info), boost::test_tools::tolerance(1e-3));
}

BOOST_AUTO_TEST_CASE(profiled_scan_signs_and_size) {
  // Dijet background, Gaussian signal injected at 3 TeV: the scan peaks there with
  // z close to (below: the background is profiled) the fixed-background Asimov z.
  stats::Histogram h;
  for (int i = 0; i <= 40; ++i) h.edges.push_back(1500.0 + 100.0 * i);
  const stats::BackgroundFamily family{stats::FamilyKind::kDijet, 4, 13000.0};
  const auto b = stats::expected_counts(family, {std::log(50.0), 12.0, 5.0, 0.1}, h);
  stats::SignalShape shape;
  shape.mass_gev = 3000.0;
  shape.sigma_gev = 150.0;
  const auto s = shape.bin_fractions(h.edges);
  const double yield = 6000.0;
  for (std::size_t i = 0; i < b.size(); ++i) h.counts.push_back(b[i] + yield * s[i]);
  stats::BinnedFitter fitter(h, family);
  const auto background_fit = fitter.fit_background();
  BOOST_REQUIRE(background_fit.converged);
  const std::vector<stats::ScanPoint> points = {{2200.0, 110.0}, {3000.0, 150.0}, {4200.0, 210.0}};
  const auto scan = stats::scan_local_significance(fitter, background_fit, shape, points);
  const double z_fixed = stats::asimov_z(b, s, yield);
  BOOST_TEST(scan.failure[1].empty());
  BOOST_TEST(scan.z_signed[1] > 0.5 * z_fixed);
  BOOST_TEST(scan.z_signed[1] <= z_fixed + 1e-6);
  BOOST_TEST(scan.z_signed[1] > scan.z_signed[0]);
  BOOST_TEST(scan.z_signed[1] > scan.z_signed[2]);
  BOOST_TEST(scan.p_local[1] == stats::p_from_z(scan.z_signed[1]));
  // A deficit gives a negative signed z.
  for (std::size_t i = 0; i < b.size(); ++i) h.counts[i] = b[i] - yield * s[i];
  fitter.set_counts(h.counts);
  const auto deficit_fit = fitter.fit_background();
  const auto deficit = stats::scan_local_significance(fitter, deficit_fit, shape, {points[1]});
  BOOST_TEST_MESSAGE("excess z " << scan.z_signed[1] << " yield " << scan.yield[1] << " deficit z "
                    << deficit.z_signed[0] << " yield " << deficit.yield[0] << " fixed " << z_fixed);
  BOOST_TEST(deficit.z_signed[0] < -3.0);
  BOOST_TEST(deficit.yield[0] < 0.0);
}

BOOST_AUTO_TEST_CASE(p_and_z) {
  BOOST_TEST(stats::p_from_z(0.0) == 0.5);
  BOOST_TEST(stats::p_from_z(5.0) == 2.866515718791939e-07, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(stats::z_from_p(stats::p_from_z(3.1)) == 3.1, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
