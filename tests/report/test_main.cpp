#define BOOST_TEST_MODULE cwola report
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "parallel/mpi_runtime.hpp"

cwola::parallel::MpiRuntime* g_mpi = nullptr;

int main(int argc, char** argv) {
  cwola::parallel::MpiRuntime mpi(argc, argv);
  g_mpi = &mpi;
  const int failures = boost::unit_test::unit_test_main(
      [] { return true; }, argc, argv);
  // A rank that failed must not let the others report success.
  return mpi.all_true(failures == 0) ? 0 : 1;
}
