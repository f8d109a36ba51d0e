#include <boost/test/unit_test.hpp>
#include <cmath>

#include "data/feature_scaling.hpp"

namespace data = cwola::data;

BOOST_AUTO_TEST_SUITE(feature_scaling)

BOOST_AUTO_TEST_CASE(feature_scaling_standardises) {
  data::EventTable table;
  table.features = 2;
  for (int i = 0; i < 100; ++i) {
    table.append({static_cast<float>(100 + 10 * i), 5.0F}, 1, 0, 0);
  }
  const auto scaling = data::FeatureScaling::fit(table);
  scaling.apply(table);
  double mean = 0, m2 = 0;
  for (std::size_t r = 0; r < table.size(); ++r) {
    mean += table.rows[2 * r];
    m2 += table.rows[2 * r] * table.rows[2 * r];
    BOOST_TEST(table.rows[2 * r + 1] == 0.0F);  // constant feature: σ = 1, centred
  }
  BOOST_TEST(std::abs(mean / 100) < 1e-5);
  BOOST_TEST(m2 / 100 == 1.0, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(fits_on_the_first_rows_only) {
  data::EventTable table;
  table.features = 1;
  table.append({1.0F, 3.0F, 1000.0F}, 3, 0, 0);  // the last row is an augmented copy, say
  const auto scaling = data::FeatureScaling::fit(table, 2);
  BOOST_TEST(scaling.mean[0] == 2.0);
  BOOST_TEST(scaling.sigma[0] == 1.0);
  scaling.apply(table);
  BOOST_TEST(table.rows[2] == 998.0F);
}

BOOST_AUTO_TEST_SUITE_END()
