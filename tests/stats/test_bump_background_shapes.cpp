#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "stats/background_family.hpp"
#include "stats/binned_fit.hpp"
#include "stats/bump_background_shapes.hpp"
#include "stats/histogram_generator.hpp"

using namespace cwola;

namespace {
const std::string kSpectra = CWOLA_SPECTRA_DIR;
constexpr double kPi = 3.14159265358979323846;

std::vector<double> centres(const std::vector<double>& edges) {
  std::vector<double> x;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) x.push_back(0.5 * (edges[i] + edges[i + 1]));
  return x;
}

/// Every analytic family with the shape parameters at both ends of their ranges.
std::vector<stats::BumpShape> analytic_shapes(double y_max, double y_min, double cut) {
  std::vector<stats::BumpShape> shapes;
  for (auto family : stats::all_bump_families()) {
    if (family == stats::BumpFamily::kDijet) continue;
    std::vector<double> parameters = {0.0};
    if (family == stats::BumpFamily::kPowerFree) parameters = {0.01, 1.7, 10.0};
    if (family == stats::BumpFamily::kHalfCosh) parameters = {0.5, 2.0, 5.0};
    for (double p : parameters) {
      stats::BumpShape shape;
      shape.family = family;
      shape.y_max = y_max;
      shape.y_min = y_min;
      shape.parameter = p;
      shape.cut = cut;
      shapes.push_back(shape);
    }
  }
  return shapes;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(bump_background_shapes)

BOOST_AUTO_TEST_CASE(every_family_passes_through_both_end_points_and_falls) {
  int checked = 0;
  for (const auto& edges : {stats::uniform_edges(30, 1.5), stats::uniform_edges(99, 5.5),
                            stats::variable_edges(30, 5.5), stats::variable_edges(73, 2.0)}) {
    for (const auto& ends : {std::array<double, 2>{1e5, 10.0}, {20.0, 10.0}, {1e5, 9e4}}) {
      for (double cut : {1.0, 0.6, 0.2}) {
        for (const auto& shape : analytic_shapes(ends[0], ends[1], cut)) {
          BOOST_TEST_CONTEXT(stats::bump_family_name(shape.family)
                             << " k/c = " << shape.parameter << " cut = " << cut << " bins "
                             << edges.size() - 1 << " ends " << ends[0] << ", " << ends[1]) {
            const auto y = stats::bump_background(shape, edges);
            BOOST_REQUIRE(y.size() == edges.size() - 1);
            BOOST_TEST(y.front() == ends[0], boost::test_tools::tolerance(1e-9));
            BOOST_TEST(y.back() == ends[1], boost::test_tools::tolerance(1e-9));
            for (std::size_t i = 1; i < y.size(); ++i) BOOST_TEST(y[i] < y[i - 1]);
            ++checked;
          }
        }
      }
    }
  }
  BOOST_TEST(checked == 4 * 3 * 3 * 15);
}

BOOST_AUTO_TEST_CASE(formulas_match_the_thesis_forms) {
  // Each family written as in the thesis (eq. 32) with a, b solved by hand from the end points.
  const double x1 = 1.2;
  const double x2 = 4.0;
  const double y1 = 5000.0;
  const double y2 = 40.0;
  for (double x : {1.2, 1.9, 2.5, 3.3, 4.0}) {
    const double u = (x - x1) / (x2 - x1);
    auto at = [&](stats::BumpFamily family, double parameter) {
      return stats::analytic_shape(family, parameter, x1, y1, x2, y2, x);
    };
    const auto tol = boost::test_tools::tolerance(1e-12);
    const double a_exp = std::log(y1 / y2) / (x2 - x1);
    BOOST_TEST(
        at(stats::BumpFamily::kExponential, 0) == y1 * std::exp(a_exp * x1) * std::exp(-a_exp * x),
        tol);
    BOOST_TEST(at(stats::BumpFamily::kLinear, 0) == y1 + (y2 - y1) / (x2 - x1) * (x - x1), tol);
    for (int k = 1; k <= 4; ++k) {
      // 1/(a x^k) + b: 1/a = (y1 − y2)/(x1^−k − x2^−k).
      const double inv_a = (y1 - y2) / (std::pow(x1, -k) - std::pow(x2, -k));
      const double b = y2 - inv_a * std::pow(x2, -k);
      const auto family =
          static_cast<stats::BumpFamily>(static_cast<int>(stats::BumpFamily::kPower1) + k - 1);
      BOOST_TEST(at(family, 0) == inv_a * std::pow(x, -k) + b, tol);
      BOOST_TEST(at(stats::BumpFamily::kPowerFree, k) == inv_a * std::pow(x, -k) + b, tol);
    }
    BOOST_TEST(at(stats::BumpFamily::kHalfParabola, 0) == y2 + (y1 - y2) * (1 - u) * (1 - u), tol);
    const double a_log = (y1 - y2) / std::log(x2 / x1);
    BOOST_TEST(at(stats::BumpFamily::kNegativeLog, 0) ==
                   -a_log * std::log(x) + (y1 + a_log * std::log(x1)),
               tol);
    BOOST_TEST(at(stats::BumpFamily::kQuarterCosine, 0) == (y1 - y2) * std::cos(kPi / 2 * u) + y2,
               tol);
    const double c = 3.0;
    BOOST_TEST(at(stats::BumpFamily::kHalfCosh, c) ==
                   y2 + (y1 - y2) * (std::cosh(c * (1 - u)) - 1) / (std::cosh(c) - 1),
               tol);
  }
}

BOOST_AUTO_TEST_CASE(a_stretch_maps_the_cut_part_over_the_range) {
  const auto edges = stats::uniform_edges(40, 3.0);
  const auto x = centres(edges);
  stats::BumpShape shape;
  shape.family = stats::BumpFamily::kQuarterCosine;
  shape.y_max = 3000.0;
  shape.y_min = 30.0;
  shape.cut = 0.4;
  const auto y = stats::bump_background(shape, edges);
  const double x1 = x.front();
  const double x2 = x.back();
  const double y_cut =
      stats::analytic_shape(shape.family, 0, x1, 3000.0, x2, 30.0, x1 + 0.4 * (x2 - x1));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double base =
        stats::analytic_shape(shape.family, 0, x1, 3000.0, x2, 30.0, x1 + 0.4 * (x[i] - x1));
    BOOST_TEST(y[i] == 30.0 + 2970.0 * (base - y_cut) / (3000.0 - y_cut),
               boost::test_tools::tolerance(1e-12));
  }
  // The cut part of a quarter cosine is flatter at the start than the whole: the stretched
  // curve lies above the plain one in the middle.
  shape.cut = 1.0;
  const auto plain = stats::bump_background(shape, edges);
  BOOST_TEST(y[20] > plain[20]);
  // A linear shape is its own stretch.
  shape.family = stats::BumpFamily::kLinear;
  const auto line = stats::bump_background(shape, edges);
  shape.cut = 0.3;
  const auto stretched_line = stats::bump_background(shape, edges);
  for (std::size_t i = 0; i < x.size(); ++i) {
    BOOST_TEST(stretched_line[i] == line[i], boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(dijet_shape_through_end_points_recovers_the_fit) {
  // End points taken from the fitted CMS curve itself: the solve returns the fitted θ0, θ2.
  const stats::BackgroundFamily dijet4{stats::FamilyKind::kDijet, 4, 13000.0};
  const std::vector<double> theta(stats::DijetFit::kTheta.begin(), stats::DijetFit::kTheta.end());
  for (const auto& edges : {stats::uniform_edges(50, 4.0), stats::variable_edges(35, 5.0)}) {
    stats::BumpShape shape;
    shape.family = stats::BumpFamily::kDijet;
    shape.mass_scale_gev = 1600.0;
    const std::size_t n = edges.size() - 1;
    auto curve = [&](std::size_t i) {
      const double m = 1600.0 * 0.5 * (edges[i] + edges[i + 1]);
      return 1600.0 * (edges[i + 1] - edges[i]) * std::exp(dijet4.log_density(theta, m));
    };
    shape.y_max = curve(0);
    shape.y_min = curve(n - 1);
    const auto solved = stats::dijet_theta_through_ends(shape, edges);
    for (int k = 0; k < 4; ++k) {
      BOOST_TEST(solved[k] == stats::DijetFit::kTheta[k], boost::test_tools::tolerance(1e-9));
    }
    const auto y = stats::bump_background(shape, edges);
    for (std::size_t i = 0; i < n; ++i) {
      BOOST_TEST(y[i] == curve(i), boost::test_tools::tolerance(1e-9));
      if (i > 0) BOOST_TEST(y[i] < y[i - 1]);
    }
    // Other end points: still through both.
    shape.y_max = 7e4;
    shape.y_min = 12.0;
    const auto other = stats::bump_background(shape, edges);
    BOOST_TEST(other.front() == 7e4, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(other.back() == 12.0, boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(hard_coded_dijet_fit_is_the_fit_of_the_cms_spectrum) {
  stats::CsvSpectrumOptions options;
  options.counts_from = stats::CountsFrom::kScale;
  options.scale = 137.0;
  const auto h = stats::read_csv_spectrum(kSpectra + "/cms_dijet_mass_13TeV_137fb.csv", options);
  BOOST_TEST(h.edges.front() == stats::DijetFit::kLowEdgeGev);
  BOOST_TEST(h.edges.back() == stats::DijetFit::kHighEdgeGev);
  const stats::BinnedFitter fitter(h, {stats::FamilyKind::kDijet, 4, stats::DijetFit::kSqrtSGev});
  const auto fit = fitter.fit_background();
  BOOST_REQUIRE(fit.converged);
  for (int k = 0; k < 4; ++k) {
    // Well inside the 1σ errors (0.3 on θ0..θ2, 0.045 on θ3): a fit to 1e-4.
    BOOST_TEST(std::fabs(fit.theta[k] - stats::DijetFit::kTheta[k]) < 1e-4);
  }
  BOOST_TEST(std::sqrt(fit.covariance[1 * 4 + 1]) == stats::DijetFit::kTheta1Error,
             boost::test_tools::tolerance(1e-2));
  BOOST_TEST(std::sqrt(fit.covariance[3 * 4 + 3]) == stats::DijetFit::kTheta3Error,
             boost::test_tools::tolerance(1e-2));
}

BOOST_AUTO_TEST_CASE(names_round_trip_and_bad_shapes_are_rejected) {
  const auto& all = stats::all_bump_families();
  BOOST_TEST(all.size() == 12u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    BOOST_TEST((stats::parse_bump_family(stats::bump_family_name(all[i]), "test") == all[i]));
    BOOST_TEST(static_cast<std::size_t>(all[i]) == i);  // the stored value is the index
  }
  BOOST_CHECK_EXCEPTION(stats::parse_bump_family("gaussian", "card.ini: bump.families"),
                        core::InputError, [](const core::InputError& e) {
                          return std::string(e.what()).find("'gaussian'") != std::string::npos;
                        });
  const auto edges = stats::uniform_edges(30, 2.0);
  stats::BumpShape shape;
  shape.y_max = 10.0;
  shape.y_min = 10.0;
  BOOST_CHECK_THROW(stats::bump_background(shape, edges), core::InputError);
  shape.y_max = 100.0;
  shape.cut = 0.0;
  BOOST_CHECK_THROW(stats::bump_background(shape, edges), core::InputError);
  shape.cut = 1.0;
  BOOST_CHECK_THROW(stats::bump_background(shape, {1.0, 2.0}), core::InputError);
  shape.family = stats::BumpFamily::kDijet;
  shape.mass_scale_gev = 5000.0;  // 5000 × 3 GeV > √s
  BOOST_CHECK_THROW(stats::bump_background(shape, stats::uniform_edges(30, 3.0)), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
