#pragma once
/// A training loop's state after an epoch (training::LoopState) as a plain core::Checkpoint, so
/// the engine can store it per epoch and hand it back after a kill (docs/stages.md,
/// "Per-epoch checkpoints"). Tensors, for a module with state tensors T (parameters, then
/// buffers) and parameters P:
///   "weights.<T>", "best.<T>", "optimizer.exp_avg.<P>", "optimizer.exp_avg_sq.<P>",
///   "best_optimizer.exp_avg.<P>", "best_optimizer.exp_avg_sq.<P>";
/// numbers: epochs done, optimizer step, best optimizer step, best validation loss, epochs
/// without improvement, best epoch, then per epoch (max_epochs rows, NaN past the done ones)
/// train loss, train accuracy, validation loss, validation accuracy, then with `terms` > 0 per
/// epoch its first `terms` EpochRecord::train_terms (a loss hook's terms, e.g. the bump
/// networks' z-MSE and b-MSE; 0, the default, leaves the layout as it was). No random generator
/// state: the epoch order is replayed from its seed, and dropout masks follow the network's own
/// counter (a buffer, so among the weights).
#include <torch/nn/module.h>

#include "core/checkpoint.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

/// What a checkpoint of `module` trained for at most `max_epochs` holds.
core::CheckpointLayout checkpoint_layout(const torch::nn::Module& module, int max_epochs,
                                         std::size_t terms = 0);

/// `state` as checkpoint_layout(module, max_epochs) values.
core::Checkpoint export_checkpoint(const torch::nn::Module& module, const LoopState& state,
                                   int max_epochs, std::size_t terms = 0);

/// The LoopState stored in `checkpoint`. Throws core::InputError when it does not fit
/// checkpoint_layout(module, max_epochs) (a checkpoint of another network or job).
LoopState import_checkpoint(const torch::nn::Module& module, const core::Checkpoint& checkpoint,
                            int max_epochs, std::size_t terms = 0);

}  // namespace cwola::training
