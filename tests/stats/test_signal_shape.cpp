#include "stats/signal_shape.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(signal_shape)

BOOST_AUTO_TEST_CASE(gaussian_fractions) {
  stats::SignalShape g;
  g.mass_gev = 3000.0;
  g.sigma_gev = 150.0;
  BOOST_TEST(g.integral(2850.0, 3150.0) == std::erf(1.0 / std::sqrt(2.0)),
             boost::test_tools::tolerance(1e-12));
  const auto f = g.bin_fractions({1000.0, 2000.0, 3000.0, 4000.0, 5000.0});
  BOOST_TEST(f[1] + f[2] == 1.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(f[1] == f[2], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(crystal_ball_normalised_and_continuous) {
  stats::SignalShape cb;
  cb.kind = stats::ShapeKind::kCrystalBall;
  cb.mass_gev = 3000.0;
  cb.sigma_gev = 100.0;
  cb.tails = {1.2, 3.0, 1.8, 4.0};
  // Power-law tails: the total over ±∞ is one; far tails fall as t^(1−n).
  BOOST_TEST(cb.integral(-1e12, 1e12) == 1.0, boost::test_tools::tolerance(1e-6));
  // The density is continuous at the joins: fractions of two tiny bins either side agree.
  for (double join : {3000.0 - 1.2 * 100.0, 3000.0 + 1.8 * 100.0}) {
    const double left = cb.integral(join - 1e-3, join);
    const double right = cb.integral(join, join + 1e-3);
    BOOST_TEST(left == right, boost::test_tools::tolerance(1e-4));  // slope × 1e-3 GeV only
  }
  // With the tails far out it is the Gaussian.
  stats::SignalShape wide = cb;
  wide.tails = {8.0, 2.0, 8.0, 2.0};
  stats::SignalShape g = cb;
  g.kind = stats::ShapeKind::kGaussian;
  BOOST_TEST(wide.integral(2900.0, 3050.0) == g.integral(2900.0, 3050.0),
             boost::test_tools::tolerance(1e-9));
  // A low tail (alpha_low < alpha_high) puts more signal below the peak than above.
  BOOST_TEST(cb.integral(0.0, 3000.0) > cb.integral(3000.0, 6000.0));
}

BOOST_AUTO_TEST_CASE(template_overlap) {
  stats::SignalShape t;
  t.kind = stats::ShapeKind::kTemplate;
  t.template_edges = {0.0, 10.0, 20.0};
  t.template_counts = {30.0, 10.0};
  BOOST_CHECK_NO_THROW(t.validate("template.h5"));
  const auto f = t.bin_fractions({5.0, 15.0, 30.0});
  BOOST_TEST(f[0] == (15.0 + 5.0) / 40.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(f[1] == 5.0 / 40.0, boost::test_tools::tolerance(1e-12));  // 0..5 is outside: lost
}

BOOST_AUTO_TEST_CASE(bad_shapes_rejected) {
  stats::SignalShape cb;
  cb.kind = stats::ShapeKind::kCrystalBall;
  cb.mass_gev = 1000.0;
  cb.sigma_gev = 10.0;
  cb.tails.n_low = 1.0;
  BOOST_CHECK_THROW(cb.validate("--crystal-ball"), core::InputError);
  stats::SignalShape g;
  g.sigma_gev = 0.0;
  BOOST_CHECK_THROW(g.validate("--width"), core::InputError);
  stats::SignalShape t;
  t.kind = stats::ShapeKind::kTemplate;
  t.template_edges = {0.0, 1.0};
  t.template_counts = {-1.0};
  BOOST_CHECK_THROW(t.validate("template"), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
