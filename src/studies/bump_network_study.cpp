#include "studies/bump_network_study.hpp"

#include <torch/torch.h>

#include <chrono>
#include <string>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "training/trainer.hpp"

namespace cwola::studies {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

BumpTrainingResult train_bump_study(const BumpNetworkStudyConfig& config,
                                    const training::BumpHistograms& shard, const BumpRanks& ranks) {
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
  const auto start = std::chrono::steady_clock::now();
  result.outcome = training::train_bump_network(
      result.network, set, local,
      core::stream_seed(config.seed, config.network, core::SeedPurpose::kShuffle), config.device,
      average);
  result.seconds = seconds_since(start);
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
  BumpEvaluation out;
  const auto set = training::bump_batch(test);
  const auto start = std::chrono::steady_clock::now();
  const auto z = training::predict_bumps(network, set, batch_size, device).z;
  out.inference_seconds = seconds_since(start);
  const auto zc = z.contiguous();
  const auto length = zc.size(1);
  const float* values = zc.data_ptr<float>();
  for (std::size_t h = 0; h < test.histograms(); ++h) {
    for (std::int64_t j = 0; j < test.n_bins[h]; ++j) {
      out.prediction.push_back(values[static_cast<std::int64_t>(h) * length + j]);
    }
  }
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

}  // namespace cwola::studies
