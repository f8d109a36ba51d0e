#pragma once
/// Supervised training of a binary classifier on CWoLa mixed-sample labels, with early stopping,
/// and evaluation of scores. Model-agnostic: any torch module with a logits forward pass.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace cwola::training {

/// How the learning rate changes over the epochs.
enum class LearningRateSchedule {
  kConstant,  ///< learning_rate throughout (the seeds' recipe)
  kCosine,    ///< learning_rate * (1 + cos(pi * epoch / max_epochs)) / 2
  kStep,      ///< learning_rate * step_factor^(epoch / step_epochs)
};

/// Parses "constant", "cosine" or "step" (core::InputError otherwise).
LearningRateSchedule parse_schedule(const std::string& name);

/// Optimisation settings (Adam or AdamW, binary cross-entropy on logits). The defaults are the
/// seeds' recipe: plain Adam, constant learning rate, no clipping.
struct TrainerConfig {
  /// Upper limit on passes over the training set (>= 1).
  int max_epochs = 100;
  /// Events per minibatch (>= 1); also the chunk size of validation passes.
  int batch_size = 256;
  /// Adam step size (> 0, finite).
  double learning_rate = 1e-3;
  /// Epochs without a validation-loss improvement before stopping (>= 1).
  int patience = 10;
  /// An epoch improves only if its validation loss is below best - min_delta (>= 0).
  double min_delta = 0.0;
  /// Decoupled weight decay (AdamW, as torch.optim.AdamW); 0 is plain Adam (>= 0).
  double weight_decay = 0.0;
  /// Learning-rate schedule over epochs.
  LearningRateSchedule schedule = LearningRateSchedule::kConstant;
  /// kStep: epochs between rate changes (>= 1) and the factor applied each time (0 < f <= 1).
  int step_epochs = 10;
  double step_factor = 0.1;
  /// Largest L2 norm of one member's whole gradient (clip_grad_norm_ semantics); 0 is off.
  double gradient_clip = 0.0;
  /// Keep the weights of this many best epochs (by validation loss) for scores averaged over
  /// them (predict_averaged_scores); 1 is the best epoch alone (>= 1).
  int average_best_epochs = 1;

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// Events with labels: x float32 [N, ...features] (e.g. [N, F], or [N, C, H, W] for images),
/// y float32 [N] in {0, 1} (the mixed-sample label, not the truth), and optional per-event loss
/// weights float32 [N] (undefined: all 1). A weighted loss is sum(w * bce) / events, as Keras'
/// sample weights (the CWoLa-hunting recipe); see event_weights.hpp.
/// `extra`: further per-event tensors [N, ...] of any dtype, cut into the same minibatches as x
/// (e.g. the attention network's jet mask and pairing targets); only a loss hook
/// (StackView::loss) reads them.
struct Batch {
  torch::Tensor x;
  torch::Tensor y;
  torch::Tensor weight;
  std::vector<torch::Tensor> extra{};  // {} lets {x, y, weight} stay a complete initializer
};

/// Losses (mean binary cross-entropy per event, or a loss hook's loss) and accuracies (score
/// threshold 0.5, against the mixed-sample labels) of one epoch. Training values are averages
/// over the epoch's minibatches (each weighted by its events) as seen during the epoch (before
/// each update); validation values use the weights at its end.
/// Without a validation set the validation values are NaN.
struct EpochRecord {
  double train_loss = 0;
  double val_loss = 0;
  double train_accuracy = 0;
  double val_accuracy = 0;
  /// A loss hook's further terms (StackLoss::terms, in its order), averaged like train_loss;
  /// empty for binary cross-entropy.
  std::vector<double> train_terms;
};

/// How training ended.
enum class TrainStatus {
  kCompleted,     ///< ran max_epochs
  kEarlyStopped,  ///< validation loss stopped improving for `patience` epochs
  kDiverged,      ///< a loss became non-finite; see TrainOutcome::failure_reason
  kAbandoned,     ///< keep_going returned false (e.g. SIGTERM)
};

/// Short lower-case name ("completed", "early_stopped", "diverged", "abandoned") for logs/stores.
std::string to_string(TrainStatus status);

/// Adam's moments (one pair per module parameter, in module.parameters() order, on the
/// training device) and its step count: what a later training needs to continue exactly where
/// this one left off. Empty (step 0, no tensors) is a fresh Adam.
struct OptimizerState {
  std::vector<torch::Tensor> exp_avg;
  std::vector<torch::Tensor> exp_avg_sq;
  std::int64_t step = 0;

  bool empty() const { return exp_avg.empty(); }
};

struct EpochCheckpoints;  // training_loop.hpp

/// Result of train_classifier.
struct TrainOutcome {
  /// One record per finished epoch.
  std::vector<EpochRecord> history;
  /// 0-based index into history of the epoch with the lowest validation loss, whose weights the
  /// model holds at the end; -1 if no epoch finished with a finite validation loss (always
  /// without a validation set: the model then holds its last weights).
  int best_epoch = -1;
  TrainStatus status = TrainStatus::kCompleted;
  /// Empty unless status is kDiverged, e.g. "non-finite training loss at epoch 3" (0-based).
  std::string failure_reason;
  /// Single networks only (train_classifier): the optimizer state that belongs to the weights
  /// the model ends with (best_epoch's, else the last epoch's). Empty for stacked members.
  OptimizerState optimizer;
  /// With average_best_epochs = n > 1: the member's weights (parameters, then buffers, as
  /// the module lists them) after each of its n best epochs by validation loss, best first
  /// (fewer if it ran fewer epochs), and those epochs (0-based). Empty otherwise.
  std::vector<std::vector<torch::Tensor>> averaged_states;
  std::vector<int> averaged_epochs;
};

/// The trainer's view of a model: the module (parameters, buffers, train/eval mode, device) and
/// its forward pass returning logits [N]. Lets dense, CNN and other networks share the trainer.
struct Classifier {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> logits;
};

/// Wraps a TORCH_MODULE holder (e.g. models::DenseNetwork) whose `forward(x)` returns logits [N].
/// The Classifier shares ownership with the holder.
template <typename ModuleHolder>
Classifier as_classifier(const ModuleHolder& model) {
  auto impl = model.ptr();
  return {impl, [impl](const torch::Tensor& x) { return impl->forward(x); }};
}

/// Called after every epoch with its record; returning false abandons training (kAbandoned).
/// Used for progress reporting and for a graceful stop on SIGTERM.
using KeepGoing = std::function<bool(const EpochRecord&)>;

/// Trains `model` with binary cross-entropy (with logits) and Adam on minibatches of `train`:
/// the one training loop (training_loop.hpp) with a stack of one member.
/// The epoch order of the training events is a permutation drawn (own Fisher-Yates) from
/// std::mt19937_64(shuffle_seed), not from torch's RNG, so results depend only on the seeds, the
/// data and the thread count, never on the rank; on the CPU, repeated runs are bit-identical.
/// The model and both data sets are moved to `device` once. Early stopping on validation loss
/// with `config.patience`; at the end (whatever the status) the model holds the weights of
/// `best_epoch`, if any, and is in eval mode on `device`. A non-finite loss ends with kDiverged.
/// Throws core::InputError for an invalid config or malformed data.
/// `initial_optimizer` (optional) continues a previous training's Adam (its moments and step
/// count, e.g. TrainOutcome::optimizer of a pretraining) instead of starting a fresh one; its
/// tensors must match the model's parameters in number and shape (core::InputError otherwise).
/// `checkpoints` (optional): per-epoch checkpoints (training_loop.hpp, EpochCheckpoints).
TrainOutcome train_classifier(const Classifier& model, const Batch& train, const Batch& validation,
                              const TrainerConfig& config, std::uint64_t shuffle_seed,
                              torch::Device device, const KeepGoing& keep_going = {},
                              const OptimizerState* initial_optimizer = nullptr,
                              const EpochCheckpoints* checkpoints = nullptr);

/// Scores (sigmoid of the logits) for x, evaluated in batches of `batch_size` under NoGradGuard
/// in eval mode on `device` (the model is moved there), returned on the CPU, one per event.
std::vector<float> predict_scores(const Classifier& model, const torch::Tensor& x, int batch_size,
                                  torch::Device device);

/// predict_scores averaged over the weights of the best epochs kept in `outcome`
/// (TrainOutcome::averaged_states), summed best first; with none kept, predict_scores. The
/// model ends with the weights it held before.
std::vector<float> predict_averaged_scores(const Classifier& model, const TrainOutcome& outcome,
                                           const torch::Tensor& x, int batch_size,
                                           torch::Device device);

/// Seeds torch's global generator for deterministic weight initialisation; call right before
/// constructing a model (e.g. with core::stream_seed(master, task, SeedPurpose::kWeightInit)).
void seed_weight_init(std::uint64_t seed);

/// One epoch's event order: a Fisher-Yates shuffle of 0..order.size()-1 drawn from `rng` by
/// rejection sampling (independent of the standard library's distributions). train_classifier
/// and train_ensemble both use it, so a stacked member sees exactly the minibatches it would
/// see alone.
void draw_epoch_order(std::vector<std::int64_t>& order, std::mt19937_64& rng);

/// Copies row-major float data into a float32 tensor [rows.size() / features, features].
/// Throws core::InputError if features < 1 or rows.size() is not a multiple of it.
torch::Tensor to_tensor(const std::vector<float>& rows, std::int64_t features);

}  // namespace cwola::training
