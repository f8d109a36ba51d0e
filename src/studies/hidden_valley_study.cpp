#include "studies/hidden_valley_study.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/random_stream.hpp"
#include "core/seed.hpp"
#include "core/text.hpp"
#include "data/constituent_augmentation.hpp"
#include "data/mixed_sample.hpp"
#include "data/significance_mixing.hpp"
#include "features/jet_image.hpp"
#include "features/jet_substructure.hpp"
#include "metrics/classifier_metrics.hpp"
#include "models/cnn_jet_network.hpp"
#include "models/ensemble_cnn_jet_network.hpp"
#include "models/ensemble_model.hpp"
#include "models/module_tensors.hpp"
#include "physics/mass_windows.hpp"
#include "store/jet_event_file.hpp"
#include "studies/classifier_study.hpp"
#include "studies/classifier_task.hpp"
#include "studies/task_model.hpp"
#include "training/ensemble_trainer.hpp"
#include "training/loop_checkpoint.hpp"
#include "training/meta_trainer.hpp"
#include "training/optimizer_tensors.hpp"
#include "training/trainer.hpp"

namespace cwola::studies {

namespace {

/// Task id reserved for the job-wide test set (no real task has it).
constexpr std::uint64_t kSharedTestTask = ~std::uint64_t{0};
/// Jet radius of the files' anti-kT jets (for the angularity).
constexpr double kJetRadius = 0.8;
/// Extra features are scaled to O(1): jet masses in units of this (GeV).
constexpr double kMassUnit = 1000.0;

/// One event file in memory with its selection bookkeeping.
struct EventPool {
  std::string path;
  store::JetEventData data;
  store::JetEventFileInfo info;
  double generated = 0;  ///< events generated for the file (cutflow), else the stored count
};

std::shared_ptr<const EventPool> load_pool(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const EventPool>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const auto it = cache.find(path);
  if (it != cache.end()) return it->second;
  auto pool = std::make_shared<EventPool>();
  pool->path = path;
  pool->data = store::read_jet_event_file(path, &pool->info);
  pool->generated = pool->info.has_cutflow() ? static_cast<double>(pool->info.count("generated"))
                                             : static_cast<double>(pool->data.size());
  cache[path] = pool;
  return pool;
}

struct Regions {
  std::vector<std::size_t> sr;
  std::vector<std::size_t> sb;
};

Regions split_regions(const EventPool& pool, const physics::MassWindows& w) {
  Regions r;
  for (std::size_t i = 0; i < pool.data.size(); ++i) {
    if (w.in_signal_region(pool.data.mjj[i])) r.sr.push_back(i);
    if (w.in_sideband(pool.data.mjj[i])) r.sb.push_back(i);
  }
  return r;
}

/// What a task trains on: the SR/SB mixture (CWoLa), signal against background by truth
/// (supervised pretraining, transfer-learning report §III.C stage 1), or many small weak-label
/// tasks of several benchmarks (meta-training, report §III.D).
enum class TrainingLabels { kCwola, kSupervised, kMeta };

/// Whether a task's own sample is truth-labelled signal against background from the
/// benchmarks in shares (a meta-training evaluates its network on such a sample).
bool truth_labelled(TrainingLabels labels) { return labels != TrainingLabels::kCwola; }

/// The meta-tasks of hidden_valley.labels = meta ([meta] section).
struct MetaTaskSettings {
  std::size_t task_events = 500;   ///< background events in each task's SR and in its SB
  std::size_t test_events = 200;   ///< truth-labelled test events per class per task
  double min_signal_ratio = 0.02;  ///< N_S / N_B in a task's SR, drawn uniformly in [min, max]
  double max_signal_ratio = 0.3;
  training::MetaTrainerConfig trainer;
};

/// Which part of the network a task that reads a model takes from it and trains
/// (cnn.fine_tune): all of it, only the dense head on a frozen pretrained image network, or
/// the dense head and the scale-and-shift weights Φ of the frozen convolutions (meta-transfer
/// learning).
enum class FineTune { kAll, kHead, kScaleShift };

struct HiddenValleySettings {
  std::string background_file;
  std::string signal_file;  ///< the target's signal (the CWoLa mixture's)
  /// The files a task's signal events come from: signal_file, or several benchmarks
  /// (hidden_valley.signal_files, supervised pretraining), with each file's share (sum 1).
  std::vector<std::string> signal_files;
  std::vector<double> signal_shares;
  double significance = 1.0;
  data::SignificanceDefinition definition = data::SignificanceDefinition::kSOverSqrtB;
  double luminosity_fb = 139.0;
  double luminosity_scale = 1.0;
  physics::MassWindows windows;
  std::size_t test_events = 10000;
  features::JetImageConfig image;
  features::ImageNormalisation normalisation = features::ImageNormalisation::kJetPt;
  data::ConstituentAugmentationConfig augmentation;
  bool extra_features = false;
  int threads = 1;
  bool store_average_images = true;
  TrainingLabels labels = TrainingLabels::kCwola;
  std::size_t supervised_events = 0;  ///< per class, labels = supervised
  models::CnnJetNetworkConfig cnn;
  FineTune fine_tune = FineTune::kAll;
  /// cnn.fine_tune = scale_shift: whether the model the task reads has Φ too (a stage that
  /// itself trained Φ), which it then continues from; else Φ start at 1 and 0.
  bool reads_scale_shift = false;
  /// cnn.scale_shift_head = read: the dense head (and extra branch) start from the model read
  /// (e.g. the meta-learned initialisation) instead of afresh.
  bool reads_head = false;
  MetaTaskSettings meta;  ///< labels = meta
  ClassifierSettings classifier;

  std::shared_ptr<const EventPool> background;
  std::vector<std::shared_ptr<const EventPool>> signals;  ///< one per signal_files entry
  Regions background_regions;
  std::vector<Regions> signal_regions;  ///< one per signal_files entry
  data::MixingCounts counts;
  double background_sr_efficiency = 0;
  double signal_sr_efficiency = 0;
};

std::vector<int> to_ints(const std::vector<std::int64_t>& v) { return {v.begin(), v.end()}; }

std::string joined(const std::vector<int>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    text += (i ? "-" : "") + std::to_string(values[i]);
  }
  return text;
}

/// One line for the stored model's description, e.g. "cnn two_channel 25x25, filters
/// 64-64-128-128, kernels 5-5-3-3, pool 1-1-0-1, dense 128-128-1".
std::string cnn_description(const models::CnnJetNetworkConfig& cnn) {
  const std::string pixels = std::to_string(cnn.pixels);
  std::string text = "cnn " + models::to_string(cnn.architecture) + " " + pixels + "x" + pixels +
                     ", filters " + joined(cnn.filters) + ", kernels " + joined(cnn.kernels) +
                     ", pool " + joined(cnn.pool) + ", dense " + joined(cnn.dense) + "-1";
  if (cnn.has_extra_branch()) {
    text += ", extra features " + std::to_string(cnn.extra_features) + "-" +
            joined(cnn.extra_hidden) + "-1";
  } else if (cnn.extra_features > 0) {
    text += ", extra features " + std::to_string(cnn.extra_features) + " concatenated";
  }
  if (cnn.dropout > 0) text += ", dropout " + core::format_double(cnn.dropout);
  if (cnn.scale_shift) text += ", scale-and-shift";
  return text;
}

/// Whether two paths name one file: the same file when both exist, else the same normal path.
bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  if (std::filesystem::exists(a, error) && std::filesystem::exists(b, error)) {
    return std::filesystem::equivalent(a, b, error);
  }
  return std::filesystem::absolute(a).lexically_normal() ==
         std::filesystem::absolute(b).lexically_normal();
}

/// Transfer learning pretrains on benchmarks other than the target (report §III.C): a stage
/// that reads a supervised pretraining whose signal files include its own target `target` is
/// refused, naming the pretraining's key and value. The pretraining's labels and files are its
/// stage section's (stage.R.hidden_valley.labels, signal_files or signal_file) or, where it
/// sets none, the job's, which this point shares unless its own stage sets that key too (then
/// the job's value is not visible here and that case is not checked).
void check_target_not_pretrained(core::JobConfig& config, const std::string& target,
                                 TrainingLabels own_labels) {
  const auto value_of = [&config](const std::string& key) {
    return config.has(key) ? config.raw(key) : std::string();
  };
  const std::string stage = value_of("job.stage");
  const std::string reads = stage.empty() ? "" : value_of("stage." + stage + ".reads");
  if (reads.empty()) return;
  const std::string upstream = "stage." + reads + ".hidden_valley.";
  const std::string own = "stage." + stage + ".hidden_valley.";
  bool supervised = false;
  if (config.has(upstream + "labels")) {
    // A meta-training's benchmarks are truth-labelled test sets too (its meta-tasks).
    supervised = config.raw(upstream + "labels") == "supervised" ||
                 config.raw(upstream + "labels") == "meta";
  } else if (!config.has(own + "labels")) {
    supervised = truth_labelled(own_labels);
  }
  if (!supervised) return;
  std::string key;
  for (const char* name : {"signal_files", "signal_file"}) {
    if (key.empty() && config.has(upstream + name)) key = upstream + name;
  }
  if (key.empty() && !config.has(own + "signal_file")) key = "hidden_valley.signal_file";
  if (key.empty()) return;
  for (const auto& file : core::split(config.raw(key), ',')) {
    if (same_file(file, target)) {
      config.fail(key, "includes '" + file + "', the target signal of stage '" + stage +
                           "', which reads the supervised pretraining of stage '" + reads +
                           "': pretraining on the target's own signal by truth is not transfer "
                           "learning; pretrain on the other benchmarks only (report §III.C)");
    }
  }
}

/// hidden_valley.labels = meta: the [meta] settings (read only then, so other jobs keep their
/// hash). A meta-training reads a pretrained model and trains Φ and the head on it.
void read_meta_settings(core::JobConfig& config, HiddenValleySettings& s) {
  if (s.fine_tune != FineTune::kScaleShift) {
    config.fail("hidden_valley.labels",
                "(meta) meta-trains the scale-and-shift weights and the head of a pretrained "
                "network, but this stage has cnn.fine_tune = " +
                    std::string(s.fine_tune == FineTune::kHead ? "head" : "all") +
                    "; set cnn.fine_tune = scale_shift and reads = PRETRAIN_STAGE "
                    "(docs/hidden_valley.md, \"Meta-transfer learning\")");
  }
  auto& m = s.meta;
  auto& t = m.trainer;
  const auto count = [&config](const char* key, std::int64_t fallback, std::int64_t low) {
    return config.get_int(key, fallback, low, 1LL << 30);
  };
  t.meta_batches = static_cast<int>(count("meta.meta_batches", t.meta_batches, 1));
  t.tasks_per_batch = static_cast<int>(count("meta.tasks_per_batch", t.tasks_per_batch, 1));
  t.inner_steps = static_cast<int>(count("meta.inner_steps", t.inner_steps, 1));
  t.inner_batch_size = static_cast<int>(count("meta.inner_batch_size", t.inner_batch_size, 1));
  t.hard_tasks = static_cast<int>(count("meta.hard_tasks", t.hard_tasks, 0));
  t.inner_learning_rate =
      config.get_double("meta.inner_learning_rate", t.inner_learning_rate, 1e-12, 1e6);
  t.learning_rate = config.get_double("meta.learning_rate", t.learning_rate, 1e-12, 1e6);
  m.task_events = static_cast<std::size_t>(count("meta.task_events", 500, 1));
  m.test_events = static_cast<std::size_t>(count("meta.test_events", 200, 1));
  m.min_signal_ratio = config.get_double("meta.min_signal_ratio", m.min_signal_ratio, 0.0, 1e3);
  m.max_signal_ratio = config.get_double("meta.max_signal_ratio", m.max_signal_ratio, 0.0, 1e3);
  if (m.max_signal_ratio < m.min_signal_ratio) {
    config.fail("meta.max_signal_ratio",
                "is below meta.min_signal_ratio (" + core::format_double(m.min_signal_ratio) +
                    "); give the range of N_S / N_B in a task's signal region as min <= max");
  }
}

/// The meta-tasks draw, outside the test set and the evaluation sample, from the background's
/// SR and SB and from each benchmark's SR: refused before any work when a file is too small.
void check_meta_pools(core::JobConfig& config, const HiddenValleySettings& s) {
  const auto test_shares = data::share_counts(s.test_events, s.signal_shares);
  const auto supervised_shares = data::share_counts(s.supervised_events, s.signal_shares);
  const auto most_signal = static_cast<std::size_t>(
      std::ceil(s.meta.max_signal_ratio * static_cast<double>(s.meta.task_events)));
  const auto need = [&config](std::size_t needed, std::size_t have, const std::string& what,
                              const std::string& file) {
    if (needed > have) {
      config.fail("meta.task_events",
                  "needs " + std::to_string(needed) + " " + what + " events but '" + file +
                      "' has " + std::to_string(have) +
                      "; generate more events or lower meta.task_events, meta.test_events, "
                      "meta.max_signal_ratio or hidden_valley.supervised_events");
    }
  };
  need(s.test_events + s.supervised_events + s.meta.task_events + s.meta.test_events,
       s.background_regions.sr.size(),
       "background signal-region (test + evaluation + one meta-task)", s.background_file);
  need(s.meta.task_events, s.background_regions.sb.size(), "background sideband",
       s.background_file);
  for (std::size_t i = 0; i < s.signals.size(); ++i) {
    need(test_shares[i] + supervised_shares[i] + most_signal + s.meta.test_events,
         s.signal_regions[i].sr.size(), "signal signal-region (test + evaluation + one meta-task)",
         s.signal_files[i]);
  }
}

/// A choice read only when the job names it, so that the hash of a job without it stays;
/// `fallback` otherwise.
std::string choice_if_named(core::JobConfig& config, const std::string& key,
                            const std::string& fallback, const std::vector<std::string>& options) {
  return config.has(key) ? config.get_choice(key, fallback, options) : fallback;
}

HiddenValleySettings read_settings(core::JobConfig& config) {
  HiddenValleySettings s;
  s.background_file = config.get_string("hidden_valley.background_file", "");
  s.signal_file = config.get_string("hidden_valley.signal_file", "");
  for (const auto& [key, value] : {std::pair{"hidden_valley.background_file", s.background_file},
                                   std::pair{"hidden_valley.signal_file", s.signal_file}}) {
    if (value.empty()) {
      config.fail(key,
                  "is required: a jet event file made by `cwola generate --card "
                  "inputs/qcd_dijet.card` (background) or inputs/hidden_valley.card (signal)");
    }
  }
  s.significance = config.get_double("hidden_valley.significance", 1.0, 0.0, 1e4);
  s.definition = config.get_choice("hidden_valley.significance_definition", "s_over_sqrt_b",
                                   {"s_over_sqrt_b", "asimov"}) == "asimov"
                     ? data::SignificanceDefinition::kAsimov
                     : data::SignificanceDefinition::kSOverSqrtB;
  s.luminosity_fb = config.get_double("hidden_valley.luminosity_fb", 139.0, 1e-6, 1e7);
  s.luminosity_scale = config.get_double("hidden_valley.luminosity_scale", 1.0, 1e-6, 1e6);
  const auto sr = config.get_doubles("hidden_valley.signal_region", {4700, 5500}, 0.0, 1e6);
  if (sr.size() != 2 || !(sr[0] < sr[1])) {
    config.fail("hidden_valley.signal_region", "must be two masses lo, hi (GeV) with lo < hi");
  }
  const auto sb = config.get_doubles("hidden_valley.sideband", {4400, 4700, 5500, 5800}, 0.0, 1e6);
  if (sb.size() != 4 || !(sb[0] <= sb[1] && sb[1] <= sb[2] && sb[2] <= sb[3])) {
    config.fail("hidden_valley.sideband", "must be four masses lo1 <= hi1 <= lo2 <= hi2 (GeV)");
  }
  s.windows = {{sr[0], sr[1]}, {{sb[0], sb[1]}, {sb[2], sb[3]}}};
  s.test_events =
      static_cast<std::size_t>(config.get_int("hidden_valley.test_events", 10000, 10, 1LL << 32));
  s.image.pixels = static_cast<int>(config.get_int("hidden_valley.image_pixels", 25, 2, 1024));
  s.image.half_width = config.get_double("hidden_valley.image_half_width", 1.0, 1e-3, 10.0);
  s.normalisation =
      config.get_choice("hidden_valley.image_normalisation", "jet_pt", {"jet_pt", "none"}) == "none"
          ? features::ImageNormalisation::kNone
          : features::ImageNormalisation::kJetPt;
  s.augmentation.mode = data::parse_constituent_augmentation(
      config.get_choice("hidden_valley.augmentation", "none", {"none", "smear", "copy"}));
  s.augmentation.copies =
      static_cast<int>(config.get_int("hidden_valley.augmentation_copies", 1, 0, 1000));
  s.augmentation.smear_scale_gev =
      config.get_double("hidden_valley.smear_scale_gev", 0.1, 0.0, 1e3);
  // The note's sample variants (§4.9–4.14) as one scan axis: "+1 augmentation" (smear),
  // "+1 copy" (copy) and "luminosity × 2" (twice the events, hence √2 more signal at equal S/√B).
  const std::string variant =
      config.get_choice("hidden_valley.variant", "original",
                        {"original", "plus_augmentation", "plus_copy", "luminosity_x2"});
  if (variant == "plus_augmentation")
    s.augmentation.mode = data::ConstituentAugmentationMode::kSmear;
  if (variant == "plus_copy") s.augmentation.mode = data::ConstituentAugmentationMode::kCopy;
  if (variant == "luminosity_x2") s.luminosity_scale *= 2.0;
  s.extra_features = config.get_bool("hidden_valley.extra_features", false);
  s.threads = static_cast<int>(config.get_int("hidden_valley.image_threads", 1, 1, 1024));
  s.store_average_images = config.get_bool("hidden_valley.store_average_images", true);

  s.cnn.architecture = models::parse_cnn_architecture(config.get_choice(
      "cnn.architecture", "two_channel", {"two_channel", "two_image", "two_image_jet_norm"}));
  s.cnn.pixels = s.image.pixels;
  const auto std_ints = [](const std::vector<int>& v) {
    return std::vector<std::int64_t>(v.begin(), v.end());
  };
  s.cnn.filters = to_ints(config.get_ints("cnn.filters", {64, 64, 128, 128}, 1, 4096));
  s.cnn.kernels = to_ints(config.get_ints("cnn.kernels", {5, 5, 3, 3}, 1, 99));
  // The seeds' group CNN (two_image_jet_norm) has its own pooling and dense defaults.
  s.cnn.pool = to_ints(
      config.get_ints("cnn.pool", std_ints(models::default_pool(s.cnn.architecture)), 0, 1));
  s.cnn.dense = to_ints(
      config.get_ints("cnn.dense", std_ints(models::default_dense(s.cnn.architecture)), 1, 65536));
  s.cnn.extra_hidden = to_ints(config.get_ints("cnn.extra_hidden", {32, 32}, 1, 65536));
  s.cnn.extra_features = s.extra_features ? 4 : 0;
  // Read only when named, so that the hash of a job without it stays (product, as before).
  if (config.has("cnn.extra_features_merge")) {
    s.cnn.extra_merge = models::parse_extra_features_merge(
        config.get_choice("cnn.extra_features_merge", "product", {"product", "concatenate"}));
  }
  try {
    s.cnn.validate();
  } catch (const core::InputError& e) {
    config.fail("cnn.filters", e.what());
  }
  // Read only when set, so that the hash of a job without them stays. Read before the
  // classifier settings: the stacking key then tells fine-tune modes apart.
  const std::string fine_tune =
      choice_if_named(config, "cnn.fine_tune", "all", {"all", "head", "scale_shift"});
  if (fine_tune != "all") {
    s.fine_tune = fine_tune == "head" ? FineTune::kHead : FineTune::kScaleShift;
    s.cnn.scale_shift = s.fine_tune == FineTune::kScaleShift;
    // A staged job tells each point its stage (job.stage); a job without stages reads nothing.
    const auto value_of = [&config](const std::string& key) {
      return config.has(key) ? config.raw(key) : std::string();
    };
    const std::string stage = value_of("job.stage");
    if (stage.empty() || value_of("stage." + stage + ".reads").empty()) {
      config.fail("cnn.fine_tune",
                  "(" + fine_tune +
                      ") trains the dense head on the frozen image network of a model the task "
                      "reads, but " +
                      (stage.empty() ? std::string("this job has no stages")
                                     : "stage '" + stage + "' reads no model") +
                      "; set reads = PRETRAIN_STAGE in the fine-tune's [stage.NAME] section, or "
                      "use cnn.fine_tune = all (docs/hidden_valley.md, \"Transfer learning\")");
    }
    if (value_of("stage." + stage + ".optimizer") == "continue") {
      config.fail("cnn.fine_tune", "(" + fine_tune + ") starts the dense head afresh, so stage '" +
                                       stage +
                                       "' has no optimizer state to continue; set its "
                                       "optimizer = fresh");
    }
    // The model read has Φ when the stage it reads trained them (its own fine_tune).
    const std::string upstream = "stage." + value_of("stage." + stage + ".reads") + ".";
    s.reads_scale_shift = value_of(upstream + "cnn.fine_tune") == "scale_shift";
  }
  // Read only when set, so that the hash of a job without it stays.
  if (config.has("cnn.scale_shift_head")) {
    s.reads_head = config.get_choice("cnn.scale_shift_head", "fresh", {"fresh", "read"}) == "read";
    if (s.fine_tune != FineTune::kScaleShift) {
      config.fail("cnn.scale_shift_head",
                  "chooses where the head of a scale-and-shift fine-tune starts, but this stage "
                  "has cnn.fine_tune = " +
                      fine_tune + "; set cnn.fine_tune = scale_shift or leave it unset");
    }
  }
  const std::string labels =
      choice_if_named(config, "hidden_valley.labels", "cwola", {"cwola", "supervised", "meta"});
  if (labels != "cwola") {
    s.labels = labels == "meta" ? TrainingLabels::kMeta : TrainingLabels::kSupervised;
    s.supervised_events = static_cast<std::size_t>(
        config.get_int("hidden_valley.supervised_events", 10000, 1, 1LL << 32));
  }
  if (s.labels == TrainingLabels::kMeta) read_meta_settings(config, s);
  // Several benchmarks for a supervised pretraining (report §III.C: all but the target, equal
  // shares unless told). Read only when named, so that the hash of a job without them stays.
  s.signal_files = {s.signal_file};
  if (config.has("hidden_valley.signal_files")) {
    s.signal_files = core::split(config.get_string("hidden_valley.signal_files", ""), ',');
    if (!truth_labelled(s.labels)) {
      config.fail("hidden_valley.signal_files",
                  "mixes several signal benchmarks, which only a supervised pretraining "
                  "(hidden_valley.labels = supervised) does; a CWoLa mixture has one signal: "
                  "use signal_file");
    }
    if (s.signal_files.empty()) {
      config.fail("hidden_valley.signal_files", "names no file (give a, b, c)");
    }
    for (std::size_t i = 0; i < s.signal_files.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (same_file(s.signal_files[i], s.signal_files[j])) {
          config.fail("hidden_valley.signal_files", "names '" + s.signal_files[i] +
                                                        "' twice; give a file once and its weight "
                                                        "in hidden_valley.signal_shares");
        }
      }
    }
  }
  s.signal_shares.assign(s.signal_files.size(), 1.0 / static_cast<double>(s.signal_files.size()));
  if (config.has("hidden_valley.signal_shares")) {
    const auto shares = config.get_doubles("hidden_valley.signal_shares", {}, 0.0, 1e12);
    double sum = 0;
    for (double share : shares) sum += share;
    if (shares.size() != s.signal_files.size() ||
        std::any_of(shares.begin(), shares.end(), [](double w) { return !(w > 0); })) {
      config.fail("hidden_valley.signal_shares", "needs one positive weight per signal file (" +
                                                     std::to_string(s.signal_files.size()) +
                                                     " files)");
    }
    for (std::size_t i = 0; i < shares.size(); ++i) s.signal_shares[i] = shares[i] / sum;
  }
  check_target_not_pretrained(config, s.signal_file, s.labels);
  if (s.labels == TrainingLabels::kMeta) {
    for (const auto& file : s.signal_files) {
      if (same_file(file, s.signal_file)) {
        config.fail("hidden_valley.signal_files",
                    "includes '" + file + "', the target signal (hidden_valley.signal_file): a " +
                        "meta-training learns from the other benchmarks only (report §III.D); " +
                        "leave the target out");
      }
    }
  }
  s.classifier = read_classifier_settings(config);
  // A meta-training's "epochs" are its meta-batches (the curves hold one record per batch).
  if (s.labels == TrainingLabels::kMeta) s.classifier.max_epochs = s.meta.trainer.meta_batches;
  s.cnn.dropout = s.classifier.dropout;
  if (s.classifier.batch_norm) {
    // Measured (tests/training/test_ensemble_cnn_training.cpp, 12 epochs): with batch norm a
    // stacked CNN and the same CNN alone end 0.03-0.25 apart in their scores, their training
    // losses equal to every digit; the running statistics drift (docs/training.md).
    config.fail("model.batch_norm",
                "is not offered for the hidden-valley CNN: stacked and one-by-one training do "
                "not agree beyond rounding with it (docs/training.md); leave it unset");
  }

  // The event files: efficiencies and the mixing counts of this point.
  try {
    s.background = load_pool(s.background_file);
    for (const auto& file : s.signal_files) s.signals.push_back(load_pool(file));
  } catch (const core::InputError& e) {
    config.fail("hidden_valley.background_file", e.what());
  }
  s.background_regions = split_regions(*s.background, s.windows);
  for (const auto& pool : s.signals) s.signal_regions.push_back(split_regions(*pool, s.windows));
  const double file_cross_section = s.background->info.cross_section_fb;
  const double cross_section =
      config.get_double("hidden_valley.background_cross_section_fb", file_cross_section, 0.0, 1e15);
  if (!(cross_section > 0)) {
    config.fail("hidden_valley.background_cross_section_fb",
                "is needed: the background file '" + s.background_file +
                    "' records no cross section; give σ_B (fb) of the events it was made from");
  }
  data::SignificanceMixingInput in;
  in.background_cross_section_fb = cross_section;
  in.background_sr_efficiency = s.background_regions.sr.size() / s.background->generated;
  in.background_sb_efficiency = s.background_regions.sb.size() / s.background->generated;
  // Several signal files: the efficiencies of their mixture in its shares.
  for (std::size_t i = 0; i < s.signals.size(); ++i) {
    in.signal_sr_efficiency +=
        s.signal_shares[i] * (s.signal_regions[i].sr.size() / s.signals[i]->generated);
    in.signal_sb_efficiency +=
        s.signal_shares[i] * (s.signal_regions[i].sb.size() / s.signals[i]->generated);
  }
  in.luminosity_fb = s.luminosity_fb * s.luminosity_scale;
  in.significance = s.significance;
  in.definition = s.definition;
  try {
    s.counts = data::significance_mixing_counts(in);
  } catch (const core::InputError& e) {
    config.fail("hidden_valley.significance", e.what());
  }
  s.background_sr_efficiency = in.background_sr_efficiency;
  s.signal_sr_efficiency = in.signal_sr_efficiency;

  auto need = [&config](const char* what, std::size_t needed, std::size_t have,
                        const std::string& file) {
    if (needed > have) {
      config.fail("hidden_valley.luminosity_fb",
                  std::string("needs ") + std::to_string(needed) + " " + what + " events but '" +
                      file + "' has " + std::to_string(have) +
                      "; generate more events (generator.events) or lower the luminosity, "
                      "significance or test_events");
    }
  };
  if (s.labels == TrainingLabels::kMeta) check_meta_pools(config, s);
  if (truth_labelled(s.labels)) {
    const auto test_shares = data::share_counts(s.test_events, s.signal_shares);
    const auto supervised_shares = data::share_counts(s.supervised_events, s.signal_shares);
    std::vector<std::tuple<std::string, const Regions*, const std::string*, std::size_t>> sources =
        {{"background", &s.background_regions, &s.background_file,
          s.test_events + s.supervised_events}};
    for (std::size_t i = 0; i < s.signals.size(); ++i) {
      sources.emplace_back("signal", &s.signal_regions[i], &s.signal_files[i],
                           test_shares[i] + supervised_shares[i]);
    }
    for (const auto& [what, regions, file, needed] : sources) {
      if (needed > regions->sr.size()) {
        config.fail("hidden_valley.supervised_events",
                    std::string("needs ") + std::to_string(needed) + " " + what +
                        " signal-region events (test + supervised, its share) but '" + *file +
                        "' has " + std::to_string(regions->sr.size()) +
                        "; generate more events or lower supervised_events or test_events");
      }
    }
    return s;
  }
  need("background signal-region (test + mixed)", s.test_events + s.counts.background_sr,
       s.background_regions.sr.size(), s.background_file);
  need("background sideband", s.counts.background_sb, s.background_regions.sb.size(),
       s.background_file);
  need("signal signal-region (test + mixed)", s.test_events + s.counts.signal_sr,
       s.signal_regions.front().sr.size(), s.signal_file);
  need("signal sideband", s.counts.signal_sb, s.signal_regions.front().sb.size(), s.signal_file);
  return s;
}

/// Copies `rows` of a pool into a table with one label. The table's row width is fixed by its
/// first rows (the wider of the two files, see run_task); narrower pools are zero-padded.
void append_rows(const EventPool& pool, const std::vector<std::size_t>& rows, std::size_t first,
                 std::size_t count, std::uint8_t label, std::uint8_t truth,
                 data::DijetConstituentTable& table) {
  const std::size_t width = pool.data.max_constituents;
  const std::size_t out_width = table.max_constituents;
  const std::size_t copied = std::min(width, out_width);
  for (std::size_t k = first; k < first + count; ++k) {
    const std::size_t r = rows[k];
    for (int j = 0; j < 2; ++j) {
      const auto begin = static_cast<std::ptrdiff_t>(r * width);
      const auto end = begin + static_cast<std::ptrdiff_t>(copied);
      table.pt[j].insert(table.pt[j].end(), pool.data.pt[j].begin() + begin,
                         pool.data.pt[j].begin() + end);
      table.eta[j].insert(table.eta[j].end(), pool.data.eta[j].begin() + begin,
                          pool.data.eta[j].begin() + end);
      table.phi[j].insert(table.phi[j].end(), pool.data.phi[j].begin() + begin,
                          pool.data.phi[j].begin() + end);
      table.pt[j].resize(table.pt[j].size() + out_width - copied, 0.0F);
      table.eta[j].resize(table.eta[j].size() + out_width - copied, 0.0F);
      table.phi[j].resize(table.phi[j].size() + out_width - copied, 0.0F);
    }
    table.mjj.push_back(pool.data.mjj[r]);
    table.label.push_back(label);
    table.is_signal.push_back(truth);
  }
}

/// Network inputs [n, 2 P² + F] of a table: images, then (optionally) m/1 TeV and λ¹_0.5 per jet.
std::vector<float> network_inputs(const data::DijetConstituentTable& table,
                                  const HiddenValleySettings& s) {
  features::DijetConstituentArrays arrays;
  arrays.max_constituents = table.max_constituents;
  for (int j = 0; j < 2; ++j) {
    arrays.pt[j] = table.pt[j].data();
    arrays.eta[j] = table.eta[j].data();
    arrays.phi[j] = table.phi[j].data();
  }
  std::vector<std::size_t> all(table.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<float> images;
  features::make_dijet_images(arrays, all, s.image, s.normalisation, s.threads, images);
  if (!s.extra_features) return images;
  const std::size_t image_size = 2 * static_cast<std::size_t>(s.image.pixels) * s.image.pixels;
  const std::size_t row = image_size + 4;
  std::vector<float> out(table.size() * row);
  for (std::size_t i = 0; i < table.size(); ++i) {
    std::copy(images.begin() + static_cast<std::ptrdiff_t>(i * image_size),
              images.begin() + static_cast<std::ptrdiff_t>((i + 1) * image_size),
              out.begin() + static_cast<std::ptrdiff_t>(i * row));
    for (int j = 0; j < 2; ++j) {
      const auto view = arrays.view(i, j);
      out[i * row + image_size + 2 * j] = static_cast<float>(features::jet_mass(view) / kMassUnit);
      out[i * row + image_size + 2 * j + 1] =
          static_cast<float>(features::jet_angularity(view, kJetRadius));
    }
  }
  return out;
}

/// Mean image (2 P² values) over the rows with `select(row)` true; NaN if none.
template <typename Select>
std::vector<double> mean_image(const std::vector<float>& inputs, std::size_t row_length,
                               std::size_t image_size, std::size_t rows, Select select) {
  std::vector<double> mean(image_size, 0.0);
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    if (!select(r)) continue;
    ++n;
    for (std::size_t k = 0; k < image_size; ++k) mean[k] += inputs[r * row_length + k];
  }
  for (auto& v : mean)
    v = n > 0 ? v / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
  return mean;
}

class HiddenValleyStudy : public ClassifierStudyBase {
 public:
  explicit HiddenValleyStudy(std::vector<HiddenValleySettings> points)
      : ClassifierStudyBase(classifier_settings_of(points),
                            {"significance", "injected_s_over_sqrt_b", "n_signal_sr",
                             "n_background_sr", "n_signal_sb", "n_background_sb", "n_train",
                             "n_validation", "image_pixels", "luminosity_fb", "augmentation_copies",
                             "signal_sr_efficiency", "background_sr_efficiency"}),
        points_(std::move(points)) {
    std::size_t largest = 0;
    for (const auto& p : points_) {
      largest = std::max(largest, 2 * static_cast<std::size_t>(p.image.pixels) * p.image.pixels);
      store_images_ = store_images_ || p.store_average_images;
    }
    if (store_images_) {
      for (const char* name :
           {"mean_image_sr", "mean_image_sb", "mean_image_signal", "mean_image_background"}) {
        arrays_.push_back({name, largest});
      }
    }
  }

  std::vector<TaskArray> task_arrays() const override { return arrays_; }

  /// Scores of the job-wide test set (test_events per class); no k-fold here.
  std::size_t kept_score_width() const override {
    std::size_t width = 0;
    for (const auto& p : points_) {
      if (p.classifier.folds > 1) {
        throw core::InputError("training.folds = " + std::to_string(p.classifier.folds) +
                               ": the hidden_valley study does not support k-fold training; use "
                               "training.folds = 1");
      }
      if (p.classifier.keep_scores) width = std::max(width, 2 * p.test_events);
    }
    return width;
  }

  TaskOutput run_task(const TaskContext& context) override {
    if (points_.at(context.point).labels == TrainingLabels::kMeta) return run_meta_task(context);
    const auto task = prepare(context);
    const HiddenValleySettings& s = *task.settings;
    const auto train = batch(task, task.train_x, task.train_label);
    const torch::Device device(context.device);
    const auto [network, classifier, continued, test_x, untrained] =
        start_network(task, train, context, device);
    const auto trainer = trainer_config(s.classifier);
    const TaskCheckpoints checkpoints(*network, context, trainer.max_epochs);
    const auto outcome = training::train_classifier(
        classifier, train, batch(task, task.validation_x, task.validation_label), trainer,
        context.seed(core::SeedPurpose::kShuffle), device,
        [&context](const training::EpochRecord&) { return context.keep_going(); },
        continued.empty() ? nullptr : &continued, checkpoints.hooks());
    if (!finished(outcome)) return finish(task, outcome, nullptr, nullptr, nullptr);
    const auto scores = training::predict_averaged_scores(classifier, outcome, test_x,
                                                          s.classifier.eval_batch_size, device);
    const auto validation_scores = score_validation(classifier, outcome, task, device);
    auto output = finish(task, outcome, &scores, &validation_scores, &untrained);
    if (output.status == TaskOutput::Status::kDone) {
      output.model = kept_model(*network, context, outcome);
    }
    return output;
  }

  /// Tasks of points with the same CNN, training settings and sample sizes train as one
  /// stacked CNN (grouped convolutions, models::EnsembleCnnJetNetwork); each keeps the data,
  /// initial weights (its input model's, when it reads one) and epoch order run_task would
  /// give it, and its kept model is its member's. Tasks that store or continue an optimizer
  /// state, or checkpoint every epoch, train one by one (must_train_alone).
  std::vector<TaskOutput> run_tasks(const std::vector<TaskContext>& contexts) override {
    // Scale-and-shift networks do not stack (EnsembleCnnJetNetwork refuses them): one by one.
    if (must_train_alone(contexts) ||
        std::any_of(contexts.begin(), contexts.end(),
                    [this](const TaskContext& c) { return points_.at(c.point).cnn.scale_shift; })) {
      return Study::run_tasks(contexts);
    }
    return run_in_groups(
        contexts,
        [this](const TaskContext& context) { return group_key(points_.at(context.point)); },
        [this](const std::vector<TaskContext>& group) { return run_stacked(group); });
  }

  /// Grouped convolutions gain nothing on a CPU (bench/cnn_bench.py, 2-core VM: K = 2 1.00×,
  /// K = 4 0.68× the throughput of K = 1); on a GPU they fill the device.
  std::size_t useful_cpu_ensemble() const override { return 1; }

  std::size_t task_device_bytes() const override {
    std::size_t most = 0;
    for (const auto& s : points_) most = std::max(most, stacked_task_bytes(s));
    return most;
  }

  /// The point's CNN (its parameters and buffers), known from the settings before any data:
  /// so hidden-valley stages can store models and read them (docs/stages.md).
  core::ModelLayout model_layout(std::size_t point) const override {
    const auto& cnn = points_.at(point).cnn;
    return models::layout_of(*models::CnnJetNetwork(cnn), cnn_description(cnn));
  }

  /// cnn.fine_tune = scale_shift reads a model without Φ (a pretraining), unless the stage it
  /// reads trained Φ itself.
  core::ModelLayout input_layout(std::size_t point) const override {
    const auto& p = points_.at(point);
    if (p.fine_tune != FineTune::kScaleShift || p.reads_scale_shift) return model_layout(point);
    auto plain = p.cnn;
    plain.scale_shift = false;
    return models::layout_of(*models::CnnJetNetwork(plain), cnn_description(plain));
  }

  core::ModelLayout optimizer_layout(std::size_t point) const override {
    return training::optimizer_layout(*models::CnnJetNetwork(points_.at(point).cnn));
  }

  /// Long CNN trainings can checkpoint every epoch ([run] checkpoint = epoch).
  core::CheckpointLayout checkpoint_layout(std::size_t point) const override {
    const auto& p = points_.at(point);
    return training::checkpoint_layout(*models::CnnJetNetwork(p.cnn), p.classifier.max_epochs);
  }

 private:
  /// One task's network inputs and labels, made before any network exists.
  struct PreparedTask {
    const HiddenValleySettings* settings = nullptr;
    std::int64_t row_length = 0;
    std::vector<float> train_x, validation_x, test_x;  // rows of 2 P² + F values
    std::vector<std::uint8_t> train_label, validation_label, test_truth;
    /// labels = meta: the rows (pool indices) the meta-tasks draw from, outside the test set
    /// and the evaluation sample: background SR and SB, and each benchmark's SR.
    std::vector<std::size_t> meta_background_sr, meta_background_sb;
    std::vector<std::vector<std::size_t>> meta_signal_sr;
  };

  /// Draws the task's mixed sample, splits it, augments the training part and makes the
  /// network inputs of the training, validation and (job-wide) test events.
  PreparedTask prepare(const TaskContext& context) const {
    const HiddenValleySettings& s = points_.at(context.point);
    const auto& bg = *s.background;
    const auto& sig = *s.signals.front();  // the one signal of a CWoLa mixture
    const auto& counts = s.counts;
    // Several signal files (supervised pretraining): each gives its share of the events.
    const std::size_t files = s.signals.size();
    const auto test_shares = data::share_counts(s.test_events, s.signal_shares);
    const auto supervised_shares = data::share_counts(s.supervised_events, s.signal_shares);

    // The job-wide test set: the first test_events of a fixed permutation of each SR pool;
    // the rest of the pool is what the tasks' mixed samples are drawn from.
    core::RandomStream test_stream(
        core::stream_seed(context.master_seed, kSharedTestTask, core::SeedPurpose::kTestSample));
    auto bg_sr = permuted(s.background_regions.sr, test_stream);
    std::vector<std::vector<std::size_t>> sig_srs;
    for (std::size_t i = 0; i < files; ++i) {
      sig_srs.push_back(permuted(s.signal_regions[i].sr, test_stream));
    }
    auto& sig_sr = sig_srs.front();

    core::RandomStream mixing(context.seed(core::SeedPurpose::kMixing));
    shuffle_tail(bg_sr, s.test_events, mixing);
    for (std::size_t i = 0; i < files; ++i) shuffle_tail(sig_srs[i], test_shares[i], mixing);
    const auto bg_sb = permuted(s.background_regions.sb, mixing);
    const auto sig_sb = permuted(s.signal_regions.front().sb, mixing);

    std::size_t width = bg.data.max_constituents;
    for (const auto& pool : s.signals) width = std::max(width, pool->data.max_constituents);
    data::DijetConstituentTable mixed;
    mixed.max_constituents = width;
    struct {
      std::vector<std::size_t> background_sr, background_sb;
      std::vector<std::vector<std::size_t>> signal_sr;
    } meta_rows;
    if (truth_labelled(s.labels)) {
      // Pure signal (label 1) against background (label 0), both from the signal region
      // outside the test set: the truth-labelled pretraining sample.
      append_rows(bg, bg_sr, s.test_events, s.supervised_events, 0, 0, mixed);
      for (std::size_t i = 0; i < files; ++i) {
        append_rows(*s.signals[i], sig_srs[i], test_shares[i], supervised_shares[i], 1, 1, mixed);
      }
      if (s.labels == TrainingLabels::kMeta) {
        const auto rest = [](const std::vector<std::size_t>& rows, std::size_t used) {
          return std::vector<std::size_t>(rows.begin() + static_cast<std::ptrdiff_t>(used),
                                          rows.end());
        };
        meta_rows.background_sr = rest(bg_sr, s.test_events + s.supervised_events);
        meta_rows.background_sb = bg_sb;
        for (std::size_t i = 0; i < files; ++i) {
          meta_rows.signal_sr.push_back(rest(sig_srs[i], test_shares[i] + supervised_shares[i]));
        }
      }
    } else {
      append_rows(bg, bg_sr, s.test_events, counts.background_sr, 1, 0, mixed);
      append_rows(sig, sig_sr, s.test_events, counts.signal_sr, 1, 1, mixed);
      append_rows(bg, bg_sb, 0, counts.background_sb, 0, 0, mixed);
      append_rows(sig, sig_sb, 0, counts.signal_sb, 0, 1, mixed);
    }

    // Split first; augment only the training part.
    core::RandomStream split_stream(context.seed(core::SeedPurpose::kSplit));
    auto [train_rows, validation_rows] =
        data::split_rows(mixed.size(), s.classifier.validation_fraction, split_stream);
    std::sort(validation_rows.begin(), validation_rows.end());
    std::sort(train_rows.begin(), train_rows.end());
    core::RandomStream augmentation_stream(context.seed(core::SeedPurpose::kAugmentation));
    const auto train =
        data::augment_training_split(mixed.subset(train_rows), s.augmentation, augmentation_stream);
    const auto validation = mixed.subset(validation_rows);

    data::DijetConstituentTable test;
    test.max_constituents = width;
    append_rows(bg, bg_sr, 0, s.test_events, 0, 0, test);
    for (std::size_t i = 0; i < files; ++i) {
      append_rows(*s.signals[i], sig_srs[i], 0, test_shares[i], 1, 1, test);
    }

    PreparedTask task;
    task.settings = &s;
    task.row_length = static_cast<std::int64_t>(s.cnn.input_size());
    task.train_x = network_inputs(train, s);
    task.validation_x = network_inputs(validation, s);
    task.test_x = network_inputs(test, s);
    task.train_label = train.label;
    task.validation_label = validation.label;
    task.test_truth = test.is_signal;
    task.meta_background_sr = std::move(meta_rows.background_sr);
    task.meta_background_sb = std::move(meta_rows.background_sb);
    task.meta_signal_sr = std::move(meta_rows.signal_sr);
    return task;
  }

  static bool finished(const training::TrainOutcome& outcome) {
    return outcome.status != training::TrainStatus::kAbandoned &&
           outcome.status != training::TrainStatus::kDiverged && outcome.best_epoch >= 0;
  }

  /// The trained network's scores on the task's validation events (for the accuracy
  /// threshold), averaged over its best epochs like the test scores.
  static std::vector<float> score_validation(const training::Classifier& classifier,
                                             const training::TrainOutcome& outcome,
                                             const PreparedTask& task,
                                             const torch::Device& device) {
    return training::predict_averaged_scores(
        classifier, outcome, training::to_tensor(task.validation_x, task.row_length),
        task.settings->classifier.eval_batch_size, device);
  }

  /// Each stacked member's scores on its own validation events.
  static std::vector<std::vector<float>> score_validation_stacked(
      const training::StackedClassifier& model, const std::vector<training::TrainOutcome>& outcomes,
      const std::vector<PreparedTask>& tasks, const torch::Device& device) {
    std::vector<torch::Tensor> validations;
    for (const auto& task : tasks) {
      validations.push_back(training::to_tensor(task.validation_x, task.row_length));
    }
    return training::predict_ensemble_averaged_scores(
        model, outcomes, validations, tasks.front().settings->classifier.eval_batch_size, device);
  }

  /// The task's output from its training outcome and, when it finished, its test and
  /// validation scores.
  TaskOutput finish(const PreparedTask& task, const training::TrainOutcome& outcome,
                    const std::vector<float>* scores, const std::vector<float>* validation_scores,
                    const std::vector<float>* untrained) const {
    const HiddenValleySettings& s = *task.settings;
    const auto& counts = s.counts;
    TaskOutput output = output_with_curves(outcome);
    if (outcome.status == training::TrainStatus::kAbandoned) {
      output.status = TaskOutput::Status::kAbandoned;
      return output;
    }
    if (!finished(outcome)) {
      output.status = TaskOutput::Status::kFailed;
      output.failure_reason =
          outcome.failure_reason.empty() ? "no finite validation loss" : outcome.failure_reason;
      output.results.assign(result_columns().size(), std::numeric_limits<double>::quiet_NaN());
      return output;
    }
    auto evaluation = evaluation_settings(s.classifier);
    evaluation.roc_grid = roc_grid();  // the study's grid, as stored
    const auto m = metrics::evaluate_classifier(
        {*scores, task.test_truth}, {*validation_scores, task.validation_label}, evaluation,
        static_cast<double>(counts.signal_sr), static_cast<double>(counts.background_sr));
    const auto& best = outcome.history.at(static_cast<std::size_t>(outcome.best_epoch));
    output.results = classifier_results(m, best.train_accuracy, best.val_accuracy,
                                        outcome.best_epoch, outcome.history.size());
    append_untrained(s.classifier, untrained, task.test_truth, output);
    for (double extra :
         {s.significance, counts.injected_s_over_sqrt_b(), static_cast<double>(counts.signal_sr),
          static_cast<double>(counts.background_sr), static_cast<double>(counts.signal_sb),
          static_cast<double>(counts.background_sb), static_cast<double>(task.train_label.size()),
          static_cast<double>(task.validation_label.size()), static_cast<double>(s.image.pixels),
          s.luminosity_fb * s.luminosity_scale,
          s.augmentation.mode == data::ConstituentAugmentationMode::kNone
              ? 0.0
              : static_cast<double>(s.augmentation.copies),
          s.signal_sr_efficiency, s.background_sr_efficiency}) {
      output.results.push_back(extra);
    }
    output.roc = m.roc_on_grid;
    if (s.classifier.keep_scores) {
      output.scores = *scores;
      output.score_labels = task.test_truth;
      output.scored_events_id = events_fingerprint(task.test_x, task.test_truth);
    }
    if (store_images_ && s.store_average_images) {
      const std::size_t image_size = 2 * static_cast<std::size_t>(s.image.pixels) * s.image.pixels;
      const auto length = static_cast<std::size_t>(task.row_length);
      const auto& train_x = task.train_x;
      const auto& test_x = task.test_x;
      const auto n_train = task.train_label.size();
      const auto n_test = task.test_truth.size();
      output.arrays.push_back(mean_image(train_x, length, image_size, n_train,
                                         [&](std::size_t r) { return task.train_label[r] == 1; }));
      output.arrays.push_back(mean_image(train_x, length, image_size, n_train,
                                         [&](std::size_t r) { return task.train_label[r] == 0; }));
      output.arrays.push_back(mean_image(test_x, length, image_size, n_test,
                                         [&](std::size_t r) { return task.test_truth[r] == 1; }));
      output.arrays.push_back(mean_image(test_x, length, image_size, n_test,
                                         [&](std::size_t r) { return task.test_truth[r] == 0; }));
    }
    return output;
  }

  /// hidden_valley.labels = meta (meta-transfer learning, report §III.D): reads the pretrained
  /// network as cnn.fine_tune = scale_shift does (frozen image network, Φ at 1 and 0, a fresh
  /// head), meta-trains Φ and the head on weak-label tasks of the benchmarks
  /// (training::meta_train), then evaluates the meta-trained network as a supervised
  /// pretraining is evaluated: on the job-wide test set of the benchmarks in their shares, with
  /// the validation part of the truth-labelled sample choosing the accuracy threshold.
  TaskOutput run_meta_task(const TaskContext& context) {
    const auto task = prepare(context);
    const HiddenValleySettings& s = *task.settings;
    const auto train = batch(task, task.train_x, task.train_label);
    const torch::Device device(context.device);
    const auto [network, classifier, continued, test_x, untrained] =
        start_network(task, train, context, device);
    (void)continued;  // meta-training starts no optimizer state of its own
    const std::uint64_t tasks_seed = context.seed(core::SeedPurpose::kMetaTask);
    const auto draw = [this, &task, tasks_seed](std::uint64_t index, std::size_t source) {
      return draw_meta_task(task, source,
                            core::stream_seed(tasks_seed, index, core::SeedPurpose::kMetaTask));
    };
    // The inner loop adapts the dense part (head, extra branch); Φ change in the outer step.
    const auto adapts = [](const std::string& name) {
      return !models::CnnJetNetworkImpl::is_image_tensor(name) &&
             !models::CnnJetNetworkImpl::is_scale_shift_tensor(name);
    };
    const auto meta = training::meta_train(
        classifier, adapts, s.signals.size(), draw, s.meta.trainer,
        context.seed(core::SeedPurpose::kMetaInner), device,
        [&context](const training::EpochRecord&) { return context.keep_going(); });
    // A meta-batch is the curves' "epoch"; the model holds the last one's weights.
    training::TrainOutcome outcome;
    for (const auto& record : meta.history) outcome.history.push_back(record.record);
    outcome.status = meta.status;
    outcome.failure_reason = meta.failure_reason;
    if (meta.status == training::TrainStatus::kCompleted) {
      outcome.best_epoch = static_cast<int>(outcome.history.size()) - 1;
    }
    if (!finished(outcome)) return finish(task, outcome, nullptr, nullptr, nullptr);
    const auto scores =
        training::predict_scores(classifier, test_x, s.classifier.eval_batch_size, device);
    const auto validation_scores = training::predict_scores(
        classifier, training::to_tensor(task.validation_x, task.row_length),
        s.classifier.eval_batch_size, device);
    auto output = finish(task, outcome, &scores, &validation_scores, &untrained);
    if (output.status == TaskOutput::Status::kDone) {
      output.model = kept_model(*network, context, outcome);
    }
    return output;
  }

  /// One meta-task of benchmark `source`, a pure function of `seed`: N_S / N_B drawn uniformly
  /// in [min_signal_ratio, max_signal_ratio]; a weak-label sample of task_events background
  /// and N_S signal SR events (label 1) against task_events background SB events (label 0);
  /// a truth-labelled test set of test_events signal and test_events background SR events,
  /// disjoint from the training events.
  training::MetaTask draw_meta_task(const PreparedTask& task, std::size_t source,
                                    std::uint64_t seed) const {
    const HiddenValleySettings& s = *task.settings;
    const auto& m = s.meta;
    core::RandomStream stream(seed);
    const double ratio =
        m.min_signal_ratio + (m.max_signal_ratio - m.min_signal_ratio) * stream.uniform();
    const auto n_signal =
        static_cast<std::size_t>(std::llround(ratio * static_cast<double>(m.task_events)));
    const auto pick = [&stream](const std::vector<std::size_t>& rows) {
      return permuted(rows, stream);
    };
    const auto background_sr = pick(task.meta_background_sr);
    const auto signal_sr = pick(task.meta_signal_sr.at(source));
    const auto background_sb = pick(task.meta_background_sb);
    const auto& bg = *s.background;
    const auto& sig = *s.signals.at(source);
    const std::size_t width = std::max(bg.data.max_constituents, sig.data.max_constituents);
    data::DijetConstituentTable train;
    train.max_constituents = width;
    append_rows(bg, background_sr, 0, m.task_events, 1, 0, train);
    append_rows(sig, signal_sr, 0, n_signal, 1, 1, train);
    append_rows(bg, background_sb, 0, m.task_events, 0, 0, train);
    data::DijetConstituentTable test;
    test.max_constituents = width;
    append_rows(bg, background_sr, m.task_events, m.test_events, 0, 0, test);
    append_rows(sig, signal_sr, n_signal, m.test_events, 1, 1, test);
    const auto labels = [](const std::vector<std::uint8_t>& values) {
      return torch::tensor(std::vector<float>(values.begin(), values.end()), torch::kFloat32);
    };
    training::MetaTask out;
    out.train = {training::to_tensor(network_inputs(train, s), task.row_length),
                 labels(train.label), torch::Tensor()};
    out.test = {training::to_tensor(network_inputs(test, s), task.row_length),
                labels(test.is_signal), torch::Tensor()};
    return out;
  }

  /// One group of tasks (equal group_key) trained as one stacked CNN.
  std::vector<TaskOutput> run_stacked(const std::vector<TaskContext>& group) const {
    const TaskContext& first = group.front();
    const HiddenValleySettings& s = points_.at(first.point);
    std::vector<PreparedTask> tasks;
    std::vector<models::CnnJetNetwork> networks;
    std::vector<training::EnsembleMember> members;
    std::vector<torch::Tensor> tests;
    for (const auto& context : group) {
      tasks.push_back(prepare(context));
      const auto& task = tasks.back();
      auto train = batch(task, task.train_x, task.train_label);
      training::seed_weight_init(context.seed(core::SeedPurpose::kWeightInit));
      networks.emplace_back(s.cnn);
      if (s.classifier.prior_output_bias) networks.back()->set_prior(prior_of(train));
      load_input(*networks.back(), context);  // as run_task (no optimizer state here)
      members.push_back({std::move(train), batch(task, task.validation_x, task.validation_label),
                         context.seed(core::SeedPurpose::kShuffle)});
      tests.push_back(training::to_tensor(task.test_x, task.row_length));
    }
    const torch::Device device(first.device);
    core::log_debug("stacked training of " + std::to_string(group.size()) + " task(s)");
    models::EnsembleCnnJetNetwork ensemble(networks,
                                           models::parse_compute_precision(first.precision));
    const auto model = training::as_stacked_classifier(ensemble);
    std::vector<std::vector<float>> untrained;
    if (s.classifier.untrained_baseline) {
      untrained =
          training::predict_ensemble_scores(model, tests, s.classifier.eval_batch_size, device);
    }
    const auto outcomes = training::train_ensemble(model, members, trainer_config(s.classifier),
                                                   device, [&first] { return first.keep_going(); });
    members.clear();  // the training data are no longer needed
    std::vector<std::vector<float>> scores;
    std::vector<std::vector<float>> validation_scores;
    if (std::any_of(outcomes.begin(), outcomes.end(), finished)) {
      scores = training::predict_ensemble_averaged_scores(model, outcomes, tests,
                                                          s.classifier.eval_batch_size, device);
      validation_scores = score_validation_stacked(model, outcomes, tasks, device);
    }
    std::vector<TaskOutput> outputs;
    for (std::size_t k = 0; k < group.size(); ++k) {
      outputs.push_back(finish(tasks[k], outcomes[k], scores.empty() ? nullptr : &scores[k],
                               scores.empty() ? nullptr : &validation_scores[k],
                               untrained.empty() ? nullptr : &untrained[k]));
      if (outputs.back().status == TaskOutput::Status::kDone) {
        outputs.back().model =
            kept_model(*ensemble->member(static_cast<std::int64_t>(k)), group[k], outcomes[k]);
      }
    }
    return outputs;
  }

  /// A task's network before training, as run_task and run_meta_task start it: seeded weights,
  /// the prior output bias, the model it reads (with its optimizer state, if any), and the
  /// untrained network's test scores (the null) when asked for.
  struct StartedNetwork {
    models::CnnJetNetwork network;
    training::Classifier classifier;
    training::OptimizerState continued;
    torch::Tensor test_x;
    std::vector<float> untrained;
  };
  StartedNetwork start_network(const PreparedTask& task, const training::Batch& train,
                               const TaskContext& context, const torch::Device& device) const {
    const HiddenValleySettings& s = *task.settings;
    training::seed_weight_init(context.seed(core::SeedPurpose::kWeightInit));
    models::CnnJetNetwork network(s.cnn);
    if (s.classifier.prior_output_bias) network->set_prior(prior_of(train));
    auto continued = load_input(*network, context);
    auto classifier = training::as_classifier(network);
    auto test_x = training::to_tensor(task.test_x, task.row_length);
    std::vector<float> untrained;
    if (s.classifier.untrained_baseline) {
      untrained =
          training::predict_scores(classifier, test_x, s.classifier.eval_batch_size, device);
    }
    return {network, classifier, std::move(continued), test_x, std::move(untrained)};
  }

  /// Starts a task's network from the model it reads: all of it (cnn.fine_tune = all), or
  /// only the image network, which is then frozen, while the dense head (and the
  /// extra-feature branch) keep their fresh seeded initialisation (cnn.fine_tune = head), or
  /// as head with the scale-and-shift weights Φ trainable (cnn.fine_tune = scale_shift; with
  /// cnn.scale_shift_head = read the head too comes from the model read).
  /// Returns the optimizer state to continue (empty: a fresh Adam).
  training::OptimizerState load_input(models::CnnJetNetworkImpl& network,
                                      const TaskContext& context) const {
    if (points_.at(context.point).fine_tune == FineTune::kAll) {
      return import_input_model(network, context);
    }
    const auto& s = points_.at(context.point);
    if (s.fine_tune == FineTune::kHead) {
      import_input_tensors(network, context, models::CnnJetNetworkImpl::is_image_tensor,
                           "cnn.fine_tune = head");
    } else {
      // Φ of the model read, when it has them (reads_scale_shift); else they start at 1 and 0.
      auto stored = models::layout_of(network, "");
      if (!s.reads_scale_shift) {
        auto& tensors = stored.tensors;
        tensors.erase(
            std::remove_if(tensors.begin(), tensors.end(),
                           [](const core::TensorSpec& t) {
                             return models::CnnJetNetworkImpl::is_scale_shift_tensor(t.name);
                           }),
            tensors.end());
      }
      const bool with_phi = s.reads_scale_shift;
      const bool with_head = s.reads_head;
      import_input_tensors(
          network, context, stored,
          [with_phi, with_head](const std::string& name) {
            const bool phi = models::CnnJetNetworkImpl::is_scale_shift_tensor(name);
            if (models::CnnJetNetworkImpl::is_image_tensor(name)) return true;
            return phi ? with_phi : with_head;
          },
          "cnn.fine_tune = scale_shift");
    }
    network.freeze_images();
    return {};
  }

  static std::size_t mixed_events(const HiddenValleySettings& s) {
    if (truth_labelled(s.labels)) return 2 * s.supervised_events;
    return s.counts.background_sr + s.counts.signal_sr + s.counts.background_sb +
           s.counts.signal_sb;
  }

  static std::size_t validation_events(const HiddenValleySettings& s) {
    return static_cast<std::size_t>(
        std::llround(s.classifier.validation_fraction * static_cast<double>(mixed_events(s))));
  }

  /// Points with equal keys give tasks of one network and training (the stacking key: every
  /// setting outside the per-task data sections) and equal sample sizes (the network's input
  /// size follows the image settings, so it is part of the shape).
  static std::string group_key(const HiddenValleySettings& s) {
    std::string key = stacking_key(s.classifier);
    for (std::size_t v :
         {static_cast<std::size_t>(s.cnn.pixels), static_cast<std::size_t>(s.cnn.extra_features),
          s.counts.background_sr, s.counts.signal_sr, s.counts.background_sb, s.counts.signal_sb,
          s.test_events, static_cast<std::size_t>(s.augmentation.mode),
          static_cast<std::size_t>(s.augmentation.copies), static_cast<std::size_t>(s.labels),
          s.supervised_events, static_cast<std::size_t>(s.fine_tune)}) {
      key += ";" + std::to_string(v);
    }
    return key;
  }

  /// Device memory of one stacked task: its inputs, the CNN's parameters (with gradients,
  /// Adam moments and best copy) and the activations of a training minibatch.
  static std::size_t stacked_task_bytes(const HiddenValleySettings& s) {
    const auto validation = static_cast<std::int64_t>(validation_events(s));
    auto train = static_cast<std::int64_t>(mixed_events(s)) - validation;
    if (s.augmentation.mode != data::ConstituentAugmentationMode::kNone) {
      train *= 1 + s.augmentation.copies;
    }
    std::int64_t parameters = 0;
    std::int64_t activations = 0;
    std::int64_t channels = models::scores_each_jet(s.cnn.architecture) ? 1 : 2;
    std::int64_t size = s.cnn.pixels;
    for (std::size_t i = 0; i < s.cnn.filters.size(); ++i) {
      parameters += (channels * s.cnn.kernels[i] * s.cnn.kernels[i] + 1) * s.cnn.filters[i];
      activations += 2 * s.cnn.filters[i] * size * size;  // convolution and ReLU outputs
      if (s.cnn.pool[i] != 0) size /= 2;
      channels = s.cnn.filters[i];
    }
    std::int64_t width = channels * size * size + s.cnn.head_extra_inputs();
    for (int hidden : s.cnn.dense) {
      parameters += (width + 1) * hidden;
      activations += hidden;
      width = hidden;
    }
    parameters += width + 1;
    if (models::scores_each_jet(s.cnn.architecture)) activations *= 2;
    return static_cast<std::size_t>(training::member_footprint_bytes(
        train, validation, 2 * static_cast<std::int64_t>(s.test_events), s.cnn.input_size(),
        parameters, activations, s.classifier.batch_size,
        std::min(s.classifier.eval_batch_size, s.classifier.batch_size * 8)));
  }

  static std::vector<std::size_t> permuted(const std::vector<std::size_t>& rows,
                                           core::RandomStream& stream) {
    const auto order = stream.permutation(rows.size());
    std::vector<std::size_t> out(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) out[i] = rows[order[i]];
    return out;
  }

  /// Shuffles rows[first, end) in place (the part of a pool not in the test set).
  static void shuffle_tail(std::vector<std::size_t>& rows, std::size_t first,
                           core::RandomStream& stream) {
    const std::vector<std::size_t> tail(rows.begin() + static_cast<std::ptrdiff_t>(first),
                                        rows.end());
    const auto shuffled = permuted(tail, stream);
    std::copy(shuffled.begin(), shuffled.end(), rows.begin() + static_cast<std::ptrdiff_t>(first));
  }

  /// The training batch's (weighted) share of label 1, for model.output_bias = prior.
  static double prior_of(const training::Batch& train) {
    return 1.0 / (1.0 + std::exp(-prior_log_odds(train)));
  }

  static training::Batch batch(const PreparedTask& task, const std::vector<float>& x,
                               const std::vector<std::uint8_t>& labels) {
    return labelled_batch(x, static_cast<std::size_t>(task.row_length), labels,
                          task.settings->classifier.balance);
  }

  std::vector<HiddenValleySettings> points_;
  std::vector<TaskArray> arrays_;
  bool store_images_ = false;
};

}  // namespace

std::unique_ptr<Study> make_hidden_valley_study(std::vector<core::JobConfig>& point_configs) {
  std::vector<HiddenValleySettings> points;
  for (auto& config : point_configs) points.push_back(read_settings(config));
  return std::make_unique<HiddenValleyStudy>(std::move(points));
}

}  // namespace cwola::studies
