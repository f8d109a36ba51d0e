#include "training/bump_trainer.hpp"

#include <torch/torch.h>

#include <limits>
#include <string>

#include "core/error.hpp"

namespace cwola::training {

namespace {
constexpr double kHintSignificance = 3.0;

/// Histogram means of per-bin values [b, L] over the mask's bins -> [b].
torch::Tensor histogram_mean(const torch::Tensor& values, const torch::Tensor& mask) {
  return (values * mask).sum(1) / mask.sum(1);
}
}  // namespace

Batch bump_batch(const BumpHistograms& h, std::int64_t length) {
  const std::size_t n = h.histograms();
  std::size_t bins = 0;
  std::int64_t longest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (h.n_bins[i] < 2) {
      throw core::InputError("histograms", "n_bins[" + std::to_string(i) + "]",
                             std::to_string(h.n_bins[i]), "is below 2 (a histogram needs 2 bins)");
    }
    bins += static_cast<std::size_t>(h.n_bins[i]);
    longest = std::max(longest, h.n_bins[i]);
  }
  for (const auto* column : {&h.counts, &h.background, &h.z}) {
    if (column->size() != bins) {
      throw core::InputError(
          "histograms", "per-bin column", std::to_string(column->size()),
          "differs from Σ n_bins = " + std::to_string(bins) + " (mismatched lengths)");
    }
  }
  if (h.has_signal.size() != n) {
    throw core::InputError("histograms", "has_signal", std::to_string(h.has_signal.size()),
                           "differs from the " + std::to_string(n) + " histograms");
  }
  const std::int64_t width = std::max(longest, length);
  const auto rows = static_cast<std::int64_t>(n);
  auto counts = torch::zeros({rows, width});
  auto mask = torch::zeros({rows, width});
  auto z = torch::zeros({rows, width});
  auto background = torch::zeros({rows, width});
  auto y = torch::zeros({rows});
  auto c = counts.accessor<float, 2>();
  auto m = mask.accessor<float, 2>();
  auto t = z.accessor<float, 2>();
  auto b = background.accessor<float, 2>();
  std::size_t at = 0;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < h.n_bins[static_cast<std::size_t>(i)]; ++j, ++at) {
      c[i][j] = static_cast<float>(h.counts[at]);
      m[i][j] = 1.0F;
      t[i][j] = static_cast<float>(h.z[at]);
      b[i][j] = static_cast<float>(h.background[at]);
    }
    y[i] = h.has_signal[static_cast<std::size_t>(i)] != 0 ? 1.0F : 0.0F;
  }
  return Batch{counts, y, {}, {mask, z, background}};
}

std::pair<double, double> input_range(const models::BumpNetwork& network, const Batch& set) {
  const auto counts = set.x.to(torch::kCPU, torch::kFloat64).contiguous();
  const auto mask = set.extra.at(0).to(torch::kCPU, torch::kFloat32).contiguous();
  const double* c = counts.data_ptr<double>();
  const float* m = mask.data_ptr<float>();
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (std::int64_t i = 0; i < counts.numel(); ++i) {
    if (m[i] == 0) continue;
    const double v = network.scaling_variable(c[i]);
    low = std::min(low, v);
    high = std::max(high, v);
  }
  return {low, high};
}

StackLoss bump_loss(const models::BumpNetwork& network, const Batch& batch) {
  const auto counts = batch.x[0];
  const auto mask = batch.extra.at(0)[0].to(counts.dtype());
  const auto z_target = batch.extra.at(1)[0].to(counts.dtype());
  const auto prediction = network.forward(counts, mask);
  const auto z_mse = histogram_mean((prediction.z - z_target).pow(2), mask);
  auto per_histogram = z_mse;
  torch::Tensor b_mse;
  if (network.predicts_background) {
    const auto b_target =
        network.scale_counts(batch.extra.at(2)[0].to(counts.dtype()), mask).detach();
    b_mse = histogram_mean((prediction.background - b_target).pow(2), mask);
    per_histogram = per_histogram + b_mse;
  } else {
    b_mse = torch::zeros_like(z_mse);
  }
  StackLoss out;
  const auto loss = per_histogram.mean();
  if (torch::GradMode::is_enabled()) out.objective = loss;
  out.loss = loss.detach().reshape({1});
  torch::NoGradGuard no_grad;
  const auto masked_z = prediction.z.detach().masked_fill(mask == 0, -1e30);
  out.logits = (std::get<0>(masked_z.max(1)) - kHintSignificance).unsqueeze(0);
  out.terms = {z_mse.detach().mean().reshape({1}), b_mse.detach().mean().reshape({1})};
  return out;
}

TrainOutcome train_bump_network(const models::BumpNetwork& network, const Batch& train,
                                const TrainerConfig& config, std::uint64_t shuffle_seed,
                                torch::Device device, const AverageInPlace& average,
                                const EpochCheckpoints* checkpoints,
                                const StackKeepGoing& keep_going) {
  StackView view;
  view.module = network.module;
  view.axis = MemberAxis::kSingle;
  view.loss = [network](const Batch& batch) { return bump_loss(network, batch); };
  if (average) view.after_backward = gradient_averaging_hook(*network.module, average);
  EnsembleMember member{train, Batch{}, shuffle_seed};
  auto outcomes = train_stack(view, {member}, config, device, keep_going, nullptr, checkpoints);
  return std::move(outcomes.front());
}

models::BumpPrediction predict_bumps(const models::BumpNetwork& network, const Batch& set,
                                     int batch_size, torch::Device device) {
  torch::NoGradGuard no_grad;
  network.module->to(device);
  network.module->eval();
  const std::int64_t n = set.x.size(0);
  std::vector<torch::Tensor> z, background;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + batch_size);
    const auto counts = set.x.slice(0, start, end).to(device, torch::kFloat32);
    const auto mask = set.extra.at(0).slice(0, start, end).to(device, torch::kFloat32);
    const auto out = network.forward(counts, mask);
    z.push_back(out.z.cpu());
    if (out.background.defined()) background.push_back(out.background.cpu());
  }
  models::BumpPrediction out;
  out.z = torch::cat(z);
  if (!background.empty()) out.background = torch::cat(background);
  return out;
}

}  // namespace cwola::training
