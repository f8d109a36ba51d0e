// The bump networks through the one training loop, alone and data-parallel over 1 and 2 ranks:
// padding changes no loss; gradient averaging over equal shards reproduces the training of one
// rank on the union (full batches: up to float rounding); the model is the same on every rank
// and bit-identical when run again; a training lowers the loss.
#define BOOST_TEST_MODULE cwola bump trainer
#define BOOST_TEST_NO_MAIN
#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "parallel/gradient_average.hpp"
#include "parallel/mpi_runtime.hpp"
#include "stats/bump_targets.hpp"
#include "stats/histogram_generator.hpp"
#include "training/bump_trainer.hpp"
#include "training/loop_checkpoint.hpp"
#include "training/trainer.hpp"

namespace {
cwola::parallel::MpiRuntime* g_mpi = nullptr;
using namespace cwola;
using training::BumpHistograms;

/// Histograms [first, last) of a small generated set (30–40 bins) with mixed-width targets.
BumpHistograms generated(std::size_t first, std::size_t last) {
  stats::HistogramGeneratorConfig config;
  config.min_bins = 30;
  config.max_bins = 40;
  const stats::HistogramGenerator generator(config);
  BumpHistograms out;
  for (std::size_t i = first; i < last; ++i) {
    const auto h = generator.generate(17, i);
    const auto targets = stats::compute_bump_targets(h.counts, h.background);
    out.n_bins.push_back(static_cast<std::int64_t>(h.bins()));
    out.counts.insert(out.counts.end(), h.counts.begin(), h.counts.end());
    out.background.insert(out.background.end(), h.background.begin(), h.background.end());
    out.z.insert(out.z.end(), targets.mixed.begin(), targets.mixed.end());
    out.has_signal.push_back(h.has_signal ? 1 : 0);
  }
  return out;
}

/// A small Znet3 (two branches) so that the tests stay fast; weights from a fixed seed.
models::BumpNetwork small_znet3() {
  training::seed_weight_init(core::stream_seed(5, 0, core::SeedPurpose::kWeightInit));
  return models::make_bump_network(models::BumpArchitecture::kZnet3, {},
                                   models::Znet3Config{{9, 3}, 2, 8, {8}});
}

training::TrainerConfig full_batch(int histograms, int epochs) {
  training::TrainerConfig config;
  config.max_epochs = epochs;
  config.batch_size = histograms;
  config.learning_rate = 3e-3;
  config.weight_decay = 1e-2;  // AdamW
  config.schedule = training::LearningRateSchedule::kCosine;
  return config;
}

/// Trains a fresh small Znet3 data-parallel over `comm` on this rank's equal shard of
/// histograms [0, total) with global batch `batch`; returns the network.
models::BumpNetwork train_parallel(MPI_Comm comm, std::size_t total, int batch, int epochs) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const std::size_t shard = total / static_cast<std::size_t>(size);
  const auto set = training::bump_batch(generated(shard * rank, shard * (rank + 1)));
  auto network = small_znet3();
  auto [low, high] = training::input_range(network, set);
  parallel::global_range(comm, low, high);
  network.set_input_range(low, high);
  auto config = full_batch(batch / size, epochs);
  training::train_bump_network(
      network, set, config, 99, torch::kCPU,
      [comm](float* v, std::size_t n) { parallel::average_over_ranks(comm, v, n); });
  return network;
}

std::vector<float> flat_weights(const models::BumpNetwork& network) {
  std::vector<float> out;
  for (const auto& p : network.module->parameters()) {
    const auto t = p.detach().reshape({-1}).contiguous();
    out.insert(out.end(), t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(bump_trainer)

BOOST_AUTO_TEST_CASE(padding_changes_no_loss) {
  const auto histograms = generated(0, 6);
  auto network = small_znet3();
  const auto tight = training::bump_batch(histograms);
  const auto [low, high] = training::input_range(network, tight);
  network.set_input_range(low, high);
  const auto padded = training::bump_batch(histograms, 128);
  BOOST_TEST(padded.x.size(1) == 128);
  torch::NoGradGuard no_grad;
  const auto stack = [](const training::Batch& b) {
    training::Batch out{b.x.unsqueeze(0), b.y.unsqueeze(0), {}, {}};
    for (const auto& t : b.extra) out.extra.push_back(t.unsqueeze(0));
    return out;
  };
  const auto a = training::bump_loss(network, stack(tight));
  const auto b = training::bump_loss(network, stack(padded));
  BOOST_TEST(a.loss.item<float>() == b.loss.item<float>(), boost::test_tools::tolerance(1e-6F));
  BOOST_TEST(a.terms.at(0).item<float>() == b.terms.at(0).item<float>(),
             boost::test_tools::tolerance(1e-6F));
  BOOST_TEST((a.logits - b.logits).abs().max().item<float>() < 1e-5);
  // The loss is the mean over histograms of their own mean squared errors: check one by hand.
  const auto one = generated(2, 3);
  const auto single = training::bump_batch(one);
  const auto prediction = network.forward(single.x, single.extra[0]);
  const double z_mse = (prediction.z - single.extra[1]).pow(2).mean().item<double>();
  const auto scaled_b = network.scale_counts(single.extra[2], single.extra[0]);
  const double b_mse = (prediction.background - scaled_b).pow(2).mean().item<double>();
  const auto out = training::bump_loss(network, stack(single));
  BOOST_TEST(out.loss.item<double>() == z_mse + b_mse, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(bad_histograms_are_refused) {
  auto h = generated(0, 2);
  h.counts.pop_back();
  BOOST_CHECK_THROW(training::bump_batch(h), core::InputError);
  h = generated(0, 2);
  h.n_bins[1] = 1;
  BOOST_CHECK_THROW(training::bump_batch(h), core::InputError);
}

BOOST_AUTO_TEST_CASE(data_parallel_training_matches_one_rank) {
  constexpr std::size_t kTotal = 16;
  constexpr int kEpochs = 6;
  // Every rank: the same training on one rank (its own communicator) over all histograms ...
  const auto alone = train_parallel(MPI_COMM_SELF, kTotal, kTotal, kEpochs);
  // ... and the data-parallel one over all ranks, each with its shard.
  const auto parallel = train_parallel(g_mpi->comm(), kTotal, kTotal, kEpochs);
  const auto again = train_parallel(g_mpi->comm(), kTotal, kTotal, kEpochs);
  const auto w = flat_weights(parallel);
  BOOST_TEST(w == flat_weights(again));  // reproducible at a fixed rank count, bit for bit
  // The same model on every rank: the largest and smallest of every weight over ranks agree.
  std::vector<float> max_w(w.size()), min_w(w.size());
  MPI_Allreduce(w.data(), max_w.data(), static_cast<int>(w.size()), MPI_FLOAT, MPI_MAX,
                g_mpi->comm());
  MPI_Allreduce(w.data(), min_w.data(), static_cast<int>(w.size()), MPI_FLOAT, MPI_MIN,
                g_mpi->comm());
  BOOST_TEST(max_w == min_w);
  // Against one rank: predictions on all histograms agree to float rounding of the gradient
  // sums (identical on 1 rank).
  const auto all = training::bump_batch(generated(0, kTotal));
  const auto z_alone = training::predict_bumps(alone, all, 64, torch::kCPU).z;
  const auto z_parallel = training::predict_bumps(parallel, all, 64, torch::kCPU).z;
  const float difference = (z_alone - z_parallel).abs().max().item<float>();
  BOOST_TEST_MESSAGE("ranks " << g_mpi->size() << ": max |z(1 rank) - z(data-parallel)| = "
                              << difference << ", max |z| = " << z_alone.abs().max().item<float>());
  if (g_mpi->size() == 1) {
    BOOST_TEST(difference == 0.0F);
  } else {
    BOOST_TEST(difference < 1e-5F);  // measured 3e-8 (2 ranks, 6 full-batch AdamW steps)
  }
  // And the training moved the weights (the comparison is not between two untrained nets).
  const auto initial = flat_weights(small_znet3());
  float moved = 0;
  for (std::size_t i = 0; i < w.size(); ++i) moved = std::max(moved, std::abs(w[i] - initial[i]));
  BOOST_TEST(moved > 1e-3F);
}

BOOST_AUTO_TEST_CASE(a_resumed_training_ends_with_the_uninterrupted_model) {
  // Minibatches smaller than the shard (several steps per epoch, a shuffled order), averaged
  // over the ranks; a stop after epoch 2 of 5 through the checkpoint's plain arrays (with the
  // loss terms), then a resume in a fresh network: the same weights, bit for bit.
  constexpr std::size_t kTotal = 16;
  constexpr int kEpochs = 5;
  const int size = g_mpi->size();
  const std::size_t shard = kTotal / static_cast<std::size_t>(size);
  const auto set =
      training::bump_batch(generated(shard * g_mpi->rank(), shard * (g_mpi->rank() + 1)));
  const auto config = full_batch(4 / size, kEpochs);
  const training::AverageInPlace average = [](float* v, std::size_t n) {
    parallel::average_over_ranks(g_mpi->comm(), v, n);
  };
  const auto fresh = [&set] {
    auto network = small_znet3();
    auto [low, high] = training::input_range(network, set);
    parallel::global_range(g_mpi->comm(), low, high);
    network.set_input_range(low, high);
    return network;
  };
  const auto whole = fresh();
  const auto reference = training::train_bump_network(whole, set, config, 31, torch::kCPU, average);

  auto first = fresh();
  core::Checkpoint stored;
  training::EpochCheckpoints save;
  save.save = [&first, &stored](const training::LoopState& state) {
    stored = training::export_checkpoint(*first.module, state, kEpochs, 2);
  };
  const auto stopped = training::train_bump_network(
      first, set, config, 31, torch::kCPU, average, &save,
      [](const training::EpochRecord&) { return false; });  // every rank stops after epoch 1
  BOOST_TEST(stopped.history.size() == 1U);
  BOOST_TEST(stored.epochs_done == 1);
  // Once more from that checkpoint for one further epoch, then to the end.
  auto second = fresh();
  auto state = training::import_checkpoint(*second.module, stored, kEpochs, 2);
  BOOST_TEST(state.history.at(0).train_terms.size() == 2U);
  BOOST_TEST(state.history.at(0).train_terms == reference.history.at(0).train_terms);
  training::EpochCheckpoints resume;
  resume.resume = &state;
  resume.save = [&second, &stored](const training::LoopState& s) {
    stored = training::export_checkpoint(*second.module, s, kEpochs, 2);
  };
  training::train_bump_network(second, set, config, 31, torch::kCPU, average, &resume,
                               [](const training::EpochRecord&) { return false; });
  BOOST_TEST(stored.epochs_done == 2);
  auto third = fresh();
  auto state2 = training::import_checkpoint(*third.module, stored, kEpochs, 2);
  training::EpochCheckpoints resume2;
  resume2.resume = &state2;
  const auto resumed =
      training::train_bump_network(third, set, config, 31, torch::kCPU, average, &resume2);
  BOOST_TEST(resumed.history.size() == static_cast<std::size_t>(kEpochs));
  BOOST_TEST(flat_weights(third) == flat_weights(whole));  // bit for bit
  for (int e = 0; e < kEpochs; ++e) {
    BOOST_TEST(resumed.history[e].train_loss == reference.history[e].train_loss);
    BOOST_TEST(resumed.history[e].train_terms == reference.history[e].train_terms);
  }
  // And the resumed epochs moved the weights (the comparison is not of two idle networks).
  float moved = 0;
  const auto end = flat_weights(third);
  std::size_t at = 0;
  for (const auto& t : state2.weights) {
    const auto flat = t.reshape({-1}).contiguous();
    for (std::int64_t i = 0; i < flat.numel() && at < end.size(); ++i, ++at) {
      moved = std::max(moved, std::abs(end[at] - flat.data_ptr<float>()[i]));
    }
  }
  BOOST_TEST(moved > 1e-4F);
}

BOOST_AUTO_TEST_CASE(training_lowers_the_loss) {
  const auto set = training::bump_batch(generated(0, 64));
  auto network = small_znet3();
  const auto [low, high] = training::input_range(network, set);
  network.set_input_range(low, high);
  auto config = full_batch(16, 15);
  const auto outcome = training::train_bump_network(network, set, config, 7, torch::kCPU);
  BOOST_TEST(outcome.history.size() == 15U);
  BOOST_TEST_MESSAGE("loss " << outcome.history.front().train_loss << " -> "
                             << outcome.history.back().train_loss);
  // 15 epochs of 4 steps on 64 histograms (measured: 8.13 -> 6.74, mostly the z-MSE
  // approaching its mean; a broken gradient or update would leave it or make it rise).
  BOOST_TEST(outcome.history.back().train_loss < 0.9 * outcome.history.front().train_loss);
}

BOOST_AUTO_TEST_SUITE_END()

int main(int argc, char** argv) {
  cwola::parallel::MpiRuntime mpi(argc, argv);
  g_mpi = &mpi;
  const int failures = boost::unit_test::unit_test_main([] { return true; }, argc, argv);
  return mpi.all_true(failures == 0) ? 0 : 1;
}
