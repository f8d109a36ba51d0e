#include "training/ensemble_trainer.hpp"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <dlfcn.h>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

namespace {

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// Stacks one tensor per member along a new leading axis, on `device` as float32.
torch::Tensor stack_to(const std::vector<torch::Tensor>& tensors, torch::Device device) {
  std::vector<torch::Tensor> moved;
  moved.reserve(tensors.size());
  for (const auto& t : tensors) {
    moved.push_back(t.to(device, torch::kFloat32));
  }
  return torch::stack(moved).contiguous();
}

void check_logits(const torch::Tensor& logits, std::int64_t members, std::int64_t events) {
  if (logits.dim() != 2 || logits.size(0) != members || logits.size(1) != events) {
    throw core::Error("the stacked model returned logits of shape " + shape_of(logits) + " for " +
                      std::to_string(members) + " members x " + std::to_string(events) +
                      " events (a stacked classifier must return [K, N]) fix the model's "
                      "forward()");
  }
}

}  // namespace

std::vector<TrainOutcome> train_ensemble(const StackedClassifier& model,
                                         const std::vector<EnsembleMember>& members,
                                         const TrainerConfig& config, torch::Device device,
                                         const EnsembleKeepGoing& keep_going) {
  if (!model.module || !model.logits) {
    throw core::Error("train_ensemble got an empty StackedClassifier (a bug in the caller)");
  }
  StackKeepGoing poll;
  if (keep_going) poll = [&keep_going](const EpochRecord&) { return keep_going(); };
  return train_stack({model.module, model.logits, MemberAxis::kStacked}, members, config, device,
                     poll);
}

std::vector<std::vector<float>> predict_ensemble_scores(const StackedClassifier& model,
                                                        const std::vector<torch::Tensor>& x,
                                                        int batch_size, torch::Device device) {
  if (batch_size < 1) {
    throw core::InputError("predict_ensemble_scores", "batch_size", std::to_string(batch_size),
                           "a batch needs at least one event");
  }
  if (x.empty()) {
    throw core::InputError("predict_ensemble_scores needs one event set per member (got none) "
                           "pass the members' test sets");
  }
  for (const auto& t : x) {
    if (!t.defined() || t.dim() < 2 || t.sizes() != x.front().sizes()) {
      throw core::InputError(
          "predict_ensemble_scores needs x [N, features...] of one shape for every member, got " +
          (t.defined() ? shape_of(t) : std::string("no tensor")) + " and " +
          shape_of(x.front()) + " (stacked evaluation) group tasks with equal test sets");
    }
  }
  const auto members = static_cast<std::int64_t>(x.size());
  const std::int64_t n = x.front().size(0);
  std::vector<std::vector<float>> scores(x.size(), std::vector<float>(static_cast<std::size_t>(n)));
  if (n == 0) {
    return scores;
  }
  torch::NoGradGuard no_grad;
  model.module->to(device);
  model.module->eval();
  const auto x_device = stack_to(x, device);
  std::vector<torch::Tensor> chunks;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + std::int64_t{batch_size});
    const auto logits = model.logits(x_device.slice(1, start, end));
    check_logits(logits, members, end - start);
    chunks.push_back(torch::sigmoid(logits));
  }
  const auto all = torch::cat(chunks, 1).to(torch::kCPU, torch::kFloat32).contiguous();
  for (std::int64_t k = 0; k < members; ++k) {
    const float* row = all[k].data_ptr<float>();
    std::copy(row, row + n, scores[static_cast<std::size_t>(k)].begin());
  }
  return scores;
}

std::vector<std::vector<float>> predict_ensemble_averaged_scores(
    const StackedClassifier& model, const std::vector<TrainOutcome>& outcomes,
    const std::vector<torch::Tensor>& x, int batch_size, torch::Device device) {
  const StackView view{model.module, {}, MemberAxis::kStacked};
  return score_over_best_epochs(
      view, outcomes, [&] { return predict_ensemble_scores(model, x, batch_size, device); });
}

std::int64_t member_footprint_bytes(std::int64_t train_events, std::int64_t validation_events,
                                    std::int64_t test_events, std::int64_t values_per_event,
                                    std::int64_t parameters, std::int64_t activation_width,
                                    std::int64_t batch_size, std::int64_t eval_batch_size) {
  constexpr std::int64_t kFloat = 4;
  const std::int64_t data =
      (train_events + validation_events + test_events) * (values_per_event + 1) * kFloat;
  const std::int64_t weights = 5 * parameters * kFloat;
  const std::int64_t activations =
      3 * (batch_size + eval_batch_size) * (activation_width + values_per_event) * kFloat;
  return data + weights + activations;
}

std::int64_t ensemble_memory_budget(torch::Device device, int local_ranks) {
  if (device.is_cuda()) {
    // The CPU build of LibTorch has no CUDA headers; the runtime's own entry point is looked up
    // in the process instead (present whenever a CUDA LibTorch is loaded).
    using MemGetInfo = int (*)(std::size_t*, std::size_t*);
    if (void* symbol = dlsym(RTLD_DEFAULT, "cudaMemGetInfo")) {
      std::size_t free_bytes = 0;
      std::size_t total_bytes = 0;
      if (reinterpret_cast<MemGetInfo>(symbol)(&free_bytes, &total_bytes) == 0) {
        return static_cast<std::int64_t>(free_bytes / 2);
      }
    }
    return std::int64_t{4} << 30;
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  const std::int64_t physical = pages > 0 && page_size > 0
                                    ? static_cast<std::int64_t>(pages) * page_size
                                    : (std::int64_t{4} << 30);
  return physical / 4 / std::max(1, local_ranks);
}

int max_useful_ensemble(torch::Device device) { return device.is_cuda() ? 512 : 8; }

void set_deterministic(bool on) {
  if (on && torch::cuda::is_available()) {
    // Must be set before cuBLAS creates its first handle; 0 = do not overwrite a user's value.
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  }
  at::globalContext().setDeterministicAlgorithms(on, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(on);
  if (on) {
    at::globalContext().setBenchmarkCuDNN(false);
  }
}

}  // namespace cwola::training
