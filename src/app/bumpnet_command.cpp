/// `cwola bumpnet`: trains the bump-hunt networks (Znet3 and/or Znet) data-parallel over all
/// ranks on a histogram file from `cwola generate` (process = bump_histograms), evaluates them on
/// the file's last histograms (held out) against the profile-likelihood target, and writes the
/// models, histories and the evaluation (store/bump_network_output.hpp). Per-epoch checkpoints
/// in "<output>.checkpoints.h5" (store/bump_checkpoint_file.hpp) let --resume continue a killed
/// or stopped training to the same models; bumpnet.ensemble = K trains K members per network.
/// docs/bump_hunt_network.md.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/job_config.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "models/module_tensors.hpp"
#include "parallel/agreed_step.hpp"
#include "parallel/gradient_average.hpp"
#include "parallel/stop_signal.hpp"
#include "store/bump_checkpoint_file.hpp"
#include "store/bump_network_output.hpp"
#include "store/histogram_file.hpp"
#include "studies/bump_network_study.hpp"
#include "training/compute_device.hpp"

namespace cwola::app {

namespace {
struct BumpnetCard {
  std::vector<models::BumpArchitecture> networks;
  std::string target;
  std::size_t train_histograms = 0;  // 0: all but the test histograms
  std::size_t test_histograms = 0;
  std::size_t ensemble = 1;  // members per network, seeds from their task ids
  training::TrainerConfig trainer;
  std::uint64_t seed = 0;
  std::string device;
  models::Znet3Config znet3;
};

BumpnetCard read_card(core::JobConfig& card) {
  BumpnetCard c;
  for (const auto& name : core::split(card.get_string("bumpnet.networks", "znet3"), ',')) {
    try {
      c.networks.push_back(models::parse_bump_architecture(name, "bumpnet.networks"));
    } catch (const core::InputError&) {
      card.fail("bumpnet.networks", "names '" + name + "', not znet or znet3");
    }
  }
  if (c.networks.empty()) card.fail("bumpnet.networks", "must name znet3 and/or znet");
  c.target = card.get_string("bumpnet.target", "mixed");
  c.train_histograms =
      static_cast<std::size_t>(card.get_int("bumpnet.train_histograms", 0, 0, 1LL << 40));
  c.test_histograms =
      static_cast<std::size_t>(card.get_int("bumpnet.test_histograms", 1000, 1, 1LL << 40));
  c.ensemble = static_cast<std::size_t>(card.get_int("bumpnet.ensemble", 1, 1, 1000));
  c.trainer.max_epochs = static_cast<int>(card.get_int("bumpnet.epochs", 20, 1, 1000000));
  c.trainer.batch_size = static_cast<int>(card.get_int("bumpnet.batch_size", 64, 1, 1 << 24));
  c.trainer.learning_rate = card.get_double("bumpnet.learning_rate", 1e-3, 1e-12, 10.0);
  c.trainer.weight_decay = card.get_double("bumpnet.weight_decay", 1e-4, 0.0, 10.0);
  c.trainer.schedule = training::parse_schedule(
      card.get_choice("bumpnet.schedule", "cosine", {"constant", "cosine", "step"}));
  c.trainer.gradient_clip = card.get_double("bumpnet.gradient_clip", 0.0, 0.0, 1e12);
  c.seed = card.get_uint64("bumpnet.seed", 20250301);
  c.device = card.get_choice("bumpnet.device", "cpu", {"cpu", "cuda", "auto"});
  // The thesis's Znet3 has 64 channels; fewer train faster on CPUs (reduced-size runs).
  c.znet3.channels = static_cast<int>(card.get_int("bumpnet.znet3_channels", 64, 1, 4096));
  c.znet3.head_hidden = {c.znet3.channels, c.znet3.channels};
  return c;
}

/// The histograms of a file range as a network's input, with the chosen target column.
training::BumpHistograms as_training_set(const store::HistogramSetData& data,
                                         const std::string& target, const std::string& path) {
  training::BumpHistograms out;
  out.n_bins = data.n_bins;
  out.counts = data.counts;
  out.background = data.background;
  out.has_signal = data.has_signal;
  if (target == "mixed") {
    out.z = data.z_mixed;
    return out;
  }
  for (std::size_t k = 0; k < data.target_widths.size(); ++k) {
    if (target == "w" + std::to_string(data.target_widths[k])) {
      out.z = data.z[k];
      return out;
    }
  }
  std::string known = "mixed";
  for (int w : data.target_widths) known += ", w" + std::to_string(w);
  throw core::InputError(path, "bumpnet.target", target,
                         "is not a target of this file (it has: " + known + ")");
}

std::string format(double v) { return core::format_double(v); }

/// "task:epoch" of a fault-injection variable, or nothing.
bool fault_names(const char* variable, std::uint64_t task, std::int64_t epoch) {
  const char* text = std::getenv(variable);
  return text != nullptr && std::to_string(task) + ":" + std::to_string(epoch) == text;
}

/// Fault injection for the kill tests (tests/app/test_bumpnet_resume.py): with
/// CWOLA_FAULT_KILL_IN_CHECKPOINT = "3:2", rank 0 kills itself (SIGKILL) after writing the slot
/// of task 3's checkpoint after epoch 2 and before the flag that names it, so the resume must
/// continue from epoch 1's checkpoint.
void kill_in_checkpoint_fault(std::uint64_t task, std::int64_t epoch) {
  if (!fault_names("CWOLA_FAULT_KILL_IN_CHECKPOINT", task, epoch)) return;
  core::log_rank_info("checkpoint slot of task " + std::to_string(task) + " after epoch " +
                      std::to_string(epoch) + " written; killing this rank (fault test)");
  std::raise(SIGKILL);
}

/// Fault injection for the stop-signal tests: with CWOLA_FAULT_PAUSE_AFTER_EPOCH = "0:1", rank 0
/// waits after task 0's checkpoint after epoch 1 until a stop signal arrives (at most 30 s),
/// so a test can signal it while a training runs.
void pause_after_epoch_fault(std::uint64_t task, std::int64_t epoch) {
  if (!fault_names("CWOLA_FAULT_PAUSE_AFTER_EPOCH", task, epoch)) return;
  core::log_rank_info("after epoch " + std::to_string(epoch) + " of task " + std::to_string(task) +
                      "; pausing for a signal, pid " + std::to_string(getpid()) + " (fault test)");
  for (int i = 0; i < 600 && !parallel::stop_requested(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// The absolute path of an existing file (for the checkpoints' identity).
std::string absolute_path(const std::string& path) {
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;
}

/// A network's (or an ensemble's) evaluation as the output's columns, with its log lines.
store::BumpNetworkRecord evaluation_record(const std::string& name,
                                           const studies::BumpEvaluation& evaluation) {
  store::BumpNetworkRecord record;
  record.name = name;
  for (const auto& r : evaluation.residuals) {
    record.bin.push_back(r.bin);
    record.z_pl.push_back(r.z_pl);
    record.z_pred.push_back(r.z_pred);
    record.z_pred_max.push_back(r.z_pred_max);
  }
  record.prediction = evaluation.prediction;
  auto rows = evaluation.summary;
  rows.push_back(evaluation.null_summary);
  for (const auto& s : rows) {
    record.axis.push_back(s.axis);
    record.group.push_back(s.group);
    record.histograms.push_back(static_cast<std::int64_t>(s.histograms));
    const double values[10] = {s.bias, s.spread,      s.q025,       s.q16,        s.q84,
                               s.q975, s.z_pred_q025, s.z_pred_q16, s.z_pred_q84, s.z_pred_q975};
    for (std::size_t k = 0; k < 10; ++k) record.summary_columns[k].push_back(values[k]);
    if (s.axis == "all" || s.axis == "null" || (s.axis == "z_pl" && s.group == "4.5-5.5")) {
      core::log_info("bumpnet: " + name + " " + s.axis + " " + s.group + ": " +
                     std::to_string(s.histograms) + " histograms, Δ = Z_pred - Z_PL bias " +
                     format(s.bias) + ", spread " + format(s.spread) + ", 68% [" + format(s.q16) +
                     ", " + format(s.q84) + "], 95% [" + format(s.q025) + ", " + format(s.q975) +
                     "]; Z_pred 68% [" + format(s.z_pred_q16) + ", " + format(s.z_pred_q84) + "]");
    }
  }
  record.inference_seconds = evaluation.inference_seconds;
  return record;
}
}  // namespace

int bumpnet_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string card_path, data_path, output, model_path;
  std::vector<std::string> overrides;
  bool overwrite = false;
  bool resume = false;
  po::options_description options(
      "Usage: cwola bumpnet --card FILE --data HISTOGRAMS.h5 --output OUT.h5 [--set key=value]... "
      "[--overwrite | --resume]");
  options.add_options()("help,h", "show this help")("card", po::value(&card_path),
                                                    "bumpnet card (INI; [bumpnet] ...)")(
      "data", po::value(&data_path), "histogram file from cwola generate (bump_histograms)")(
      "output,o", po::value(&output), "output file (models, histories, evaluation)")(
      "set,s", po::value(&overrides)->composing(), "override a card setting: section.key=value")(
      "overwrite", po::bool_switch(&overwrite),
      "replace an existing output file (and start again, dropping the checkpoints of an "
      "unfinished run)")("resume", po::bool_switch(&resume),
                         "continue an unfinished run from its checkpoints "
                         "(OUT.h5.checkpoints.h5)")(
      "model", po::value(&model_path),
      "evaluate the networks stored in this earlier output instead of training them");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(arguments).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("cwola bumpnet: ") + e.what());
  }
  if (vm.count("help") != 0) {
    if (mpi.rank() == 0) std::cout << options << "\n";
    return 0;
  }
  if (card_path.empty() || data_path.empty() || output.empty()) {
    throw core::InputError("cwola bumpnet: needs --card FILE, --data HISTOGRAMS.h5 and --output");
  }
  auto card = core::JobConfig::from_file(card_path);
  for (const auto& assignment : overrides) card.apply_override(assignment);
  const BumpnetCard c = read_card(card);
  card.reject_unread();
  c.trainer.validate();
  if (resume && (overwrite || !model_path.empty())) {
    throw core::InputError("cwola bumpnet", "--resume", overwrite ? "--overwrite" : "--model",
                           "cannot be combined with it; choose one");
  }
  // Checkpoints only while networks train (not for --model), in a file of their own.
  const std::string checkpoint_path = store::bump_checkpoint_path(output);
  const bool checkpointing = model_path.empty();
  const bool have_checkpoints = access(checkpoint_path.c_str(), F_OK) == 0;
  // An output next to checkpoints is the one an interrupted --overwrite run is replacing (or
  // this run's own, killed between its rename and the checkpoints' removal): --resume goes on.
  if (access(output.c_str(), F_OK) == 0 && !overwrite && !(resume && have_checkpoints)) {
    throw core::InputError("bumpnet output '" + output + "' already exists" +
                           (resume ? " (that run finished; nothing to resume)" : "") +
                           "; use --overwrite to replace it or choose another --output");
  }
  if (checkpointing && resume && !have_checkpoints) {
    throw core::InputError(checkpoint_path, "--resume", checkpoint_path,
                           "does not exist: there is no unfinished run of '" + output +
                               "' to resume; run without --resume");
  }
  if (checkpointing && !resume && !overwrite && have_checkpoints) {
    throw core::InputError(checkpoint_path, "--output", output,
                           "has the checkpoints of an unfinished run; continue it with "
                           "--resume, or start again with --overwrite");
  }
  // From here a stop signal ends the training at the next epoch boundary (exit 3).
  const parallel::StopSignalGuard stop_signals;
  const std::size_t total = store::count_histograms(data_path);
  const bool evaluate_only = !model_path.empty();
  if (evaluate_only && c.test_histograms > total) {
    throw core::InputError(card.source(), "bumpnet.test_histograms",
                           std::to_string(c.test_histograms),
                           "exceeds the " + std::to_string(total) + " histograms of '" +
                               data_path + "'");
  }
  if (!evaluate_only && c.test_histograms >= total) {
    throw core::InputError(card.source(), "bumpnet.test_histograms",
                           std::to_string(c.test_histograms),
                           "leaves no training histograms in '" + data_path + "' (" +
                               std::to_string(total) + " histograms)");
  }
  const std::size_t available = total - c.test_histograms;
  const std::size_t train = c.train_histograms == 0 ? available : c.train_histograms;
  if (!evaluate_only && train > available) {
    throw core::InputError(card.source(), "bumpnet.train_histograms", std::to_string(train),
                           "exceeds the " + std::to_string(available) + " histograms of '" +
                               data_path + "' before the held-out " +
                               std::to_string(c.test_histograms));
  }
  const auto ranks = static_cast<std::size_t>(mpi.size());
  // A stored model needs no training histograms (all of a file may be the test set).
  const std::size_t shard = evaluate_only ? 0 : train / ranks;
  if (!evaluate_only && shard == 0) {
    throw core::InputError(card.source(), "bumpnet.train_histograms", std::to_string(train),
                           "is fewer than the " + std::to_string(ranks) + " ranks");
  }
  if (!evaluate_only) {
    core::log_info(
        "bumpnet: " + std::to_string(shard * ranks) + " training histograms (" +
        std::to_string(shard) + " per rank on " + std::to_string(ranks) + " ranks" +
        (train % ranks != 0
             ? ", " + std::to_string(train % ranks) + " left out so the shards are equal"
             : std::string()) +
        "), " + std::to_string(c.test_histograms) + " held out (the file's last), target " +
        c.target);
  }
  const auto rank = static_cast<std::size_t>(mpi.rank());
  training::BumpHistograms local;
  if (!evaluate_only) {
    parallel::run_agreed(mpi.comm(), [&] {
      local = as_training_set(store::read_histogram_file(data_path, rank * shard, shard),
                              c.target, data_path);
    });
  }

  std::vector<store::BumpNetworkRecord> records;
  store::HistogramSetData test_data;
  training::BumpHistograms test;
  std::vector<metrics::BumpHistogramTraits> traits;
  if (mpi.rank() == 0) {
    test_data = store::read_histogram_file(data_path, available, c.test_histograms);
    test = as_training_set(test_data, c.target, data_path);
    for (std::size_t h = 0; h < test_data.histograms(); ++h) {
      traits.push_back({test_data.n_bins[h], test_data.y_max[h] / test_data.y_min[h],
                        static_cast<int>(test_data.signal_width[h])});
    }
  }
  const auto device = training::choose_device(training::parse_device_request(c.device),
                                              mpi.local_rank(), mpi.local_size());
  core::log_rank_info("bumpnet: training on " + device.description);
  studies::BumpRanks bump_ranks;
  bump_ranks.count = mpi.size();
  bump_ranks.average = [&mpi](float* v, std::size_t n) {
    parallel::average_over_ranks(mpi.comm(), v, n);
  };
  bump_ranks.range = [&mpi](double& low, double& high) {
    parallel::global_range(mpi.comm(), low, high);
  };
  bump_ranks.stop = [&mpi] { return !mpi.all_true(!parallel::stop_requested()); };
  const std::size_t n_networks = c.networks.size();
  const auto config_of = [&](std::size_t n, std::size_t k) {
    studies::BumpNetworkStudyConfig config;
    config.architecture = c.networks[n];
    config.trainer = c.trainer;
    config.seed = c.seed;
    config.network = k * n_networks + n;  // member 0 is the network of an ensemble of one
    config.device = device.device;
    config.znet3 = c.znet3;
    return config;
  };
  const auto member_name = [&](std::size_t n, std::size_t k) {
    const std::string name = models::to_string(c.networks[n]);
    return c.ensemble == 1 ? name : name + "/member" + std::to_string(k);
  };

  // Checkpoints: one group per network, one row per member (its task id).
  std::vector<store::CheckpointGroup> groups;
  std::map<std::uint64_t, core::Checkpoint> stored;
  std::optional<store::BumpCheckpointFile> checkpoint_file;  // rank 0
  std::function<void()> new_checkpoints = [] {};
  if (checkpointing) {
    for (std::size_t n = 0; n < n_networks; ++n) {
      store::CheckpointGroup group;
      group.name = models::to_string(c.networks[n]);
      for (std::size_t k = 0; k < c.ensemble; ++k) group.tasks.push_back(k * n_networks + n);
      group.layout = studies::bump_checkpoint_layout(config_of(n, 0));
      groups.push_back(std::move(group));
    }
    const store::BumpRunIdentity identity{card.canonical_text(), absolute_path(data_path),
                                          static_cast<std::int64_t>(total), mpi.size()};
    if (resume) {
      parallel::run_agreed(mpi.comm(), [&] {
        stored = store::read_bump_checkpoints(mpi.comm(), checkpoint_path, identity, groups);
      });
      core::log_info("bumpnet: resuming from " + checkpoint_path + " (" +
                     std::to_string(stored.size()) + " of " +
                     std::to_string(n_networks * c.ensemble) + " trainings checkpointed)");
      parallel::run_agreed(mpi.comm(), [&] {
        if (mpi.rank() == 0)
          checkpoint_file = store::BumpCheckpointFile::open(checkpoint_path, groups);
      });
    } else {
      // Created with the first checkpoint: a run refused before its first epoch leaves none.
      new_checkpoints = [&, identity] {
        if (!checkpoint_file) {
          checkpoint_file = store::BumpCheckpointFile::create(checkpoint_path, identity, groups);
        }
      };
    }
  }
  const auto interrupted = [&](const std::string& where) {
    parallel::run_agreed(mpi.comm(), [&] {
      if (checkpoint_file) checkpoint_file->close();
    });
    core::log_warning("bumpnet: stopped by a signal " + where +
                      (checkpoint_file ? "; the checkpoints in '" + checkpoint_path +
                                             "' are complete. Continue with the same command "
                                             "plus --resume"
                                       : "; nothing was trained yet. Run the same command again"));
    return static_cast<int>(core::ExitCode::kInterrupted);
  };

  for (std::size_t n = 0; n < n_networks; ++n) {
    const std::string name = models::to_string(c.networks[n]);
    std::vector<std::vector<double>> member_predictions;
    store::BumpNetworkRecord ensemble_record;
    for (std::size_t k = 0; k < c.ensemble; ++k) {
      const auto config = config_of(n, k);
      const std::string label = member_name(n, k);
      studies::BumpTrainingResult trained;
      if (!model_path.empty()) {
        // Evaluate a stored model: it must be this architecture, tensor for tensor.
        parallel::run_agreed(mpi.comm(), [&] {
          trained.network = models::make_bump_network(config.architecture, {}, c.znet3);
          const auto [layout, tensors] = store::read_bump_network_model(model_path, label);
          const auto expected = models::layout_of(*trained.network.module, name);
          if (!(layout == expected)) {
            throw core::InputError(model_path, "/" + label + "/model_tensors",
                                   std::to_string(layout.tensors.size()) + " tensors",
                                   "is a model of another architecture than " + name + " (" +
                                       std::to_string(expected.tensors.size()) +
                                       " tensors of other names or shapes expected)");
          }
          models::import_tensors(*trained.network.module, tensors);
          training::EpochRecord record;
          record.train_terms = {0.0, 0.0};
          trained.outcome.history = {record};
        });
        core::log_info("bumpnet: " + label + " read from " + model_path);
      } else {
        if (bump_ranks.stop())
          return interrupted("before " + label + " (task " + std::to_string(config.network) + ")");
        studies::BumpCheckpointing checkpoints;
        const auto found = stored.find(config.network);
        if (found != stored.end()) {
          checkpoints.resume = &found->second;
          core::log_info("bumpnet: " + label + " continues after epoch " +
                         std::to_string(found->second.epochs_done) + " (its checkpoint)");
        }
        checkpoints.save = [&, task = config.network](const core::Checkpoint& checkpoint) {
          parallel::run_agreed(mpi.comm(), [&] {
            if (mpi.rank() != 0) return;
            new_checkpoints();
            checkpoint_file->write(name, task, checkpoint,
                                   [&] { kill_in_checkpoint_fault(task, checkpoint.epochs_done); });
            core::log_info("bumpnet: " + label + " checkpoint after epoch " +
                           std::to_string(checkpoint.epochs_done));
            pause_after_epoch_fault(task, checkpoint.epochs_done);
          });
        };
        parallel::run_agreed(mpi.comm(), [&] {
          trained = studies::train_bump_study(config, local, bump_ranks, checkpoints);
        });
        if (trained.outcome.status == training::TrainStatus::kAbandoned) {
          return interrupted("after epoch " + std::to_string(trained.outcome.history.size()) +
                             " of " + label);
        }
      }
      const auto& last = trained.outcome.history.back();
      if (model_path.empty())
        core::log_info(
            "bumpnet: " + label + " trained " + std::to_string(trained.outcome.history.size()) +
            " epochs, " + std::to_string(trained.steps) + " steps in this run, " +
            format(trained.seconds) + " s (" +
            format(static_cast<double>(trained.histograms) *
                   static_cast<double>(trained.outcome.history.size()) / trained.seconds) +
            " histograms/s; allreduce " + format(trained.reduce_seconds) +
            " s); last epoch loss (rank 0's shard) " + format(last.train_loss));
      parallel::run_agreed(mpi.comm(), [&] {
        if (mpi.rank() != 0) return;
        const auto evaluation =
            studies::evaluate_bump_study(trained.network, test, traits, 256, device.device);
        auto record = evaluation_record(label, evaluation);
        record.layout = models::layout_of(*trained.network.module, name);
        record.model = models::export_tensors(*trained.network.module);
        record.model.epochs = static_cast<std::int64_t>(trained.outcome.history.size());
        for (const auto& e : trained.outcome.history) {
          if (!model_path.empty()) break;  // evaluated, not trained: no history
          record.train_loss.push_back(e.train_loss);
          record.z_mse.push_back(e.train_terms.at(0));
          record.b_mse.push_back(e.train_terms.at(1));
        }
        record.train_seconds = trained.seconds;
        record.reduce_seconds = trained.reduce_seconds;
        record.steps = trained.steps;
        record.ranks = mpi.size();
        record.histograms_trained = static_cast<std::int64_t>(trained.histograms);
        core::log_info(
            "bumpnet: " + label + " inference " +
            format(static_cast<double>(test.histograms()) / evaluation.inference_seconds) +
            " histograms/s (1 rank)");
        ensemble_record.train_seconds += record.train_seconds;
        ensemble_record.reduce_seconds += record.reduce_seconds;
        ensemble_record.inference_seconds += record.inference_seconds;
        ensemble_record.steps += record.steps;
        ensemble_record.histograms_trained = record.histograms_trained;
        member_predictions.push_back(evaluation.prediction);
        records.push_back(std::move(record));
      });
    }
    if (c.ensemble > 1) {
      // The ensemble: per bin the mean of the members' predicted z, evaluated like a network.
      parallel::run_agreed(mpi.comm(), [&] {
        if (mpi.rank() != 0) return;
        const auto evaluation = studies::evaluate_bump_prediction(
            studies::ensemble_prediction(member_predictions), test, traits);
        auto record =
            evaluation_record(name + " ensemble of " + std::to_string(c.ensemble), evaluation);
        record.name = name;
        record.members = static_cast<std::int64_t>(c.ensemble);
        record.train_seconds = ensemble_record.train_seconds;
        record.reduce_seconds = ensemble_record.reduce_seconds;
        record.inference_seconds = ensemble_record.inference_seconds;
        record.steps = ensemble_record.steps;
        record.ranks = mpi.size();
        record.histograms_trained = ensemble_record.histograms_trained;
        records.push_back(std::move(record));
      });
    }
  }
  parallel::run_agreed(mpi.comm(), [&] {
    if (mpi.rank() == 0) {
      store::write_bump_network_output(output, card.canonical_text(),
                                       static_cast<std::int64_t>(available), test.n_bins, records);
    }
  });
  core::log_info("bumpnet: wrote " + output);
  if (checkpointing) {
    // The output holds every final model: the checkpoints are no longer needed.
    parallel::run_agreed(mpi.comm(), [&] {
      if (mpi.rank() != 0 || !checkpoint_file) return;
      checkpoint_file->close();
      std::remove(checkpoint_path.c_str());
    });
  }
  return 0;
}

}  // namespace cwola::app
