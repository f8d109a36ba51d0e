#include "stats/background_family.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(background_family)

BOOST_AUTO_TEST_CASE(dijet_density_is_the_cms_formula) {
  const stats::BackgroundFamily family{stats::FamilyKind::kDijet, 5, 13000.0};
  const std::vector<double> theta = {std::log(2.5e-3), 9.0, 5.5, 0.3, 0.02};
  for (double m : {1600.0, 3000.0, 7000.0}) {
    const double x = m / 13000.0;
    const double lx = std::log(x);
    const double cms = 2.5e-3 * std::pow(1.0 - x, 9.0) / std::pow(x, 5.5 + 0.3 * lx + 0.02 * lx * lx);
    BOOST_TEST(std::exp(family.log_density(theta, m)) == cms, boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(family.name() == "dijet5");
}

BOOST_AUTO_TEST_CASE(ua2_density_is_its_formula) {
  const stats::BackgroundFamily family{stats::FamilyKind::kUa2, 4, 13000.0};
  const std::vector<double> theta = {std::log(7.0), 4.0, 10.0, -2.0};
  const double m = 2500.0;
  const double x = m / 13000.0;
  const double ua2 = 7.0 * std::pow(x, -4.0) * std::exp(-10.0 * x + 2.0 * x * x);
  BOOST_TEST(std::exp(family.log_density(theta, m)) == ua2, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(bin_integrals_match_the_analytic_integral) {
  // Dijet with p1 = 0 is a power law: ∫ p0 (m/√s)^(−p2) dm = p0 √s x^(1−p2)/(1−p2).
  const stats::BackgroundFamily family{stats::FamilyKind::kDijet, 3, 13000.0};
  const double p0 = 3.0;
  const double p2 = 6.0;
  const std::vector<double> theta = {std::log(p0), 0.0, p2};
  stats::Histogram h{{1500.0, 1900.0, 2500.0, 4000.0, 7000.0}, {0, 0, 0, 0}};
  const auto mu = stats::expected_counts(family, theta, h);
  for (std::size_t i = 0; i < h.bins(); ++i) {
    auto primitive = [&](double m) {
      return p0 * 13000.0 * std::pow(m / 13000.0, 1.0 - p2) / (1.0 - p2);
    };
    const double exact = primitive(h.high(i)) - primitive(h.low(i));
    BOOST_TEST(mu[i] == exact, boost::test_tools::tolerance(1e-9));
    // Why integrate: the centre value × width is off by far more in these wide bins.
    const double centre = std::exp(family.log_density(theta, h.centre(i))) * h.width(i);
    BOOST_TEST(std::fabs(centre / exact - 1.0) > 1e-3);
  }
}

BOOST_AUTO_TEST_CASE(invalid_families_rejected) {
  BOOST_CHECK_THROW((stats::BackgroundFamily{stats::FamilyKind::kDijet, 6, 13000.0}.validate()),
                    core::InputError);
  BOOST_CHECK_THROW((stats::BackgroundFamily{stats::FamilyKind::kDijet, 1, 13000.0}.validate()),
                    core::InputError);
  BOOST_CHECK_THROW(stats::parse_family("atlas9", "--family"), core::InputError);
  BOOST_TEST(static_cast<int>(stats::parse_family("ua2", "x")) ==
             static_cast<int>(stats::FamilyKind::kUa2));
}

BOOST_AUTO_TEST_SUITE_END()
