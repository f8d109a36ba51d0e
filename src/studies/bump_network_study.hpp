#pragma once
/// The bump-hunt network study (docs/bump_hunt_network.md): one Znet or Znet3 trained
/// data-parallel over the ranks on generated histograms, then evaluated on held-out ones
/// against the profile-likelihood target. No MPI here: the ranks' reductions come in as
/// functions (parallel/gradient_average.hpp in the app).
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

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
  std::uint64_t network = 0;           ///< task id of this network (e.g. its place in an ensemble)
  torch::Device device = torch::kCPU;  ///< where this rank trains (training/compute_device.hpp)
};

/// The ranks of a data-parallel training; the default is one rank alone.
struct BumpRanks {
  int count = 1;
  training::AverageInPlace average;                      ///< {} with one rank
  std::function<void(double& low, double& high)> range;  ///< {}: the local range is global
};

struct BumpTrainingResult {
  models::BumpNetwork network;
  training::TrainOutcome outcome;
  double seconds = 0;          ///< wall time of the training loop
  double reduce_seconds = 0;   ///< of which in the gradient reduction
  std::int64_t steps = 0;      ///< optimizer steps
  std::size_t histograms = 0;  ///< histograms trained on, all ranks (per epoch)
};

/// Trains on this rank's `shard` (every rank equally many histograms). Weights are seeded
/// from (seed, network, kWeightInit) and the minibatch order from (seed, network, kShuffle), the
/// same on every rank: every rank builds and keeps the same model. core::InputError if the
/// global batch does not split evenly over the ranks.
BumpTrainingResult train_bump_study(const BumpNetworkStudyConfig& config,
                                    const training::BumpHistograms& shard, const BumpRanks& ranks);

struct BumpEvaluation {
  std::vector<double> prediction;  ///< [Σ n_bins] predicted z
  std::vector<metrics::BumpResidual> residuals;
  std::vector<metrics::ResidualSummary> summary;
  /// The null: a constant prediction (the mean Z_PL of the test set) at every histogram's
  /// highest-target bin; its spread is that of Z_PL itself.
  metrics::ResidualSummary null_summary;
  double inference_seconds = 0;
};

/// Predicts `test` and compares with its targets, grouped by `traits` (one per histogram).
BumpEvaluation evaluate_bump_study(const models::BumpNetwork& network,
                                   const training::BumpHistograms& test,
                                   const std::vector<metrics::BumpHistogramTraits>& traits,
                                   int batch_size, torch::Device device = torch::kCPU);

}  // namespace cwola::studies
