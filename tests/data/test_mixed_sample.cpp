#include <boost/test/unit_test.hpp>
#include <set>

#include "data/mixed_sample.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(mixed_sample)

BOOST_AUTO_TEST_CASE(signal_count_rounds) {
  BOOST_TEST(data::signal_count(0.7, 1000) == 700U);
  BOOST_TEST(data::signal_count(0.0, 1000) == 0U);
  BOOST_TEST(data::signal_count(1.0, 1000) == 1000U);
  BOOST_TEST(data::signal_count(1.0 / 3.0, 10) == 3U);
}

BOOST_AUTO_TEST_CASE(split_is_a_partition_with_the_asked_size) {
  data::EventTable table;
  table.features = 1;
  std::vector<float> values(1000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  table.append(values, 1000, 1, 0);
  core::RandomStream stream(3);
  const auto split = data::split_train_validation(table, 0.2, stream);
  BOOST_TEST(split.validation.size() == 200U);
  BOOST_TEST(split.train.size() == 800U);
  std::set<float> seen(split.train.rows.begin(), split.train.rows.end());
  for (float v : split.validation.rows) BOOST_TEST(seen.insert(v).second);
  BOOST_TEST(seen.size() == 1000U);
}

BOOST_AUTO_TEST_CASE(subset_keeps_rows_labels_and_truth_together) {
  data::EventTable table;
  table.features = 2;
  table.append({1, 2, 3, 4}, 2, 1, 1);
  table.append({5, 6}, 1, 0, 0);
  const auto sub = table.subset({2, 0});
  BOOST_TEST(sub.rows == (std::vector<float>{5, 6, 1, 2}));
  BOOST_TEST(sub.label == (std::vector<std::uint8_t>{0, 1}));
  BOOST_TEST(sub.is_signal == (std::vector<std::uint8_t>{0, 1}));
}

BOOST_AUTO_TEST_SUITE_END()
