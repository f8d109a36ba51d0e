#pragma once
/// Ensemble-batched training: K classifiers of one shape, stacked along a leading member axis
/// (models/ensemble_model.hpp), trained at once so that one kernel call serves K small
/// networks. Each member keeps what sequential training gives it: its own data and data order
/// (shuffle seed), its initial weights (whatever the stacked module was built from), its own
/// Adam moments and step count, early stopping on its own validation loss with its best
/// weights kept, and its own divergence check. A member that stops is taken out of the stack
/// (no further updates, no further compute); the others go on.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "training/trainer.hpp"

namespace cwola::training {

/// The ensemble trainer's view of a stacked model: the module (every parameter and buffer
/// [K, ...]) and its forward pass x [K, N, ...] -> logits [K, N].
struct StackedClassifier {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> logits;
};

/// Wraps a TORCH_MODULE holder of a stacked model (e.g. models::EnsembleDenseNetwork).
template <typename ModuleHolder>
StackedClassifier as_stacked_classifier(const ModuleHolder& model) {
  auto impl = model.ptr();
  return {impl, [impl](const torch::Tensor& x) { return impl->forward(x); }};
}

/// One member's data: training and validation events (all members of an ensemble must have
/// the same numbers of events and the same feature shape) and the seed of its epoch order.
struct EnsembleMember {
  Batch train;
  Batch validation;
  std::uint64_t shuffle_seed = 0;
};

/// Called after every epoch; returning false abandons the members still training (kAbandoned);
/// members that already finished keep their outcome.
using EnsembleKeepGoing = std::function<bool()>;

/// Trains the stacked `model` (K members) on `members` (K entries, in the model's member order)
/// with the shared `config`, exactly as train_classifier would train each member alone: the
/// same permutations (std::mt19937_64(member.shuffle_seed)), the same minibatches, loss, Adam
/// update (hyper-parameters and per-member step count) and early-stopping rule. Returns one
/// TrainOutcome per member. At the end every member holds the weights of its best epoch (its
/// last weights if it has none) and the model is in eval mode on `device`. All data move to
/// `device` once. Throws core::InputError for an invalid config, malformed or unequal data or a
/// member count that does not match the model.
std::vector<TrainOutcome> train_ensemble(const StackedClassifier& model,
                                         const std::vector<EnsembleMember>& members,
                                         const TrainerConfig& config, torch::Device device,
                                         const EnsembleKeepGoing& keep_going = {});

/// Scores (sigmoid of the logits) of member k on x[k] for every member, in batches of
/// `batch_size` events per member, under NoGradGuard in eval mode on `device`; all x[k] must
/// have the same shape [N, ...]. Returns K vectors of N scores.
std::vector<std::vector<float>> predict_ensemble_scores(const StackedClassifier& model,
                                                        const std::vector<torch::Tensor>& x,
                                                        int batch_size, torch::Device device);

/// predict_ensemble_scores averaged over each member's best epochs kept in `outcomes`
/// (training::score_over_best_epochs); the model ends with the weights it held before.
std::vector<std::vector<float>> predict_ensemble_averaged_scores(
    const StackedClassifier& model, const std::vector<TrainOutcome>& outcomes,
    const std::vector<torch::Tensor>& x, int batch_size, torch::Device device);

/// Estimated device memory (bytes) of one member of a stacked dense-style training: float32
/// data (train + validation + test events of `values_per_event` values each, plus labels),
/// `parameters` parameters five times (weights, gradients, two Adam moments, best copy), and
/// activations of `activation_width` values per event for a training minibatch and an
/// evaluation chunk (factor 3 for autograd's saved tensors and gradients).
std::int64_t member_footprint_bytes(std::int64_t train_events, std::int64_t validation_events,
                                    std::int64_t test_events, std::int64_t values_per_event,
                                    std::int64_t parameters, std::int64_t activation_width,
                                    std::int64_t batch_size, std::int64_t eval_batch_size);

/// Memory one rank may fill with stacked members: on a GPU half of its free memory (read with
/// cudaMemGetInfo when the CUDA runtime is loaded, else 4 GiB is assumed); on the CPU a quarter
/// of the physical memory divided among the node's `local_ranks`.
std::int64_t ensemble_memory_budget(torch::Device device, int local_ranks);

/// Largest number of members worth stacking on `device` regardless of memory: on the CPU the
/// per-member GEMMs run one after another, so beyond a few members stacking saves nothing (see
/// docs/performance.md); a GPU gains until it is busy.
int max_useful_ensemble(torch::Device device);

/// Deterministic algorithms on or off for this process (LibTorch's global switch, cuDNN's
/// deterministic mode and benchmark off; on CUDA also CUBLAS_WORKSPACE_CONFIG=:4096:8 when not
/// already set, which cuBLAS needs for reproducible products). On the CPU our kernels are
/// deterministic anyway; this matters on GPUs, where some backward passes use atomics.
void set_deterministic(bool on);

}  // namespace cwola::training
