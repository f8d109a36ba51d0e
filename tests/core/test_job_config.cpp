#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "core/error.hpp"
#include "core/job_config.hpp"

using cwola::core::InputError;
using cwola::core::JobConfig;

namespace {
bool message_has(const InputError& e, const std::string& part) {
  return std::string(e.what()).find(part) != std::string::npos;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(job_config)

BOOST_AUTO_TEST_CASE(reads_typed_values_and_records_defaults) {
  auto config = JobConfig::from_text("[job]\nrepeats = 3  # three\nname = x\n", "a.ini");
  BOOST_TEST(config.get_int("job.repeats", 10, 1, 1000) == 3);
  BOOST_TEST(config.get_double("model.lr", 0.001, 0, 1) == 0.001);
  BOOST_TEST(config.get_string("job.name", "") == "x");
  const auto text = config.canonical_text();
  BOOST_TEST(text.find("[model]\nlr = 0.001") != std::string::npos);
  BOOST_TEST(text.find("repeats = 3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_key_and_value) {
  auto config = JobConfig::from_text("[job]\n\nrepeats = 0\n", "bad.ini");
  try {
    config.get_int("job.repeats", 10, 1, 1000);
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "bad.ini:3"));
    BOOST_TEST(message_has(e, "job.repeats"));
    BOOST_TEST(message_has(e, "'0'"));
  }
  BOOST_CHECK_THROW(JobConfig::from_text("[job]\nx = 1\nx = 2\n", "d.ini"), InputError);
  BOOST_CHECK_THROW(JobConfig::from_text("x = 1\n", "d.ini"), InputError);
  BOOST_CHECK_THROW(JobConfig::from_text("[job\n", "d.ini"), InputError);
  auto typed = JobConfig::from_text("[a]\nn = 1.5\nb = maybe\nl = 1, x\n", "t.ini");
  BOOST_CHECK_THROW(typed.get_int("a.n", 1, 0, 10), InputError);
  BOOST_CHECK_THROW(typed.get_bool("a.b", false), InputError);
  BOOST_CHECK_THROW(typed.get_doubles("a.l", {}, 0, 10), InputError);
}

BOOST_AUTO_TEST_CASE(unread_keys_are_rejected) {
  auto config = JobConfig::from_text("[job]\nrepeats = 2\nrepaets = 3\n", "typo.ini");
  config.get_int("job.repeats", 10, 1, 1000);
  try {
    config.reject_unread();
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "job.repaets"));
    BOOST_TEST(message_has(e, "typo.ini:3"));
  }
}

BOOST_AUTO_TEST_CASE(overrides_replace_values_and_lists_parse) {
  auto config = JobConfig::from_text("[scan]\ngaussian.f1 = 0.5, 0.6\n", "s.ini");
  config.apply_override("job.repeats=7");
  BOOST_TEST(config.get_int("job.repeats", 1, 1, 100) == 7);
  BOOST_TEST(config.origin("job.repeats") == "--set job.repeats");
  const auto scan = config.section("scan");
  BOOST_TEST(scan.size() == 1U);
  BOOST_TEST(scan[0].key == "gaussian.f1");
  BOOST_CHECK_THROW(config.apply_override("nodot=3"), InputError);
  const auto values = config.get_doubles("scan.gaussian.f1", {}, 0, 1);
  BOOST_TEST(values.size() == 2U);
  BOOST_TEST(values[1] == 0.6);
}

BOOST_AUTO_TEST_CASE(a_utf8_byte_order_mark_is_not_part_of_the_first_line) {
  auto config = JobConfig::from_text("\xEF\xBB\xBF[job]\nrepeats = 4\n", "bom.ini");
  BOOST_TEST(config.get_int("job.repeats", 1, 1, 100) == 4);
}

BOOST_AUTO_TEST_CASE(a_key_set_in_its_section_and_scanned_is_named_as_such) {
  auto config = JobConfig::from_text(
      "[scan]\ngaussian.f1 = 0.6, 0.8\n\n[gaussian]\nf1 = 0.7\n", "moved.ini");
  config.get_string("scan.gaussian.f1", "");
  try {
    config.reject_unread();
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "moved.ini:5"));
    BOOST_TEST(message_has(e, "also a scan axis ([scan] gaussian.f1 = 0.6, 0.8 at moved.ini:2)"));
    BOOST_TEST(!message_has(e, "not a setting of this study"));
  }
}

BOOST_AUTO_TEST_CASE(job_files_must_be_regular_files_of_a_job_file_size) {
  const std::string fifo = "test_job_config_fifo.ini";
  unlink(fifo.c_str());
  BOOST_REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  try {
    JobConfig::from_file(fifo);  // would block forever if it were opened
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, fifo + "' is not a regular file"));
  }
  unlink(fifo.c_str());
  try {
    JobConfig::from_file("/dev/zero");
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "'/dev/zero' is not a regular file"));
  }
  const std::string big = "test_job_config_big.ini";
  {
    std::ofstream out(big);
    out << "[job]\nname = big\n" << std::string(2 << 20, '#') << "\n";
  }
  try {
    JobConfig::from_file(big);
    BOOST_FAIL("expected an InputError");
  } catch (const InputError& e) {
    BOOST_TEST(message_has(e, "limit of 1048576"));
  }
  unlink(big.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
