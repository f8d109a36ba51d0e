#include <boost/test/unit_test.hpp>
#include <cmath>

#include "data/dihiggs_mixing.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(dihiggs_mixing)

BOOST_AUTO_TEST_CASE(sizes_reproduce_the_notes_table_4) {
  // L = 78 fb⁻¹ with Table 3's cross sections gives Table 4's mixed samples.
  const auto x500 = data::note_cross_sections(500);
  BOOST_REQUIRE(x500.has_value());
  const auto s = data::hunting_sizes(*x500, 78, 1);
  BOOST_TEST(s.signal_in_signal_region == 244U);
  BOOST_TEST(s.signal_in_sideband == 27U);  // 0.35 × 78 = 27.3 (the note prints 28)
  BOOST_TEST(std::abs(static_cast<double>(s.background_in_signal_region) - 200e3) < 1e3);
  BOOST_TEST(std::abs(static_cast<double>(s.background_in_sideband) - 184e3) < 1e3);
  const auto x1000 = data::note_cross_sections(1000);
  const auto t = data::hunting_sizes(*x1000, 78, 100);  // Table 7, "100 times"
  BOOST_TEST(t.signal_in_signal_region == 491U);        // the note: 492
  BOOST_TEST(t.signal_in_sideband == 78U);              // the note: 75
  BOOST_TEST(data::hunting_sizes(*x1000, 78, 0).signal_in_signal_region == 0U);
  BOOST_TEST(!data::note_cross_sections(700).has_value());
}

BOOST_AUTO_TEST_CASE(windows_of_table_2) {
  const auto w = data::note_windows(500);
  BOOST_REQUIRE(w.has_value());
  BOOST_TEST(w->valid());
  BOOST_TEST((w->region(400) == data::MassRegion::kSignal));
  BOOST_TEST((w->region(550) == data::MassRegion::kSideband));  // [350, 550) then [550, 700)
  BOOST_TEST((w->region(260) == data::MassRegion::kSideband));
  BOOST_TEST((w->region(720) == data::MassRegion::kOutside));
  BOOST_TEST((data::note_windows(1000)->region(1075) == data::MassRegion::kSideband));
  data::MassWindows overlapping{{300, 500}, {{450, 600}}};
  BOOST_TEST(!overlapping.valid());
}

BOOST_AUTO_TEST_SUITE_END()
