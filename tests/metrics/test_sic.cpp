#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "metrics/roc.hpp"
#include "metrics/sic.hpp"

namespace tt = boost::test_tools;
using cwola::core::InputError;
using cwola::metrics::RocCurve;
using Labels = std::vector<std::uint8_t>;
using Scores = std::vector<float>;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Random scores: signal shifted up by `shift`; `levels` > 0 puts them on a grid (ties).
void random_sample(std::uint64_t seed, std::size_t n, double shift, int levels, Scores& scores,
                   Labels& labels) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::bernoulli_distribution is_signal(0.3);
  for (std::size_t i = 0; i < n; ++i) {
    const bool s = is_signal(rng);
    double x = gauss(rng) + (s ? shift : 0.0);
    if (levels > 0) x = std::round(x * levels) / levels;
    scores.push_back(static_cast<float>(x));
    labels.push_back(s ? 1 : 0);
  }
}

/// Brute force, independent of the ROC code: every threshold t of a dense scan (each
/// distinct score, and one above all) gives a cut score >= t counted directly; the randomised
/// cuts between consecutive ones are sampled at many mixing fractions (about 2e6 samples in
/// all). Returns the largest SIC with eps_b >= floor.
double brute_force_max_sic(const Scores& scores, const Labels& labels, double floor) {
  std::vector<float> thresholds(scores.begin(), scores.end());
  std::sort(thresholds.begin(), thresholds.end(), std::greater<>());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  double n_sig = 0;
  double n_bkg = 0;
  for (auto l : labels) (l == 1 ? n_sig : n_bkg) += 1;
  std::vector<double> xs{0.0};
  std::vector<double> ys{0.0};
  for (const float t : thresholds) {
    double pass_s = 0;
    double pass_b = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if (scores[i] >= t) (labels[i] == 1 ? pass_s : pass_b) += 1;
    }
    xs.push_back(pass_b / n_bkg);
    ys.push_back(pass_s / n_sig);
  }
  double best = -1.0;
  const int steps = std::max<int>(1000, static_cast<int>(2000000 / xs.size()));
  for (std::size_t k = 1; k < xs.size(); ++k) {
    for (int j = 0; j <= steps; ++j) {
      const double lambda = static_cast<double>(j) / steps;
      const double x = xs[k - 1] + lambda * (xs[k] - xs[k - 1]);
      const double y = ys[k - 1] + lambda * (ys[k] - ys[k - 1]);
      if (x >= floor && x > 0.0) best = std::max(best, y / std::sqrt(x));
    }
  }
  return best;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sic)

BOOST_AUTO_TEST_CASE(max_sic_hand_example) {
  // Vertical start (0 -> 0.3 at eps_b = 0), then (0.2, 0.5), (0.6, 0.9), (1, 1).
  const RocCurve roc{{0.0, 0.0, 0.2, 0.6, 1.0}, {0.0, 0.3, 0.5, 0.9, 1.0}, {kInf, 5, 4, 2, 1}};
  // Floor 0.1: on the segment (0, 0.3) -> (0.2, 0.5) eps_s = 0.4 at the floor, SIC
  // 0.4/sqrt(0.1) = 1.265 beats the vertices (0.5/sqrt(.2) = 1.118, 0.9/sqrt(.6) = 1.162, 1).
  const auto at_floor = cwola::metrics::max_sic(roc, 0.1);
  BOOST_TEST(at_floor.sic == 0.4 / std::sqrt(0.1), tt::tolerance(1e-14));
  BOOST_TEST(at_floor.background_efficiency == 0.1);
  BOOST_TEST(at_floor.signal_efficiency == 0.4, tt::tolerance(1e-14));
  // Floor 0.3: floor point on (0.2, 0.5) -> (0.6, 0.9): 0.6/sqrt(0.3) = 1.095 < vertex 1.162.
  const auto vertex = cwola::metrics::max_sic(roc, 0.3);
  BOOST_TEST(vertex.sic == 0.9 / std::sqrt(0.6), tt::tolerance(1e-14));
  BOOST_TEST(vertex.background_efficiency == 0.6);
  // Floor above 1: no cut qualifies.
  BOOST_TEST(std::isnan(cwola::metrics::max_sic(roc, 2.0).sic));
  BOOST_CHECK_THROW(cwola::metrics::max_sic(roc, 0.0), InputError);
  BOOST_CHECK_THROW(cwola::metrics::max_sic(roc, std::nan("")), InputError);
}

BOOST_AUTO_TEST_CASE(max_sic_equals_brute_force_on_random_scores) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    Scores scores;
    Labels labels;
    const int levels = seed % 3 == 0 ? 4 : 0;  // every third set has heavy ties
    random_sample(seed, 400 + 50 * seed, 0.5 + 0.2 * static_cast<double>(seed % 4), levels,
                  scores, labels);
    const auto roc = cwola::metrics::roc_curve(scores, labels);
    std::uint64_t n_bkg = 0;
    for (auto l : labels) n_bkg += 1U - l;
    cwola::metrics::SicFloor floor;
    for (const double r : {0.4, 0.2}) {
      floor.relative_error = r;
      const double eb_min = floor.min_background_efficiency(n_bkg);
      const auto exact = cwola::metrics::max_sic(roc, eb_min);
      const double brute = brute_force_max_sic(scores, labels, eb_min);
      // The brute force samples the same cuts, finer and finer: it can only come from below.
      BOOST_TEST(exact.sic >= brute - 1e-12);
      BOOST_TEST(exact.sic - brute < 1e-3 * exact.sic, "seed " << seed << " r " << r);
      BOOST_TEST(exact.background_efficiency >= eb_min);
      BOOST_TEST(exact.sic == exact.signal_efficiency / std::sqrt(exact.background_efficiency),
                 tt::tolerance(1e-14));
    }
    // With a fixed floor between ROC points the brute force must find the floor point too.
    const auto exact = cwola::metrics::max_sic(roc, 0.0123);
    const double brute = brute_force_max_sic(scores, labels, 0.0123);
    BOOST_TEST(exact.sic >= brute - 1e-12);
    BOOST_TEST(exact.sic - brute < 1e-3 * exact.sic);
  }
}

BOOST_AUTO_TEST_CASE(floor_rules) {
  cwola::metrics::SicFloor floor;
  floor.rule = cwola::metrics::SicFloorRule::kRelativeError;
  floor.relative_error = 0.4;
  BOOST_TEST(floor.min_background_efficiency(10000) == 1.0 / 1600.0, tt::tolerance(1e-15));
  floor.relative_error = 0.2;
  BOOST_TEST(floor.min_background_efficiency(10000) == 25.0 / 10000.0, tt::tolerance(1e-15));
  floor.rule = cwola::metrics::SicFloorRule::kBackgroundEfficiency;
  floor.background_efficiency = 1e-3;
  BOOST_TEST(floor.min_background_efficiency(10000) == 1e-3);
  BOOST_TEST(floor.min_background_efficiency(10) == 1e-3);
  floor.validate();
  floor.background_efficiency = 0.0;
  BOOST_CHECK_THROW(floor.validate(), InputError);
  floor.background_efficiency = 1e-3;
  floor.relative_error = 1.5;
  BOOST_CHECK_THROW(floor.validate(), InputError);
}

BOOST_AUTO_TEST_CASE(background_efficiency_at_inverts_the_roc) {
  const RocCurve roc{{0.0, 0.2, 0.2, 0.6, 0.8, 1.0}, {0.0, 0.3, 0.5, 0.9, 0.9, 1.0},
                     {kInf, 5, 4, 3, 2, 1}};
  using cwola::metrics::background_efficiency_at;
  BOOST_TEST(background_efficiency_at(roc, 0.0) == 0.0);
  BOOST_TEST(background_efficiency_at(roc, 0.15) == 0.1, tt::tolerance(1e-14));
  BOOST_TEST(background_efficiency_at(roc, 0.4) == 0.2);  // on the vertical segment
  BOOST_TEST(background_efficiency_at(roc, 0.7) == 0.4, tt::tolerance(1e-14));
  BOOST_TEST(background_efficiency_at(roc, 0.9) == 0.6);  // first point reaching 0.9
  BOOST_TEST(background_efficiency_at(roc, 0.95) == 0.9, tt::tolerance(1e-14));
  BOOST_TEST(background_efficiency_at(roc, 1.0) == 1.0);
  // Round trip with signal_efficiency_at where the ROC rises strictly.
  for (const double eps_b : {0.05, 0.3, 0.55, 0.85}) {
    const double eps_s = cwola::metrics::signal_efficiency_at(roc, eps_b);
    BOOST_TEST(background_efficiency_at(roc, eps_s) == eps_b, tt::tolerance(1e-12));
  }
  BOOST_CHECK_THROW(background_efficiency_at(roc, -0.1), InputError);
  BOOST_CHECK_THROW(background_efficiency_at(roc, 1.1), InputError);
}

BOOST_AUTO_TEST_CASE(mean_sic_analytic_and_numeric) {
  // Straight ROC eps_s = eps_b (random classifier): SIC = sqrt(eps_s), mean over [a, b] is
  // (2/3)(b^1.5 - a^1.5)/(b - a).
  const RocCurve diagonal{{0.0, 1.0}, {0.0, 1.0}, {kInf, 1}};
  const double expected =
      2.0 / 3.0 * (std::pow(0.23, 1.5) - std::pow(0.18, 1.5)) / (0.23 - 0.18);
  BOOST_TEST(cwola::metrics::mean_sic(diagonal, 0.18, 0.23) == expected, tt::tolerance(1e-13));
  // Vertical piece: eps_b fixed at 0.04 while eps_s runs 0.1 -> 0.3: SIC = eps_s / 0.2,
  // mean over [0.18, 0.23] = 0.205 / 0.2.
  const RocCurve vertical{{0.0, 0.04, 0.04, 1.0}, {0.0, 0.1, 0.3, 1.0}, {kInf, 3, 2, 1}};
  BOOST_TEST(cwola::metrics::mean_sic(vertical, 0.18, 0.23) == 0.205 / 0.2, tt::tolerance(1e-13));
  // Random ROC against a fine midpoint rule on eps_s.
  Scores scores;
  Labels labels;
  random_sample(77, 3000, 1.0, 0, scores, labels);
  const auto roc = cwola::metrics::roc_curve(scores, labels);
  const int n = 200000;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double eps_s = 0.18 + (i + 0.5) * 0.05 / n;
    sum += eps_s / std::sqrt(cwola::metrics::background_efficiency_at(roc, eps_s));
  }
  BOOST_TEST(cwola::metrics::mean_sic(roc, 0.18, 0.23) == sum / n, tt::tolerance(1e-6));
  // eps_b = 0 over part of the band: infinite.
  const RocCurve pure{{0.0, 0.0, 1.0}, {0.0, 0.2, 1.0}, {kInf, 2, 1}};
  BOOST_TEST(std::isinf(cwola::metrics::mean_sic(pure, 0.18, 0.23)));
  BOOST_CHECK_THROW(cwola::metrics::mean_sic(roc, 0.3, 0.2), InputError);
  BOOST_CHECK_THROW(cwola::metrics::mean_sic(roc, -0.1, 0.2), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
