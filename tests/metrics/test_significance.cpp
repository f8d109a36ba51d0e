#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "metrics/significance.hpp"

namespace tt = boost::test_tools;
using cwola::core::InputError;
using cwola::metrics::significance;
using cwola::metrics::significance_improvement;

namespace {
/// The textbook formula in long double: reference where it does not cancel badly.
double direct(long double s, long double b) {
  return static_cast<double>(std::sqrt(2.0L * ((s + b) * std::log1p(s / b) - s)));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(significance_)

BOOST_AUTO_TEST_CASE(known_values) {
  // sqrt(2 (110 ln 1.1 - 10)) = sqrt(2 * 0.48411978) = 0.98399164.
  BOOST_TEST(significance(10.0, 100.0) == 0.9839916447569484, tt::tolerance(1e-12));
  // s = b = 1: sqrt(2 (2 ln 2 - 1)) = 0.87897026.
  BOOST_TEST(significance(1.0, 1.0) == 0.8789702624320013, tt::tolerance(1e-12));
  // The note's SR example: 138 signal on 19k background is S/sqrt(B) = 1.001, Z = 0.99995.
  BOOST_TEST(significance(138.0, 19000.0) == 0.9999489509866274, tt::tolerance(1e-10));
  BOOST_TEST(significance(50.0, 3.0) == direct(50.0L, 3.0L), tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(small_signal_limit_is_s_over_sqrt_b) {
  BOOST_TEST(significance(1.0, 1e8) == 1e-4, tt::tolerance(1e-6));
  BOOST_TEST(significance(1e-3, 1e3) == 1e-3 / std::sqrt(1e3), tt::tolerance(1e-6));
  // Far below where x^2 = (s/b)^2 underflows: still s/sqrt(b), not 0.
  BOOST_TEST(significance(1e-100, 1e250) == 1e-225, tt::tolerance(1e-12));
  // Next order: Z = s/sqrt(b) (1 - x/6 + ...), x = s/b = 1e-3.
  BOOST_TEST(significance(1.0, 1e3) == (1.0 / std::sqrt(1e3)) * (1.0 - 1e-3 / 6.0),
             tt::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(series_and_direct_forms_agree_at_the_switch) {
  // The series is used for s/b < 1e-2; both sides must match the long-double formula.
  for (const double x : {1e-4, 5e-3, 0.0099999, 0.01, 0.0100001, 0.05}) {
    BOOST_TEST(significance(x * 1e4, 1e4) == direct(x * 1e4L, 1e4L), tt::tolerance(1e-11));
  }
}

BOOST_AUTO_TEST_CASE(edge_cases) {
  BOOST_TEST(significance(0.0, 100.0) == 0.0);
  BOOST_TEST(significance(0.0, 0.0) == 0.0);
  BOOST_TEST(std::isinf(significance(5.0, 0.0)));
  BOOST_TEST(std::isfinite(significance(1e10, 1e-300)));
  BOOST_CHECK_THROW(significance(-1.0, 10.0), InputError);
  BOOST_CHECK_THROW(significance(1.0, -10.0), InputError);
  BOOST_CHECK_THROW(significance(std::nan(""), 10.0), InputError);
  BOOST_CHECK_THROW(significance(1.0, std::numeric_limits<double>::infinity()), InputError);
}

BOOST_AUTO_TEST_CASE(monotone_in_signal_and_background) {
  double previous = 0.0;
  for (double s = 1.0; s < 1000.0; s *= 1.5) {
    const double z = significance(s, 100.0);
    BOOST_TEST(z > previous);
    previous = z;
  }
  BOOST_TEST(significance(10.0, 50.0) > significance(10.0, 100.0));
}

BOOST_AUTO_TEST_CASE(improvement_values) {
  BOOST_TEST(significance_improvement(0.5, 0.01) == 5.0, tt::tolerance(1e-14));
  BOOST_TEST(significance_improvement(1.0, 1.0) == 1.0);
  BOOST_TEST(significance_improvement(0.2, 1e-3) == 0.2 / std::sqrt(1e-3), tt::tolerance(1e-14));
  BOOST_TEST(significance_improvement(0.0, 0.0) == 0.0);
  BOOST_TEST(std::isinf(significance_improvement(0.1, 0.0)));
  BOOST_CHECK_THROW(significance_improvement(1.1, 0.1), InputError);
  BOOST_CHECK_THROW(significance_improvement(0.5, -0.1), InputError);
  BOOST_CHECK_THROW(significance_improvement(std::nan(""), 0.1), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
