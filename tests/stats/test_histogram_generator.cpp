#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "stats/histogram_generator.hpp"
#include "stats/significance.hpp"

using namespace cwola;

namespace {
/// Fraction of a Gaussian (mean m, σ) inside [lo, hi].
double inside(double m, double sigma, double lo, double hi) {
  return 0.5 * (std::erf((hi - m) / (sigma * std::sqrt(2.0))) -
                std::erf((lo - m) / (sigma * std::sqrt(2.0))));
}

bool same(const stats::GeneratedHistogram& a, const stats::GeneratedHistogram& b) {
  return a.edges == b.edges && a.background == b.background && a.signal == b.signal &&
         a.counts == b.counts && a.mu == b.mu && a.z_want == b.z_want &&
         a.centre_bin == b.centre_bin && a.signal_width == b.signal_width && a.seed == b.seed;
}

std::string message_of(const stats::HistogramGeneratorConfig& config) {
  try {
    config.validate();
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(histogram_generator)

BOOST_AUTO_TEST_CASE(variable_binning_keeps_a_narrow_resonance_one_bin_wide) {
  const std::size_t n = 60;
  const double range = 4.0;
  const auto edges = stats::variable_edges(n, range);
  BOOST_TEST(edges.front() == 1.0);
  BOOST_TEST(edges.back() == range, boost::test_tools::tolerance(1e-14));
  const double step = std::pow(range, 1.0 / n);
  const double relative = 2.0 * (step - 1.0) / (step + 1.0);  // width / centre
  for (std::size_t i = 0; i < n; ++i) {
    const double centre = 0.5 * (edges[i] + edges[i + 1]);
    BOOST_TEST((edges[i + 1] - edges[i]) / centre == relative, boost::test_tools::tolerance(1e-12));
  }
  // A resonance with resolution σ_m = relative·m (one bin) holds the same share of its events
  // in its own bin anywhere on the axis (≈ erf(1/(2√2)) = 0.383); on uniform bins it does not.
  const auto uniform = stats::uniform_edges(n, range);
  std::vector<double> share_variable;
  std::vector<double> share_uniform;
  for (std::size_t i : {3u, 30u, 56u}) {
    const double m = 0.5 * (edges[i] + edges[i + 1]);
    share_variable.push_back(inside(m, relative * m, edges[i], edges[i + 1]));
    const double mu = 0.5 * (uniform[i] + uniform[i + 1]);
    const double relative_uniform = (uniform[1] - uniform[0]) / (0.5 * (uniform[0] + uniform[1]));
    share_uniform.push_back(inside(mu, relative_uniform * mu, uniform[i], uniform[i + 1]));
  }
  for (double share : share_variable) {
    BOOST_TEST(share == std::erf(0.5 / std::sqrt(2.0)), boost::test_tools::tolerance(1e-3));
  }
  BOOST_TEST(share_uniform.back() < 0.5 * share_uniform.front());
}

BOOST_AUTO_TEST_CASE(signal_template_is_a_normalised_gaussian_of_w_bins) {
  for (int w = 1; w <= 4; ++w) {
    const auto s = stats::gaussian_template(99, 49, w);
    double sum = 0.0;
    double mean = 0.0;
    double second = 0.0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      sum += s[i];
      mean += s[i] * static_cast<double>(i);
      second += s[i] * static_cast<double>(i) * static_cast<double>(i);
    }
    BOOST_TEST(sum == 1.0, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(mean == 49.0, boost::test_tools::tolerance(1e-12));
    // Bin integration of a Gaussian of σ = W adds the 1/12 of a uniform bin to the variance.
    BOOST_TEST(second - mean * mean == w * w + 1.0 / 12.0, boost::test_tools::tolerance(1e-6));
    // Bin d from the centre holds ∫ over [d − ½, d + ½] of N(0, W).
    BOOST_TEST(s[49 + w] / s[49] == inside(0, w, w - 0.5, w + 0.5) / inside(0, w, -0.5, 0.5),
               boost::test_tools::tolerance(1e-9));
    BOOST_TEST(s[49 - w] == s[49 + w]);
    // At the edge: truncated and renormalised, still Σ = 1, peak in bin 0.
    const auto edge = stats::gaussian_template(40, 0, w);
    double edge_sum = 0.0;
    for (double v : edge) edge_sum += v;
    BOOST_TEST(edge_sum == 1.0, boost::test_tools::tolerance(1e-14));
    BOOST_TEST(edge[0] > edge[1]);
  }
  BOOST_CHECK_THROW(stats::gaussian_template(30, 30, 2.0), core::InputError);
}

BOOST_AUTO_TEST_CASE(asimov_yield_hits_the_wanted_significance) {
  const auto b = stats::bump_background({stats::BumpFamily::kExponential, 2e4, 15.0},
                                        stats::uniform_edges(70, 3.0));
  for (std::size_t centre : {0u, 20u, 69u}) {
    for (double w : {1.0, 4.0}) {
      const auto s = stats::gaussian_template(b.size(), centre, w);
      for (double z : {0.01, 1.0, 5.0, 10.0, 50.0}) {
        const double mu = stats::asimov_yield(b, s, z);
        BOOST_TEST(mu > 0.0);
        // The statistics module's closed form, an independent implementation.
        BOOST_TEST(std::fabs(stats::asimov_z_closed_form(b, s, mu) - z) < 1e-6);
        BOOST_TEST(stats::asimov_z_signed(b, s, mu) == z, boost::test_tools::tolerance(1e-10));
      }
    }
  }
  BOOST_TEST(stats::asimov_yield(b, stats::gaussian_template(b.size(), 5, 2.0), 0.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(a_histogram_is_a_pure_function_of_seed_and_index) {
  const stats::HistogramGenerator generator({});
  const auto a = generator.generate(42, 7);
  generator.generate(42, 8);
  const auto again = generator.generate(42, 7);
  BOOST_TEST(same(a, again));
  BOOST_TEST(!same(a, generator.generate(42, 8)));
  BOOST_TEST(!same(a, generator.generate(43, 7)));
  // Changing the injection settings leaves the background (its own stream) unchanged.
  stats::HistogramGeneratorConfig other;
  other.z_range = {3.0, 4.0};
  const auto b = stats::HistogramGenerator(other).generate(42, 7);
  BOOST_TEST(a.background == b.background);
  BOOST_TEST(a.edges == b.edges);
}

BOOST_AUTO_TEST_CASE(ensemble_covers_the_configured_ranges) {
  const stats::HistogramGenerator generator({});
  const int count = 3000;
  std::map<int, int> families;
  int variable = 0;
  int without_signal = 0;
  int stretched = 0;
  int min_bins = 1000;
  int max_bins = 0;
  double pull_sum = 0.0;
  double pull_sum2 = 0.0;
  double pulls = 0.0;
  for (int index = 0; index < count; ++index) {
    const auto h = generator.generate(2024, static_cast<std::uint64_t>(index));
    BOOST_TEST_CONTEXT("histogram " << index << " family "
                                    << stats::bump_family_name(h.shape.family)) {
      const int n = static_cast<int>(h.bins());
      min_bins = std::min(min_bins, n);
      max_bins = std::max(max_bins, n);
      BOOST_REQUIRE(h.edges.size() == h.bins() + 1);
      BOOST_REQUIRE(h.background.size() == h.bins());
      ++families[static_cast<int>(h.shape.family)];
      variable += h.binning == stats::BumpBinning::kVariable ? 1 : 0;
      stretched += h.shape.cut < 1.0 ? 1 : 0;
      // Dynamic range: the end points are the drawn y_max, y_min inside [10, 1e5].
      BOOST_TEST(h.background.front() == h.shape.y_max, boost::test_tools::tolerance(1e-9));
      BOOST_TEST(h.background.back() == h.shape.y_min, boost::test_tools::tolerance(1e-9));
      BOOST_TEST(h.shape.y_min >= 10.0);
      BOOST_TEST(h.shape.y_max <= 1e5);
      bool falls = true;
      for (int i = 1; i < n; ++i) falls = falls && h.background[i] < h.background[i - 1];
      BOOST_TEST(falls);
      double signal_sum = 0.0;
      for (double v : h.signal) signal_sum += v;
      if (h.has_signal) {
        BOOST_TEST(signal_sum == 1.0, boost::test_tools::tolerance(1e-12));
        BOOST_TEST((h.signal_width >= 1 && h.signal_width <= 4));
        BOOST_TEST((h.centre_bin >= 0 && h.centre_bin < n));
        BOOST_TEST((h.z_want >= 0.0 && h.z_want <= 10.0));
        // Injection calibration: Z_A(μ_inj) over the unfluctuated background = Z_want.
        BOOST_TEST(std::fabs(stats::asimov_z_closed_form(h.background, h.signal, h.mu) - h.z_want) <
                   1e-6);
      } else {
        ++without_signal;
        BOOST_TEST(signal_sum == 0.0);
        BOOST_TEST(h.mu == 0.0);
      }
      for (int i = 0; i < n; ++i) {
        const double expected = h.background[i] + h.mu * h.signal[i];
        BOOST_TEST((h.counts[i] >= 0.0 && h.counts[i] == std::floor(h.counts[i])));
        const double pull = (h.counts[i] - expected) / std::sqrt(expected);
        pull_sum += pull;
        pull_sum2 += pull * pull;
        pulls += 1.0;
      }
    }
  }
  BOOST_TEST(min_bins == 30);
  BOOST_TEST(max_bins == 99);
  BOOST_TEST(families.size() == stats::all_bump_families().size());
  // Binomial fractions, ±4σ.
  BOOST_TEST(std::fabs(variable / double(count) - 0.5) < 4 * std::sqrt(0.25 / count));
  BOOST_TEST(std::fabs(without_signal / double(count) - 0.1) < 4 * std::sqrt(0.09 / count));
  const double analytic = count * 11.0 / 12.0;
  BOOST_TEST(std::fabs(stretched / analytic - 0.5) < 4 * std::sqrt(0.25 / analytic));
  // Poisson fluctuations: pulls of mean 0 and variance 1 (≈ 2e5 bins).
  const double mean = pull_sum / pulls;
  BOOST_TEST(std::fabs(mean) < 0.01);
  BOOST_TEST(std::fabs(pull_sum2 / pulls - mean * mean - 1.0) < 0.02);
}

BOOST_AUTO_TEST_CASE(bad_settings_name_the_key_and_value) {
  stats::HistogramGeneratorConfig config;
  config.min_bins = 1;
  BOOST_TEST(message_of(config).find("bump.min_bins = 1") != std::string::npos);
  config = {};
  config.max_bins = 20;
  BOOST_TEST(message_of(config).find("bump.max_bins = 20") != std::string::npos);
  config = {};
  config.mass_range = {1.5, 8.0};  // beyond the fitted dijet range
  BOOST_TEST(message_of(config).find("bump.mass_range = 1.5, 8") != std::string::npos);
  config.families = {stats::BumpFamily::kLinear};
  BOOST_TEST(message_of(config).empty());
  config = {};
  config.signal_widths = {0};
  BOOST_TEST(message_of(config).find("bump.signal_widths = 0") != std::string::npos);
  config = {};
  config.min_entries = 1e5;
  BOOST_TEST(message_of(config).find("bump.min_entries = 1e+05") != std::string::npos);
  BOOST_CHECK_THROW(stats::HistogramGenerator{config}, core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
