#include "stats/binned_fit.hpp"

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "stats/toys.hpp"

using namespace cwola;

namespace {
/// A dijet-like spectrum: 30 bins of 5 % width from 1.5 to ~6.5 TeV.
stats::Histogram dijet_binning() {
  stats::Histogram h;
  double edge = 1500.0;
  h.edges.push_back(edge);
  for (int i = 0; i < 30; ++i) {
    edge *= 1.05;
    h.edges.push_back(std::round(edge));
  }
  h.counts.assign(30, 0.0);
  return h;
}
const std::vector<double> kTruth = {std::log(40.0), 10.0, 5.0, 0.1};
const stats::BackgroundFamily kDijet4{stats::FamilyKind::kDijet, 4, 13000.0};
}  // namespace

BOOST_AUTO_TEST_SUITE(binned_fit)

BOOST_AUTO_TEST_CASE(asimov_data_returns_the_truth) {
  auto h = dijet_binning();
  h.counts = stats::expected_counts(kDijet4, kTruth, h);
  BOOST_TEST(h.counts.front() > 1e5);
  BOOST_TEST(h.counts.back() < 1e-3 * h.counts.front());
  stats::BinnedFitter fitter(h, kDijet4);
  const auto fit = fitter.fit_background();
  BOOST_REQUIRE(fit.converged);
  for (std::size_t k = 0; k < kTruth.size(); ++k) {
    BOOST_TEST(fit.theta[k] == kTruth[k], boost::test_tools::tolerance(1e-5));
  }
  BOOST_TEST(fit.half_deviance < 1e-8);
  BOOST_TEST(fit.starts_agreeing >= 1);
  const auto gof = stats::goodness_of_fit(h.counts, fit.background, 4, 0.0);
  BOOST_TEST(gof.pearson_chi2 < 1e-8);
  BOOST_TEST(gof.ndf == 26);
  // Covariance symmetric with positive variances.
  for (std::size_t a = 0; a < 4; ++a) {
    BOOST_TEST(fit.covariance[a * 4 + a] > 0.0);
    for (std::size_t b = 0; b < 4; ++b) {
      BOOST_TEST(fit.covariance[a * 4 + b] == fit.covariance[b * 4 + a],
                 boost::test_tools::tolerance(1e-9));
    }
  }
}

BOOST_AUTO_TEST_CASE(hessian_errors_match_the_toy_spread) {
  // The pull of p1 over Poisson toys has unit width if the covariance is right.
  auto h = dijet_binning();
  const auto truth = stats::expected_counts(kDijet4, kTruth, h);
  h.counts = truth;
  stats::FitOptions options;
  options.starts = 1;
  stats::BinnedFitter fitter(h, kDijet4, options);
  const auto nominal = fitter.fit_background();
  const double sigma = std::sqrt(nominal.covariance[1 * 4 + 1]);
  double sum = 0.0;
  double sum2 = 0.0;
  const int toys = 300;
  for (int t = 0; t < toys; ++t) {
    core::RandomStream stream(stats::toy_seed(99, static_cast<std::uint64_t>(t)));
    std::vector<double> n(truth.size());
    for (std::size_t i = 0; i < n.size(); ++i) n[i] = stats::poisson_variate(stream, truth[i]);
    fitter.set_counts(n);
    const auto fit = fitter.fit_background(nominal.theta);
    BOOST_REQUIRE(fit.converged);
    const double pull = (fit.theta[1] - kTruth[1]) / sigma;
    sum += pull;
    sum2 += pull * pull;
  }
  const double mean = sum / toys;
  const double width = std::sqrt(sum2 / toys - mean * mean);
  // Statistical tolerance: σ(mean) = 0.058, σ(width) = 0.041 for 300 toys; ±4σ.
  BOOST_TEST(std::fabs(mean) < 0.23);
  BOOST_TEST(std::fabs(width - 1.0) < 0.17);
}

BOOST_AUTO_TEST_CASE(signal_yield_fits_injected_signal) {
  auto h = dijet_binning();
  const auto b = stats::expected_counts(kDijet4, kTruth, h);
  std::vector<double> s(b.size(), 0.0);
  s[12] = 0.25;
  s[13] = 0.5;
  s[14] = 0.25;
  for (std::size_t i = 0; i < b.size(); ++i) h.counts[i] = b[i] + 500.0 * s[i];
  stats::BinnedFitter fitter(h, kDijet4);
  const auto fit = fitter.fit_signal(s);
  BOOST_REQUIRE(fit.converged);
  BOOST_TEST(fit.signal_yield == 500.0, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(fit.signal_yield_error > 0.0);
  const auto fixed = fitter.fit_fixed_signal(s, 500.0, fit.theta);
  BOOST_REQUIRE(fixed.converged);
  BOOST_TEST(std::fabs(fixed.half_deviance - fit.half_deviance) < 1e-6);
}

namespace {
/// A narrow signal over bins 24–26 (fractions 0.25, 0.5, 0.25) of `bins`.
std::vector<double> narrow_signal(std::size_t bins) {
  std::vector<double> s(bins, 0.0);
  s[24] = 0.25;
  s[25] = 0.5;
  s[26] = 0.25;
  return s;
}
/// The background-only fit and the free-yield signal fit of `h`, the latter required to end
/// converged on the physical boundary with a negative yield.
std::pair<stats::FitResult, stats::FitResult> boundary_fits(const stats::Histogram& h,
                                                            const std::vector<double>& s) {
  stats::BinnedFitter fitter(h, kDijet4);
  auto background = fitter.fit_background();
  BOOST_REQUIRE(background.converged);
  auto fit = fitter.fit_signal(s, background.theta);
  BOOST_TEST_INFO("failure: " << fit.failure_reason);
  BOOST_REQUIRE(fit.converged);
  BOOST_TEST(fit.at_boundary);
  BOOST_TEST(fit.signal_yield < 0.0);
  return {background, fit};
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_yield_stalled_at_zero_by_a_tiny_background_is_a_boundary_minimum) {
  // The diphoton spectrum's far tail: the background under the signal is so small (1e-3
  // events) that the free yield cannot take a single step below 0 without leaving the
  // allowed region, so the minimizer stalls at exactly 0 with −ln L still falling towards
  // μ < 0. The minimum is on the boundary, just below 0 (before the fix: a failed fit).
  auto h = dijet_binning();
  auto truth = kTruth;
  const auto unscaled = stats::expected_counts(kDijet4, truth, h);
  truth[0] += std::log(1e-3 / unscaled[25]);
  const auto b = stats::expected_counts(kDijet4, truth, h);
  for (std::size_t i = 0; i < b.size(); ++i) h.counts[i] = std::round(b[i]);
  const auto s = narrow_signal(b.size());
  for (std::size_t i = 24; i <= 26; ++i) BOOST_TEST_REQUIRE(h.counts[i] == 0.0);
  const auto [background, fit] = boundary_fits(h, s);
  BOOST_TEST(fit.signal_yield > -0.01);  // −b_a / s_a: a few thousandths of an event
  BOOST_TEST(background.half_deviance >= fit.half_deviance - 1e-9);
}

BOOST_AUTO_TEST_CASE(deficit_in_empty_bins_is_a_boundary_minimum) {
  // A sparse tail with the signal region emptied: the free yield falls until an empty bin's
  // expectation reaches 0 while −ln L still decreases, so there is no interior minimum.
  auto h = dijet_binning();
  auto truth = kTruth;
  truth[0] -= std::log(3000.0);
  const auto b = stats::expected_counts(kDijet4, truth, h);
  for (std::size_t i = 0; i < b.size(); ++i) h.counts[i] = std::round(b[i]);
  const auto s = narrow_signal(b.size());
  for (std::size_t i = 24; i <= 26; ++i) {
    BOOST_TEST_REQUIRE(b[i] > 1.0);  // a real deficit: several events expected, none seen
    h.counts[i] = 0.0;
  }
  const auto [background, fit] = boundary_fits(h, s);
  const stats::BinnedFitter fitter(h, kDijet4);  // for the comparison fits below
  BOOST_TEST(fit.signal_yield_error > 0.0);
  // On the boundary: every expectation >= 0 and the lowest is 0.
  double lowest = 1e300;
  for (std::size_t i = 24; i <= 26; ++i) {
    lowest = std::min(lowest, fit.background[i] + fit.signal_yield * s[i]);
  }
  BOOST_TEST(lowest >= -1e-9);
  BOOST_TEST(lowest <= 1e-9);
  // A deficit: the s+b fit is better than the b-only one (q0 > 0, z = −√q0).
  BOOST_TEST(background.half_deviance > fit.half_deviance + 1.0);
  // The constrained minimum: no allowed yield fits better with the background profiled.
  int compared = 0;
  for (double fraction : {0.0, 0.5, 0.8, 0.95}) {
    const auto fixed = fitter.fit_fixed_signal(s, fraction * fit.signal_yield, background.theta);
    if (!fixed.converged) continue;
    ++compared;
    BOOST_TEST(fixed.half_deviance >= fit.half_deviance - 1e-6);
  }
  BOOST_TEST(compared >= 3);
  // A signal away from the empty bins keeps its interior minimum.
  std::vector<double> elsewhere(b.size(), 0.0);
  elsewhere[8] = 0.5;
  elsewhere[9] = 0.5;
  const auto interior = fitter.fit_signal(elsewhere, background.theta);
  BOOST_REQUIRE(interior.converged);
  BOOST_TEST(!interior.at_boundary);
}

BOOST_AUTO_TEST_CASE(failures_are_recorded_not_hidden) {
  auto h = dijet_binning();
  h.counts = stats::expected_counts(kDijet4, kTruth, h);
  stats::BinnedFitter fitter(h, kDijet4);
  // A signal with no events in the fitted bins cannot be fitted: a failed fit with its reason.
  const auto fit = fitter.fit_signal(std::vector<double>(h.bins(), 0.0));
  BOOST_TEST(!fit.converged);
  BOOST_TEST(fit.failure_reason.find("no events") != std::string::npos);
  // An impossible convergence tolerance is reported with the distance reached.
  h.counts[3] += 1000.0;
  stats::FitOptions strict;
  strict.edm_tolerance = 1e-300;
  const auto strict_fit = stats::BinnedFitter(h, kDijet4, strict).fit_background();
  BOOST_TEST(!strict_fit.converged);
  BOOST_TEST(strict_fit.failure_reason.find("distance to the minimum") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(too_few_bins_rejected) {
  stats::Histogram h{{1000.0, 1100.0, 1200.0, 1300.0, 1400.0}, {100, 80, 60, 50}};
  BOOST_CHECK_THROW(stats::BinnedFitter(h, kDijet4), core::InputError);
  stats::Histogram beyond{{1000.0, 7000.0, 14000.0}, {10, 1}};
  BOOST_CHECK_THROW(
      stats::BinnedFitter(beyond, stats::BackgroundFamily{stats::FamilyKind::kDijet, 2, 13000.0}),
      core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
