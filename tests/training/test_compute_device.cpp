#include <torch/torch.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "training/compute_device.hpp"

namespace training = cwola::training;
using training::DeviceRequest;

BOOST_AUTO_TEST_SUITE(compute_device)

BOOST_AUTO_TEST_CASE(parses_known_requests) {
  BOOST_TEST(static_cast<int>(training::parse_device_request("cpu")) ==
             static_cast<int>(DeviceRequest::kCpu));
  BOOST_TEST(static_cast<int>(training::parse_device_request("cuda")) ==
             static_cast<int>(DeviceRequest::kCuda));
  BOOST_TEST(static_cast<int>(training::parse_device_request("auto")) ==
             static_cast<int>(DeviceRequest::kAuto));
}

BOOST_AUTO_TEST_CASE(rejects_unknown_requests) {
  for (const char* text : {"gpu0", "GPU", "", "cuda:0", " cpu"}) {
    BOOST_TEST_INFO(text);
    BOOST_CHECK_THROW(training::parse_device_request(text), cwola::core::InputError);
  }
  try {
    training::parse_device_request("gpu0");
  } catch (const cwola::core::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("'gpu0'") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(cpu_request_gives_cpu) {
  for (int local_rank = 0; local_rank < 3; ++local_rank) {
    const auto choice = training::choose_device(DeviceRequest::kCpu, local_rank, 3);
    BOOST_TEST(choice.device.is_cpu());
    BOOST_TEST(choice.description == "cpu");
  }
}

BOOST_AUTO_TEST_CASE(auto_follows_cuda_availability) {
  const auto choice = training::choose_device(DeviceRequest::kAuto, 1, 2);
  BOOST_TEST(choice.device.is_cuda() == training::cuda_available());
}

BOOST_AUTO_TEST_CASE(cuda_request_without_enough_gpus_throws) {
  if (!training::cuda_available()) {
    BOOST_CHECK_THROW(training::choose_device(DeviceRequest::kCuda, 0, 1), cwola::core::InputError);
    return;
  }
  const int gpus = static_cast<int>(torch::cuda::device_count());
  BOOST_CHECK_THROW(training::choose_device(DeviceRequest::kCuda, 0, gpus + 1),
                    cwola::core::InputError);
  const auto last = training::choose_device(DeviceRequest::kCuda, gpus - 1, gpus);
  BOOST_TEST(last.device.is_cuda());
  BOOST_TEST(last.device.index() == gpus - 1);
}

// assign_device with faked GPU counts: the rank -> GPU rule of a multi-GPU node.
BOOST_AUTO_TEST_CASE(cuda_gives_each_local_rank_its_own_gpu) {
  for (int gpus : {1, 2, 4, 8}) {
    for (int ranks = 1; ranks <= gpus; ++ranks) {
      std::vector<int> used;
      for (int local_rank = 0; local_rank < ranks; ++local_rank) {
        const auto a = training::assign_device(DeviceRequest::kCuda, local_rank, ranks, gpus);
        BOOST_TEST(a.cuda_index == local_rank);
        BOOST_TEST(a.sharing_ranks == 1);
        used.push_back(a.cuda_index);
      }
      std::sort(used.begin(), used.end());
      BOOST_TEST((std::adjacent_find(used.begin(), used.end()) == used.end()));
    }
  }
}

BOOST_AUTO_TEST_CASE(cuda_refuses_more_ranks_than_gpus) {
  for (int local_rank = 0; local_rank < 3; ++local_rank) {
    BOOST_CHECK_THROW(training::assign_device(DeviceRequest::kCuda, local_rank, 3, 2),
                      cwola::core::InputError);
  }
  BOOST_CHECK_THROW(training::assign_device(DeviceRequest::kCuda, 0, 1, 0),
                    cwola::core::InputError);
  try {
    training::assign_device(DeviceRequest::kCuda, 0, 3, 2);
  } catch (const cwola::core::InputError& e) {
    const std::string text = e.what();
    BOOST_TEST(text.find("3 ranks") != std::string::npos);
    BOOST_TEST(text.find("only 2") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(auto_shares_gpus_round_robin_or_falls_back_to_cpu) {
  const int expected[] = {0, 1, 0, 1, 0};
  for (int local_rank = 0; local_rank < 5; ++local_rank) {
    const auto a = training::assign_device(DeviceRequest::kAuto, local_rank, 5, 2);
    BOOST_TEST(a.cuda_index == expected[local_rank]);
    BOOST_TEST(a.sharing_ranks == 3);
  }
  BOOST_TEST(training::assign_device(DeviceRequest::kAuto, 1, 2, 0).cuda_index == -1);
  BOOST_TEST(training::assign_device(DeviceRequest::kCpu, 1, 2, 4).cuda_index == -1);
  BOOST_CHECK_THROW(training::assign_device(DeviceRequest::kAuto, 0, 1, -1), cwola::core::Error);
}

BOOST_AUTO_TEST_CASE(local_rank_out_of_range_is_a_bug) {
  BOOST_CHECK_THROW(training::choose_device(DeviceRequest::kCpu, 2, 2), cwola::core::Error);
  BOOST_CHECK_THROW(training::choose_device(DeviceRequest::kCpu, 0, 0), cwola::core::Error);
}

BOOST_AUTO_TEST_CASE(sets_thread_count) {
  const int before = torch::get_num_threads();
  training::set_compute_threads(1, 1);
  BOOST_TEST(torch::get_num_threads() == 1);
  BOOST_CHECK_THROW(training::set_compute_threads(0, 1), cwola::core::InputError);
  training::set_compute_threads(before, 1);
  BOOST_CHECK_THROW(training::set_compute_threads(1, 0), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(reports_torch_version) {
  const auto version = training::torch_version();
  BOOST_TEST(version.rfind(std::to_string(TORCH_VERSION_MAJOR) + ".", 0) == 0U);
  BOOST_TEST(std::count(version.begin(), version.end(), '.') == 2);
}

BOOST_AUTO_TEST_SUITE_END()
