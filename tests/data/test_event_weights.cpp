#include <boost/test/unit_test.hpp>
#include <numeric>

#include "core/error.hpp"
#include "data/event_weights.hpp"

namespace data = cwola::data;
using data::HuntingRegion;

BOOST_AUTO_TEST_SUITE(event_weights)

BOOST_AUTO_TEST_CASE(balanced_weights_equalise_labels_with_mean_one) {
  const std::vector<std::uint8_t> labels = {1, 0, 0, 0, 1, 0, 0, 0};  // 2 vs 6
  const auto w = data::balanced_class_weights(labels);
  double sum0 = 0;
  double sum1 = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) (labels[i] ? sum1 : sum0) += w[i];
  BOOST_TEST(sum0 == sum1, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(sum0 + sum1 == 8.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(w[0] == 2.0F);  // 8 / (2 * 2)
  BOOST_CHECK_THROW(data::balanced_class_weights({1, 1, 1}), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(cwola_hunting_weights_follow_the_recipe) {
  // 4 low-sideband, 2 signal-region, 8 high-sideband events.
  std::vector<HuntingRegion> regions;
  for (int i = 0; i < 14; ++i) {
    regions.push_back(i < 4   ? HuntingRegion::kLowSideband
                      : i < 6 ? HuntingRegion::kSignalRegion
                              : HuntingRegion::kHighSideband);
  }
  const auto w = data::cwola_hunting_weights(regions);
  BOOST_TEST(w[0] == 1.0F);
  BOOST_TEST(w[4] == 4.0F);  // 2 n_low / n_SR = 8 / 2
  BOOST_TEST(w[6] == 0.5F);  // n_low / n_high = 4 / 8
  // Both sidebands weigh n_low each; the signal region weighs as much as both together.
  const double low = std::accumulate(w.begin(), w.begin() + 4, 0.0);
  const double sr = std::accumulate(w.begin() + 4, w.begin() + 6, 0.0);
  const double high = std::accumulate(w.begin() + 6, w.end(), 0.0);
  BOOST_TEST(low == high);
  BOOST_TEST(sr == low + high);
  BOOST_CHECK_THROW(data::cwola_hunting_weights({HuntingRegion::kLowSideband}),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
