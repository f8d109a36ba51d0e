#include "training/compute_device.hpp"

#include <dlfcn.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "core/error.hpp"

namespace cwola::training {

DeviceRequest parse_device_request(const std::string& text) {
  if (text == "cpu") {
    return DeviceRequest::kCpu;
  }
  if (text == "cuda") {
    return DeviceRequest::kCuda;
  }
  if (text == "auto") {
    return DeviceRequest::kAuto;
  }
  throw core::InputError("device '" + text +
                         "' is not known (the device decides where networks train) use one of "
                         "cpu, cuda or auto");
}

bool cuda_available() { return torch::cuda::is_available() && torch::cuda::device_count() > 0; }

DeviceAssignment assign_device(DeviceRequest request, int local_rank, int local_size,
                               int device_count) {
  if (local_size < 1 || local_rank < 0 || local_rank >= local_size || device_count < 0) {
    throw core::Error(
        "node-local rank " + std::to_string(local_rank) + " of " + std::to_string(local_size) +
        " with " + std::to_string(device_count) +
        " GPUs is out of range (a bug in the rank-to-node mapping; please report it)");
  }
  if (request == DeviceRequest::kCpu || (request == DeviceRequest::kAuto && device_count == 0)) {
    return {};
  }
  if (request == DeviceRequest::kCuda) {
    if (device_count == 0) {
      throw core::InputError(
          "device = cuda was requested but no GPU is visible on this node "
          "use device = cpu, or run on a GPU node with a CUDA build of LibTorch");
    }
    if (local_size > device_count) {
      throw core::InputError(std::to_string(local_size) +
                             " ranks on this node ask for GPUs but only " +
                             std::to_string(device_count) +
                             " are visible (ranks would silently share GPUs) start at most " +
                             std::to_string(device_count) + " ranks per node or use device = cpu");
    }
  }
  return {local_rank % device_count, (local_size + device_count - 1) / device_count};
}

DeviceChoice choose_device(DeviceRequest request, int local_rank, int local_size) {
  const bool have_cuda = cuda_available();
  if (request == DeviceRequest::kCuda && !have_cuda && local_size >= 1 && local_rank >= 0 &&
      local_rank < local_size) {
    throw core::InputError(
        "device = cuda was requested but no GPU is usable (this LibTorch " + torch_version() +
        (torch::cuda::is_available() ? " sees no GPU" : " was built without CUDA") +
        ") use device = cpu, or run on a GPU node with a CUDA build of LibTorch");
  }
  const int device_count = have_cuda ? static_cast<int>(torch::cuda::device_count()) : 0;
  const auto assignment = assign_device(request, local_rank, local_size, device_count);
  if (assignment.cuda_index < 0) {
    return {torch::Device(torch::kCPU), "cpu"};
  }
  const int index = assignment.cuda_index;
  torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  std::string description = device.str() + " (GPU " + std::to_string(index) + " of " +
                            std::to_string(device_count) + " visible on this node";
  if (assignment.sharing_ranks > 1) {
    description += ", shared by up to " + std::to_string(assignment.sharing_ranks) + " ranks";
  }
  description += ")";
  return {device, description};
}

void set_compute_threads(int threads, int blas_threads) {
  if (threads < 1 || blas_threads < 1) {
    throw core::InputError("compute threads = " + std::to_string(threads) +
                           ", BLAS threads = " + std::to_string(blas_threads) +
                           " is not positive (each rank needs at least one thread) use threads "
                           ">= 1, usually 1 per rank and core");
  }
  torch::set_num_threads(threads);
  // LibTorch's setting does not reach a pthread OpenBLAS; look the setter up in the process
  // instead of linking OpenBLAS, so other BLAS libraries (reference, MKL) still work.
  using SetThreads = void (*)(int);
  if (void* symbol = dlsym(RTLD_DEFAULT, "openblas_set_num_threads")) {
    reinterpret_cast<SetThreads>(symbol)(blas_threads);
  }
}

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

}  // namespace cwola::training
