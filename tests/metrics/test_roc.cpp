#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "metrics/roc.hpp"

namespace tt = boost::test_tools;
using cwola::core::InputError;
using cwola::metrics::RocCurve;
using Labels = std::vector<std::uint8_t>;
using Scores = std::vector<float>;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool message_has(const InputError& e, const std::string& part) {
  return std::string(e.what()).find(part) != std::string::npos;
}

/// Trapezoid area under a ROC curve, independent of the library's AUC.
double trapezoid_area(const RocCurve& roc) {
  double area = 0.0;
  for (std::size_t i = 1; i < roc.background_efficiency.size(); ++i) {
    area += (roc.background_efficiency[i] - roc.background_efficiency[i - 1]) *
            (roc.signal_efficiency[i] + roc.signal_efficiency[i - 1]) / 2.0;
  }
  return area;
}

/// Scores on a coarse grid (many ties) with signal shifted up; fixed seed.
void tied_sample(std::size_t n, Scores& scores, Labels& labels) {
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<int> bin(0, 20);
  std::bernoulli_distribution is_signal(0.3);
  for (std::size_t i = 0; i < n; ++i) {
    const bool s = is_signal(rng);
    const int k = bin(rng) + (s ? 5 : 0);
    scores.push_back(static_cast<float>(k) / 32.0F);
    labels.push_back(s ? 1 : 0);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(roc)

BOOST_AUTO_TEST_CASE(auc_of_hand_made_examples) {
  // Pairs (signal, background): 0.35>0.1 wins, 0.35<0.4 loses, 0.8 wins twice -> 3/4.
  BOOST_TEST(cwola::metrics::auc({0.1F, 0.4F, 0.35F, 0.8F}, {0, 0, 1, 1}) == 0.75,
             tt::tolerance(1e-15));
  // Partial tie: 0.5 vs 0.2 wins, 0.5 vs 0.5 ties (1/2), 0.9 wins twice -> 3.5/4.
  BOOST_TEST(cwola::metrics::auc({0.2F, 0.5F, 0.5F, 0.9F}, {0, 1, 0, 1}) == 0.875,
             tt::tolerance(1e-15));
  // 3 signal x 2 background with a three-way tie at 0.3: signal {0.3, 0.3, 0.7},
  // background {0.3, 0.1}: 0.3 vs (0.3, 0.1) = 0.5 + 1 (twice), 0.7 wins twice -> 5/6.
  BOOST_TEST(cwola::metrics::auc({0.3F, 0.3F, 0.7F, 0.3F, 0.1F}, {1, 1, 1, 0, 0}) == 5.0 / 6.0,
             tt::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(auc_limits) {
  BOOST_TEST(cwola::metrics::auc({0.3F, 0.3F, 0.3F, 0.3F, 0.3F}, {1, 0, 0, 1, 0}) == 0.5);
  BOOST_TEST(cwola::metrics::auc({0.1F, 0.2F, 0.8F, 0.9F}, {0, 0, 1, 1}) == 1.0);
  BOOST_TEST(cwola::metrics::auc({0.1F, 0.2F, 0.8F, 0.9F}, {1, 1, 0, 0}) == 0.0);
}

BOOST_AUTO_TEST_CASE(roc_points_of_hand_example) {
  // Descending: 0.8 (S), 0.4 (B), 0.35 (S), 0.1 (B).
  const auto roc = cwola::metrics::roc_curve({0.1F, 0.4F, 0.35F, 0.8F}, {0, 0, 1, 1});
  const std::vector<double> eps_b{0.0, 0.0, 0.5, 0.5, 1.0};
  const std::vector<double> eps_s{0.0, 0.5, 0.5, 1.0, 1.0};
  const std::vector<double> cuts{kInf, 0.8F, 0.4F, 0.35F, 0.1F};
  BOOST_TEST(roc.background_efficiency == eps_b, tt::per_element());
  BOOST_TEST(roc.signal_efficiency == eps_s, tt::per_element());
  BOOST_TEST(roc.thresholds == cuts, tt::per_element());
}

BOOST_AUTO_TEST_CASE(roc_merges_ties_and_is_monotone) {
  Scores scores;
  Labels labels;
  tied_sample(5000, scores, labels);
  const auto roc = cwola::metrics::roc_curve(scores, labels);
  // 26 distinct grid values + the empty cut.
  BOOST_TEST(roc.thresholds.size() == 27U);
  BOOST_TEST(roc.background_efficiency.front() == 0.0);
  BOOST_TEST(roc.signal_efficiency.front() == 0.0);
  BOOST_TEST(roc.background_efficiency.back() == 1.0);
  BOOST_TEST(roc.signal_efficiency.back() == 1.0);
  for (std::size_t i = 1; i < roc.thresholds.size(); ++i) {
    BOOST_TEST(roc.thresholds[i] < roc.thresholds[i - 1]);
    BOOST_TEST(roc.background_efficiency[i] >= roc.background_efficiency[i - 1]);
    BOOST_TEST(roc.signal_efficiency[i] >= roc.signal_efficiency[i - 1]);
  }
}

BOOST_AUTO_TEST_CASE(auc_equals_trapezoid_area_under_roc) {
  Scores scores;
  Labels labels;
  tied_sample(5000, scores, labels);
  const double a = cwola::metrics::auc(scores, labels);
  BOOST_TEST(a == trapezoid_area(cwola::metrics::roc_curve(scores, labels)), tt::tolerance(1e-12));

  // And equals a brute-force pair count (Mann-Whitney with ties = 1/2) on a subset.
  const Scores few(scores.begin(), scores.begin() + 600);
  const Labels few_labels(labels.begin(), labels.begin() + 600);
  double wins = 0.0;
  double pairs = 0.0;
  for (std::size_t i = 0; i < few.size(); ++i) {
    for (std::size_t j = 0; j < few.size(); ++j) {
      if (few_labels[i] == 1 && few_labels[j] == 0) {
        pairs += 1.0;
        wins += few[i] > few[j] ? 1.0 : (few[i] == few[j] ? 0.5 : 0.0);
      }
    }
  }
  BOOST_TEST(cwola::metrics::auc(few, few_labels) == wins / pairs, tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(invariant_under_strictly_monotone_transform) {
  Scores scores;
  Labels labels;
  tied_sample(5000, scores, labels);
  // exp(2x) - 5 is strictly increasing, and the grid spacing (1/32) keeps images distinct.
  Scores transformed;
  for (const float s : scores) {
    transformed.push_back(std::exp(2.0F * s) - 5.0F);
  }
  const auto roc = cwola::metrics::roc_curve(scores, labels);
  const auto roc_t = cwola::metrics::roc_curve(transformed, labels);
  BOOST_TEST(roc.background_efficiency == roc_t.background_efficiency, tt::per_element());
  BOOST_TEST(roc.signal_efficiency == roc_t.signal_efficiency, tt::per_element());
  BOOST_TEST(cwola::metrics::auc(scores, labels) == cwola::metrics::auc(transformed, labels));

  // A strictly decreasing transform gives 1 - AUC.
  Scores negated;
  for (const float s : scores) {
    negated.push_back(-s);
  }
  BOOST_TEST(cwola::metrics::auc(negated, labels) == 1.0 - cwola::metrics::auc(scores, labels),
             tt::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(best_accuracy_hand_values) {
  // Cuts on 0.8(S) 0.4(B) 0.35(S) 0.1(B): +inf 2/4, 0.8 3/4, 0.4 2/4, 0.35 3/4, 0.1 2/4;
  // the strictest of the tied best cuts is returned.
  double cut = 0.0;
  BOOST_TEST(cwola::metrics::best_accuracy({0.1F, 0.4F, 0.35F, 0.8F}, {0, 0, 1, 1}, &cut) == 0.75);
  BOOST_TEST(cut == static_cast<double>(0.8F));

  // Best is "all background": the only signal scores lowest.
  BOOST_TEST(cwola::metrics::best_accuracy({0.9F, 0.8F, 0.7F, 0.1F}, {0, 0, 0, 1}, &cut) == 0.75);
  BOOST_TEST(cut == kInf);

  // Best is "all signal" (threshold = lowest score): the only background scores highest.
  BOOST_TEST(cwola::metrics::best_accuracy({0.1F, 0.2F, 0.3F, 0.9F}, {1, 1, 1, 0}, &cut) == 0.75);
  BOOST_TEST(cut == static_cast<double>(0.1F));

  // Perfect separation: accuracy 1 at the lowest signal score; null pointer is accepted.
  BOOST_TEST(cwola::metrics::best_accuracy({0.1F, 0.2F, 0.6F, 0.9F}, {0, 0, 1, 1}) == 1.0);
  BOOST_TEST(cwola::metrics::best_accuracy({0.1F, 0.2F, 0.6F, 0.9F}, {0, 0, 1, 1}, &cut) == 1.0);
  BOOST_TEST(cut == static_cast<double>(0.6F));
}

BOOST_AUTO_TEST_CASE(accuracy_at_fixed_cut_is_inclusive) {
  const Scores scores{0.1F, 0.4F, 0.35F, 0.8F};
  const Labels labels{0, 0, 1, 1};
  BOOST_TEST(cwola::metrics::accuracy_at(scores, labels, 0.5) == 0.75);
  // score >= t: 0.35 passes the cut at its own value.
  BOOST_TEST(cwola::metrics::accuracy_at(scores, labels, static_cast<double>(0.35F)) == 0.75);
  BOOST_TEST(cwola::metrics::accuracy_at(scores, labels, 0.36) == 0.5);
  BOOST_TEST(cwola::metrics::accuracy_at(scores, labels, kInf) == 0.5);
  BOOST_TEST(cwola::metrics::accuracy_at(scores, labels, -kInf) == 0.5);
  BOOST_CHECK_THROW(cwola::metrics::accuracy_at(scores, labels, std::nan("")), InputError);
}

BOOST_AUTO_TEST_CASE(signal_efficiency_interpolation_hand_values) {
  // Includes a vertical segment at eps_b = 0.2 (signal-only tie group).
  const RocCurve roc{{0.0, 0.2, 0.2, 0.6, 1.0}, {0.0, 0.3, 0.5, 0.9, 1.0}, {kInf, 4, 3, 2, 1}};
  BOOST_TEST(cwola::metrics::signal_efficiency_at(roc, 0.1) == 0.15, tt::tolerance(1e-14));
  BOOST_TEST(cwola::metrics::signal_efficiency_at(roc, 0.2) == 0.5, tt::tolerance(1e-14));
  BOOST_TEST(cwola::metrics::signal_efficiency_at(roc, 0.4) == 0.7, tt::tolerance(1e-14));
  BOOST_TEST(cwola::metrics::signal_efficiency_at(roc, 0.8) == 0.95, tt::tolerance(1e-14));
  BOOST_TEST(cwola::metrics::signal_efficiency_at(roc, 1.0) == 1.0);
  const std::vector<double> expected{0.15, 0.7, 1.0};
  BOOST_TEST(cwola::metrics::sample_roc(roc, {0.1, 0.4, 1.0}) == expected,
             tt::tolerance(1e-14) << tt::per_element());

  BOOST_CHECK_THROW(cwola::metrics::signal_efficiency_at(roc, 0.0), InputError);
  BOOST_CHECK_THROW(cwola::metrics::signal_efficiency_at(roc, 1.5), InputError);
  BOOST_CHECK_THROW(cwola::metrics::signal_efficiency_at(roc, std::nan("")), InputError);
  BOOST_CHECK_THROW(cwola::metrics::sample_roc(roc, {0.1, -0.1}), InputError);
  const RocCurve ragged{{0.0, 1.0}, {0.0}, {kInf, 1}};
  BOOST_CHECK_THROW(cwola::metrics::signal_efficiency_at(ragged, 0.5), InputError);
  const RocCurve truncated{{0.0, 0.5}, {0.0, 1.0}, {kInf, 1}};
  BOOST_CHECK_THROW(cwola::metrics::signal_efficiency_at(truncated, 0.5), InputError);
}

BOOST_AUTO_TEST_CASE(log_grid_end_points_and_spacing) {
  const auto grid = cwola::metrics::log_grid(1e-4, 1.0, 41);
  BOOST_TEST(grid.size() == 41U);
  BOOST_TEST(grid.front() == 1e-4);
  BOOST_TEST(grid.back() == 1.0);
  // Decade points are exact, so a working point is found in the grid by ==.
  BOOST_TEST(grid[10] == 1e-3);
  BOOST_TEST(grid[20] == 1e-2);
  BOOST_TEST(grid[30] == 1e-1);
  for (const std::size_t n : {5U, 13U, 17U, 21U, 41U, 81U, 121U, 401U}) {
    const auto g = cwola::metrics::log_grid(1e-4, 1.0, n);
    BOOST_TEST(std::count(g.begin(), g.end(), 1e-3) == 1, "1e-3 exact in a grid of " << n);
    BOOST_TEST(std::count(g.begin(), g.end(), 1e-2) == 1);
  }
  for (std::size_t i = 1; i < grid.size(); ++i) {
    BOOST_TEST(grid[i] / grid[i - 1] == std::pow(10.0, 0.1), tt::tolerance(1e-12));
  }
  BOOST_CHECK_THROW(cwola::metrics::log_grid(0.0, 1.0, 5), InputError);
  BOOST_CHECK_THROW(cwola::metrics::log_grid(1.0, 0.1, 5), InputError);
  BOOST_CHECK_THROW(cwola::metrics::log_grid(1e-3, 1.0, 1), InputError);
}

BOOST_AUTO_TEST_CASE(input_checks) {
  using cwola::metrics::auc;
  try {
    auc({0.1F, 0.2F}, {0, 1, 1});
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "2 scores, 3 labels"));
  }
  BOOST_CHECK_THROW(auc({}, {}), InputError);
  BOOST_CHECK_THROW(auc({0.1F, 0.2F}, {0, 0}), InputError);
  BOOST_CHECK_THROW(auc({0.1F, 0.2F}, {1, 1}), InputError);
  try {
    auc({0.1F, 0.2F, 0.3F}, {0, 2, 1});
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "label[1] = 2"));
  }
  try {
    auc({0.1F, 0.2F, std::numeric_limits<float>::quiet_NaN()}, {0, 1, 1});
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "score[2]"));
  }
  BOOST_CHECK_THROW(auc({0.1F, std::numeric_limits<float>::infinity()}, {0, 1}), InputError);
  BOOST_CHECK_THROW(cwola::metrics::roc_curve({0.1F}, {1}), InputError);
  BOOST_CHECK_THROW(cwola::metrics::best_accuracy({0.1F}, {0}), InputError);
  BOOST_CHECK_THROW(cwola::metrics::accuracy_at({0.1F, 0.2F}, {0, 3}, 0.5), InputError);
}

BOOST_AUTO_TEST_CASE(gaussian_scores_match_bayes_values) {
  // N(1,1) signal vs N(0,1) background: AUC = Phi(1/sqrt 2), best accuracy (balanced
  // classes) = Phi(1/2); see physics-conventions.md.
  std::mt19937_64 rng(20240601);
  std::normal_distribution<double> gauss(0.0, 1.0);
  const std::size_t n = 200000;
  Scores scores;
  Labels labels;
  for (std::size_t i = 0; i < n; ++i) {
    scores.push_back(static_cast<float>(1.0 + gauss(rng)));
    labels.push_back(1);
    scores.push_back(static_cast<float>(gauss(rng)));
    labels.push_back(0);
  }
  const auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  BOOST_TEST(std::abs(cwola::metrics::auc(scores, labels) - phi(1.0 / std::sqrt(2.0))) < 0.005);
  BOOST_TEST(phi(1.0 / std::sqrt(2.0)) == 0.76025, tt::tolerance(1e-5));
  double cut = 0.0;
  BOOST_TEST(std::abs(cwola::metrics::best_accuracy(scores, labels, &cut) - phi(0.5)) < 0.005);
  BOOST_TEST(phi(0.5) == 0.69146, tt::tolerance(1e-5));
  // The Bayes cut sits half way between the means.
  BOOST_TEST(std::abs(cut - 0.5) < 0.1);
}

BOOST_AUTO_TEST_SUITE_END()
