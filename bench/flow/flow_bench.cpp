// The conditional flow on the LHCO-like benchmark's sidebands (docs/cathode.md, "Checks"):
// trains models::ConditionalFlow on p(mj1, delta_mj, tau21j1, tau21j2 | m_jj) in the sidebands
// of the reduced hunt's window 1, samples it at the m_jj of held-out sideband events, and
// compares: per-feature histograms (chi2 / bins) and the AUC of a dense classifier trained to
// separate samples from held-out data (a perfect flow gives 0.5 within the statistical band).
// Prints the training time for bench/flow/flow_bench.py's comparison with PyTorch-Python.
//
//   build/bench/flow/cwola_flow_bench TABLE.h5 [max_epochs] [fixed]
// `fixed`: run exactly max_epochs (no early stopping), as the timing reference does.
#include <mpi.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "core/seed.hpp"
#include "metrics/roc.hpp"
#include "models/conditional_flow.hpp"
#include "models/dense_network.hpp"
#include "store/table_reader.hpp"
#include "training/flow_trainer.hpp"
#include "training/trainer.hpp"

namespace {

constexpr double kSidebandLow = 2725, kSignalLow = 3331, kSignalHigh = 4071,
                 kSidebandHigh = 4975;  // GeV, CMS set B, window 1 of jobs/hunt_reduced.ini
const std::vector<std::string> kFeatures = {"mj1", "delta_mj", "tau21j1", "tau21j2"};

torch::Tensor rows(const torch::Tensor& t, const std::vector<std::int64_t>& index) {
  return t.index_select(0, torch::tensor(index, torch::kInt64));
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TABLE.h5 [max_epochs] [fixed]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int max_epochs = argc > 2 ? std::stoi(argv[2]) : 60;
  const bool fixed = argc > 3 && std::string(argv[3]) == "fixed";
  torch::set_num_threads(1);
  const std::uint64_t master = 20261202;

  cwola::store::TableReadOptions options;
  options.table = "/TABLE";
  options.columns = kFeatures;
  options.columns.push_back("mjj");
  const auto table = cwola::store::read_table(path, options);
  std::vector<float> x, m;
  for (std::size_t r = 0; r < table.rows; ++r) {
    const double mjj = table.values[r * 5 + 4];
    const bool sideband =
        (mjj >= kSidebandLow && mjj < kSignalLow) || (mjj >= kSignalHigh && mjj < kSidebandHigh);
    if (!sideband) continue;
    for (int f = 0; f < 4; ++f) x.push_back(static_cast<float>(table.values[r * 5 + f]));
    m.push_back(static_cast<float>(mjj));
  }
  const auto n = static_cast<std::int64_t>(m.size());
  const auto features = torch::from_blob(x.data(), {n, 4}, torch::kFloat32).clone();
  const auto mass = torch::from_blob(m.data(), {n, 1}, torch::kFloat32).clone();
  // A seeded split: 60 % training, 20 % validation, 20 % held out for the checks.
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 rng(cwola::core::stream_seed(master, 0, cwola::core::SeedPurpose::kSplit));
  cwola::training::draw_epoch_order(order, rng);
  const auto n_train = n * 6 / 10, n_val = n / 5;
  const std::vector<std::int64_t> train_i(order.begin(), order.begin() + n_train);
  const std::vector<std::int64_t> val_i(order.begin() + n_train, order.begin() + n_train + n_val);
  const std::vector<std::int64_t> held_i(order.begin() + n_train + n_val, order.end());
  const cwola::training::FlowSample train{rows(features, train_i), rows(mass, train_i)};
  const cwola::training::FlowSample validation{rows(features, val_i), rows(mass, val_i)};
  const cwola::training::FlowSample held{rows(features, held_i), rows(mass, held_i)};

  cwola::training::seed_weight_init(
      cwola::core::stream_seed(master, 0, cwola::core::SeedPurpose::kWeightInit));
  cwola::models::ConditionalFlowConfig config;
  config.features = 4;
  config.context = 1;
  config.blocks = 4;
  config.hidden = 64;
  config.hidden_layers = 2;
  cwola::models::ConditionalFlow flow(config);
  cwola::training::TrainerConfig trainer;
  trainer.max_epochs = max_epochs;
  trainer.batch_size = 256;
  trainer.learning_rate = 1e-3;
  trainer.patience = fixed ? max_epochs : 10;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  const auto outcome = cwola::training::train_flow(
      flow, train, validation, trainer,
      cwola::core::stream_seed(master, 0, cwola::core::SeedPurpose::kShuffle), torch::kCPU);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds =
      static_cast<double>(std::clock() - cpu_start) / static_cast<double>(CLOCKS_PER_SEC);
  std::printf("sideband events: %lld training, %lld validation, %lld held out\n",
              static_cast<long long>(n_train), static_cast<long long>(n_val),
              static_cast<long long>(held_i.size()));
  std::printf("flow 4 blocks x MADE 4-64-64-8 (context m_jj): %s after %zu epochs (best %d)\n",
              cwola::training::to_string(outcome.status).c_str(), outcome.history.size(),
              outcome.best_epoch + 1);
  std::printf("cwola training: %.2f s, %.3f s per epoch, %.2f s of CPU\n", seconds,
              seconds / static_cast<double>(outcome.history.size()), cpu_seconds);
  if (outcome.status == cwola::training::TrainStatus::kDiverged) {
    std::printf("diverged: %s\n", outcome.failure_reason.c_str());
    return 1;
  }
  const auto inside = flow->inside_range(held.x).nonzero().squeeze(1);
  const cwola::training::FlowSample held_inside{held.x.index_select(0, inside),
                                                held.context.index_select(0, inside)};
  std::printf("held-out NLL: %.4f nats/event (%lld of %lld events inside the training range)\n",
              cwola::training::mean_negative_log_likelihood(flow, held_inside),
              static_cast<long long>(inside.size(0)), static_cast<long long>(held.x.size(0)));

  // Samples at the held-out events' own m_jj: one per event.
  torch::NoGradGuard no_grad;
  flow->eval();
  const auto samples = flow->sample(
      held.context, cwola::core::stream_seed(master, 0, cwola::core::SeedPurpose::kTestSample));
  // Per feature: 20 bins at the held-out data's quantiles (equal expected counts).
  for (int f = 0; f < 4; ++f) {
    const auto data = std::get<0>(held.x.select(1, f).sort());
    const auto gen = samples.select(1, f);
    const auto count = data.size(0);
    double chi2 = 0;
    const int bins = 20;
    for (int b = 0; b < bins; ++b) {
      const double lo = b == 0 ? -INFINITY : data[count * b / bins].item<double>();
      const double hi = b == bins - 1 ? INFINITY : data[count * (b + 1) / bins].item<double>();
      const double d = ((data >= lo) & (data < hi)).sum().item<double>();
      const double s = ((gen >= lo) & (gen < hi)).sum().item<double>();
      chi2 += (d - s) * (d - s) / std::max(1.0, d + s);
    }
    std::printf(
        "feature %-9s: data mean %.4f, flow mean %.4f; data std %.4f, flow std %.4f; "
        "chi2/bins = %.2f (20 quantile bins)\n",
        kFeatures[static_cast<std::size_t>(f)].c_str(), held.x.select(1, f).mean().item<double>(),
        gen.mean().item<double>(), held.x.select(1, f).std().item<double>(),
        gen.std().item<double>(), chi2 / bins);
  }
  // A classifier between held-out data (0) and samples (1), with m_jj as an input too: trained
  // on one half of each, its AUC measured on the other half.
  const auto h = held.x.size(0);
  auto inputs =
      torch::cat({torch::cat({held.x, held.context}, 1), torch::cat({samples, held.context}, 1)});
  inputs = (inputs - inputs.mean(0)) / inputs.std(0);
  const auto labels = torch::cat({torch::zeros({h}), torch::ones({h})});
  std::vector<std::int64_t> idx(static_cast<std::size_t>(2 * h));
  for (std::int64_t i = 0; i < 2 * h; ++i) idx[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 split(cwola::core::stream_seed(master, 1, cwola::core::SeedPurpose::kSplit));
  cwola::training::draw_epoch_order(idx, split);
  const auto quarter = h / 2;
  const std::vector<std::int64_t> fit_i(idx.begin(), idx.begin() + 2 * quarter);
  const std::vector<std::int64_t> stop_i(idx.begin() + 2 * quarter, idx.begin() + 3 * quarter);
  const std::vector<std::int64_t> test_i(idx.begin() + 3 * quarter, idx.end());
  cwola::training::seed_weight_init(
      cwola::core::stream_seed(master, 1, cwola::core::SeedPurpose::kWeightInit));
  cwola::models::DenseNetwork classifier(cwola::models::DenseNetworkConfig{5, {64, 64}});
  cwola::training::TrainerConfig ctrainer;
  ctrainer.max_epochs = 50;
  ctrainer.patience = 5;
  {
    torch::GradMode::set_enabled(true);
    cwola::training::train_classifier(
        cwola::training::as_classifier(classifier), {rows(inputs, fit_i), rows(labels, fit_i), {}},
        {rows(inputs, stop_i), rows(labels, stop_i), {}}, ctrainer,
        cwola::core::stream_seed(master, 1, cwola::core::SeedPurpose::kShuffle), torch::kCPU);
  }
  const auto scores = cwola::training::predict_scores(cwola::training::as_classifier(classifier),
                                                      rows(inputs, test_i), 4096, torch::kCPU);
  const auto test_labels = rows(labels, test_i);
  std::vector<std::uint8_t> truth;
  std::int64_t n1 = 0;
  for (std::int64_t i = 0; i < test_labels.size(0); ++i) {
    truth.push_back(test_labels[i].item<float>() > 0.5F ? 1 : 0);
    n1 += truth.back();
  }
  const auto n0 = static_cast<std::int64_t>(truth.size()) - n1;
  const double auc = cwola::metrics::auc(scores, truth);
  const double sigma = std::sqrt(static_cast<double>(n0 + n1 + 1) /
                                 (12.0 * static_cast<double>(n0) * static_cast<double>(n1)));
  std::printf(
      "classifier samples vs held-out data: AUC %.4f on %lld data + %lld flow events "
      "(null 0.5 +- %.4f; band 0.5 +- 3 sigma = [%.4f, %.4f]): %s\n",
      auc, static_cast<long long>(n0), static_cast<long long>(n1), sigma, 0.5 - 3 * sigma,
      0.5 + 3 * sigma, std::abs(auc - 0.5) <= 3 * sigma ? "inside" : "OUTSIDE");
  MPI_Finalize();
  return 0;
}
