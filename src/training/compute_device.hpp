#pragma once
/// Choice of the compute device (CPU or one CUDA GPU per rank) and of the CPU thread count.
#include <c10/core/Device.h>

#include <string>

namespace cwola::training {

/// What the job asks for (key `device`).
enum class DeviceRequest {
  kCpu,   ///< always the CPU
  kCuda,  ///< a GPU per rank; an error if LibTorch lacks CUDA or there are too few GPUs
  kAuto,  ///< CUDA if LibTorch has it and a GPU is visible, else the CPU
};

/// Parses "cpu", "cuda" or "auto" (exactly, lower case); anything else throws core::InputError.
DeviceRequest parse_device_request(const std::string& text);

/// The device a rank computes on, with a human-readable description for the log.
struct DeviceChoice {
  c10::Device device;  ///< the same type as torch::Device (this header avoids <torch/torch.h>)
  /// e.g. "cuda:1 (GPU 1 of 4 visible on this node)" or "cpu".
  std::string description;
};

/// Which device a node-local rank gets: the pure rule behind choose_device, with the number of
/// visible GPUs given (so tests can fake any count).
struct DeviceAssignment {
  int cuda_index = -1;    ///< the CUDA device index, or -1 for the CPU
  int sharing_ranks = 1;  ///< most ranks of the node on one GPU (1: none shares)
};

/// Rank -> device by node-local rank: the CPU for kCpu, and for kAuto without GPUs; otherwise CUDA
/// device local_rank % device_count. kCuda with device_count == 0 or local_size > device_count
/// throws core::InputError (ranks would share a GPU unknowingly); kAuto shares round-robin.
/// Needs 0 <= local_rank < local_size and device_count >= 0 (else core::Error: a bug).
DeviceAssignment assign_device(DeviceRequest request, int local_rank, int local_size,
                               int device_count);

/// Device for a rank from its node-local rank (0 <= local_rank < local_size) and the number of
/// ranks on its node: CUDA device local_rank % device_count. With kCuda, more local ranks than
/// visible GPUs is an error (ranks would share a GPU unknowingly), as is LibTorch without CUDA;
/// both throw core::InputError. kAuto shares GPUs round-robin when there are fewer GPUs than ranks.
DeviceChoice choose_device(DeviceRequest request, int local_rank, int local_size);

/// Sets LibTorch's intra-op thread count and, when the loaded BLAS is OpenBLAS, its own thread
/// count (found at run time via dlsym, so other BLAS libraries are left alone). Both >= 1.
/// They are separate because a pthread OpenBLAS pool spinning beside LibTorch's OpenMP pool made
/// small-network training 3.7x slower (2+2 threads on 2 cores vs 2 LibTorch + 1 BLAS).
void set_compute_threads(int threads, int blas_threads);

/// LibTorch's version as "major.minor.patch" from the headers compiled against.
std::string torch_version();

/// True if LibTorch was built with CUDA and at least one GPU is visible.
bool cuda_available();

}  // namespace cwola::training
