#include "studies/bump_network_study.hpp"

#include <torch/torch.h>

#include <chrono>
#include <string>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "metrics/aggregate.hpp"
#include "training/loop_checkpoint.hpp"
#include "training/trainer.hpp"

namespace cwola::studies {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The loss terms a checkpoint keeps per epoch (bump_loss: z-MSE, b-MSE).
constexpr std::size_t kLossTerms = 2;

/// The loop state of a finished training (the loop checkpoints only epochs it goes on from):
/// the weights the network ends with, their optimizer state, the whole history.
training::LoopState finished_state(const models::BumpNetwork& network,
                                   const training::TrainOutcome& outcome) {
  training::LoopState state;
  state.epochs_done = static_cast<int>(outcome.history.size());
  for (const auto& t : network.module->parameters(true)) state.weights.push_back(t.detach());
  for (const auto& t : network.module->buffers(true)) state.weights.push_back(t.detach());
  state.optimizer = outcome.optimizer;
  state.history = outcome.history;
  return state;
}
}  // namespace

core::CheckpointLayout bump_checkpoint_layout(const BumpNetworkStudyConfig& config) {
  const auto network = models::make_bump_network(config.architecture, config.znet, config.znet3);
  return training::checkpoint_layout(*network.module, config.trainer.max_epochs, kLossTerms);
}

BumpTrainingResult train_bump_study(const BumpNetworkStudyConfig& config,
                                    const training::BumpHistograms& shard, const BumpRanks& ranks,
                                    const BumpCheckpointing& checkpoints) {
  if (config.trainer.batch_size % ranks.count != 0) {
    throw core::InputError("bumpnet", "batch_size", std::to_string(config.trainer.batch_size),
                           "must split evenly over the " + std::to_string(ranks.count) +
                               " ranks (each takes batch_size / ranks histograms per step)");
  }
  BumpTrainingResult result;
  training::seed_weight_init(
      core::stream_seed(config.seed, config.network, core::SeedPurpose::kWeightInit));
  result.network = models::make_bump_network(config.architecture, config.znet, config.znet3);
  const auto set = training::bump_batch(shard);
  auto [low, high] = training::input_range(result.network, set);
  if (ranks.range) ranks.range(low, high);
  result.network.set_input_range(low, high);
  auto local = config.trainer;
  local.batch_size = config.trainer.batch_size / ranks.count;
  training::AverageInPlace average;
  if (ranks.average) {
    average = [&result, &ranks](float* values, std::size_t count) {
      const auto start = std::chrono::steady_clock::now();
      ranks.average(values, count);
      result.reduce_seconds += seconds_since(start);
      ++result.steps;
    };
  }
  const int epochs = config.trainer.max_epochs;
  training::LoopState resumed;
  training::EpochCheckpoints hooks;
  if (checkpoints.resume != nullptr) {
    resumed = training::import_checkpoint(*result.network.module, *checkpoints.resume, epochs,
                                          kLossTerms);
    hooks.resume = &resumed;
  }
  const torch::nn::Module& module = *result.network.module;
  if (checkpoints.save) {
    hooks.save = [&module, &checkpoints, epochs](const training::LoopState& state) {
      checkpoints.save(training::export_checkpoint(module, state, epochs, kLossTerms));
    };
  }
  training::StackKeepGoing keep_going;
  if (ranks.stop) keep_going = [&ranks](const training::EpochRecord&) { return !ranks.stop(); };
  const auto start = std::chrono::steady_clock::now();
  result.outcome = training::train_bump_network(
      result.network, set, local,
      core::stream_seed(config.seed, config.network, core::SeedPurpose::kShuffle), config.device,
      average, hooks.resume != nullptr || hooks.save ? &hooks : nullptr, keep_going);
  result.seconds = seconds_since(start);
  // The loop checkpoints the epochs it goes on from (and a stopped one); the last one here, so
  // a finished network is never trained again. A resumed finished one is already stored.
  const bool trained_now = resumed.epochs_done < epochs;
  if (checkpoints.save && trained_now &&
      result.outcome.status == training::TrainStatus::kCompleted) {
    checkpoints.save(training::export_checkpoint(
        module, finished_state(result.network, result.outcome), epochs, kLossTerms));
  }
  const auto per_rank = static_cast<std::int64_t>(shard.histograms());
  if (!ranks.average) {
    result.steps = static_cast<std::int64_t>(result.outcome.history.size()) *
                   ((per_rank + local.batch_size - 1) / local.batch_size);
  }
  result.histograms = shard.histograms() * static_cast<std::size_t>(ranks.count);
  return result;
}

BumpEvaluation evaluate_bump_study(const models::BumpNetwork& network,
                                   const training::BumpHistograms& test,
                                   const std::vector<metrics::BumpHistogramTraits>& traits,
                                   int batch_size, torch::Device device) {
  const auto set = training::bump_batch(test);
  const auto start = std::chrono::steady_clock::now();
  const auto z = training::predict_bumps(network, set, batch_size, device).z;
  const double inference_seconds = seconds_since(start);
  const auto zc = z.contiguous();
  const auto length = zc.size(1);
  const float* values = zc.data_ptr<float>();
  std::vector<double> prediction;
  for (std::size_t h = 0; h < test.histograms(); ++h) {
    for (std::int64_t j = 0; j < test.n_bins[h]; ++j) {
      prediction.push_back(values[static_cast<std::int64_t>(h) * length + j]);
    }
  }
  auto out = evaluate_bump_prediction(std::move(prediction), test, traits);
  out.inference_seconds = inference_seconds;
  return out;
}

BumpEvaluation evaluate_bump_prediction(std::vector<double> prediction,
                                        const training::BumpHistograms& test,
                                        const std::vector<metrics::BumpHistogramTraits>& traits) {
  BumpEvaluation out;
  out.prediction = std::move(prediction);
  out.residuals = metrics::bump_residuals(test.n_bins, test.z, out.prediction);
  out.summary = metrics::summarise_by_group(out.residuals, traits);
  double mean = 0;
  for (const auto& r : out.residuals) mean += r.z_pl;
  mean /= static_cast<double>(std::max<std::size_t>(1, out.residuals.size()));
  auto null = out.residuals;
  for (auto& r : null) r.z_pred = mean;
  out.null_summary = metrics::summarise_residuals(null, "null", "constant mean Z_PL");
  return out;
}

std::vector<double> ensemble_prediction(const std::vector<std::vector<double>>& members) {
  return metrics::member_mean(members, "bins");
}

}  // namespace cwola::studies
