// Δ = Z_pred − Z_PL at the highest-target bin, and its bias, spread and intervals by group.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "metrics/bump_residuals.hpp"

using namespace cwola::metrics;

BOOST_AUTO_TEST_SUITE(bump_residuals_suite)

BOOST_AUTO_TEST_CASE(residual_is_taken_at_the_highest_target_bin) {
  // Two histograms: 3 bins (target peaks at bin 1) and 2 bins (peak at bin 0).
  const auto r = bump_residuals({3, 2}, {0.5, 4.0, 1.0, 2.0, -1.0}, {0.7, 3.5, 5.0, 2.5, 0.0});
  BOOST_REQUIRE(r.size() == 2U);
  BOOST_TEST(r[0].bin == 1);
  BOOST_TEST(r[0].z_pl == 4.0);
  BOOST_TEST(r[0].z_pred == 3.5);
  BOOST_TEST(r[0].z_pred_max == 5.0);  // the thesis's max-vs-max would see +1 here
  BOOST_TEST(r[0].delta() == -0.5);
  BOOST_TEST(r[1].bin == 0);
  BOOST_TEST(r[1].delta() == 0.5);
  BOOST_CHECK_THROW(bump_residuals({3}, {1, 2}, {1, 2, 3}), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(summary_has_the_moments_and_quantiles_of_delta) {
  // Δ = -2, -1, 0, 1, 2, ... symmetric: bias 0, population spread sqrt(2); quantiles by
  // numpy's linear rule at q (n - 1).
  std::vector<BumpResidual> residuals;
  for (int d = -2; d <= 2; ++d) {
    BumpResidual r;
    r.z_pl = 5.0;
    r.z_pred = 5.0 + d;
    residuals.push_back(r);
  }
  const auto s = summarise_residuals(residuals, "all", "all");
  BOOST_TEST(s.histograms == 5U);
  BOOST_TEST(s.bias == 0.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.spread == std::sqrt(2.0), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.q16 == -2.0 + 0.16 * 4.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.q84 == -2.0 + 0.84 * 4.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.q975 == -2.0 + 0.975 * 4.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.z_pred_q16 == 5.0 + s.q16, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::isnan(summarise_residuals({}, "all", "all").bias));
}

BOOST_AUTO_TEST_CASE(groups_partition_the_histograms) {
  std::vector<BumpResidual> residuals;
  std::vector<BumpHistogramTraits> traits;
  for (int i = 0; i < 40; ++i) {
    BumpResidual r;
    r.z_pl = 0.25 * i;
    r.z_pred = r.z_pl + (i % 2 == 0 ? 0.1 : -0.1);
    residuals.push_back(r);
    traits.push_back({30 + 2 * i, std::pow(10.0, 0.1 * i), i % 5});
  }
  const auto groups = summarise_by_group(residuals, traits);
  BOOST_TEST(groups.front().axis == "all");
  BOOST_TEST(groups.front().histograms == 40U);
  for (const std::string axis : {"n_bins", "dynamic_range", "width", "z_pl"}) {
    std::size_t total = 0;
    for (const auto& g : groups) {
      if (g.axis == axis) total += g.histograms;
    }
    BOOST_TEST_INFO(axis);
    BOOST_TEST(total == 40U);
  }
  bool found = false;
  for (const auto& g : groups) {
    if (g.axis == "z_pl" && g.group == "4.5-5.5") {
      found = true;
      BOOST_TEST(g.histograms == 4U);  // z_pl = 4.5 (rounds away from zero), 4.75, 5, 5.25
    }
    if (g.axis == "width" && g.group == "none") BOOST_TEST(g.histograms == 8U);
    if (g.axis == "n_bins" && g.group == "30-49") BOOST_TEST(g.histograms == 10U);
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_SUITE_END()
