#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "core/early_stopping.hpp"

using cwola::core::EarlyStopping;

BOOST_AUTO_TEST_SUITE(early_stopping)

BOOST_AUTO_TEST_CASE(patience_counts_steps_since_the_last_improvement) {
  EarlyStopping rule(2);
  const std::vector<double> losses = {1.0, 0.8, 0.9, 0.7, 0.75, 0.72};
  std::vector<bool> improved;
  std::vector<bool> exhausted;
  for (int step = 0; step < static_cast<int>(losses.size()); ++step) {
    improved.push_back(rule.improved(losses[static_cast<std::size_t>(step)], step));
    exhausted.push_back(rule.exhausted());
  }
  BOOST_TEST(improved == std::vector<bool>({true, true, false, true, false, false}));
  BOOST_TEST(exhausted == std::vector<bool>({false, false, false, false, false, true}));
  BOOST_TEST(rule.best_step() == 3);
  BOOST_TEST(rule.best_loss() == 0.7);
  BOOST_TEST(rule.steps_without_improvement() == 2);
}

BOOST_AUTO_TEST_CASE(min_delta_and_nan_are_no_improvement) {
  EarlyStopping rule(1, 0.1);
  BOOST_TEST(rule.best_step() == -1);
  BOOST_TEST(!rule.improved(std::nan(""), 0));  // a NaN never improves
  BOOST_TEST(rule.exhausted());
  BOOST_TEST(rule.improved(1.0, 1));
  BOOST_TEST(!rule.improved(0.95, 2));  // by less than min_delta
  BOOST_TEST(rule.improved(0.85, 3));
  BOOST_TEST(rule.best_step() == 3);
}

BOOST_AUTO_TEST_CASE(a_restored_rule_continues_as_the_uninterrupted_one) {
  const std::vector<double> losses = {1.0, 0.9, 0.95, 0.97, 0.8, 0.85, 0.86, 0.87};
  EarlyStopping whole(3);
  std::vector<int> stopped_whole;
  for (int step = 0; step < static_cast<int>(losses.size()); ++step) {
    whole.improved(losses[static_cast<std::size_t>(step)], step);
    if (whole.exhausted()) stopped_whole.push_back(step);
  }
  EarlyStopping first(3);
  for (int step = 0; step < 3; ++step) first.improved(losses[static_cast<std::size_t>(step)], step);
  EarlyStopping resumed(3);
  resumed.restore(first.best_loss(), first.best_step(), first.steps_without_improvement());
  std::vector<int> stopped_resumed;
  for (int step = 3; step < static_cast<int>(losses.size()); ++step) {
    resumed.improved(losses[static_cast<std::size_t>(step)], step);
    if (resumed.exhausted()) stopped_resumed.push_back(step);
  }
  BOOST_TEST(stopped_resumed == stopped_whole);
  BOOST_TEST(resumed.best_step() == whole.best_step());
  BOOST_TEST(stopped_whole == std::vector<int>({7}));
}

BOOST_AUTO_TEST_SUITE_END()
