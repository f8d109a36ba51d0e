#include <boost/test/unit_test.hpp>
#include <vector>

#include "app/command_line.hpp"
#include "core/error.hpp"

using namespace cwola;

namespace {
app::CommandLine parse(std::vector<const char*> args) {
  args.insert(args.begin(), "cwola");
  return app::parse_command_line(static_cast<int>(args.size()), args.data());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(run_with_everything) {
  const auto line = parse({"run", "--job", "a.ini", "--set", "job.repeats=2", "-s", "x.y=1",
                           "--output", "o.h5", "--resume", "--threads", "3", "--device", "cuda",
                           "--quiet", "--no-plots"});
  BOOST_TEST((line.command == app::Command::kRun));
  BOOST_TEST(line.job_file == "a.ini");
  BOOST_TEST(line.overrides == (std::vector<std::string>{"job.repeats=2", "x.y=1"}));
  BOOST_TEST(line.output == "o.h5");
  BOOST_TEST(line.resume);
  BOOST_TEST(*line.threads == 3);
  BOOST_TEST(*line.device == "cuda");
  BOOST_TEST(!line.plots);
  BOOST_TEST((line.log_level == core::LogLevel::kWarning));
}

BOOST_AUTO_TEST_CASE(help_and_version) {
  BOOST_TEST((parse({}).command == app::Command::kHelp));
  BOOST_TEST((parse({"--help"}).command == app::Command::kHelp));
  BOOST_TEST((parse({"--version"}).command == app::Command::kVersion));
  BOOST_TEST(parse({}).help_text.find("--job") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_command_lines_are_input_errors) {
  BOOST_CHECK_THROW(parse({"run"}), core::InputError);                        // no --job
  BOOST_CHECK_THROW(parse({"fly", "--job", "a.ini"}), core::InputError);      // no such command
  BOOST_CHECK_THROW(parse({"run", "--job", "a", "--bogus"}), core::InputError);
  BOOST_CHECK_THROW(parse({"run", "--job", "a", "--threads", "0"}), core::InputError);
  BOOST_CHECK_THROW(parse({"run", "--job", "a", "--threads", "two"}), core::InputError);
  BOOST_CHECK_THROW(parse({"run", "--job", "a", "--resume", "--overwrite"}), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
