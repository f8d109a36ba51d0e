#pragma once
/// First-order meta-training of meta-transfer learning (Sun et al., "Meta-transfer learning for
/// few-shot learning", 2019; Beauchesne, Chen and Chiang, JHEP 02 (2024) 138; transfer-learning
/// report §III.D): a network whose trainable parameters split into *fast* weights (the dense
/// head, adapted per task) and *meta-only* weights (the scale-and-shift weights Φ of frozen
/// convolutions) learns, over many small tasks, a head initialisation and Φ from which a few
/// SGD steps on a weak-label sample give a good truth-level classifier.
///
/// One meta-batch: for each of its tasks
///   θ'  = θ − α ∇θ L_train(θ, Φ)              (inner_steps times, SGD on minibatches)
///   g_t = ∇(θ', Φ) L_test(θ', Φ)               (first-order: no gradient through the inner steps)
/// then one Adam step on (θ, Φ) with the mean of g_t over the batch's tasks, the head part
/// applied to the initial θ. Hard tasks: after each meta-batch the `hard_tasks` sources
/// (benchmarks) with the lowest test accuracy in it get one extra meta-update each, on a new
/// task of theirs. A different loop from the one training loop (training_loop.hpp), built of
/// its pieces: its optimizer (AdamOptimizer), its epoch order (draw_epoch_order), its Batch
/// and its loss (binary cross-entropy on logits, weighted as there).
#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "training/trainer.hpp"

namespace cwola::training {

/// One task of meta-training: a weak-label sample to adapt on (e.g. SR 1 / SB 0) and
/// truth-labelled events to judge the adapted network on (signal 1 / background 0).
struct MetaTask {
  Batch train;
  Batch test;
};

struct MetaTrainerConfig {
  /// Outer iterations, each one Adam step on the mean task gradient (>= 1).
  int meta_batches = 20;
  /// Tasks per meta-batch (>= 1); task t of meta-batch b comes from source (b T + t) mod S.
  int tasks_per_batch = 4;
  /// SGD steps of the inner loop on the task's weak-label sample (>= 1).
  int inner_steps = 5;
  /// Step size of the inner SGD (> 0).
  double inner_learning_rate = 0.01;
  /// Events per inner minibatch (>= 1); the task's sample is reshuffled when used up.
  int inner_batch_size = 128;
  /// Adam step size of the outer loop (> 0).
  double learning_rate = 1e-3;
  /// Decoupled weight decay of the outer Adam (AdamW; >= 0), as TrainerConfig::weight_decay.
  double weight_decay = 0.0;
  /// After each meta-batch, this many lowest-accuracy sources get one extra meta-update each
  /// (0: no hard tasks; the report used 6).
  int hard_tasks = 0;

  /// Throws core::InputError naming the field and value.
  void validate() const;
};

/// Draws task `index` (0, 1, 2, ... over the whole meta-training, hard tasks included) of
/// `source`; it must be a pure function of its arguments (seed it from them).
using DrawMetaTask = std::function<MetaTask(std::uint64_t index, std::size_t source)>;

/// One meta-batch's record: EpochRecord's fields mean, averaged over its tasks, the weak-label
/// loss and accuracy at the last inner step (train_*) and the truth-level test loss and
/// accuracy after adaptation (val_*); `source_accuracy` the mean test accuracy per source
/// (NaN for a source without a task in this meta-batch) and `hard` the sources that got
/// extra updates after it.
struct MetaBatchRecord {
  EpochRecord record;
  std::vector<double> source_accuracy;
  std::vector<std::size_t> hard;
};

struct MetaOutcome {
  std::vector<MetaBatchRecord> history;
  TrainStatus status = TrainStatus::kCompleted;
  std::string failure_reason;
  /// The outer Adam's state at the end (for a later stage that continues it).
  OptimizerState optimizer;
};

/// Meta-trains `model` in place on tasks from `sources` sources (>= 1). `adapts(name)` tells
/// which trainable parameters (requires_grad) the inner loop adapts (the head); the other
/// trainable ones (Φ) change only in the outer step; parameters without requires_grad stay
/// bit for bit. Inner minibatch orders come from std::mt19937_64 seeded by
/// core::stream_seed(seed, task index, SeedPurpose::kMetaInner): on the CPU, the same
/// arguments give bit-identical results. The model ends with the last meta-batch's weights,
/// in eval mode on `device`. `keep_going` is asked after each meta-batch (false: kAbandoned);
/// a non-finite loss ends with kDiverged. Throws core::InputError for a bad config.
MetaOutcome meta_train(const Classifier& model,
                       const std::function<bool(const std::string&)>& adapts, std::size_t sources,
                       const DrawMetaTask& draw, const MetaTrainerConfig& config,
                       std::uint64_t seed, torch::Device device, const KeepGoing& keep_going = {});

/// The `k` sources with the lowest accuracy (NaN: not seen, never chosen), lowest first, ties
/// by source index; fewer when fewer were seen.
std::vector<std::size_t> hardest_sources(const std::vector<double>& accuracy, std::size_t k);

}  // namespace cwola::training
