#pragma once
/// The bump-hunt network study (docs/bump_hunt_network.md): one Znet or Znet3 trained
/// data-parallel over the ranks on generated histograms, then evaluated on held-out ones
/// against the profile-likelihood target. No MPI here: the ranks' reductions come in as
/// functions (parallel/gradient_average.hpp in the app).
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/checkpoint.hpp"
#include "metrics/bump_residuals.hpp"
#include "models/bump_networks.hpp"
#include "training/bump_trainer.hpp"

namespace cwola::studies {

/// What to train.
struct BumpNetworkStudyConfig {
  models::BumpArchitecture architecture = models::BumpArchitecture::kZnet3;
  models::ZnetConfig znet;
  models::Znet3Config znet3;
  /// Optimisation; batch_size is the global minibatch (split evenly over the ranks).
  training::TrainerConfig trainer;
  std::uint64_t seed = 1;              ///< master seed
  /// Task id of this network: weights and minibatch order come from (seed, network, purpose).
  /// `cwola bumpnet` gives member k of its n-th of N networks the id k N + n, so member 0 is
  /// the network of an ensemble of one.
  std::uint64_t network = 0;
  torch::Device device = torch::kCPU;  ///< where this rank trains (training/compute_device.hpp)
};

/// The ranks of a data-parallel training; the default is one rank alone.
struct BumpRanks {
  int count = 1;
  training::AverageInPlace average;                      ///< {} with one rank
  std::function<void(double& low, double& high)> range;  ///< {}: the local range is global
  /// Collective, once per epoch on every rank (optional): true when any rank asked to stop
  /// (a stop signal). The ranks then end the training together after that epoch.
  std::function<bool()> stop;
};

/// Per-epoch checkpoints of one training (training/loop_checkpoint.hpp with the loss's two
/// terms, z-MSE and b-MSE, so a resumed history is whole).
struct BumpCheckpointing {
  /// A checkpoint of this network to continue after its epoch (nullptr: start at epoch 0).
  /// One taken after the last epoch is a finished training: nothing is trained again.
  const core::Checkpoint* resume = nullptr;
  /// Called on every rank after every epoch (also after the last, and after the epoch a stop
  /// ends), so it may be collective; {}: no checkpoints.
  std::function<void(const core::Checkpoint&)> save;
};

/// The layout of `config`'s checkpoints (store/checkpoint_store.hpp sizes its slots by it).
core::CheckpointLayout bump_checkpoint_layout(const BumpNetworkStudyConfig& config);

struct BumpTrainingResult {
  models::BumpNetwork network;
  /// status kAbandoned when BumpRanks::stop ended it (its last epoch is checkpointed).
  training::TrainOutcome outcome;
  double seconds = 0;          ///< wall time of the training loop (this run, if resumed)
  double reduce_seconds = 0;   ///< of which in the gradient reduction
  std::int64_t steps = 0;      ///< optimizer steps (this run)
  std::size_t histograms = 0;  ///< histograms trained on, all ranks (per epoch)
};

/// Trains on this rank's `shard` (every rank equally many histograms). Weights are seeded
/// from (seed, network, kWeightInit) and the minibatch order from (seed, network, kShuffle), the
/// same on every rank: every rank builds and keeps the same model. core::InputError if the
/// global batch does not split evenly over the ranks, or the checkpoint to resume does not fit.
/// A resumed training ends with the model of an uninterrupted one, bit for bit (same ranks).
BumpTrainingResult train_bump_study(const BumpNetworkStudyConfig& config,
                                    const training::BumpHistograms& shard, const BumpRanks& ranks,
                                    const BumpCheckpointing& checkpoints = {});

struct BumpEvaluation {
  std::vector<double> prediction;  ///< [Σ n_bins] predicted z
  std::vector<metrics::BumpResidual> residuals;
  std::vector<metrics::ResidualSummary> summary;
  /// The null: a constant prediction (the mean Z_PL of the test set) at every histogram's
  /// highest-target bin; its spread is that of Z_PL itself.
  metrics::ResidualSummary null_summary;
  double inference_seconds = 0;
};

/// Predicts `test` and compares with its targets, grouped by `traits` (one per histogram):
/// evaluate_bump_prediction of the network's prediction.
BumpEvaluation evaluate_bump_study(const models::BumpNetwork& network,
                                   const training::BumpHistograms& test,
                                   const std::vector<metrics::BumpHistogramTraits>& traits,
                                   int batch_size, torch::Device device = torch::kCPU);

/// The evaluation of a per-bin prediction of `test` ([Σ n_bins] predicted z, a network's or an
/// ensemble's): residuals at the highest-target bins, the grouped summary and the null.
/// inference_seconds stays 0.
BumpEvaluation evaluate_bump_prediction(std::vector<double> prediction,
                                        const training::BumpHistograms& test,
                                        const std::vector<metrics::BumpHistogramTraits>& traits);

/// An ensemble's prediction: per bin the mean of its members' predicted z (BumpNet's average
/// over networks of different seeds). core::Error unless the members predict equally many bins.
std::vector<double> ensemble_prediction(const std::vector<std::vector<double>>& members);

}  // namespace cwola::studies
