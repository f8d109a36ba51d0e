#include "parallel/agreed_step.hpp"

#include <boost/test/unit_test.hpp>

#include "parallel/mpi_runtime.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola::parallel;

BOOST_AUTO_TEST_SUITE(agreed_step)

BOOST_AUTO_TEST_CASE(a_step_that_succeeds_everywhere_throws_nowhere) {
  int ran = 0;
  run_agreed(g_mpi->comm(), [&] { ++ran; });
  BOOST_TEST(ran == 1);
}

BOOST_AUTO_TEST_CASE(a_failure_on_the_last_rank_reaches_every_rank) {
  // The full-disk case: only one rank sees the error, all must stop before the next
  // collective (the barrier below would hang otherwise).
  const int last = g_mpi->size() - 1;
  bool thrown = false;
  try {
    run_agreed(g_mpi->comm(), [&] {
      if (g_mpi->rank() == last) throw cwola::core::Error("disk full on rank " + std::to_string(last));
    });
  } catch (const AgreedFailure& e) {
    thrown = true;
    BOOST_TEST(std::string(e.what()) == "disk full on rank " + std::to_string(last));
    BOOST_TEST(e.failed_rank() == last);
  } catch (const cwola::core::Error& e) {
    // One rank alone: the step's own exception passes unchanged.
    thrown = g_mpi->size() == 1 && std::string(e.what()) == "disk full on rank 0";
  }
  BOOST_TEST(thrown);
  g_mpi->barrier();
}

BOOST_AUTO_TEST_CASE(the_lowest_failed_rank_speaks_and_input_errors_stay_input_errors) {
  bool input_error = false;
  try {
    run_agreed(g_mpi->comm(), [&] {
      throw cwola::core::InputError("bad value on rank " + std::to_string(g_mpi->rank()));
    });
  } catch (const cwola::core::InputError& e) {
    input_error = true;
    BOOST_TEST(std::string(e.what()) == "bad value on rank 0");
  }
  BOOST_TEST(input_error);
  g_mpi->barrier();
}

BOOST_AUTO_TEST_CASE(agree_alone_reports_an_error_found_elsewhere) {
  const std::string mine = g_mpi->rank() == 0 ? "" : "found by rank " + std::to_string(g_mpi->rank());
  if (g_mpi->size() == 1) {
    BOOST_CHECK_NO_THROW(agree(g_mpi->comm(), mine, false));
    return;
  }
  BOOST_CHECK_THROW(agree(g_mpi->comm(), mine, false), AgreedFailure);
}

BOOST_AUTO_TEST_SUITE_END()
