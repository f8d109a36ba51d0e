#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "report/summary.hpp"

using cwola::store::SummaryColumns;

namespace {

/// A summary of two points with the columns the table shows; max SIC of point 1 flagged in
/// a third of its repeats.
SummaryColumns two_points(bool with_new_columns) {
  SummaryColumns s;
  s.integers = {{"n_done", {3, 3}}, {"n_failed", {0, 1}}};
  const auto add = [&s](const std::string& column, std::vector<double> mean,
                        std::vector<double> std) {
    s.doubles.emplace_back(column + "_mean", std::move(mean));
    s.doubles.emplace_back(column + "_std", std::move(std));
  };
  add("auc", {0.5012, 0.7601}, {0.01, 0.002});
  add("best_accuracy", {0.5123, 0.6925}, {0.004, 0.001});
  if (with_new_columns) {
    add("accuracy_at_val_threshold", {0.5011, 0.6899}, {0.005, 0.002});
    add("max_sic", {1.2, 3.4}, {0.1, 0.2});
    add("few_bkg_at_max_sic", {0.0, 1.0 / 3.0}, {0.0, 0.47});
    add("sic_at_eb_1e-3", {1.0, 2.0}, {0.3, 0.4});
    add("few_bkg_at_eb_1e-3", {0.0, 0.0}, {0.0, 0.0});
  }
  return s;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(summary_table)

BOOST_AUTO_TEST_CASE(labels_test_tuned_accuracy_and_flags_few_background_events) {
  const auto text =
      cwola::report::format_summary_table({"gaussian.f1"}, {{"0.5"}, {"0.9"}}, two_points(true));
  BOOST_TEST_MESSAGE(text);
  const auto lines = lines_of(text);
  BOOST_REQUIRE(lines.size() >= 6U);
  BOOST_TEST(lines[0].find("best ACC (test-tuned)") != std::string::npos);
  BOOST_TEST(lines[0].find("ACC (val. threshold)") != std::string::npos);
  BOOST_TEST(lines[0].find("max SIC") != std::string::npos);
  // Point 0: nothing flagged; point 1: max SIC flagged, SIC at 1e-3 not.
  BOOST_TEST(lines[2].find('*') == std::string::npos);
  BOOST_TEST(lines[3].find("3.4000 ± 0.2000 *") != std::string::npos);
  BOOST_TEST(lines[3].find("2.0000 ± 0.4000 *") == std::string::npos);
  BOOST_TEST(lines[3].find("0.6899 ± 0.0020") != std::string::npos);
  BOOST_TEST(text.find("* rests on fewer than 10 test background events") != std::string::npos);
  BOOST_TEST(text.find("test set (biased up)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_store_without_the_new_columns_still_prints) {
  const auto text =
      cwola::report::format_summary_table({"gaussian.f1"}, {{"0.5"}, {"0.9"}}, two_points(false));
  BOOST_TEST(text.find("best ACC (test-tuned)") != std::string::npos);
  BOOST_TEST(text.find("max SIC") == std::string::npos);
  BOOST_TEST(text.find("* rests on") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
