/// Study "dihiggs_attention" — the note's §1, Figs. 1 and 2: CWoLa on di-Higgs → 4b with the
/// attention network (models/attention_network.hpp, docs/attention.md) reading the jets
/// themselves, beside the dense network on 16 features of dihiggs_fraction. The mixtures are
/// dihiggs_fraction's: the same four-tag events with Higgs candidates, M1 (label 1) with
/// signal fraction f1 and M2 (label 0) with f2; the test set is truth-labelled signal and
/// background.
///
/// [attention] pairing_targets (required): `truth` gives every signal event of both mixtures
/// its generator pairing (background has none). That is what the note's SPANet scan did, and
/// it leaks the signal label: the pairing term is active only on signal events, so the
/// network learns what signal looks like even at f1 = f2 = 0.5 (Fig. 1). `none` gives no event
/// a target: only the mixture labels teach (Fig. 2's λ_a = 0 reaches the same by dropping the
/// term). No default, because the two answer different questions.
/// detection_loss_scale (λ_d, 0; > 0 needs truth: its targets are made from the pairing
/// targets, so they leak the signal label even more directly, background having no Higgs to
/// detect), assignment_loss_scale (λ_a, 1), classification_loss_scale (λ_c, 1), max_jets (10),
/// hidden (64), heads (4), embedding_blocks (2), encoder_layers (4), branch_layers (2),
/// dropout (0), partial_events (true; false trains only on events whose every particle has a
/// complete target, SPANet's default: with truth targets that is signal alone).
/// [training] max_epochs, batch_size, learning_rate, weight_decay, gradient_clip, patience,
/// validation_fraction (the one split of the mixtures); [metrics] as every classifier study.
/// [dihiggs] f1, f2, ... as dihiggs_fraction (DihiggsMixtures), plus the physics sections.
///
/// Users' files instead of generated events: [attention] mixture_files = M1.h5, M2.h5 (label 1,
/// label 0), test_files (each event's truth from its first CLASSIFICATIONS/EVENT dataset) and
/// spec (the SPANet event spec that names their jets and targets). A mixture file is data:
/// there `pairing_targets = truth` is refused unless force_truth_targets = true, because real
/// data has no generator pairing, and targets made from simulation exist only for signal.
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "data/mixed_sample.hpp"
#include "metrics/roc.hpp"
#include "store/spanet_dataset.hpp"
#include "store/spanet_spec.hpp"
#include "studies/attention_assignment.hpp"
#include "studies/classifier_study.hpp"
#include "studies/classifier_task.hpp"
#include "studies/dihiggs_common.hpp"
#include "studies/dihiggs_studies.hpp"
#include "training/attention_trainer.hpp"
#include "training/trainer.hpp"

namespace cwola::studies {

namespace {

/// Mixtures and test events read from users' SPANet-layout files (read once, at setup, by
/// every rank).
struct FileEvents {
  store::SpanetEventSpec spec;
  training::AttentionSample mixed;                       ///< both mixture files, labels 1 then 0
  training::AttentionSample test;                        ///< labels = truth
  double f1 = std::numeric_limits<double>::quiet_NaN();  ///< truth fractions, where known
  double f2 = std::numeric_limits<double>::quiet_NaN();
};

struct AttentionSettings {
  DihiggsPhysics physics;
  DihiggsMixtures mixtures;
  std::shared_ptr<const FileEvents> files;  ///< null: generated events
  bool truth_targets = false;
  /// SPANet's partial_events: false trains only on events in which every particle has a
  /// complete target (validation and test keep every event).
  bool partial_events = true;
  std::size_t max_jets = 10;
  models::AttentionNetworkConfig network;
  training::AttentionTrainerConfig trainer;
  ClassifierSettings classifier;  ///< [training] and [metrics]
};

/// Keys of the shared classifier settings that have no meaning for the attention network;
/// refused when set, so a job never believes it changed something it did not.
void refuse_dense_settings(core::JobConfig& config, const ClassifierSettings& classifier) {
  for (const auto& entry : config.section("model")) {
    if (entry.origin == "default") continue;  // recorded by read_classifier_settings
    config.fail("model." + entry.key,
                "the attention network's shape is set in [attention] (hidden, heads, "
                "encoder_layers, ...); [model] is the dense network's; remove it");
  }
  const auto refuse = [&config](const std::string& key, const std::string& why) {
    config.fail(key, "cannot be used with study = dihiggs_attention: " + why);
  };
  if (classifier.folds != 1 || classifier.inner_folds != 1) {
    refuse(classifier.folds != 1 ? "training.folds" : "training.inner_folds",
           "its tasks train on generated mixtures and score a separate test set (no k-fold)");
  }
  if (classifier.balance != Balance::kNone) {
    refuse("training.balance", "both mixtures hold events_per_mixture events (already balanced)");
  }
  if (classifier.average_best_epochs != 1) {
    refuse("training.average_best_epochs", "the attention trainer keeps its best epoch only");
  }
  if (classifier.schedule != "constant") {
    refuse("training.schedule", "the attention trainer runs AdamW at a constant rate");
  }
  if (classifier.min_delta != 0.0) {
    refuse("training.min_delta", "the attention trainer stops on any lower validation loss");
  }
}

/// Every jet slot up to `max_jets` (files may keep fewer), padded as the generator pads.
training::AttentionSample padded(training::AttentionSample s, std::int64_t max_jets) {
  const auto missing = max_jets - s.jets.size(1);
  if (missing > 0) {
    s.jets = torch::constant_pad_nd(s.jets, {0, 0, 0, missing});
    s.mask = torch::constant_pad_nd(s.mask, {0, missing}, 0);
  }
  return s;
}

training::AttentionSample concatenated(const std::vector<training::AttentionSample>& parts) {
  training::AttentionSample out;
  std::vector<torch::Tensor> jets, mask, targets, labels;
  for (const auto& p : parts) {
    jets.push_back(p.jets);
    mask.push_back(p.mask);
    targets.push_back(p.targets);
    labels.push_back(p.labels);
  }
  return {torch::cat(jets), torch::cat(mask), torch::cat(targets), torch::cat(labels)};
}

/// [attention] mixture_files, test_files, spec: the events, or InputError naming the key.
std::shared_ptr<const FileEvents> read_files(core::JobConfig& config, std::size_t max_jets,
                                             bool truth_targets) {
  const auto paths = [&config](const std::string& key) {
    std::vector<std::string> out;
    std::string current;
    for (char c : config.get_string(key, "") + ",") {
      if (c != ',') {
        current += c;
        continue;
      }
      const auto begin = current.find_first_not_of(" \t");
      if (begin != std::string::npos) {
        out.push_back(current.substr(begin, current.find_last_not_of(" \t") - begin + 1));
      }
      current.clear();
    }
    return out;
  };
  const auto mixtures = paths("attention.mixture_files");
  if (mixtures.size() != 2) {
    config.fail("attention.mixture_files", "names " + std::to_string(mixtures.size()) +
                                               " files; give two: M1 (label 1), M2 (label 0)");
  }
  const auto tests = paths("attention.test_files");
  if (tests.empty()) {
    config.fail("attention.test_files",
                "is required with mixture_files: the truth-labelled events to score");
  }
  if (!config.has("attention.spec")) {
    config.fail("attention.spec",
                "is required with mixture_files: the SPANet event spec "
                "(e.g. inputs/dihiggs_spanet.yaml)");
  }
  auto files = std::make_shared<FileEvents>();
  store::SpanetDatasetOptions options;
  options.max_jets = max_jets;
  files->spec = store::read_spanet_spec(config.get_string("attention.spec", ""));
  std::vector<training::AttentionSample> mixed;
  std::vector<double> fractions;
  for (std::size_t m = 0; m < 2; ++m) {
    const auto data = store::read_spanet_dataset(mixtures[m], files->spec, options);
    auto sample = padded(to_attention_sample(data), static_cast<std::int64_t>(max_jets));
    fractions.push_back(data.classifications.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                     : sample.labels.mean().item<double>());
    sample.labels = torch::full({sample.size()}, m == 0 ? 1.0F : 0.0F);
    if (!truth_targets) sample.targets.fill_(-1);
    mixed.push_back(std::move(sample));
  }
  files->f1 = fractions[0];
  files->f2 = fractions[1];
  files->mixed = concatenated(mixed);
  std::vector<training::AttentionSample> test;
  for (const auto& path : tests) {
    const auto data = store::read_spanet_dataset(path, files->spec, options);
    if (data.classifications.empty()) {
      config.fail("attention.test_files",
                  "'" + path +
                      "': the spec names no CLASSIFICATIONS/EVENT dataset, and the "
                      "test events need their truth (1 signal, 0 background); list it in the spec "
                      "(CLASSIFICATIONS: EVENT: [signal] for cwola's di-Higgs files)");
    }
    test.push_back(padded(to_attention_sample(data), static_cast<std::int64_t>(max_jets)));
  }
  files->test = concatenated(test);
  return files;
}

AttentionSettings read_settings(core::JobConfig& config) {
  AttentionSettings s;
  const bool from_files = config.has("attention.mixture_files");
  if (!from_files) {
    s.physics = DihiggsPhysics::read(config);
    s.mixtures = DihiggsMixtures::read(config, s.physics.heavy_mass());
  }
  if (!config.has("attention.pairing_targets")) {
    config.fail("attention.pairing_targets",
                "is required: `truth` trains the pairing head on the generator's pairing of "
                "the signal events (it exists only for signal, so it leaks the signal label: "
                "the note's Fig. 1), `none` gives no event a target (Fig. 2); say which");
  }
  s.truth_targets =
      config.get_choice("attention.pairing_targets", "none", {"truth", "none"}) == "truth";
  s.max_jets = static_cast<std::size_t>(config.get_int("attention.max_jets", 10, 4, 100));
  s.partial_events = config.get_bool("attention.partial_events", true);
  if (!s.partial_events && !s.truth_targets) {
    config.fail("attention.partial_events",
                "= false trains only on events whose every particle has a complete target, "
                "and with pairing_targets = none no event has one; use truth, or true");
  }
  if (from_files) {
    if (s.truth_targets && !config.get_bool("attention.force_truth_targets", false)) {
      config.fail("attention.pairing_targets",
                  "= truth with mixture_files: a mixture file is data, and data has no "
                  "generator pairing; targets a file carries come from simulation truth, which "
                  "exists only for signal events and teaches the network the signal label (the "
                  "note's Fig. 1). Use none, or set attention.force_truth_targets = true for a "
                  "simulation study");
    }
    s.files = read_files(config, s.max_jets, s.truth_targets);
  }
  auto& n = s.network;
  n.hidden = static_cast<int>(config.get_int("attention.hidden", n.hidden, 1, 4096));
  n.heads = static_cast<int>(config.get_int("attention.heads", n.heads, 1, 64));
  n.embedding_blocks =
      static_cast<int>(config.get_int("attention.embedding_blocks", n.embedding_blocks, 0, 64));
  n.encoder_layers =
      static_cast<int>(config.get_int("attention.encoder_layers", n.encoder_layers, 0, 64));
  n.branch_layers =
      static_cast<int>(config.get_int("attention.branch_layers", n.branch_layers, 0, 64));
  n.dropout = config.get_double("attention.dropout", 0.0, 0.0, 0.9);
  try {
    s.network = s.files ? network_config_for(s.files->spec, s.max_jets, n)
                        : dihiggs_network_config(s.max_jets, n);
  } catch (const core::InputError& e) {
    config.fail("attention.hidden", e.what());
  }
  auto& t = s.trainer;
  t.loss_weights.assignment = config.get_double("attention.assignment_loss_scale", 1.0, 0, 1e6);
  t.loss_weights.classification =
      config.get_double("attention.classification_loss_scale", 1.0, 0, 1e6);
  // Detection targets (is each Higgs reconstructable?) are made from the pairing targets, so
  // they pass the same gate: with `truth` they exist only for simulated signal, and then they
  // are nearly the signal label itself (background has no Higgs to detect).
  t.loss_weights.detection = config.get_double("attention.detection_loss_scale", 0.0, 0, 1e6);
  if (t.loss_weights.detection > 0 && !s.truth_targets) {
    config.fail("attention.detection_loss_scale",
                "> 0 needs pairing_targets = truth: the detection targets are made from the "
                "pairing targets (1 where all of a Higgs' b jets are known), and with none "
                "every target is 0, so the term would teach nothing");
  }
  if (t.loss_weights.classification == 0) {
    config.fail("attention.classification_loss_scale",
                "= 0 leaves the class head untrained: the study scores events with it");
  }
  s.classifier = read_classifier_settings(config);
  refuse_dense_settings(config, s.classifier);
  t.epochs = s.classifier.max_epochs;
  t.batch_size = s.classifier.batch_size;
  t.learning_rate = s.classifier.learning_rate;
  t.weight_decay = s.classifier.weight_decay;
  if (s.classifier.gradient_clip > 0) t.gradient_clip = s.classifier.gradient_clip;
  t.patience = s.classifier.patience;
  t.validate();
  return s;
}

/// The mixtures' and the test set's events of one task, as the network's tensors.
struct AttentionTask {
  training::AttentionSample train;
  training::AttentionSample validation;
  training::AttentionSample test;  ///< labels = truth; targets = truth (for the purity)
  std::vector<std::uint8_t> test_truth;
  std::vector<std::uint8_t> validation_labels;
};

std::vector<std::uint8_t> as_bytes(const torch::Tensor& labels) {
  const auto l = labels.to(torch::kUInt8).contiguous();
  return {l.data_ptr<std::uint8_t>(), l.data_ptr<std::uint8_t>() + l.numel()};
}

std::vector<float> as_floats(const torch::Tensor& values) {
  const auto v = values.to(torch::kFloat32).contiguous();
  return {v.data_ptr<float>(), v.data_ptr<float>() + v.numel()};
}

torch::Tensor as_index(const std::vector<std::size_t>& rows) {
  std::vector<std::int64_t> index(rows.begin(), rows.end());
  return torch::tensor(index, torch::kInt64);
}

class DihiggsAttentionStudy : public ClassifierStudyBase {
 public:
  explicit DihiggsAttentionStudy(std::vector<AttentionSettings> points)
      : ClassifierStudyBase(classifier_settings_of(points),
                            {"f1", "f2", "heavy_mass", "assignment_loss_scale",
                             "pairing_targets_truth", "pairing_purity", "pairing_events",
                             "detection_loss_scale", "pairing_confidence_auc", "detection_auc"}),
        points_(std::move(points)) {}

  TaskOutput run_task(const TaskContext& context) override {
    const AttentionSettings& s = points_.at(context.point);
    const auto task = prepare(s, context);
    training::seed_weight_init(context.seed(core::SeedPurpose::kWeightInit));
    models::AttentionNetwork net(s.network);
    std::vector<float> untrained;
    if (s.classifier.untrained_baseline) {
      // The normalisation the training fits first, so the untrained network sees the same
      // inputs as the trained one.
      net->fit_normalization(task.train.jets, task.train.mask);
      untrained = as_floats(score(net, task.test, s).class_probs);
    }
    const auto trained = training::train_attention(
        net, task.train, s.trainer, context.seed(core::SeedPurpose::kShuffle), &task.validation,
        [&context](const training::EpochRecord&) { return context.keep_going(); });
    const auto& outcome = trained.outcome;
    TaskOutput output = output_with_curves(outcome);
    if (outcome.status == training::TrainStatus::kAbandoned) {
      output.status = TaskOutput::Status::kAbandoned;
      return output;
    }
    if (outcome.status == training::TrainStatus::kDiverged || outcome.best_epoch < 0) {
      output.status = TaskOutput::Status::kFailed;
      output.failure_reason =
          outcome.failure_reason.empty() ? "no finite validation loss" : outcome.failure_reason;
      output.results.assign(result_columns().size(), std::numeric_limits<double>::quiet_NaN());
      return output;
    }
    const auto test = score(net, task.test, s);
    const auto scores = as_floats(test.class_probs);
    const auto validation_scores = as_floats(score(net, task.validation, s).class_probs);
    auto evaluation = evaluation_settings(s.classifier);
    evaluation.roc_grid = roc_grid();
    const auto yields = s.mixtures.yields();
    const auto m = metrics::evaluate_classifier({scores, task.test_truth},
                                                {validation_scores, task.validation_labels},
                                                evaluation, yields.signal, yields.background);
    const auto& best = outcome.history.at(static_cast<std::size_t>(outcome.best_epoch));
    output.results = classifier_results(m, best.train_accuracy, best.val_accuracy,
                                        outcome.best_epoch, outcome.history.size());
    append_untrained(s.classifier, &untrained, task.test_truth, output);
    // Pairing purity on the signal test events whose four b jets are all kept (their truth
    // targets are complete), whatever the training's targets were.
    const auto signal = task.test.labels.gt(0.5);
    const auto purity =
        training::event_purity(test.assignments.index({signal}), task.test.targets.index({signal}));
    // Where truth targets leak (docs/attention.md, "The truth leak"): how well the heads that
    // only signal events teach tell signal from background in the test set, whatever the class
    // head makes of it. The pairing head's confidence in its assignment (the product over the
    // particles), and the detection head's product (NaN at lambda_d = 0: an untrained head).
    const double pairing_confidence_auc =
        metrics::auc(as_floats(test.assignment_probs.prod(1)), task.test_truth);
    const double detection_auc =
        s.trainer.loss_weights.detection > 0
            ? metrics::auc(as_floats(test.detection_probs.prod(1)), task.test_truth)
            : std::numeric_limits<double>::quiet_NaN();
    for (double extra :
         {s.files ? s.files->f1 : s.mixtures.f1, s.files ? s.files->f2 : s.mixtures.f2,
          s.files ? std::numeric_limits<double>::quiet_NaN() : s.physics.heavy_mass(),
          s.trainer.loss_weights.assignment, s.truth_targets ? 1.0 : 0.0, purity.first,
          static_cast<double>(purity.second), s.trainer.loss_weights.detection,
          pairing_confidence_auc, detection_auc}) {
      output.results.push_back(extra);
    }
    output.roc = m.roc_on_grid;
    if (s.classifier.keep_scores) {
      output.scores = scores;
      output.score_labels = task.test_truth;
      output.scored_events_id =
          events_fingerprint(as_floats(task.test.jets.flatten()), task.test_truth);
    }
    return output;
  }

  /// Tasks train one by one (Study::run_tasks): stacking attention networks does not pay on a
  /// CPU (bench/attention_stack_bench.py; docs/attention.md, "Repeats, ensembles, stacking"),
  /// so [run] ensemble = auto hands a CPU rank one task at a time.
  std::size_t useful_cpu_ensemble() const override { return 1; }

  std::size_t kept_score_width() const override {
    std::size_t width = 0;
    for (const auto& p : points_) {
      if (!p.classifier.keep_scores) continue;
      width = std::max(width, p.files ? static_cast<std::size_t>(p.files->test.size())
                                      : 2 * p.mixtures.test_events);
    }
    return width;
  }

 private:
  static training::AttentionPrediction score(models::AttentionNetwork& net,
                                             const training::AttentionSample& sample,
                                             const AttentionSettings& s) {
    return training::predict_attention(net, sample.jets, sample.mask, s.classifier.eval_batch_size);
  }

  /// The task's split of the mixtures (the one split, seeded by the task) and its test set.
  static AttentionTask split(const AttentionSettings& s, const TaskContext& context,
                             const training::AttentionSample& all, training::AttentionSample test) {
    core::RandomStream split_stream(context.seed(core::SeedPurpose::kSplit));
    const auto rows = data::split_rows(static_cast<std::size_t>(all.size()),
                                       s.classifier.validation_fraction, split_stream);
    AttentionTask task;
    task.train = all.select(as_index(rows.train));
    if (!s.partial_events) {
      // SPANet's default (partial_events = False, training set only). With truth targets,
      // which only signal has, this drops every background event from the training.
      task.train =
          task.train.select(models::reconstructable(task.train.targets).all(1).nonzero().flatten());
      if (task.train.size() == 0) {
        throw core::InputError("attention", "partial_events", "false",
                               "no training event has a complete target for every particle");
      }
    }
    task.validation = all.select(as_index(rows.validation));
    task.validation_labels = as_bytes(task.validation.labels);
    task.test = std::move(test);
    task.test_truth = as_bytes(task.test.labels);
    return task;
  }

  static AttentionTask prepare(const AttentionSettings& s, const TaskContext& context) {
    if (s.files) return split(s, context, s.files->mixed, s.files->test);
    const DihiggsMixtures& m = s.mixtures;
    const physics::HhEventSource signal(s.physics.signal);
    const physics::HhEventSource background(s.physics.background);
    const std::size_t n = m.events_per_mixture;
    const std::size_t s1 = data::signal_count(m.f1, n);
    const std::size_t s2 = data::signal_count(m.f2, n);
    const auto signal_events = generate_jet_events(
        signal, s.physics.pairing, context.seed(core::SeedPurpose::kSignalSample), s1 + s2);
    const auto background_events =
        generate_jet_events(background, s.physics.pairing,
                            context.seed(core::SeedPurpose::kBackgroundSample), 2 * n - s1 - s2);
    // M1 then M2, each its signal then its background, as dihiggs_fraction lays them out.
    std::vector<physics::JetEvent> mixed;
    std::vector<float> labels;
    std::size_t next_signal = 0;
    std::size_t next_background = 0;
    for (const auto& [n_signal, label] : {std::pair{s1, 1.0F}, std::pair{s2, 0.0F}}) {
      for (std::size_t i = 0; i < n_signal; ++i) mixed.push_back(signal_events[next_signal++]);
      for (std::size_t i = 0; i < n - n_signal; ++i) {
        mixed.push_back(background_events[next_background++]);
      }
      labels.insert(labels.end(), n, label);
    }
    const auto all = to_attention_sample(mixed, labels, s.max_jets, s.truth_targets);
    auto test_events = generate_jet_events(
        signal, s.physics.pairing, test_sub_seed(context, s.classifier.test_set, 1), m.test_events);
    const auto test_background =
        generate_jet_events(background, s.physics.pairing,
                            test_sub_seed(context, s.classifier.test_set, 0), m.test_events);
    test_events.insert(test_events.end(), test_background.begin(), test_background.end());
    std::vector<float> truth(m.test_events, 1.0F);
    truth.insert(truth.end(), m.test_events, 0.0F);
    return split(s, context, all, to_attention_sample(test_events, truth, s.max_jets, true));
  }

  std::vector<AttentionSettings> points_;
};

}  // namespace

std::unique_ptr<Study> make_dihiggs_attention_study(std::vector<core::JobConfig>& point_configs) {
  std::vector<AttentionSettings> points;
  for (auto& config : point_configs) points.push_back(read_settings(config));
  return std::make_unique<DihiggsAttentionStudy>(std::move(points));
}

}  // namespace cwola::studies
