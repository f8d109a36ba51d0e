#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "metrics/classifier_metrics.hpp"
#include "metrics/roc.hpp"
#include "metrics/significance.hpp"

namespace tt = boost::test_tools;
using cwola::core::InputError;
using cwola::metrics::ClassifierMetrics;
using cwola::metrics::Rectify;
using Labels = std::vector<std::uint8_t>;
using Scores = std::vector<float>;

namespace {

/// Z from the textbook formula, independent of the library's stable form.
double z_direct(double s, double b) {
  return std::sqrt(2.0 * ((s + b) * std::log(1.0 + s / b) - s));
}

void gaussian_sample(std::size_t n_each, Scores& scores, Labels& labels) {
  std::mt19937_64 rng(777);
  std::normal_distribution<double> gauss(0.0, 1.0);
  for (std::size_t i = 0; i < n_each; ++i) {
    scores.push_back(static_cast<float>(1.0 + gauss(rng)));
    labels.push_back(1);
    scores.push_back(static_cast<float>(gauss(rng)));
    labels.push_back(0);
  }
}

/// Evaluation with the test set standing in for the validation set (the default floor).
ClassifierMetrics evaluate_classifier(const Scores& scores, const Labels& labels, Rectify rectify,
                                      double expected_signal, double expected_background,
                                      const std::vector<double>& grid) {
  cwola::metrics::EvaluationSettings settings;
  settings.rectify = rectify;
  settings.roc_grid = grid;
  return cwola::metrics::evaluate_classifier({scores, labels}, {scores, labels}, settings,
                                             expected_signal, expected_background);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(classifier_metrics)

BOOST_AUTO_TEST_CASE(working_points_are_the_quoted_ones) {
  const std::vector<double> expected{0.1, 0.01, 0.001};
  BOOST_TEST(cwola::metrics::working_points() == expected, tt::per_element());
}

BOOST_AUTO_TEST_CASE(hand_example) {
  // ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1): eps_s = 0.5 at every working point.
  const auto m = evaluate_classifier({0.1F, 0.4F, 0.35F, 0.8F}, {0, 0, 1, 1}, Rectify::kNo, 20.0,
                                     400.0, {0.25, 0.5, 0.75});
  BOOST_TEST(!m.rectified);
  BOOST_TEST(m.auc == 0.75, tt::tolerance(1e-15));
  BOOST_TEST(m.best_accuracy == 0.75);
  BOOST_TEST(m.best_threshold == static_cast<double>(0.8F));
  BOOST_TEST(m.accuracy_at_half == 0.75);
  const std::vector<double> half{0.5, 0.5, 0.5};
  BOOST_TEST(m.signal_efficiency == half, tt::tolerance(1e-15) << tt::per_element());
  const std::vector<double> sic{0.5 / std::sqrt(0.1), 0.5 / std::sqrt(0.01),
                                0.5 / std::sqrt(0.001)};
  BOOST_TEST(m.significance_improvement == sic, tt::tolerance(1e-12) << tt::per_element());
  const std::vector<double> after{z_direct(10.0, 40.0), z_direct(10.0, 4.0), z_direct(10.0, 0.4)};
  BOOST_TEST(m.significance_after == after, tt::tolerance(1e-10) << tt::per_element());
  BOOST_TEST(m.significance_before == z_direct(20.0, 400.0), tt::tolerance(1e-10));
  const std::vector<double> grid{0.5, 1.0, 1.0};
  BOOST_TEST(m.roc_on_grid == grid, tt::tolerance(1e-15) << tt::per_element());
}

BOOST_AUTO_TEST_CASE(perfect_separation) {
  const auto m = evaluate_classifier({0.1F, 0.2F, 0.7F, 0.9F}, {0, 0, 1, 1},
                                     Rectify::kIfBelowHalf, 100.0, 10000.0, {1e-3, 1.0});
  BOOST_TEST(!m.rectified);
  BOOST_TEST(m.auc == 1.0);
  BOOST_TEST(m.best_accuracy == 1.0);
  const std::vector<double> ones{1.0, 1.0, 1.0};
  BOOST_TEST(m.signal_efficiency == ones, tt::per_element());
  BOOST_TEST(m.significance_improvement[1] == 10.0, tt::tolerance(1e-14));
  BOOST_TEST(m.significance_after[0] == z_direct(100.0, 1000.0), tt::tolerance(1e-10));
  BOOST_TEST(m.significance_after[2] == z_direct(100.0, 10.0), tt::tolerance(1e-10));
  BOOST_TEST(m.significance_after[2] > m.significance_before);
}

BOOST_AUTO_TEST_CASE(rectification_flips_an_inverted_classifier) {
  // Inverted copy of the hand example: 1 - s = {0.1, 0.4, 0.35, 0.8}. AUC = 1/4.
  const Scores scores{0.9F, 0.6F, 0.65F, 0.2F};
  const Labels labels{0, 0, 1, 1};
  const auto off = evaluate_classifier(scores, labels, Rectify::kNo, 20.0, 400.0, {0.5});
  BOOST_TEST(!off.rectified);
  BOOST_TEST(off.auc == 0.25, tt::tolerance(1e-15));
  // s >= 0.5 selects 0.9 (B), 0.6 (B), 0.65 (S); 0.2 (S) fails: 1 of 4 correct.
  BOOST_TEST(off.accuracy_at_half == 0.25);

  const auto on = evaluate_classifier(scores, labels, Rectify::kIfBelowHalf, 20.0, 400.0, {0.5});
  BOOST_TEST(on.rectified);
  BOOST_TEST(on.auc == 1.0 - off.auc, tt::tolerance(1e-15));
  BOOST_TEST(on.best_accuracy == 0.75);
  // Quoted on the rectified score 1 - s: the best cut is 1 - s >= 0.8.
  BOOST_TEST(on.best_threshold == 1.0 - static_cast<double>(0.2F), tt::tolerance(1e-15));
  // 1 - s >= 0.5 selects only 0.2 (S): 3 of 4 correct.
  BOOST_TEST(on.accuracy_at_half == 0.75);
  BOOST_TEST(on.signal_efficiency[0] == 0.5, tt::tolerance(1e-15));
  BOOST_TEST(on.roc_on_grid[0] == 1.0, tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(rectified_equals_evaluating_one_minus_score) {
  // Scores on a 1/64 grid so that 1 - s is exact in float and the two paths must agree.
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int> bin(0, 60);
  std::bernoulli_distribution is_signal(0.4);
  Scores scores;
  Scores one_minus;
  Labels labels;
  for (int i = 0; i < 3000; ++i) {
    const bool s = is_signal(rng);
    const float x = static_cast<float>(bin(rng) - (s ? 8 : 0) + 8) / 64.0F;  // signal lower
    scores.push_back(x);
    one_minus.push_back(1.0F - x);
    labels.push_back(s ? 1 : 0);
  }
  const auto grid = cwola::metrics::log_grid(1e-3, 1.0, 13);
  const auto flipped = evaluate_classifier(scores, labels, Rectify::kIfBelowHalf, 50, 5000, grid);
  const auto direct = evaluate_classifier(one_minus, labels, Rectify::kNo, 50, 5000, grid);
  BOOST_TEST(flipped.rectified);
  BOOST_TEST(!direct.rectified);
  BOOST_TEST(flipped.auc > 0.5);
  BOOST_TEST(flipped.auc == direct.auc, tt::tolerance(1e-12));
  BOOST_TEST(flipped.best_accuracy == direct.best_accuracy);
  BOOST_TEST(flipped.best_threshold == direct.best_threshold, tt::tolerance(1e-12));
  BOOST_TEST(flipped.accuracy_at_half == direct.accuracy_at_half);
  BOOST_TEST(flipped.signal_efficiency == direct.signal_efficiency,
             tt::tolerance(1e-12) << tt::per_element());
  BOOST_TEST(flipped.significance_after == direct.significance_after,
             tt::tolerance(1e-12) << tt::per_element());
  BOOST_TEST(flipped.roc_on_grid == direct.roc_on_grid, tt::tolerance(1e-12) << tt::per_element());
  BOOST_TEST(flipped.max_sic == direct.max_sic, tt::tolerance(1e-12));
  BOOST_TEST(flipped.mean_sic == direct.mean_sic, tt::tolerance(1e-12));
  BOOST_TEST(flipped.rejection == direct.rejection, tt::tolerance(1e-12) << tt::per_element());
  BOOST_TEST(flipped.validation_threshold == direct.validation_threshold, tt::tolerance(1e-12));
  BOOST_TEST(flipped.accuracy_at_validation_threshold == direct.accuracy_at_validation_threshold);
}

BOOST_AUTO_TEST_CASE(no_flip_when_not_below_half) {
  const auto m = evaluate_classifier({0.5F, 0.5F, 0.5F, 0.5F}, {0, 1, 0, 1}, Rectify::kIfBelowHalf,
                                     1.0, 1.0, {});
  BOOST_TEST(!m.rectified);
  BOOST_TEST(m.auc == 0.5);
  BOOST_TEST(m.roc_on_grid.empty());
}

BOOST_AUTO_TEST_CASE(gaussian_working_points) {
  // N(1,1) vs N(0,1): at eps_b the cut is t = Phi^-1(1 - eps_b), eps_s = Phi(1 - t):
  // 0.38914 at 10%, 0.09236 at 1%.
  Scores scores;
  Labels labels;
  gaussian_sample(200000, scores, labels);
  const auto m =
      evaluate_classifier(scores, labels, Rectify::kIfBelowHalf, 100.0, 1e4, {0.1, 0.5});
  BOOST_TEST(!m.rectified);
  BOOST_TEST(std::abs(m.auc - 0.76025) < 0.005);
  BOOST_TEST(std::abs(m.best_accuracy - 0.69146) < 0.005);
  BOOST_TEST(std::abs(m.signal_efficiency[0] - 0.38914) < 0.01);
  BOOST_TEST(std::abs(m.signal_efficiency[1] - 0.09236) < 0.005);
  BOOST_TEST(m.roc_on_grid[0] == m.signal_efficiency[0]);
  for (std::size_t k = 0; k < 3; ++k) {
    const double eps_b = cwola::metrics::working_points()[k];
    BOOST_TEST(m.significance_improvement[k] == m.signal_efficiency[k] / std::sqrt(eps_b),
               tt::tolerance(1e-12));
    BOOST_TEST(m.significance_after[k] ==
                   cwola::metrics::significance(m.signal_efficiency[k] * 100.0, eps_b * 1e4),
               tt::tolerance(1e-12));
  }
  // For these scores the Bayes cut is 0.5 (half way between the means), so the fixed 0.5 cut
  // agrees with the scanned best cut to statistical precision.
  BOOST_TEST(std::abs(m.accuracy_at_half - m.best_accuracy) < 0.005);
}

BOOST_AUTO_TEST_CASE(hand_example_new_fields) {
  // ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1) on 2 signal and 2 background events.
  const auto m = evaluate_classifier({0.1F, 0.4F, 0.35F, 0.8F}, {0, 0, 1, 1}, Rectify::kNo, 20.0,
                                     400.0, {});
  BOOST_TEST(m.test_signal_events == 2U);
  BOOST_TEST(m.test_background_events == 2U);
  // Default floor: relative error 0.2 needs 25 background events, eps_b >= 25/2 > 1: no SIC.
  BOOST_TEST(m.sic_floor == 12.5, tt::tolerance(1e-14));
  BOOST_TEST(std::isnan(m.max_sic));
  // eps_s = 0.2 and 0.5 are both reached at eps_b = 0 (the vertical start): rejection +inf.
  BOOST_TEST(std::isinf(m.rejection[0]));
  BOOST_TEST(std::isinf(m.rejection[1]));
  BOOST_TEST(m.at_rejection_points[1].background_events == 0.0);
  BOOST_TEST(cwola::metrics::rests_on_few_background(m.at_rejection_points[1].background_events));
  BOOST_TEST(std::isinf(m.mean_sic));
  // eps_b = 1e-1 of 2 background events is 0.2 events, eps_s = 0.5 of 2 is 1 event.
  BOOST_TEST(m.at_working_points[0].background_events == 0.2, tt::tolerance(1e-14));
  BOOST_TEST(m.at_working_points[0].signal_events == 1.0, tt::tolerance(1e-14));
  // The test set as validation set: the validation cut is the test-tuned one.
  BOOST_TEST(m.validation_threshold == m.best_threshold);
  BOOST_TEST(m.accuracy_at_validation_threshold == m.best_accuracy);
}

BOOST_AUTO_TEST_CASE(sic_floor_rules_and_counts) {
  Scores scores;
  Labels labels;
  gaussian_sample(20000, scores, labels);
  cwola::metrics::EvaluationSettings settings;
  settings.sic_floor.rule = cwola::metrics::SicFloorRule::kRelativeError;
  settings.sic_floor.relative_error = 0.4;
  const auto cathode =
      cwola::metrics::evaluate_classifier({scores, labels}, {scores, labels}, settings, 1, 1);
  BOOST_TEST(cathode.sic_floor == 1.0 / (0.16 * 20000), tt::tolerance(1e-14));
  BOOST_TEST(cathode.at_max_sic.background_efficiency >= cathode.sic_floor);
  BOOST_TEST(cathode.at_max_sic.background_events >= 6.25 - 1e-9);
  settings.sic_floor.relative_error = 0.2;
  const auto tree =
      cwola::metrics::evaluate_classifier({scores, labels}, {scores, labels}, settings, 1, 1);
  BOOST_TEST(tree.sic_floor == 25.0 / 20000, tt::tolerance(1e-14));
  BOOST_TEST(tree.at_max_sic.background_events >= 25.0 - 1e-9);
  // A higher floor can only lower the maximum.
  BOOST_TEST(tree.max_sic <= cathode.max_sic);
  settings.sic_floor.rule = cwola::metrics::SicFloorRule::kBackgroundEfficiency;
  settings.sic_floor.background_efficiency = 1e-2;
  const auto fixed =
      cwola::metrics::evaluate_classifier({scores, labels}, {scores, labels}, settings, 1, 1);
  BOOST_TEST(fixed.sic_floor == 1e-2);
  BOOST_TEST(fixed.max_sic >= fixed.significance_improvement[1]);
  BOOST_TEST(fixed.max_sic >= fixed.significance_improvement[0]);
  // The maximum is never below a SIC quoted at a working point above the floor.
  BOOST_TEST(tree.max_sic >= tree.significance_improvement[1]);
  // Counts behind a working point: eps N.
  BOOST_TEST(tree.at_working_points[2].background_events == 20.0, tt::tolerance(1e-9));
  BOOST_TEST(tree.at_working_points[2].signal_events ==
                 tree.signal_efficiency[2] * 20000.0, tt::tolerance(1e-12));
  // N(1,1) vs N(0,1): eps_s = 0.5 needs a cut at 1, eps_b = 1 - Phi(1) = 0.1587.
  BOOST_TEST(std::abs(1.0 / tree.rejection[1] - 0.15866) < 0.01);
  BOOST_TEST(tree.at_rejection_points[1].signal_events == 10000.0, tt::tolerance(1e-12));
  settings.sic_floor.relative_error = 0.0;
  settings.sic_floor.rule = cwola::metrics::SicFloorRule::kRelativeError;
  BOOST_CHECK_THROW(
      cwola::metrics::evaluate_classifier({scores, labels}, {scores, labels}, settings, 1, 1),
      InputError);
}

BOOST_AUTO_TEST_CASE(validation_threshold_is_not_tuned_on_the_test_set) {
  // Two independent Gaussian samples: N(1,1) vs N(0,1) with balanced classes. The Bayes
  // accuracy is Phi(1/2) = 0.69146. Tuning the cut on the test set gains a small positive
  // bias on every sample; the validation cut does not see the test set.
  std::mt19937_64 rng(4242);
  std::normal_distribution<double> gauss(0.0, 1.0);
  double bias_tuned = 0.0;
  double bias_validation = 0.0;
  const int trials = 80;
  for (int trial = 0; trial < trials; ++trial) {
    Scores test, validation;
    Labels test_labels, validation_labels;
    for (int i = 0; i < 1000; ++i) {
      test.push_back(static_cast<float>(1.0 + gauss(rng)));
      test_labels.push_back(1);
      test.push_back(static_cast<float>(gauss(rng)));
      test_labels.push_back(0);
      validation.push_back(static_cast<float>(1.0 + gauss(rng)));
      validation_labels.push_back(1);
      validation.push_back(static_cast<float>(gauss(rng)));
      validation_labels.push_back(0);
    }
    const auto m = cwola::metrics::evaluate_classifier(
        {test, test_labels}, {validation, validation_labels}, {}, 1, 1);
    BOOST_TEST(m.accuracy_at_validation_threshold <= m.best_accuracy);
    BOOST_TEST(m.accuracy_at_validation_threshold ==
               cwola::metrics::accuracy_at(test, test_labels, m.validation_threshold));
    bias_tuned += m.best_accuracy - 0.691462;
    bias_validation += m.accuracy_at_validation_threshold - 0.691462;
  }
  bias_tuned /= trials;
  bias_validation /= trials;
  // std of one accuracy on 2000 events is 0.0103; of the mean of 80, 0.0012. The paired
  // difference (same test sets) is always >= 0 and fluctuates much less.
  BOOST_TEST(bias_tuned - bias_validation > 0.003);
  BOOST_TEST(std::abs(bias_validation) < 0.005);
  BOOST_TEST_MESSAGE("mean bias: test-tuned " << bias_tuned << ", validation " << bias_validation);
}

BOOST_AUTO_TEST_CASE(rectified_validation_threshold_is_quoted_on_one_minus_score) {
  // Inverted classifier; validation = test: the quoted validation cut equals best_threshold.
  const Scores scores{0.9F, 0.6F, 0.65F, 0.2F, 0.3F, 0.7F};
  const Labels labels{0, 0, 1, 1, 1, 0};
  const auto m = evaluate_classifier(scores, labels, Rectify::kIfBelowHalf, 1, 1, {});
  BOOST_TEST(m.rectified);
  BOOST_TEST(m.validation_threshold == m.best_threshold);
  BOOST_TEST(m.accuracy_at_validation_threshold == m.best_accuracy);
  // 1 - s: signal 0.35, 0.8, 0.7; background 0.1, 0.4, 0.3. Cut 1 - s >= 0.7: 5 of 6.
  BOOST_TEST(m.best_accuracy == 5.0 / 6.0);
  BOOST_TEST(m.validation_threshold == 1.0 - static_cast<double>(0.3F), tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(input_checks) {
  const Scores scores{0.1F, 0.9F};
  const Labels labels{0, 1};
  BOOST_CHECK_THROW(evaluate_classifier(scores, {0, 1, 1}, Rectify::kNo, 1, 1, {}), InputError);
  BOOST_CHECK_THROW(evaluate_classifier(scores, {1, 1}, Rectify::kNo, 1, 1, {}), InputError);
  BOOST_CHECK_THROW(evaluate_classifier(scores, labels, Rectify::kNo, -1, 1, {}), InputError);
  BOOST_CHECK_THROW(evaluate_classifier(scores, labels, Rectify::kNo, 1, std::nan(""), {}),
                    InputError);
  BOOST_CHECK_THROW(evaluate_classifier(scores, labels, Rectify::kNo, 1, 1, {0.1, 0.0}),
                    InputError);
}

BOOST_AUTO_TEST_SUITE_END()
