#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "data/gaussian_source.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(gaussian_source)

BOOST_AUTO_TEST_CASE(cholesky_reproduces_covariance) {
  const auto sigma = std::vector<double>{1.0, 2.0, 0.5};
  const auto cov = data::equicorrelated_covariance(sigma, 0.3);
  const auto lower = data::cholesky(cov);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      double sum = 0;
      for (std::size_t k = 0; k < 3; ++k) sum += lower[i * 3 + k] * lower[j * 3 + k];
      BOOST_TEST(sum == cov.at(i, j), boost::test_tools::tolerance(1e-12));
    }
  }
}

BOOST_AUTO_TEST_CASE(not_positive_definite_is_rejected) {
  // With d = 3, correlation must exceed -1/2.
  BOOST_CHECK_THROW(data::cholesky(data::equicorrelated_covariance({1, 1, 1}, -0.6)),
                    core::InputError);
}

BOOST_AUTO_TEST_CASE(mahalanobis_known_values) {
  // Identity covariance: Euclidean distance.
  BOOST_TEST(data::mahalanobis_distance({0.5, 0.5, 0.5, 0.5},
                                        data::equicorrelated_covariance({1, 1, 1, 1}, 0.0)) ==
                 1.0,
             boost::test_tools::tolerance(1e-12));
  // 2-d with correlation rho, shift (a, a): Δ² = 2a²/(1+rho).
  const double rho = 0.5;
  const double a = 1.0;
  BOOST_TEST(data::mahalanobis_distance({a, a}, data::equicorrelated_covariance({1, 1}, rho)) ==
                 std::sqrt(2 * a * a / (1 + rho)),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(data::normal_cdf(0.0) == 0.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(data::normal_cdf(1.0) == 0.8413447460685429, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(sample_moments_match) {
  const std::vector<double> mean{1.0, -2.0};
  const auto cov = data::equicorrelated_covariance({2.0, 0.5}, 0.6);
  const data::GaussianSource source(mean, cov);
  core::RandomStream stream(99);
  std::vector<float> rows;
  const std::size_t n = 200000;
  source.sample(stream, n, rows);
  BOOST_REQUIRE(rows.size() == 2 * n);
  double m0 = 0, m1 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    m0 += rows[2 * i];
    m1 += rows[2 * i + 1];
  }
  m0 /= n;
  m1 /= n;
  double c00 = 0, c11 = 0, c01 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = rows[2 * i] - m0;
    const double y = rows[2 * i + 1] - m1;
    c00 += x * x;
    c11 += y * y;
    c01 += x * y;
  }
  // Standard errors at n = 2e5 are ~0.005 (mean) and ~1% (variances): 5σ bounds.
  BOOST_TEST(std::abs(m0 - 1.0) < 0.025);
  BOOST_TEST(std::abs(m1 + 2.0) < 0.006);
  BOOST_TEST(std::abs(c00 / n - 4.0) < 0.08);
  BOOST_TEST(std::abs(c11 / n - 0.25) < 0.005);
  BOOST_TEST(std::abs(c01 / n - 0.6) < 0.02);
}

BOOST_AUTO_TEST_CASE(same_seed_same_events) {
  const data::GaussianSource source({0, 0, 0}, data::equicorrelated_covariance({1, 1, 1}, 0.1));
  std::vector<float> a;
  std::vector<float> b;
  core::RandomStream s1(5);
  core::RandomStream s2(5);
  source.sample(s1, 100, a);
  source.sample(s2, 100, b);
  BOOST_TEST(a == b);
}

BOOST_AUTO_TEST_SUITE_END()
