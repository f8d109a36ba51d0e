#include "stats/toys.hpp"

#include <algorithm>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>

using namespace cwola;

BOOST_AUTO_TEST_SUITE(toys)

BOOST_AUTO_TEST_CASE(poisson_moments) {
  for (double lambda : {0.7, 4.0, 35.0, 2.0e4}) {
    core::RandomStream stream(stats::toy_seed(1, static_cast<std::uint64_t>(lambda)));
    const int n = 40000;
    double sum = 0.0;
    double sum2 = 0.0;
    for (int i = 0; i < n; ++i) {
      const double k = stats::poisson_variate(stream, lambda);
      BOOST_REQUIRE(k >= 0.0);
      BOOST_REQUIRE(k == std::floor(k));
      sum += k;
      sum2 += k * k;
    }
    const double mean = sum / n;
    const double var = sum2 / n - mean * mean;
    // ±5σ: σ(mean) = √(λ/n), σ(var) ≈ λ√(2/n) (plus λ/n terms).
    BOOST_TEST_CONTEXT("lambda=" << lambda) {
      BOOST_TEST(std::fabs(mean - lambda) < 5.0 * std::sqrt(lambda / n));
      BOOST_TEST(std::fabs(var - lambda) < 5.0 * std::sqrt((2.0 * lambda * lambda + lambda) / n));
    }
  }
}

BOOST_AUTO_TEST_CASE(poisson_inverse_is_the_quantile) {
  for (double lambda : {0.01, 3.0, 250.0}) {
    for (double u : {0.001, 0.3, 0.5, 0.97}) {
      const double k = stats::poisson_inverse(u, lambda);
      BOOST_TEST(boost::math::gamma_q(k + 1.0, lambda) >= u - 1e-12);  // P(N <= k) >= u
      if (k > 0.0) BOOST_TEST(boost::math::gamma_q(k, lambda) < u);  // P(N <= k−1) < u
    }
  }
}

BOOST_AUTO_TEST_CASE(toy_seeds_depend_on_id_not_order) {
  BOOST_TEST(stats::toy_seed(5, 1) != stats::toy_seed(5, 2));
  BOOST_TEST(stats::toy_seed(5, 1) != stats::toy_seed(6, 1));
  BOOST_TEST(stats::toy_seed(5, 1) == stats::toy_seed(5, 1));
}

BOOST_AUTO_TEST_CASE(q0_follows_half_chi2) {
  // Background-only toys at one fixed mass: the signed z = sign(μ̂)√q0 is N(0, 1)
  // asymptotically, i.e. the one-sided q0 is ½δ(0) + ½χ²₁. 600 toys, tolerances ≈ 4σ.
  stats::Histogram h;
  for (int i = 0; i <= 25; ++i) h.edges.push_back(1500.0 + 120.0 * i);
  const stats::BackgroundFamily family{stats::FamilyKind::kDijet, 3, 13000.0};
  const std::vector<double> theta = {std::log(30.0), 12.0, 5.0};
  const auto b = stats::expected_counts(family, theta, h);
  h.counts = b;
  stats::FitOptions options;
  options.starts = 1;
  stats::BinnedFitter fitter(h, family, options);
  stats::SignalShape shape;
  const std::vector<stats::ScanPoint> point = {{2600.0, 130.0}};
  const int n = 600;
  std::vector<double> z;
  for (int t = 0; t < n; ++t) {
    const auto toy = stats::run_background_toy(fitter, b, theta, shape, point, stats::toy_seed(3, t));
    BOOST_REQUIRE(toy.ok);
    z.push_back(toy.z_signed[0]);
  }
  std::sort(z.begin(), z.end());
  double ks = 0.0;
  std::size_t zeros = 0;
  std::size_t above = 0;
  for (int i = 0; i < n; ++i) {
    const double cdf = 1.0 - stats::p_from_z(z[static_cast<std::size_t>(i)]);
    ks = std::max({ks, std::fabs(cdf - double(i) / n), std::fabs(cdf - double(i + 1) / n)});
    if (z[static_cast<std::size_t>(i)] <= 0.0) ++zeros;
    if (z[static_cast<std::size_t>(i)] > 0.0 && z[static_cast<std::size_t>(i)] * z[static_cast<std::size_t>(i)] > 2.7055) ++above;
  }
  BOOST_TEST_MESSAGE("q0 toys: P(q0=0) = " << double(zeros) / n << ", P(q0 > 2.71) = "
                                            << double(above) / n << " (expect 0.5, 0.05), KS D = " << ks);
  BOOST_TEST(std::fabs(double(zeros) / n - 0.5) < 0.08);        // σ = 0.020
  BOOST_TEST(std::fabs(double(above) / n - 0.05) < 0.036);      // σ = 0.0089
  BOOST_TEST(ks < 1.95 / std::sqrt(double(n)));                  // KS 0.1 % critical value
}

BOOST_AUTO_TEST_CASE(global_significance_counts) {
  const auto g = stats::global_significance(2.0, {0.5, 1.0, 2.5, 3.0, std::nan(""), 1.9});
  BOOST_TEST(g.toys == 5u);
  BOOST_TEST(g.exceeding == 2u);
  BOOST_TEST(g.p_global == 0.4);
  BOOST_TEST(g.trials_factor == 0.4 / stats::p_from_z(2.0));
}

BOOST_AUTO_TEST_SUITE_END()
