#include <boost/test/unit_test.hpp>

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

BOOST_AUTO_TEST_SUITE_END()
