#pragma once
/// Training and prediction of the bump-hunt networks (models/bump_networks.hpp) through the one
/// training loop (training_loop.hpp), alone or data-parallel over ranks.
///
/// Histograms of different lengths are padded with zeros to one length L and carry a mask:
/// the loop cuts one tensor into minibatches, and Znet3 zeroes every layer's activations past a
/// histogram's end, so a padded histogram's prediction is its unpadded one (tested). The loss is
/// a mean over each histogram's own bins, then over histograms: every histogram weighs alike,
/// whatever its length or padding.
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "models/bump_networks.hpp"
#include "training/gradient_averaging.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

/// Histograms for a bump network, as flat per-bin columns (the histogram file's layout).
struct BumpHistograms {
  std::vector<std::int64_t> n_bins;     ///< [H]
  std::vector<double> counts;           ///< [Σ n_bins] observed entries
  std::vector<double> background;       ///< [Σ n_bins] true expected background
  std::vector<double> z;                ///< [Σ n_bins] the target (a fixed width or mixed)
  std::vector<std::int8_t> has_signal;  ///< [H]

  std::size_t histograms() const { return n_bins.size(); }
};

/// The loop's data set: x = counts [H, L] (zero past each end), y = has_signal [H], extra =
/// {mask, z target, background} [H, L] (float32). L = the longest histogram, or `length` if
/// larger. core::InputError if the columns do not fit n_bins or a histogram has < 2 bins.
Batch bump_batch(const BumpHistograms& histograms, std::int64_t length = 0);

/// Minimum and maximum of the network's scaling variable over the real bins of `set` (a
/// bump_batch): the input range before it is made global over ranks and set.
std::pair<double, double> input_range(const models::BumpNetwork& network, const Batch& set);

/// The loss on a minibatch of a stack of one (x [1, b, L], extra as bump_batch): per histogram
/// the mean over its bins of (z_pred − z)², plus for Znet3 that of (b_pred − s(b))² with s the
/// input scaling; the mean over histograms. Logits: the largest predicted z − 3 (the thesis's
/// 3σ "hint"), so the loop's accuracy is the fraction of 3σ calls that match has_signal.
/// Terms: the z-MSE and the background MSE.
StackLoss bump_loss(const models::BumpNetwork& network, const Batch& batch);

/// Trains `network` on `train` (a bump_batch) with the loop: `config` (AdamW through
/// weight_decay, cosine schedule), always max_epochs (no validation set inside the loop: with
/// data-parallel ranks a validation split per rank would stop the ranks at different epochs),
/// minibatch order from std::mt19937_64(shuffle_seed). `average` (optional) makes the
/// training data-parallel: each rank passes its own shard, the same shuffle seed, the same
/// config with batch_size = the global batch / ranks, and the gradients are averaged every
/// step; the shards must hold equally many histograms (equal step counts). The network must
/// already hold its input range. `checkpoints` and `keep_going` as train_stack (with
/// data-parallel ranks `keep_going` must answer alike on every rank, e.g. an agreed stop).
TrainOutcome train_bump_network(const models::BumpNetwork& network, const Batch& train,
                                const TrainerConfig& config, std::uint64_t shuffle_seed,
                                torch::Device device, const AverageInPlace& average = {},
                                const EpochCheckpoints* checkpoints = nullptr,
                                const StackKeepGoing& keep_going = {});

/// Per-bin predictions for a bump_batch (eval mode, no gradients, in batches), on the CPU:
/// z [H, L] and, for Znet3, the scaled background [H, L]; 0 past each histogram's end.
models::BumpPrediction predict_bumps(const models::BumpNetwork& network, const Batch& set,
                                     int batch_size, torch::Device device);

}  // namespace cwola::training
