// Rank -> GPU on a multi-GPU node across real MPI ranks (1 and 2): each rank takes its node-local
// rank from parallel::MpiRuntime, as study_runner does, and the GPU counts are faked through
// training::assign_device, so the rule is checked on a machine without GPUs.
#define BOOST_TEST_MODULE cwola device per rank
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "training/compute_device.hpp"

namespace {
cwola::parallel::MpiRuntime* g_mpi = nullptr;
using cwola::training::DeviceRequest;
}  // namespace

BOOST_AUTO_TEST_CASE(ranks_of_a_node_get_distinct_gpus) {
  const auto& mpi = *g_mpi;
  for (int gpus = mpi.local_size(); gpus <= mpi.local_size() + 2; ++gpus) {
    const auto mine = cwola::training::assign_device(DeviceRequest::kCuda, mpi.local_rank(),
                                                     mpi.local_size(), gpus);
    const auto all = mpi.all_gather(mpi.host() + "/" + std::to_string(mine.cuda_index));
    // Every (host, GPU) pair appears once: no two ranks of a node share a GPU.
    BOOST_TEST(std::set<std::string>(all.begin(), all.end()).size() == all.size());
    BOOST_TEST(mine.cuda_index == mpi.local_rank());
  }
}

BOOST_AUTO_TEST_CASE(every_rank_refuses_when_ranks_exceed_gpus) {
  const auto& mpi = *g_mpi;
  bool refused = false;
  try {
    cwola::training::assign_device(DeviceRequest::kCuda, mpi.local_rank(), mpi.local_size(),
                                   mpi.local_size() - 1);
  } catch (const cwola::core::InputError&) {
    refused = true;
  }
  // All ranks refuse together, so none starts work that the others abandon.
  BOOST_TEST(mpi.all_true(refused));
}

int main(int argc, char** argv) {
  cwola::parallel::MpiRuntime mpi(argc, argv);
  g_mpi = &mpi;
  const int failures = boost::unit_test::unit_test_main([] { return true; }, argc, argv);
  return mpi.all_true(failures == 0) ? 0 : 1;
}
