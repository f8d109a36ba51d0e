#include <boost/test/unit_test.hpp>
#include <numeric>
#include <vector>

#include "parallel/mpi_runtime.hpp"
#include "parallel/task_queue.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;

BOOST_AUTO_TEST_SUITE(task_queue)

BOOST_AUTO_TEST_CASE(every_item_is_handed_out_exactly_once) {
  const std::uint64_t n = 1000;
  std::vector<int> mine(n, 0);
  {
    cwola::parallel::TaskQueue queue(g_mpi->comm(), n);
    while (auto item = queue.next()) {
      mine[*item] += 1;
      queue.mark_done();
    }
    g_mpi->barrier();
    BOOST_TEST(queue.done() == n);
  }
  std::vector<int> total(n, 0);
  MPI_Allreduce(mine.data(), total.data(), static_cast<int>(n), MPI_INT, MPI_SUM, g_mpi->comm());
  for (std::uint64_t i = 0; i < n; ++i) BOOST_TEST(total[i] == 1);
}

BOOST_AUTO_TEST_CASE(close_stops_every_rank) {
  cwola::parallel::TaskQueue queue(g_mpi->comm(), 100);
  if (g_mpi->rank() == 0) {
    BOOST_TEST(queue.next().has_value());
    queue.close();
  }
  g_mpi->barrier();
  BOOST_TEST(!queue.next().has_value());
}

BOOST_AUTO_TEST_CASE(shared_counters_start_at_their_values_and_sum_every_rank) {
  cwola::parallel::TaskQueue queue(g_mpi->comm(), 10, {5, -1, 0});
  BOOST_TEST(queue.counter(0) == 5);
  BOOST_TEST(queue.counter(1) == -1);
  g_mpi->barrier();
  for (int i = 0; i < 100; ++i) queue.add_to(2, 1);
  queue.add_to(1, g_mpi->rank() + 1);
  g_mpi->barrier();
  const int n = g_mpi->size();
  BOOST_TEST(queue.counter(2) == 100 * n);
  BOOST_TEST(queue.counter(1) == -1 + n * (n + 1) / 2);
  BOOST_TEST(queue.counter(0) == 5);
  BOOST_TEST(!queue.closed());
  g_mpi->barrier();
  if (g_mpi->rank() == 0) queue.close();
  g_mpi->barrier();
  BOOST_TEST(queue.closed());
}

BOOST_AUTO_TEST_CASE(empty_queue) {
  cwola::parallel::TaskQueue queue(g_mpi->comm(), 0);
  BOOST_TEST(!queue.next().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
