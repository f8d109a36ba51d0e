#pragma once
/// Training of the attention network (models/attention_network.hpp): minibatches of jets, masks,
/// pairing targets and labels; AdamW with gradient clipping on SPANet's multi-term loss. It runs
/// the one training loop (training_loop.hpp) as a stack of one, with the jet mask and targets as
/// extra per-event tensors, SPANet's loss as the loss hook, and optionally a validation set
/// (early stopping on its loss, ending with the best epoch's weights).
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "models/attention_network.hpp"
#include "training/trainer.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

/// Events for the attention network (all on the CPU, first dimension N).
struct AttentionSample {
  torch::Tensor jets;     ///< float32 [N, J, jet_features], raw units (GeV, rad)
  torch::Tensor mask;     ///< bool [N, J], true = real jet
  torch::Tensor targets;  ///< int64 [N, particles, daughters], -1 where unknown
  torch::Tensor labels;   ///< float32 [N] in {0, 1} (class or CWoLa mixed-sample label)

  /// Rows `index` (int64 [M]) of every tensor.
  AttentionSample select(const torch::Tensor& index) const;
  std::int64_t size() const { return jets.size(0); }
};

/// Optimiser settings; the defaults are the small CPU setting.
struct AttentionTrainerConfig {
  int epochs = 10;                 ///< passes over the training set (>= 1)
  int batch_size = 128;            ///< events per minibatch (>= 1)
  double learning_rate = 1e-3;     ///< AdamW step size (> 0)
  double weight_decay = 2e-4;      ///< AdamW decoupled weight decay (>= 0)
  double gradient_clip = 0.5;      ///< max L2 norm of the whole gradient (> 0)
  /// With a validation set: stop after this many epochs without a lower validation loss
  /// (0: run every epoch; either way the network ends with the best epoch's weights).
  int patience = 0;
  models::AttentionLossWeights loss_weights;  ///< lambda_a, lambda_c, lambda_d

  /// Throws core::InputError naming the offending field and value.
  void validate() const;
};

/// Mean training loss terms of one epoch (averaged over its minibatches, each weighted by its
/// events, as seen before each update).
struct AttentionEpoch {
  double total = 0;
  double assignment = 0;  ///< mean over particles
  double classification = 0;
  double detection = 0;  ///< mean over particles (reported whatever lambda_d is)
  double validation = std::numeric_limits<double>::quiet_NaN();  ///< total loss; NaN: none
};

/// What a training did: its epochs and, with a validation set, the best one (-1 without).
struct AttentionTraining {
  std::vector<AttentionEpoch> epochs;
  int best_epoch = -1;
  /// The one loop's outcome: status (kDiverged with failure_reason when a loss became
  /// non-finite, kAbandoned when keep_going said stop) and the per-epoch records with their
  /// accuracies, as every study stores them.
  TrainOutcome outcome;
};

/// Trains `net` in place on `train` on the CPU: without `validation`, exactly config.epochs
/// epochs, keeping the last weights; with it, at most config.epochs, stopping early after
/// config.patience epochs without a lower validation loss (0: never) and keeping the best
/// epoch's weights. Fits the input normalisation on the training set's real jets first. The
/// epoch order comes from std::mt19937_64(shuffle_seed) (draw_epoch_order), so results depend
/// only on seeds, data and thread count, never on the rank. Leaves the network in eval mode.
/// A loss that becomes non-finite ends the training with outcome.status kDiverged (the caller
/// decides: `cwola assign` stops, a study marks the task failed). `keep_going` (optional) is
/// polled after every epoch; false abandons the training.
AttentionTraining train_attention(models::AttentionNetwork& net, const AttentionSample& train,
                                  const AttentionTrainerConfig& config, std::uint64_t shuffle_seed,
                                  const AttentionSample* validation = nullptr,
                                  const StackKeepGoing& keep_going = {});

/// What the network predicts for a sample, evaluated in batches under NoGradGuard.
struct AttentionPrediction {
  torch::Tensor assignments;  ///< int64 [N, particles, daughters] greedy, non-conflicting
  torch::Tensor assignment_probs;  ///< float32 [N, particles] probability of each assignment
  torch::Tensor class_probs;  ///< float32 [N] sigmoid of the class logit
  /// float32 [N, particles]: sigmoid of each particle's detection logit (meaningful only for a
  /// network trained with lambda_d > 0; an untrained head says about 0.5).
  torch::Tensor detection_probs;
};

AttentionPrediction predict_attention(models::AttentionNetwork& net, const torch::Tensor& jets,
                                      const torch::Tensor& mask, int batch_size = 512);

/// Fraction of events whose every particle is assigned its true jets (in any particle order, and
/// any order within each set of `symmetric_daughters`) -- SPANet's event purity. Counts only
/// events with all targets known; returns {purity, events counted}.
std::pair<double, std::int64_t> event_purity(
    const torch::Tensor& predicted, const torch::Tensor& targets,
    const std::vector<std::vector<int>>& symmetric_daughters = {{0, 1}});

/// How well detection probabilities [N, particles] predict which particles are reconstructable
/// (targets [N, particles, daughters] all >= 0). Particles are interchangeable, so within each
/// event the probabilities and the targets are both sorted, highest first, and paired: the
/// pairing that minimises the cross-entropy.
struct DetectionQuality {
  std::int64_t events = 0;
  double loss = 0;  ///< mean binary cross-entropy per particle, sorted pairing
  /// The null: the best constant prediction under the same sorting, per sorted slot k the
  /// reference (training) fraction of events with more than k reconstructable particles.
  std::vector<double> null_rates;
  double null_loss = 0;  ///< the cross-entropy of null_rates on these events
  /// AUC of the product of the particles' probabilities for "every particle reconstructable"
  /// (the complete events): 0.5 for any prediction that knows nothing of the event, however
  /// the branches share their probabilities. NaN when all or no events are complete.
  double complete_auc = 0;
  std::int64_t complete_events = 0;
};

/// `reference_targets`: the training set's targets, for the null. Probabilities are clamped to
/// [1e-7, 1 - 1e-7] in the logarithms.
DetectionQuality detection_quality(const torch::Tensor& detection_probs,
                                   const torch::Tensor& targets,
                                   const torch::Tensor& reference_targets);

}  // namespace cwola::training
