#include "stats/ftest.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <iostream>

#include "core/random_stream.hpp"
#include "stats/toys.hpp"

using namespace cwola;

namespace {
const std::string kSpectra = CWOLA_SPECTRA_DIR;

struct Spectrum {
  std::string file;
  stats::CsvSpectrumOptions csv;
};

/// The five CMS spectra with the reading each needs (see docs/statistics.md).
std::vector<Spectrum> cms_spectra() {
  stats::CsvSpectrumOptions dijet;
  dijet.counts_from = stats::CountsFrom::kScale;
  dijet.scale = 137.0;  // pb/TeV × 137 fb⁻¹ × width(GeV)/1000
  stats::CsvSpectrumOptions paired = dijet;
  paired.scale = 138.0;
  stats::CsvSpectrumOptions counts;
  stats::CsvSpectrumOptions diphoton;
  diphoton.counts_from = stats::CountsFrom::kErrors;
  diphoton.edges_from = stats::EdgesFrom::kMidpoints;
  return {{"cms_dijet_mass_13TeV_137fb.csv", dijet},
          {"cms_trijet_mass_13TeV.csv", counts},
          {"cms_diphoton_mass_EBEB_13TeV.csv", diphoton},
          {"cms_paired_dijet_fourjet_mass_13TeV.csv", paired},
          {"cms_dimuon_mass_13TeV.csv", counts}};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ftest)

BOOST_AUTO_TEST_CASE(f_distribution_p_value) {
  // F(1, 10) 95 % quantile 4.9646 (tables); F(2, 30) 99 %: 5.3903.
  BOOST_TEST(stats::f_test_p_value(4.9646, 1, 10) == 0.05, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(stats::f_test_p_value(5.3903, 2, 30) == 0.01, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(stats::f_test_p_value(-1.0, 1, 10) == 1.0);
}

BOOST_AUTO_TEST_CASE(chooses_the_generating_family) {
  // Poisson data from a 3-parameter dijet function: 2 is rejected, 4 and 5 add nothing.
  stats::Histogram h;
  for (int i = 0; i <= 40; ++i) h.edges.push_back(1500.0 + 100.0 * i);
  const stats::BackgroundFamily truth{stats::FamilyKind::kDijet, 3, 13000.0};
  const auto mu = stats::expected_counts(truth, {std::log(50.0), 12.0, 5.0}, h);
  core::RandomStream stream(stats::toy_seed(7, 0));
  for (double m : mu) h.counts.push_back(stats::poisson_variate(stream, m));
  const auto result = stats::run_ftest(h, {});
  BOOST_TEST_MESSAGE(stats::format_ftest_table(result));
  BOOST_TEST(result.chosen_params == 3);
  BOOST_TEST(result.rows[1].p_value < 1e-6);
}

BOOST_AUTO_TEST_CASE(five_cms_spectra) {
  for (const auto& spectrum : cms_spectra()) {
    const auto h = stats::read_csv_spectrum(kSpectra + "/" + spectrum.file, spectrum.csv);
    // The default (deviance, every bin), Pearson over every bin, Pearson over bins >= 5 events.
    for (int variant = 0; variant < 3; ++variant) {
      stats::FtestOptions options;
      options.chi2 = variant == 0 ? stats::FtestChi2::kDeviance : stats::FtestChi2::kPearson;
      options.min_count = variant == 2 ? 5.0 : 0.0;
      const auto result = stats::run_ftest(h, options);
      std::cout << "F-test on " << spectrum.file << " (" << h.bins() << " bins, "
                << h.total() << " events), chi2 = " << (variant == 0 ? "deviance" : "pearson")
                << (variant == 2 ? " over bins merged to >= 5 events" : " over every bin") << "\n"
                << stats::format_ftest_table(result) << std::endl;
      BOOST_TEST(result.chosen_params >= 2);
      // Nested fits: more parameters never fit worse (a failed minimisation would).
      for (std::size_t r = 1; r < result.rows.size(); ++r) {
        const auto& a = result.rows[r - 1];
        const auto& b = result.rows[r];
        BOOST_TEST_CONTEXT(spectrum.file << " " << b.fit.family) {
          BOOST_TEST(b.fit.converged);
          BOOST_TEST(b.fit.half_deviance <= a.fit.half_deviance + 1e-6);
          if (variant == 0 && b.compared_with > 0) BOOST_TEST(b.f_statistic >= -1e-6);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
