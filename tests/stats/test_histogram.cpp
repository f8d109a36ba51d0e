#include "stats/histogram.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/error.hpp"

using namespace cwola;

namespace {
const std::string kSpectra = CWOLA_SPECTRA_DIR;

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/cwola_test_stats_" + name;
  std::ofstream(path) << text;
  return path;
}

bool message_has(const core::InputError& e, const std::string& a, const std::string& b) {
  const std::string what = e.what();
  return what.find(a) != std::string::npos && what.find(b) != std::string::npos;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(histogram)

BOOST_AUTO_TEST_CASE(dijet_csv_scaled_to_events) {
  stats::CsvSpectrumOptions options;
  options.counts_from = stats::CountsFrom::kScale;
  options.scale = 137.0;  // 137 fb⁻¹ = 137000 pb⁻¹, value in pb/TeV, width in GeV → ×137 per GeV
  const auto h = stats::read_csv_spectrum(kSpectra + "/cms_dijet_mass_13TeV_137fb.csv", options);
  BOOST_TEST(h.bins() == 42u);
  BOOST_TEST(h.edges.front() == 1530.0);
  BOOST_TEST(h.edges.back() == 8752.0);
  // First bin: 149.28 pb/TeV × 137 × 77 GeV; its HEPData error 0.1188 is √N/(137·77).
  BOOST_TEST(h.counts[0] == 149.27999877929688 * 137.0 * 77.0, boost::test_tools::tolerance(1e-12));
  const double n_from_error = std::pow(0.11879 * 137.0 * 77.0, 2.0);
  BOOST_TEST(std::fabs(h.counts[0] - n_from_error) / n_from_error < 0.01);
}

BOOST_AUTO_TEST_CASE(counts_from_errors_and_given) {
  stats::CsvSpectrumOptions options;
  const auto trijet = stats::read_csv_spectrum(kSpectra + "/cms_trijet_mass_13TeV.csv", options);
  BOOST_TEST(trijet.counts[0] == 231784.0);
  options.counts_from = stats::CountsFrom::kErrors;
  const auto effective = stats::read_csv_spectrum(kSpectra + "/cms_trijet_mass_13TeV.csv", options);
  // Symmetric error ≈ √N: the effective count is the count to 0.5 %.
  BOOST_TEST(std::fabs(effective.counts[0] / 231784.0 - 1.0) < 5e-3);
}

BOOST_AUTO_TEST_CASE(overlapping_widths_rejected_midpoints_accepted) {
  stats::CsvSpectrumOptions options;
  const std::string path = kSpectra + "/cms_diphoton_mass_EBEB_13TeV.csv";
  try {
    stats::read_csv_spectrum(path, options);
    BOOST_FAIL("overlapping bins accepted");
  } catch (const core::InputError& e) {
    BOOST_TEST(message_has(e, path + ":", "midpoints"));
  }
  options.edges_from = stats::EdgesFrom::kMidpoints;
  const auto h = stats::read_csv_spectrum(path, options);
  BOOST_TEST(h.bins() == 169u);
  BOOST_TEST(h.edges[1] == 506.25);
}

BOOST_AUTO_TEST_CASE(bad_csv_rows_named) {
  const auto missing = write_temp("missing.csv", "mass_center,value,err_up,bin_width\n1,2,3,4\n");
  try {
    stats::read_csv_spectrum(missing, {});
    BOOST_FAIL("missing column accepted");
  } catch (const core::InputError& e) {
    BOOST_TEST(message_has(e, missing + ":1", "err_down"));
  }
  const auto negative = write_temp(
      "negative.csv", "mass_center,value,err_up,err_down,bin_width\n10,5,1,1,2\n12,-3,1,1,2\n");
  try {
    stats::read_csv_spectrum(negative, {});
    BOOST_FAIL("negative count accepted");
  } catch (const core::InputError& e) {
    BOOST_TEST(message_has(e, negative + ":3", "-3"));
  }
  const auto nan = write_temp("nan.csv",
                              "mass_center,value,err_up,err_down,bin_width\n10,nan,1,1,2\n");
  BOOST_CHECK_THROW(stats::read_csv_spectrum(nan, {}), core::InputError);
  const auto text = write_temp("text.csv",
                               "mass_center,value,err_up,err_down,bin_width\n10,abc,1,1,2\n");
  try {
    stats::read_csv_spectrum(text, {});
    BOOST_FAIL("text accepted");
  } catch (const core::InputError& e) {
    BOOST_TEST(message_has(e, text + ":2", "abc"));
  }
}

BOOST_AUTO_TEST_CASE(validate_rejects_bad_histograms) {
  stats::Histogram h{{1.0, 2.0, 2.0}, {1.0, 1.0}};
  try {
    h.validate("h.h5");
    BOOST_FAIL("non-increasing edges accepted");
  } catch (const core::InputError& e) {
    BOOST_TEST(message_has(e, "h.h5", "edges[2]"));
  }
  stats::Histogram negative{{1.0, 2.0, 3.0}, {1.0, -1.0}};
  BOOST_CHECK_THROW(negative.validate("h"), core::InputError);
  stats::Histogram nan{{1.0, 2.0, 3.0}, {std::numeric_limits<double>::quiet_NaN(), 1.0}};
  BOOST_CHECK_THROW(nan.validate("h"), core::InputError);
  stats::Histogram ok{{1.0, 2.0, 3.0}, {0.0, 4.0}};
  BOOST_CHECK_NO_THROW(ok.validate("h"));
}

BOOST_AUTO_TEST_CASE(fill_and_merge) {
  const auto h = stats::fill_histogram({0.0, 1.0, 2.0, 3.0}, {0.5, 1.5, 1.7, 2.9, 3.0, -1.0});
  BOOST_TEST(h.counts == std::vector<double>({1.0, 2.0, 1.0}), boost::test_tools::per_element());
  // From the high end: {3,2}=5 → group at 3; {10} → at 2; leftover {1,1} joins the group at 2.
  const auto groups = stats::merge_groups({1.0, 1.0, 10.0, 2.0, 3.0}, 5.0);
  BOOST_TEST(groups == std::vector<std::size_t>({0, 3}), boost::test_tools::per_element());
  BOOST_TEST(stats::merge_groups({1.0, 2.0}, 0.0).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
