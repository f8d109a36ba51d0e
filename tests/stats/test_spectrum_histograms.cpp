#include "stats/spectrum_histograms.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "stats/background_family.hpp"
#include "stats/toys.hpp"

using namespace cwola;

namespace {
std::vector<double> edges_of(std::size_t bins, double low, double width) {
  std::vector<double> e;
  for (std::size_t i = 0; i <= bins; ++i) e.push_back(low + width * static_cast<double>(i));
  return e;
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }
}  // namespace

BOOST_AUTO_TEST_SUITE(spectrum_histograms)

BOOST_AUTO_TEST_CASE(too_many_bins_are_merged_too_few_split_and_the_range_is_kept) {
  // 169 bins (the diphoton spectrum) -> pairs: 84 pairs and one single bin.
  const auto many = edges_of(169, 500.0, 13.0);
  const auto merged = stats::network_bins(many, 30, 99, "many");
  BOOST_TEST(merged.merged == 2);
  BOOST_TEST(merged.split == 1);
  BOOST_TEST(merged.edges.size() == 86U);
  for (std::size_t i = 0; i + 1 < merged.edges.size(); ++i) {
    BOOST_TEST(merged.edges[i] == many[2 * i]);
  }
  BOOST_TEST(merged.edges.back() == many.back());
  // 20 bins (the dimuon spectrum) -> every bin halved: 40 bins, the measured edges among them.
  const auto few = edges_of(20, 397.4 - 5.4, 10.8);
  const auto split = stats::network_bins(few, 30, 99, "few");
  BOOST_TEST(split.split == 2);
  BOOST_TEST(split.edges.size() == 41U);
  for (std::size_t i = 0; i < few.size(); ++i) {
    BOOST_TEST(split.edges[2 * i] == few[i], boost::test_tools::tolerance(1e-12));
  }
  BOOST_TEST(split.edges[1] - split.edges[0] == 5.4, boost::test_tools::tolerance(1e-12));
  // 45 bins are left alone.
  const auto kept = stats::network_bins(edges_of(45, 1.0, 1.0), 30, 99, "kept");
  BOOST_TEST(kept.edges == edges_of(45, 1.0, 1.0));
  // 40 bins cannot be brought into [50, 60]: splitting gives 80.
  BOOST_CHECK_THROW(stats::network_bins(edges_of(40, 1.0, 1.0), 50, 60, "x"), core::InputError);
}

BOOST_AUTO_TEST_CASE(the_fitted_background_keeps_the_integral_and_is_scaled_into_range) {
  // A Poisson-fluctuated spectrum of a 3-parameter dijet function on 150 bins of 20 GeV
  // (about 10^5 entries in the first bin).
  const stats::BackgroundFamily family{stats::FamilyKind::kDijet, 3, 13000.0};
  stats::Histogram spectrum;
  spectrum.edges = edges_of(150, 1500.0, 20.0);
  spectrum.counts.assign(150, 0.0);
  const auto truth = stats::expected_counts(family, {-1.0, 10.0, 5.0}, spectrum);
  core::RandomStream stream(20261202);
  for (std::size_t i = 0; i < truth.size(); ++i) {
    spectrum.counts[i] = stats::poisson_variate(stream, truth[i]);
  }
  stats::FtestOptions options;
  options.max_params = 3;
  // A domain wide enough to keep every bin (the last expects ~50 of the first's 10^5).
  const stats::EntryRange everything{1e-3, 1e5};
  const auto unscaled =
      stats::fit_spectrum_background("toy", spectrum, options, 30, 99, everything);
  BOOST_TEST(unscaled.fit.n_params == 3);
  BOOST_TEST(unscaled.kept_bins == 150U);
  BOOST_TEST(unscaled.bins.merged == 2);
  BOOST_TEST(unscaled.expected.size() == 75U);
  // Each network bin holds the fit's integral over its two measured bins, × the scale that
  // puts the largest (first) at max_entries.
  const stats::BackgroundFamily fitted{stats::FamilyKind::kDijet, 3, 13000.0};
  const auto measured = stats::expected_counts(fitted, unscaled.fit.theta, spectrum);
  BOOST_TEST(unscaled.expected.front() == 1e5, boost::test_tools::tolerance(1e-12));
  for (std::size_t i = 0; i < unscaled.expected.size(); ++i) {
    BOOST_TEST(unscaled.expected[i] ==
                   (measured[2 * i] + measured[2 * i + 1]) * unscaled.scale,
               boost::test_tools::tolerance(1e-10));
  }
  // The free normalisation makes the fit's total the observed one (its score equation).
  BOOST_TEST(sum(unscaled.expected) / unscaled.scale == unscaled.measured_events,
             boost::test_tools::tolerance(1e-6));
  // A domain of 10-1000 entries keeps the bins down to 1 % of the first's content.
  const auto cut = stats::fit_spectrum_background("toy", spectrum, options, 30, 99, {10, 1000});
  BOOST_TEST(cut.kept_bins < 150U);
  BOOST_TEST(measured[cut.kept_bins - 1] >= 0.01 * measured[0]);
  BOOST_TEST(measured[cut.kept_bins] < 0.01 * measured[0]);
  BOOST_TEST(cut.expected.front() == 1000.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(cut.bins.edges.back() == spectrum.edges[cut.kept_bins]);
  // A domain no bin after the first reaches is refused.
  BOOST_CHECK_THROW(stats::fit_spectrum_background("toy", spectrum, options, 30, 99, {99999, 1e5}),
                    core::InputError);
}

BOOST_AUTO_TEST_CASE(the_cms_dimuon_spectrum_is_split_into_forty_bins) {
  const auto spectrum =
      stats::read_csv_spectrum(std::string(CWOLA_SPECTRA_DIR) + "/cms_dimuon_mass_13TeV.csv", {});
  const auto b = stats::fit_spectrum_background("dimuon", spectrum, {}, 30, 99, {10, 1000});
  BOOST_TEST(b.fit.n_params == 2);  // the F-test's choice (docs/statistics.md)
  BOOST_TEST(b.kept_bins == 20U);   // it falls by a factor ~3.5 only
  BOOST_TEST(b.bins.split == 2);
  BOOST_TEST(b.expected.size() == 40U);
  BOOST_TEST(b.scale > 100.0);      // 4.5 fitted events in the largest bin, normalised to 1000
  // A fit of the 2-parameter family conserves the total (the normalisation's score equation).
  BOOST_TEST(sum(b.expected) / b.scale == b.measured_events, boost::test_tools::tolerance(1e-4));
}

BOOST_AUTO_TEST_SUITE_END()
