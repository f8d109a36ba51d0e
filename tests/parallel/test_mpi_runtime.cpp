#include <boost/test/unit_test.hpp>

#include "parallel/mpi_runtime.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;

BOOST_AUTO_TEST_SUITE(mpi_runtime)

BOOST_AUTO_TEST_CASE(local_ranks_cover_the_node) {
  // All test ranks run on one host: the node-local split equals the world.
  BOOST_TEST(g_mpi->local_size() == g_mpi->size());
  BOOST_TEST(g_mpi->local_rank() == g_mpi->rank());
}

BOOST_AUTO_TEST_CASE(all_gather_keeps_rank_order) {
  const auto texts = g_mpi->all_gather("rank" + std::string(static_cast<std::size_t>(g_mpi->rank()) + 1, '*'));
  BOOST_REQUIRE(texts.size() == static_cast<std::size_t>(g_mpi->size()));
  for (std::size_t r = 0; r < texts.size(); ++r) {
    BOOST_TEST(texts[r] == "rank" + std::string(r + 1, '*'));
  }
}

BOOST_AUTO_TEST_CASE(all_true_is_a_logical_and) {
  BOOST_TEST(g_mpi->all_true(true));
  BOOST_TEST(g_mpi->all_true(g_mpi->rank() != 0) == (g_mpi->size() == 0));
}

BOOST_AUTO_TEST_SUITE_END()
