#include <boost/test/unit_test.hpp>
#include <regex>

#include "core/utc_time.hpp"

BOOST_AUTO_TEST_SUITE(utc_time)

BOOST_AUTO_TEST_CASE(formats_iso_8601_in_utc) {
  BOOST_TEST(cwola::core::format_utc(0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(cwola::core::format_utc(1764590400) == "2025-12-01T12:00:00Z");
  const std::regex iso(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");
  BOOST_TEST(std::regex_match(cwola::core::utc_now(), iso));
}

BOOST_AUTO_TEST_SUITE_END()
