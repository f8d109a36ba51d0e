/// `cwola assign`: jet assignment with the attention network on a SPANet data set (event spec
/// YAML + HDF5): trains on the first part of the file, tests on the complete events of the rest,
/// and prints event purity per jet count beside a physics baseline (chi2 for ttbar, min-ΔR for
/// di-Higgs) and random assignment
/// (studies/attention_assignment.hpp). Runs on rank 0.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "app/subcommands.hpp"
#include "parallel/agreed_step.hpp"
#include "training/compute_device.hpp"
#include "core/error.hpp"
#include "studies/attention_assignment.hpp"

namespace cwola::app {

namespace {
/// Rank 0's trained network to every rank: the tensor sizes, then all values.
void broadcast_model(const parallel::MpiRuntime& mpi, core::ModelTensors& model) {
  std::uint64_t tensors = model.values.size();
  MPI_Bcast(&tensors, 1, MPI_UINT64_T, 0, mpi.comm());
  std::vector<std::uint64_t> sizes(tensors);
  for (std::size_t i = 0; i < model.values.size(); ++i) sizes[i] = model.values[i].size();
  MPI_Bcast(sizes.data(), static_cast<int>(tensors), MPI_UINT64_T, 0, mpi.comm());
  model.values.resize(tensors);
  for (std::size_t i = 0; i < tensors; ++i) {
    model.values[i].resize(sizes[i]);
    MPI_Bcast(model.values[i].data(), static_cast<int>(sizes[i]), MPI_FLOAT, 0, mpi.comm());
  }
}

/// The test events (after the training part) predicted by the ranks in blocks of the
/// prediction batch, so every batch is the one a single rank would evaluate (same results,
/// bit for bit), and written in SPANet's predict layout.
void write_predictions(const parallel::MpiRuntime& mpi, const std::string& path,
                       const store::SpanetEventSpec& spec, const store::SpanetDataset& data,
                       const studies::AssignmentOptions& options,
                       studies::AssignmentResult& result) {
  broadcast_model(mpi, result.model);
  const auto first_test = static_cast<std::uint64_t>(
      std::floor(options.train_fraction * static_cast<double>(data.events)));
  const std::uint64_t total = data.events - first_test;
  constexpr std::uint64_t kBlock = 512;  // training::predict_attention's batch
  const std::uint64_t blocks = (total + kBlock - 1) / kBlock;
  const auto ranks = static_cast<std::uint64_t>(mpi.size());
  const auto rank = static_cast<std::uint64_t>(mpi.rank());
  const std::uint64_t first_block = blocks * rank / ranks;
  const std::uint64_t end_block = blocks * (rank + 1) / ranks;
  const std::uint64_t first = std::min(total, first_block * kBlock);
  const std::uint64_t end = std::min(total, end_block * kBlock);
  store::SpanetPredictionRows rows;
  parallel::run_agreed(mpi.comm(), [&] {
    rows = studies::predict_events(spec, data, options, result.model, first_test + first,
                                   end - first);
  });
  rows.first_event = first;  // rows of the output file, which holds the test events only
  // The detection head says something only when it was trained.
  store::write_spanet_predictions(mpi.comm(), path, spec, data, total, rows,
                                  options.trainer.loss_weights.detection > 0
                                      ? store::DetectionOutput::kWrite
                                      : store::DetectionOutput::kOmit);
  if (mpi.rank() == 0) {
    std::printf("assign: predictions of %llu test events in SPANet's predict layout: %s\n",
                static_cast<unsigned long long>(total), path.c_str());
  }
}
}  // namespace

int assign_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string spec_path;
  std::string data_path;
  std::string predict_path;
  std::uint64_t max_events = 0;
  std::uint64_t max_jets = 10;
  int threads = 1;
  studies::AssignmentOptions options;
  po::options_description description(
      "Usage: cwola assign --spec EVENT.yaml --data EVENTS.h5 [options]");
  description.add_options()("help,h", "show this help")(
      "spec", po::value(&spec_path), "SPANet event specification (YAML)")(
      "data", po::value(&data_path), "SPANet-layout HDF5 file")(
      "max-events", po::value(&max_events)->default_value(0), "read at most N events (0 = all)")(
      "max-jets", po::value(&max_jets)->default_value(10), "most real jets per event")(
      "train-fraction", po::value(&options.train_fraction)->default_value(0.8),
      "first fraction of the events for training; the rest is the test set")(
      "validation-fraction", po::value(&options.validation_fraction)->default_value(0.0),
      "last fraction of the training events held out for early stopping (0: none)")(
      "patience", po::value(&options.trainer.patience)->default_value(0),
      "with a validation set: epochs without a lower validation loss before stopping (0: none)")(
      "seed", po::value(&options.seed)->default_value(1), "master seed")(
      "epochs", po::value(&options.trainer.epochs)->default_value(10), "training epochs")(
      "batch-size", po::value(&options.trainer.batch_size)->default_value(128), "events per step")(
      "learning-rate", po::value(&options.trainer.learning_rate)->default_value(1e-3), "AdamW")(
      "hidden", po::value(&options.network.hidden)->default_value(64), "width D")(
      "heads", po::value(&options.network.heads)->default_value(4), "attention heads")(
      "encoder-layers", po::value(&options.network.encoder_layers)->default_value(4),
      "central encoder layers")(
      "branch-layers", po::value(&options.network.branch_layers)->default_value(2),
      "layers per particle branch")(
      "assignment-loss-scale",
      po::value(&options.trainer.loss_weights.assignment)->default_value(1.0), "lambda_a")(
      "detection-loss-scale",
      po::value(&options.trainer.loss_weights.detection)->default_value(0.0),
      "lambda_d: trains the detection head (is each particle reconstructable?); > 0 also "
      "writes detection_probability and marginal_probability with --predict")(
      "threads", po::value(&threads)->default_value(1), "LibTorch intra-op threads")(
      "predict", po::value(&predict_path),
      "also write the test events' predictions in SPANet's predict layout to this HDF5 file "
      "(all ranks share the prediction; the file is the same on any rank count)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(arguments).options(description).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("cwola assign: ") + e.what());
  }
  if (vm.count("help") != 0 || spec_path.empty() || data_path.empty()) {
    if (mpi.rank() == 0) std::cout << description;
    return vm.count("help") != 0 ? 0 : static_cast<int>(core::ExitCode::kBadInput);
  }
  // One OpenBLAS thread, as `cwola run` does: results then depend on the seed and `threads`
  // only, the same on any rank count.
  training::set_compute_threads(threads, 1);
  // Every rank reads the data (the predictions are shared out); rank 0 alone trains.
  store::SpanetEventSpec spec;
  store::SpanetDataset data;
  studies::AssignmentResult result;
  parallel::run_agreed(mpi.comm(), [&] {
    spec = store::read_spanet_spec(spec_path);
    store::SpanetDatasetOptions read;
    read.count = max_events;
    read.max_jets = max_jets;
    data = store::read_spanet_dataset(data_path, spec, read);
    if (mpi.rank() == 0) result = studies::run_assignment(spec, data, options);
  });
  if (!predict_path.empty()) write_predictions(mpi, predict_path, spec, data, options, result);
  if (mpi.rank() != 0) return 0;
  const auto epochs_run = static_cast<int>(result.history.size());
  std::printf("assign: %s, %llu events, trained on the first %lld (%d epochs, %.1f s, "
              "%.0f events/s)\n",
              data_path.c_str(), static_cast<unsigned long long>(data.events),
              static_cast<long long>(result.train_events), epochs_run, result.train_seconds,
              static_cast<double>(result.train_events) * epochs_run / result.train_seconds);
  if (result.best_epoch >= 0) {
    std::printf("assign: validation on the next %lld events: best epoch %d of %d (loss %.4f), "
                "its weights kept\n",
                static_cast<long long>(result.validation_events), result.best_epoch + 1,
                epochs_run,
                result.history.at(static_cast<std::size_t>(result.best_epoch)).validation);
  }
  std::printf("assign: final epoch loss %.4f (assignment %.4f)\n", result.history.back().total,
              result.history.back().assignment);
  if (result.detection.events > 0) {
    const auto& d = result.detection;
    std::string rates;
    for (const double r : d.null_rates) {
      rates += (rates.empty() ? "" : ", ") + std::to_string(r).substr(0, 5);
    }
    std::printf("assign: detection on %lld test events: AUC for complete events %.4f (null 0.5; "
                "%lld complete); cross-entropy %.4f per particle, most likely first (null %.4f: "
                "the training rates %s)\n",
                static_cast<long long>(d.events), d.complete_auc,
                static_cast<long long>(d.complete_events), d.loss, d.null_loss, rates.c_str());
  }
  const std::string baseline = result.baseline.empty() ? "baseline" : result.baseline;
  std::printf("%-10s %8s %10s %10s %12s %14s\n", "jets", "events", "attention", baseline.c_str(),
              "random", "attention/rnd");
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    const auto& row = result.rows[i];
    const bool all = i + 1 == result.rows.size();
    const std::string label = all ? "all" : (row.at_least ? ">=" : "") + std::to_string(row.jets);
    std::printf("%-10s %8lld %10.4f %10s %12.6f %14.1f\n", label.c_str(),
                static_cast<long long>(row.events), row.attention,
                row.baseline < 0 ? "-" : std::to_string(row.baseline).substr(0, 6).c_str(), row.random,
                row.attention / row.random);
  }
  return 0;
}

}  // namespace cwola::app
