#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "metrics/aggregate.hpp"

namespace tt = boost::test_tools;
using cwola::metrics::aggregate;

BOOST_AUTO_TEST_SUITE(aggregate_)

BOOST_AUTO_TEST_CASE(known_list_matches_numpy_by_hand) {
  // Sorted: 1 1 2 3 4 5 6 9. mean = 31/8; np.std = sqrt(173/8 - 3.875^2) = sqrt(6.609375);
  // np.quantile (linear, position q (n-1) = 7q): median 3.5 -> 3 + 0.5 (4-3) = 3.5,
  // q16 1.12 -> 1 + 0.12 (2-1) = 1.12, q84 5.88 -> 5 + 0.88 (6-5) = 5.88.
  const auto a = aggregate({3, 1, 4, 1, 5, 9, 2, 6});
  BOOST_TEST(a.count == 8U);
  BOOST_TEST(a.mean == 3.875, tt::tolerance(1e-14));
  BOOST_TEST(a.std == std::sqrt(6.609375), tt::tolerance(1e-14));
  BOOST_TEST(a.std == 2.5708704751503917, tt::tolerance(1e-14));
  BOOST_TEST(a.median == 3.5, tt::tolerance(1e-14));
  BOOST_TEST(a.q16 == 1.12, tt::tolerance(1e-14));
  BOOST_TEST(a.q84 == 5.88, tt::tolerance(1e-14));

  // Classic population-std example: mean 5, np.std 2 (the sample std would be 2.138).
  // Quantiles: median 3.5 -> 4 + 0.5 (5-4) = 4.5, q16 1.12 -> 4, q84 5.88 -> 5 + 0.88 * 2.
  const auto b = aggregate({2, 4, 4, 4, 5, 5, 7, 9});
  BOOST_TEST(b.mean == 5.0, tt::tolerance(1e-14));
  BOOST_TEST(b.std == 2.0, tt::tolerance(1e-14));
  BOOST_TEST(b.median == 4.5, tt::tolerance(1e-14));
  BOOST_TEST(b.q16 == 4.0, tt::tolerance(1e-14));
  BOOST_TEST(b.q84 == 6.76, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(odd_count_median_is_the_middle_value) {
  // n = 5: positions 2 (median), 0.64 (q16: 10 + 0.64 * 10), 3.36 (q84: 40 + 0.36 * 60).
  const auto a = aggregate({40, 10, 100, 30, 20});
  BOOST_TEST(a.median == 30.0, tt::tolerance(1e-14));
  BOOST_TEST(a.q16 == 16.4, tt::tolerance(1e-14));
  BOOST_TEST(a.q84 == 61.6, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_skipped_and_not_counted) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto a = aggregate({kNaN, 2, 4, 4, kInf, 4, 5, 5, -kInf, 7, 9, kNaN});
  BOOST_TEST(a.count == 8U);
  BOOST_TEST(a.mean == 5.0, tt::tolerance(1e-14));
  BOOST_TEST(a.std == 2.0, tt::tolerance(1e-14));
  BOOST_TEST(a.median == 4.5, tt::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(empty_and_single) {
  const auto empty = aggregate({});
  BOOST_TEST(empty.count == 0U);
  BOOST_TEST(std::isnan(empty.mean));
  BOOST_TEST(std::isnan(empty.std));
  BOOST_TEST(std::isnan(empty.median));
  BOOST_TEST(std::isnan(empty.q16));
  BOOST_TEST(std::isnan(empty.q84));
  const auto all_nan = aggregate({std::nan(""), std::nan("")});
  BOOST_TEST(all_nan.count == 0U);
  BOOST_TEST(std::isnan(all_nan.mean));

  const auto one = aggregate({0.7});
  BOOST_TEST(one.count == 1U);
  BOOST_TEST(one.mean == 0.7);
  BOOST_TEST(one.std == 0.0);
  BOOST_TEST(one.median == 0.7);
  BOOST_TEST(one.q16 == 0.7);
  BOOST_TEST(one.q84 == 0.7);
}

BOOST_AUTO_TEST_CASE(std_does_not_cancel_far_from_zero) {
  // 1e9 + {1, 2, 3}: population std sqrt(2/3) needs the two-pass form.
  const auto a = aggregate({1e9 + 1, 1e9 + 2, 1e9 + 3});
  BOOST_TEST(a.std == std::sqrt(2.0 / 3.0), tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(quantile_helper) {
  const std::vector<double> sorted{1, 2, 4};
  BOOST_TEST(cwola::metrics::quantile_of_sorted(sorted, 0.0) == 1.0);
  BOOST_TEST(cwola::metrics::quantile_of_sorted(sorted, 1.0) == 4.0);
  BOOST_TEST(cwola::metrics::quantile_of_sorted(sorted, 0.75) == 3.0, tt::tolerance(1e-14));
  BOOST_CHECK_THROW(cwola::metrics::quantile_of_sorted({}, 0.5), cwola::core::InputError);
  BOOST_CHECK_THROW(cwola::metrics::quantile_of_sorted(sorted, 1.5), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
