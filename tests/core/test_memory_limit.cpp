#include "core/memory_limit.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

using namespace cwola::core;

BOOST_AUTO_TEST_SUITE(memory_limit)

BOOST_AUTO_TEST_CASE(the_machine_limit_is_positive_and_a_stated_limit_replaces_it) {
  unsetenv("CWOLA_MEMORY_LIMIT_BYTES");
  const auto machine = memory_limit_bytes();
  BOOST_TEST(machine > (64ULL << 20));  // any machine that runs the tests
  setenv("CWOLA_MEMORY_LIMIT_BYTES", "1000000", 1);
  BOOST_TEST(memory_limit_bytes() == 1000000U);
  unsetenv("CWOLA_MEMORY_LIMIT_BYTES");
  BOOST_TEST(memory_limit_bytes() == machine);
}

BOOST_AUTO_TEST_CASE(a_shortfall_is_reported_with_both_numbers_only_above_the_limit) {
  setenv("CWOLA_MEMORY_LIMIT_BYTES", "1073741824", 1);  // 1 GiB
  BOOST_TEST(memory_shortfall(1073741824.0, "exactly the limit").empty());
  const auto problem = memory_shortfall(3.0 * 1073741824.0, "three tables");
  BOOST_TEST(problem.find("about 3.0 GiB") != std::string::npos);
  BOOST_TEST(problem.find("(three tables)") != std::string::npos);
  BOOST_TEST(problem.find("1.0 GiB this process may use") != std::string::npos);
  unsetenv("CWOLA_MEMORY_LIMIT_BYTES");
}

BOOST_AUTO_TEST_CASE(bytes_are_formatted_in_binary_units) {
  BOOST_TEST(format_bytes(512) == "512 B");
  BOOST_TEST(format_bytes(1536) == "1.5 KiB");
  BOOST_TEST(format_bytes(640.0 * (1ULL << 30)) == "640.0 GiB");
}

BOOST_AUTO_TEST_SUITE_END()
