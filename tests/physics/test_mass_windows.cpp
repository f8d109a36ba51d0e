#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "physics/mass_windows.hpp"

using cwola::physics::MassRegion;
using cwola::physics::MassWindows;

BOOST_AUTO_TEST_SUITE(mass_windows)

BOOST_AUTO_TEST_CASE(windows_are_half_open) {
  const MassWindows w{{4700, 5500}, {{4400, 4700}, {5500, 5800}}};
  BOOST_TEST(w.valid());
  BOOST_TEST(w.in_signal_region(4700));
  BOOST_TEST(!w.in_signal_region(5500));
  BOOST_TEST(w.in_sideband(5500));
  BOOST_TEST(!w.in_sideband(5800));
  BOOST_TEST((w.region(4699.9) == MassRegion::kSideband));
  BOOST_TEST((w.region(5000) == MassRegion::kSignal));
  BOOST_TEST((w.region(6000) == MassRegion::kOutside));
}

BOOST_AUTO_TEST_CASE(invalid_windows_are_recognised) {
  BOOST_TEST(!(MassWindows{{300, 500}, {{450, 600}}}.valid()));  // overlap
  BOOST_TEST(!(MassWindows{{300, 500}, {}}.valid()));            // no sideband
  BOOST_TEST(!(MassWindows{{500, 300}, {{100, 200}}}.valid()));  // empty signal region
}

BOOST_AUTO_TEST_CASE(cms_sets_grow_by_a_constant_factor_and_interleave) {
  const auto a = cwola::physics::SlidingWindows::cms_set("A");
  const auto b = cwola::physics::SlidingWindows::cms_set("B");
  a.validate("A");
  b.validate("B");
  // A grows by ×1.2222 up to 5.5 TeV (edges rounded to the GeV).
  for (std::size_t i = 1; i + 1 < a.edges.size(); ++i)
    BOOST_TEST(std::abs(a.edges[i] / a.edges[i - 1] - 1.2222) < 0.002);
  // B sits at the geometric midpoints of A.
  for (std::size_t i = 0; i + 2 < a.edges.size(); ++i)
    BOOST_TEST(std::abs(b.edges[i] - std::sqrt(a.edges[i] * a.edges[i + 1])) < 1.5);
  BOOST_CHECK_THROW(cwola::physics::SlidingWindows::cms_set("C"), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(a_window_is_a_bin_and_its_two_neighbours) {
  const cwola::physics::SlidingWindows s{{1000, 1200, 1500, 1900, 2400}};
  BOOST_TEST(s.count() == 2u);
  const auto w = s.window(2);
  BOOST_TEST(w.valid());
  BOOST_TEST(w.signal.first == 1500);
  BOOST_TEST(w.signal.second == 1900);
  BOOST_TEST(w.sidebands.at(0).first == 1200);
  BOOST_TEST(w.sidebands.at(1).second == 2400);
  BOOST_TEST(s.span(1).first == 1000);
  BOOST_TEST(s.span(1).second == 1900);
  // Window 1's signal region is window 2's low sideband: events are shared between windows.
  BOOST_TEST((s.window(1).region(1300) == MassRegion::kSignal));
  BOOST_TEST((s.window(2).region(1300) == MassRegion::kSideband));
}

BOOST_AUTO_TEST_CASE(bad_edges_are_refused_naming_the_key) {
  const auto fails = [](std::vector<double> edges) {
    try {
      cwola::physics::SlidingWindows{std::move(edges)}.validate("hunt.edges");
    } catch (const cwola::core::InputError& e) {
      return std::string(e.what()).find("hunt.edges") != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(fails({1000, 1200, 1500}));        // too few for one window
  BOOST_TEST(fails({1000, 1500, 1200, 1900}));  // not increasing (overlap)
  BOOST_TEST(fails({1000, 1200, 1200, 1900}));  // an empty bin
  BOOST_TEST(fails({1000, 1200, NAN, 1900}));   // not a mass
  BOOST_TEST(!fails({1000, 1200, 1500, 1900}));
}

BOOST_AUTO_TEST_SUITE_END()
