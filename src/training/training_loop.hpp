#pragma once
/// The one training loop behind train_classifier and train_attention (stacks of one) and
/// train_ensemble (a stack of K): minibatches, the loss, the optimizer (Adam / AdamW with a
/// learning-rate schedule and per-member gradient clipping), early stopping on validation loss,
/// best-weight snapshots, divergence and keep_going checks. Single and stacked training differ
/// only in how a member's weights are addressed (MemberAxis), so every option behaves
/// identically in both. Networks with more inputs or another loss plug in through
/// Batch::extra and StackView::loss.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "training/ensemble_trainer.hpp"
#include "training/trainer.hpp"

namespace cwola::training {

/// Whether the module's parameters carry a leading member axis [K, ...] (stacked models) or
/// are one network's own tensors (a stack of one).
enum class MemberAxis { kStacked, kSingle };

/// A loss hook's result for one minibatch of the K members still training.
struct StackLoss {
  /// Scalar whose gradient with respect to member k's parameters is that of member k's loss
  /// (e.g. the sum over members: their parameters are disjoint); the loop backpropagates it.
  /// Needed only where the forward pass records gradients.
  torch::Tensor objective;
  /// [K] each member's loss on the minibatch: the epoch record's loss, the divergence check
  /// and early stopping read it.
  torch::Tensor loss;
  /// [K, b] classification logits, for the accuracy (logit > 0 against y > 0.5).
  torch::Tensor logits;
  /// Further terms to report, each [K] (e.g. the attention network's assignment and
  /// classification terms); EpochRecord::train_terms averages them like the loss.
  std::vector<torch::Tensor> terms;
};

/// The loop's view of a model: forward x [K, N, ...] -> logits [K, N] for the members still
/// training, in stack order. `loss` (optional) replaces binary cross-entropy on those logits:
/// it gets a minibatch of every member, stacked (x [K, b, ...], y [K, b], weight [K, b] if
/// weighted, each Batch::extra tensor [K, b, ...]); without it `logits` must be set.
struct StackView {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> logits;
  MemberAxis axis = MemberAxis::kStacked;
  std::function<StackLoss(const Batch&)> loss{};  // {}: {module, logits, axis} stays complete
  /// Called after every minibatch's backward pass and before gradient clipping and the
  /// optimizer step (optional): the one place where gradients may be changed, e.g. averaged
  /// over the ranks of a data-parallel training (training/gradient_averaging.hpp). Every rank
  /// must then take the same number of steps.
  std::function<void()> after_backward{};
};

/// What the loop carries from one epoch to the next for a network alone (MemberAxis::kSingle),
/// so that a training stopped after any epoch resumes at the next one and ends exactly as an
/// uninterrupted training (docs/stages.md, "Per-epoch checkpoints"). The epoch order's random
/// stream is not part of it: it is replayed from the shuffle seed. Nor is torch's generator:
/// the loop draws nothing from it, and the networks' dropout masks follow their own counters.
struct LoopState {
  int epochs_done = 0;
  std::vector<torch::Tensor> weights;  ///< parameters, then buffers, as the module lists them
  OptimizerState optimizer;
  double best_val_loss = std::numeric_limits<double>::infinity();
  int epochs_without_improvement = 0;
  int best_epoch = -1;
  std::vector<torch::Tensor> best_weights;  ///< empty while best_epoch = -1
  OptimizerState best_optimizer;            ///< the optimizer at best_epoch (empty likewise)
  std::vector<EpochRecord> history;         ///< one per epoch done
};

/// Per-epoch checkpoints of a network alone: `resume` (optional) continues a LoopState taken
/// after some epoch instead of starting at epoch 0; `save` (optional) is called after every
/// epoch after which the training goes on (also when a stop signal abandons it, so the
/// finished epoch is kept). Not with average_best_epochs > 1 (its kept weights are not saved).
struct EpochCheckpoints {
  const LoopState* resume = nullptr;
  std::function<void(const LoopState&)> save;
};

/// Called after every epoch with the record of the first member still training; false
/// abandons the members still training.
using StackKeepGoing = std::function<bool(const EpochRecord&)>;

/// Trains every member of `model` on its data (see train_ensemble for the contract; with
/// MemberAxis::kSingle there must be exactly one member). Returns one outcome per member.
/// kSingle only: `initial_optimizer` (optional) continues that Adam state, and each outcome's
/// `optimizer` is the state belonging to the weights the model ends with.
/// No validation set: when every member's validation Batch has no tensors (x undefined), each
/// trains exactly max_epochs (no early stopping, patience unused, divergence judged on the
/// training loss alone) and keeps its last weights; best_epoch stays -1, the records' validation
/// values are NaN, and average_best_epochs must be 1. `checkpoints` (kSingle only): see
/// EpochCheckpoints. A validation set with no events (x
/// [0, ...]) is still an error: that is a split gone wrong, not a choice.
std::vector<TrainOutcome> train_stack(const StackView& model,
                                      const std::vector<EnsembleMember>& members,
                                      const TrainerConfig& config, torch::Device device,
                                      const StackKeepGoing& keep_going,
                                      const OptimizerState* initial_optimizer = nullptr,
                                      const EpochCheckpoints* checkpoints = nullptr);

/// Scores averaged over each member's best epochs (TrainOutcome::averaged_states, best first;
/// a member with none kept uses the weights it holds): loads round j's weights into every
/// member, calls `score` (K vectors, one per member in stack order), sums; then restores the
/// weights the model held. model.logits is not used.
std::vector<std::vector<float>> score_over_best_epochs(
    const StackView& model, const std::vector<TrainOutcome>& outcomes,
    const std::function<std::vector<std::vector<float>>()>& score);

/// The learning rate of 0-based `epoch` under config's schedule: constant; cosine from
/// learning_rate at epoch 0 towards 0 at max_epochs; step (times step_factor every
/// step_epochs epochs).
double scheduled_learning_rate(const TrainerConfig& config, int epoch);

}  // namespace cwola::training
