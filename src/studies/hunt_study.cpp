#include "studies/hunt_study.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/random_stream.hpp"
#include "core/seed.hpp"
#include "core/text.hpp"
#include "data/event_weights.hpp"
#include "models/conditional_flow.hpp"
#include "models/feature_vae.hpp"
#include "models/module_tensors.hpp"
#include "models/quantile_regressor.hpp"
#include "physics/mass_windows.hpp"
#include "store/table_reader.hpp"
#include "studies/classifier_study.hpp"
#include "studies/classifier_task.hpp"
#include "studies/stored_models.hpp"
#include "training/flow_trainer.hpp"
#include "training/vae_trainer.hpp"

namespace cwola::studies {

namespace {

/// One table file's rows: features (row-major), mass (GeV) and truth (0 when unknown).
struct HuntTable {
  std::size_t features = 0;
  std::vector<float> rows;
  std::vector<float> mass;
  std::vector<std::uint8_t> truth;
  std::size_t size() const { return mass.size(); }
};

/// The files of the hunt, read once for every point (they may not be scanned).
struct HuntData {
  HuntTable background;  ///< the data: background (and any signal it already holds)
  HuntTable signal;      ///< the pool injected events and truth-test events are drawn from
  HuntTable templates;   ///< hunt.method = idealised: simulated background (else empty)
};

struct HuntPoint {
  ClassifierSettings classifier;
  physics::SlidingWindows windows;
  std::size_t window = 1;
  std::size_t injected = 0;
  std::size_t signal_test_events = 0;
  std::shared_ptr<const HuntData> data;
  stats::HuntFitSettings fit;
  /// Data events of one pseudo-dataset in the window's span and its regions.
  struct RegionCounts {
    std::size_t span = 0;
    std::size_t signal_region = 0;
    std::size_t low_sideband = 0;
    std::size_t high_sideband = 0;
  };
  /// hunt.pseudo_datasets = n: the data table dealt into n disjoint pseudo-datasets (event i
  /// into i mod n); injection seed r uses pseudo-dataset r mod n, so the seeds of a null are
  /// independent data. Counts per pseudo-dataset (one entry: all the data).
  std::vector<RegionCounts> datasets;
  const RegionCounts& dataset_of(std::size_t seed) const {
    return datasets[seed % datasets.size()];
  }
  /// The most events any pseudo-dataset has in the span and in the signal region (sizes).
  std::size_t most_in_span() const;
  std::size_t most_in_signal_region() const;
  /// hunt.labels = supervised: the single-window supervised reference, trained on the signal
  /// region's events with their truth labels instead of signal region against sidebands.
  bool supervised = false;
  /// hunt.method = cathode (docs/cathode.md): per task a flow p(features | m_jj) on the
  /// training part's sidebands, sampled in the signal region, against which the classifier
  /// learns the signal region's data.
  struct Cathode {
    bool enabled = false;
    std::size_t oversampling = 4;  ///< hunt.cathode_oversampling: samples per SR training event
    int blocks = 4;                ///< [cathode] blocks: MADEs of the flow
    int hidden = 64;               ///< [cathode] hidden: units per MADE hidden layer (2 layers)
    int epochs = 100;              ///< [cathode] epochs: most flow epochs
    int patience = 10;             ///< [cathode] patience: early stopping on validation NLL
  } cathode;
  /// hunt.method = idealised (the CATHODE paper's idealised anomaly detector): the classifier
  /// learns the signal region's data against simulated background of the same region from
  /// hunt.template_file — the perfect background model CATHODE's flow approximates.
  struct Idealised {
    bool enabled = false;
    std::size_t oversampling = 4;  ///< hunt.template_oversampling: template events per SR event
    std::vector<std::size_t> signal_region_rows;  ///< template rows in the signal region
  } idealised;
  /// hunt.method = vae_qr (docs/vae_qr.md): per task a VAE on the training part's sidebands,
  /// its log loss as the score, a quantile regression of it against m_jj on the validation
  /// block, and score − threshold(m_jj) into /scores.
  struct VaeQr {
    bool enabled = false;
    int latent = 4;                      ///< [vae_qr] latent
    std::vector<int> hidden = {32, 32};  ///< [vae_qr] hidden: encoder widths (decoder mirrors)
    double kl_weight = 1.0;              ///< [vae_qr] kl_weight
    int epochs = 100;                    ///< [vae_qr] epochs: most VAE epochs
    int patience = 10;                   ///< [vae_qr] patience: early stopping on validation loss
    double quantile = 0.9;               ///< [vae_qr] quantile q: the cut keeps 1 − q
    std::vector<int> qr_hidden = {32, 32, 32};  ///< [vae_qr] qr_hidden
    int qr_epochs = 100;                        ///< [vae_qr] qr_epochs: exactly this many
    int qr_degree = 3;                          ///< [vae_qr] qr_degree: the smoothing polynomial
  } vae_qr;
  std::string method = "cwola";            ///< hunt.method
  std::vector<std::string> feature_names;  ///< hunt.features, in order
  std::string mass_column;                 ///< hunt.mass_column (the flow's context)

  /// The flow of hunt.method = cathode: p(features | m_jj), two hidden layers per MADE.
  models::ConditionalFlowConfig flow_config() const {
    models::ConditionalFlowConfig config;
    config.features = static_cast<int>(feature_names.size());
    config.context = 1;
    config.blocks = cathode.blocks;
    config.hidden = cathode.hidden;
    config.hidden_layers = 2;
    return config;
  }
};

std::size_t HuntPoint::most_in_span() const {
  std::size_t most = 0;
  for (const auto& d : datasets) most = std::max(most, d.span);
  return most;
}

std::size_t HuntPoint::most_in_signal_region() const {
  std::size_t most = 0;
  for (const auto& d : datasets) most = std::max(most, d.signal_region);
  return most;
}

/// The [hunt] settings that pick and read the files; equal at every point (checked).
struct HuntFiles {
  std::string data_file;
  std::string signal_file;
  std::string template_file;        ///< hunt.method = idealised only
  store::TableReadOptions options;  ///< table and columns: features, mass (and label)
  std::size_t features = 0;
  double mass_scale = 1.0;  ///< GeV per unit of the mass column
  std::string label_column;
  std::size_t max_events = 0;

  std::string text() const {
    std::string t =
        data_file + "\n" + signal_file + "\n" + template_file + "\n" + options.table + "\n";
    for (const auto& c : options.columns) t += c + ",";
    return t + "\n" + label_column + "\n" + std::to_string(mass_scale) + "\n" +
           std::to_string(max_events);
  }
};

HuntFiles read_files(core::JobConfig& config, bool idealised) {
  HuntFiles f;
  if (idealised) {
    f.template_file = config.get_string("hunt.template_file", "");
    if (f.template_file.empty()) {
      config.fail("hunt.template_file",
                  "is missing: hunt.method = idealised learns the data against simulated "
                  "background; give that table (same table and columns as hunt.data_file)");
    }
  }
  f.data_file = config.get_string("hunt.data_file", "");
  if (f.data_file.empty()) config.fail("hunt.data_file", "is missing: give the path of the table");
  f.signal_file = config.get_string("hunt.signal_file", "");
  if (f.signal_file.empty()) {
    config.fail("hunt.signal_file", "is missing: give the table of signal events to inject");
  }
  f.options.table = config.get_string("hunt.table", "/");
  f.options.columns =
      core::split(config.get_string("hunt.features", "mj1, delta_mj, tau21j1, tau21j2"), ',');
  if (f.options.columns.empty()) config.fail("hunt.features", "is empty; name the feature columns");
  f.features = f.options.columns.size();
  const std::string mass_column = config.get_string("hunt.mass_column", "mjj");
  if (mass_column.empty()) config.fail("hunt.mass_column", "is empty; name the m_jj column");
  f.options.columns.push_back(mass_column);
  f.mass_scale = config.get_choice("hunt.mass_unit", "GeV", {"GeV", "TeV"}) == "TeV" ? 1000.0 : 1.0;
  f.label_column = config.get_string("hunt.label_column", "label");
  f.max_events =
      static_cast<std::size_t>(config.get_int("hunt.max_events", 0, 0, std::int64_t{1} << 40));
  return f;
}

/// One table, of the file `key` names: `signal` tables are all signal (truth 1); the data's and
/// the template's truth is their label column when one is named, else 0.
HuntTable read_hunt_table(core::JobConfig& config, const HuntFiles& files, const std::string& key,
                          const std::string& path, bool signal) {
  store::TableReadOptions options = files.options;
  const bool truth = !signal && !files.label_column.empty();
  if (truth) options.columns.push_back(files.label_column);
  options.origin = key;
  store::Table table;
  try {
    table = store::read_table(path, options);
  } catch (const core::InputError& e) {
    config.fail(key, e.what());
  }
  HuntTable out;
  out.features = files.features;
  const std::size_t rows =
      files.max_events > 0 ? std::min(table.rows, files.max_events) : table.rows;
  const std::size_t width = table.columns.size();
  for (std::size_t r = 0; r < rows; ++r) {
    const double* row = table.values.data() + r * width;
    for (std::size_t c = 0; c < files.features; ++c) out.rows.push_back(static_cast<float>(row[c]));
    out.mass.push_back(static_cast<float>(row[files.features] * files.mass_scale));
    const double label = truth ? row[files.features + 1] : (signal ? 1.0 : 0.0);
    if (label != 0 && label != 1) {
      config.fail("hunt.label_column", "row " + std::to_string(r) + " of '" + path +
                                           "' has label " + core::format_double(label) +
                                           "; labels must be 0 or 1 (or set label_column = \"\")");
    }
    out.truth.push_back(static_cast<std::uint8_t>(label));
  }
  if (out.size() == 0) config.fail(key, "file '" + path + "' gives no events");
  return out;
}

physics::SlidingWindows read_windows(core::JobConfig& config) {
  const std::string text = config.get_string("hunt.edges", "A");
  physics::SlidingWindows windows;
  if (text == "A" || text == "B") return physics::SlidingWindows::cms_set(text);
  windows.edges = config.get_doubles("hunt.edges", {}, -1e12, 1e12);
  try {
    windows.validate("hunt.edges");
  } catch (const core::InputError& e) {
    config.fail("hunt.edges", e.what());
  }
  return windows;
}

/// The signal events of an injection seed: a seeded permutation of the signal pool; the first
/// `injected` are injected (so a larger injection adds events to a smaller one of the same
/// seed), the last `test` measure the classifier on truth and are never injected.
std::vector<std::size_t> signal_order(std::size_t pool, std::uint64_t master, std::size_t seed) {
  core::RandomStream stream(core::stream_seed(master, seed, core::SeedPurpose::kInjection));
  return stream.permutation(pool);
}

/// Draws `n` masses from the histogram of `masses` over [low, high): equal-width bins (the
/// square root of the event count, 5 to 50 of them), a bin by its count, then uniform inside it.
std::vector<float> sample_mass_histogram(const std::vector<float>& masses, double low, double high,
                                         std::size_t n, core::RandomStream& stream) {
  const auto bins = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::sqrt(static_cast<double>(masses.size()))), 5, 50);
  const double width = (high - low) / static_cast<double>(bins);
  std::vector<double> cumulative(bins, 0.0);
  for (const float m : masses) {
    const auto b =
        static_cast<std::size_t>(std::clamp((m - low) / width, 0.0, static_cast<double>(bins - 1)));
    cumulative[b] += 1.0;
  }
  std::partial_sum(cumulative.begin(), cumulative.end(), cumulative.begin());
  std::vector<float> out(n);
  for (auto& m : out) {
    const double u = stream.uniform() * cumulative.back();
    const auto b = static_cast<std::size_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
    const auto bin = std::min(b, bins - 1);
    m = static_cast<float>(low + (static_cast<double>(bin) + stream.uniform()) * width);
  }
  return out;
}

/// The events of `table` with training label `label`: features [N, F] and m_jj [N, 1].
training::FlowSample flow_sample_of(const data::EventTable& table, std::uint8_t label) {
  std::vector<float> x;
  std::vector<float> m;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table.label[i] != label) continue;
    const auto begin = table.rows.begin() + static_cast<std::ptrdiff_t>(i * table.features);
    x.insert(x.end(), begin, begin + static_cast<std::ptrdiff_t>(table.features));
    m.push_back(table.mass[i]);
  }
  const auto n = static_cast<std::int64_t>(m.size());
  return {
      torch::from_blob(x.data(), {n, static_cast<std::int64_t>(table.features)}, torch::kFloat32)
          .clone(),
      torch::from_blob(m.data(), {n, 1}, torch::kFloat32).clone()};
}

/// The settings of the hunt's density models (CATHODE's flow, VAE-QR's VAE): batch 256, Adam
/// at 1e-3, early stopping on the validation sidebands' loss.
training::TrainerConfig density_trainer(int epochs, int patience) {
  training::TrainerConfig trainer;
  trainer.max_epochs = epochs;
  trainer.patience = patience;
  trainer.batch_size = 256;
  trainer.learning_rate = 1e-3;
  return trainer;
}

/// CATHODE on one task (hunt.method = cathode). `data` holds the cwola split (labels: signal
/// region 1, sidebands 0): the flow learns p(features | m_jj) on the training part's sideband
/// events (validated on the validation block's), m_jj is drawn from the histogram of the
/// training part's signal-region masses, features from the flow; the split becomes signal-region
/// data (1) against oversampling x as many samples (0), in the training part and in the
/// validation block alike. The held-out fold (every event of it, sidebands too, so that the
/// select → fit step sees the whole span) and the truth test are left as they are.
void train_against_flow_samples(const HuntPoint& p, const TaskContext& context,
                                ClassifierTaskData& data) {
  const auto& settings = p.cathode;
  const auto sidebands_train = flow_sample_of(data.split.train, 0);
  const auto sidebands_validation = flow_sample_of(data.split.validation, 0);
  if (sidebands_train.x.size(0) == 0 || sidebands_validation.x.size(0) == 0) {
    data.failure_reason = "cathode: the training part has " +
                          std::to_string(sidebands_train.x.size(0)) + " and the validation block " +
                          std::to_string(sidebands_validation.x.size(0)) +
                          " sideband events; the flow needs both";
    return;
  }
  training::seed_weight_init(
      core::stream_seed(context.master_seed, context.task_id, core::SeedPurpose::kFlowInit));
  models::ConditionalFlow flow(p.flow_config());
  const auto trainer = density_trainer(settings.epochs, settings.patience);
  const auto outcome = training::train_flow(
      flow, sidebands_train, sidebands_validation, trainer,
      core::stream_seed(context.master_seed, context.task_id, core::SeedPurpose::kFlowShuffle),
      torch::kCPU);
  if (outcome.status == training::TrainStatus::kDiverged) {
    data.failure_reason = "flow diverged: " + outcome.failure_reason;
    return;
  }
  if (context.keep_named_models) {
    // The flow as stored (job.models = all): the best epoch's weights and the scaling buffers.
    auto kept = models::export_tensors(*flow);
    kept.best_epoch = outcome.best_epoch;
    kept.epochs = static_cast<std::int64_t>(outcome.history.size());
    data.named_models = {std::move(kept)};
  }

  const auto signal_region = p.windows.window(p.window).signal;
  const std::uint64_t sample_seed =
      core::stream_seed(context.master_seed, context.task_id, core::SeedPurpose::kFlowSample);
  core::RandomStream mass_stream(sample_seed);
  std::vector<float> sr_masses;
  for (const auto* part : {&data.split.train, &data.split.validation}) {
    for (std::size_t i = 0; i < part->size(); ++i) {
      if (part->label[i] == 1) sr_masses.push_back(part->mass[i]);
    }
  }
  TaskOutput::ArtifactRows artifact;
  artifact.seed = sample_seed;
  for (auto* part : {&data.split.train, &data.split.validation}) {
    std::vector<std::size_t> sr;
    for (std::size_t i = 0; i < part->size(); ++i) {
      if (part->label[i] == 1) sr.push_back(i);
    }
    data::EventTable table = part->subset(sr);
    const std::size_t n = settings.oversampling * sr.size();
    auto masses =
        sample_mass_histogram(sr_masses, signal_region.first, signal_region.second, n, mass_stream);
    torch::Tensor x;
    {
      torch::NoGradGuard no_grad;
      const auto context_mass =
          torch::from_blob(masses.data(), {static_cast<std::int64_t>(n), 1}, torch::kFloat32)
              .clone();
      x = flow->sample(context_mass, core::mix64(sample_seed + artifact.values.size()))
              .contiguous()
              .to(torch::kFloat32);
    }
    if (!torch::isfinite(x).all().item<bool>()) {
      data.failure_reason = "flow diverged: it sampled non-finite features";
      return;
    }
    const float* sampled = x.data_ptr<float>();
    for (std::size_t k = 0; k < n; ++k) {
      const float* row = sampled + k * table.features;
      table.rows.insert(table.rows.end(), row, row + table.features);
      table.label.push_back(0);
      table.is_signal.push_back(0);
      table.mass.push_back(masses[k]);
      artifact.values.insert(artifact.values.end(), row, row + table.features);
      artifact.values.push_back(masses[k]);
    }
    table.loss_weight.clear();
    *part = std::move(table);
  }
  data.artifacts = {std::move(artifact)};
}

/// The idealised anomaly detector on one task (hunt.method = idealised): as CATHODE, but the
/// signal region's data (1) learn against simulated background of the signal region (0) from
/// the template file instead of flow samples — oversampling x as many, drawn without
/// replacement by the task's kTemplateSample stream, disjoint between the training part and
/// the validation block. The held-out fold and the truth test are left as they are.
void train_against_template(const HuntPoint& p, const TaskContext& context,
                            ClassifierTaskData& data) {
  const auto& t = p.data->templates;
  const auto& pool = p.idealised.signal_region_rows;
  core::RandomStream stream(
      core::stream_seed(context.master_seed, context.task_id, core::SeedPurpose::kTemplateSample));
  const auto order = stream.permutation(pool.size());
  std::size_t next = 0;
  for (auto* part : {&data.split.train, &data.split.validation}) {
    std::vector<std::size_t> sr;
    for (std::size_t i = 0; i < part->size(); ++i) {
      if (part->label[i] == 1) sr.push_back(i);
    }
    data::EventTable table = part->subset(sr);
    // read_point checked that the template holds enough for both parts.
    for (std::size_t k = 0; k < p.idealised.oversampling * sr.size(); ++k, ++next) {
      const std::size_t row = pool.at(order.at(next));
      table.rows.insert(table.rows.end(), t.rows.begin() + row * t.features,
                        t.rows.begin() + (row + 1) * t.features);
      table.label.push_back(0);
      table.is_signal.push_back(0);
      table.mass.push_back(t.mass[row]);
    }
    table.loss_weight.clear();
    *part = std::move(table);
  }
}

/// Rows of `table` with training label `label` (all rows when label > 1) as a float32 tensor
/// [N, features] in original units.
torch::Tensor feature_rows(const data::EventTable& table, int label = 2) {
  std::vector<float> x;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (label <= 1 && table.label[i] != label) continue;
    const auto begin = table.rows.begin() + static_cast<std::ptrdiff_t>(i * table.features);
    x.insert(x.end(), begin, begin + static_cast<std::ptrdiff_t>(table.features));
  }
  const auto n = static_cast<std::int64_t>(x.size() / std::max<std::size_t>(table.features, 1));
  return torch::from_blob(x.data(), {n, static_cast<std::int64_t>(table.features)}, torch::kFloat32)
      .clone();
}

torch::Tensor masses_of(const data::EventTable& table) {
  auto m = table.mass;
  return torch::from_blob(m.data(), {static_cast<std::int64_t>(m.size())}, torch::kFloat32).clone();
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const auto c = t.contiguous().to(torch::kFloat32).cpu();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

/// The log of a VAE's per-event loss (the loss is >= 0; its log tames the long tail the
/// quantile regression would otherwise see, and quantiles commute with the log).
torch::Tensor log_score(models::FeatureVae& vae, const torch::Tensor& x) {
  return torch::log(vae->score(x).to(torch::kFloat64).clamp_min(1e-30)).to(torch::kFloat32);
}

/// A task that ends before it scores: NaN columns (the common and untrained ones) and a reason.
TaskOutput vae_qr_failure(const ClassifierSettings& settings, const data::EventTable& test,
                          const std::string& reason) {
  TaskOutput output;
  output.status = TaskOutput::Status::kFailed;
  output.failure_reason = reason;
  output.results.assign(classifier_columns().size(), std::numeric_limits<double>::quiet_NaN());
  append_untrained(settings, nullptr, test, output);
  return output;
}

/// VAE-QR on one task (hunt.method = vae_qr, docs/vae_qr.md). `data` holds the cwola split
/// (signal region 1, sidebands 0), unscaled. The VAE learns the training part's sideband
/// events (early-stopped on the validation block's sidebands); the score is the log of its
/// per-event loss. The quantile regression of that score against m_jj is fitted on the whole
/// validation block (sidebands and signal region: events the VAE never took a step on), and
/// every event gets score − threshold(m_jj): a cut at 0 keeps 1 − q of the background at any
/// mass. The held-out fold (/scores) and the truth test are scored with it.
TaskOutput run_vae_qr(const HuntPoint& p, const TaskContext& context,
                      const ClassifierTaskData& data) {
  const auto& settings = p.vae_qr;
  const auto& classifier = p.classifier;
  const auto seed = [&context](core::SeedPurpose purpose) {
    return core::stream_seed(context.master_seed, context.task_id, purpose);
  };
  const auto sidebands_train = feature_rows(data.split.train, 0);
  const auto sidebands_validation = feature_rows(data.split.validation, 0);
  if (sidebands_train.size(0) < 2 || sidebands_validation.size(0) == 0) {
    return vae_qr_failure(
        classifier, data.test,
        "vae_qr: the training part has " + std::to_string(sidebands_train.size(0)) +
            " and the validation block " + std::to_string(sidebands_validation.size(0)) +
            " sideband events; the VAE needs both");
  }
  const torch::Device device(context.device);
  training::seed_weight_init(seed(core::SeedPurpose::kVaeInit));
  models::FeatureVaeConfig config;
  config.features = static_cast<int>(data.split.train.features);
  config.latent = settings.latent;
  config.hidden = settings.hidden;
  config.kl_weight = settings.kl_weight;
  models::FeatureVae vae(config);
  vae->set_noise_seed(seed(core::SeedPurpose::kVaeNoise));
  const auto test_x = feature_rows(data.test);
  const auto held_out_x = feature_rows(data.held_out);
  const auto validation_x = feature_rows(data.split.validation);
  // The null of an untrained VAE: the same scaling, the initial weights.
  vae->fit_scaling(sidebands_train);
  const auto untrained_test = log_score(vae, test_x);
  const auto untrained_held_out = log_score(vae, held_out_x);

  const auto trainer = density_trainer(settings.epochs, settings.patience);
  const auto outcome = training::train_vae(
      vae, sidebands_train, sidebands_validation, trainer, seed(core::SeedPurpose::kVaeShuffle),
      device, [&context](const training::EpochRecord&) { return context.keep_going(); });
  if (outcome.status == training::TrainStatus::kAbandoned) {
    TaskOutput output = output_with_curves(outcome);
    output.status = TaskOutput::Status::kAbandoned;
    return output;
  }
  if (outcome.status == training::TrainStatus::kDiverged) {
    return vae_qr_failure(classifier, data.test, "vae diverged: " + outcome.failure_reason);
  }
  const auto score_test = log_score(vae, test_x);
  const auto score_held_out = log_score(vae, held_out_x);
  const auto score_validation = log_score(vae, validation_x);
  for (const auto* scores :
       {&score_test, &score_held_out, &score_validation, &untrained_test, &untrained_held_out}) {
    if (!torch::isfinite(*scores).all().item<bool>()) {
      return vae_qr_failure(classifier, data.test,
                            "vae_qr: non-finite VAE scores (an event's features are NaN or inf, "
                            "or the VAE diverged); the task scores nothing");
    }
  }

  training::seed_weight_init(seed(core::SeedPurpose::kQuantileInit));
  models::QuantileRegressorConfig qr_config;
  qr_config.quantile = settings.quantile;
  qr_config.hidden = settings.qr_hidden;
  qr_config.degree = settings.qr_degree;
  models::QuantileRegressor regressor(qr_config);
  training::TrainerConfig qr_trainer;
  qr_trainer.max_epochs = settings.qr_epochs;
  qr_trainer.batch_size = 128;
  qr_trainer.learning_rate = 3e-3;
  const auto validation_mass = masses_of(data.split.validation);
  const auto qr_outcome = training::train_quantile_regressor(
      regressor, validation_mass, score_validation, qr_trainer,
      seed(core::SeedPurpose::kQuantileShuffle), device,
      [&context](const training::EpochRecord&) { return context.keep_going(); });
  if (qr_outcome.status == training::TrainStatus::kAbandoned) {
    TaskOutput output = output_with_curves(outcome);
    output.status = TaskOutput::Status::kAbandoned;
    return output;
  }
  if (qr_outcome.status == training::TrainStatus::kDiverged) {
    return vae_qr_failure(classifier, data.test,
                          "quantile regression diverged: " + qr_outcome.failure_reason);
  }
  const auto threshold_test = regressor->threshold(masses_of(data.test));
  const auto threshold_held_out = regressor->threshold(masses_of(data.held_out));
  const auto threshold_validation = regressor->threshold(validation_mass);
  if (!torch::isfinite(threshold_held_out).all().item<bool>() ||
      !torch::isfinite(threshold_test).all().item<bool>()) {
    return vae_qr_failure(classifier, data.test,
                          "vae_qr: the quantile regression gave non-finite thresholds");
  }
  auto held_out_scores = to_vector(score_held_out - threshold_held_out);
  auto output =
      scored_task_output(classifier, outcome, to_vector(score_test - threshold_test), data.test,
                         to_vector(score_validation - threshold_validation), data.split.validation,
                         data.yields, &data.held_out, &held_out_scores);
  const auto untrained = to_vector(untrained_test);
  append_untrained(classifier, &untrained, data.test, output);
  if (output.status != TaskOutput::Status::kDone) return output;

  TaskOutput::ArtifactRows rows;
  rows.seed = seed(core::SeedPurpose::kVaeInit);
  const auto columns = torch::stack(
      {masses_of(data.held_out), score_held_out, threshold_held_out, untrained_held_out,
       torch::tensor(
           std::vector<float>(data.held_out.is_signal.begin(), data.held_out.is_signal.end()))},
      1);
  rows.values = to_vector(columns);
  output.artifacts = {std::move(rows)};
  return output;
}

class HuntStudy : public DenseClassifierStudyOf<HuntPoint> {
 public:
  explicit HuntStudy(std::vector<HuntPoint> points)
      : DenseClassifierStudyOf(
            std::move(points),
            {"window", "signal_region_low", "signal_region_high", "span_low", "span_high",
             "injected", "injection_seed", "n_signal_region", "n_low_sideband", "n_high_sideband",
             "injected_in_signal_region", "n_truth_test_signal", "supervised_reference"}) {
    std::size_t most = 0;
    for (const auto& p : this->points()) {
      most = std::max(most, stacked_task_bytes(p.classifier, p.most_in_span() + p.injected,
                                               p.signal_test_events + p.most_in_signal_region(),
                                               p.data->background.features));
    }
    set_task_device_bytes(most);
  }

  bool scores_carry_mass() const override { return true; }
  /// hunt.method = cathode: each task's flow samples (features and m_jj, training part then
  /// validation block) as the artifact "cathode_samples".
  std::vector<ArtifactSpec> artifacts() const override {
    if (point(0).vae_qr.enabled) {
      ArtifactSpec spec;
      spec.name = "vae_qr_events";
      for (const auto& p : points()) {
        const std::size_t folds = std::max<std::size_t>(p.classifier.folds, 1);
        spec.max_rows =
            std::max(spec.max_rows, (p.most_in_span() + p.injected + folds - 1) / folds);
      }
      spec.columns = {"mjj", "vae_log_score", "qr_threshold", "untrained_log_score", "truth"};
      spec.seed_purpose = "kVaeInit";
      spec.description =
          "VAE-QR: the held-out fold's events in /scores order: m_jj (GeV), log of the trained "
          "VAE's loss, the smoothed quantile-regression threshold at the event's m_jj (/scores "
          "holds vae_log_score - qr_threshold), log loss of the same VAE untrained, truth";
      return {spec};
    }
    if (!point(0).cathode.enabled) return {};
    ArtifactSpec spec;
    spec.name = "cathode_samples";
    for (const auto& p : points()) {
      spec.max_rows = std::max(spec.max_rows,
                               p.cathode.oversampling * (p.most_in_signal_region() + p.injected));
    }
    spec.columns = point(0).feature_names;
    spec.columns.push_back("mjj");
    spec.seed_purpose = "kFlowSample";
    spec.description =
        "CATHODE: flow samples in the signal region (features | m_jj GeV), "
        "hunt.cathode_oversampling x the task's signal-region training events";
    return {spec};
  }
  /// hunt.method = cathode: each task's flow, stored as the model "flow" with job.models = all
  /// (docs/cathode.md "The flows as stored models"), with its configuration and columns.
  std::vector<core::NamedModelLayout> named_models(std::size_t index) const override {
    const HuntPoint& p = point(index);
    if (!p.cathode.enabled) return {};
    const auto config = p.flow_config();
    core::NamedModelLayout flow;
    flow.name = kFlowModelName;
    flow.layout = models::layout_of(
        *models::ConditionalFlow(config),
        "conditional MAF, " + std::to_string(config.blocks) + " blocks x MADE " +
            std::to_string(config.features) + "-" + std::to_string(config.hidden) + "-" +
            std::to_string(config.hidden) + "-" + std::to_string(2 * config.features) +
            " (context " + p.mass_column + ")");
    flow.settings = flow_settings(config);
    flow.settings.emplace_back("feature_columns", core::join(p.feature_names, ","));
    flow.settings.emplace_back("context_columns", p.mass_column + " (GeV)");
    return {flow};
  }
  const stats::HuntFitSettings& fit_settings() const { return point(0).fit; }
  /// The single-window supervised reference (hunt.labels = supervised): no select → fit (its
  /// tasks carry supervised_reference = 1, which the fit skips in a job of several stages).
  bool supervised() const { return point(0).supervised; }

 protected:
  std::size_t model_inputs(std::size_t point) const override {
    return this->point(point).data->background.features;
  }

  bool scores_itself(std::size_t index) const override { return point(index).vae_qr.enabled; }

  TaskOutput score_task(const TaskContext& context, const ClassifierTaskData& data) const override {
    return run_vae_qr(point(context.point), context, data);
  }

  SampleSizes sample_sizes(std::size_t index) const override {
    const HuntPoint& p = point(index);
    // Every injected event may fall into the span: an upper bound.
    return {p.signal_test_events + p.most_in_signal_region(), p.most_in_span() + p.injected};
  }

  ClassifierTaskData prepare_task(const TaskContext& context) const override {
    const HuntPoint& p = point(context.point);
    const HuntData& d = *p.data;
    const auto windows = p.windows.window(p.window);
    const auto [span_low, span_high] = p.windows.span(p.window);
    const auto order = signal_order(d.signal.size(), context.master_seed, context.repeat);

    data::EventTable mixed;
    mixed.features = d.background.features;
    std::vector<data::HuntingRegion> regions;
    std::size_t injected_in_sr = 0;
    const auto add = [&](const HuntTable& table, std::size_t i, bool injected) {
      const double m = table.mass[i];
      if (!(m >= span_low && m < span_high)) return;
      const auto begin = table.rows.begin() + static_cast<std::ptrdiff_t>(i * table.features);
      const bool sr = windows.in_signal_region(m);
      if (p.supervised && !sr) return;
      const std::uint8_t truth = injected ? 1 : table.truth[i];
      mixed.rows.insert(mixed.rows.end(), begin,
                        begin + static_cast<std::ptrdiff_t>(table.features));
      mixed.label.push_back(p.supervised ? truth : (sr ? 1 : 0));
      mixed.is_signal.push_back(truth);
      mixed.mass.push_back(static_cast<float>(m));
      regions.push_back(sr ? data::HuntingRegion::kSignalRegion
                           : (m < windows.signal.first ? data::HuntingRegion::kLowSideband
                                                       : data::HuntingRegion::kHighSideband));
      if (sr && injected) ++injected_in_sr;
    };
    const std::size_t n_datasets = p.datasets.size();
    const std::size_t dataset = context.repeat % n_datasets;
    for (std::size_t i = dataset; i < d.background.size(); i += n_datasets) {
      add(d.background, i, false);
    }
    const auto& counts = p.dataset_of(context.repeat);
    for (std::size_t k = 0; k < p.injected; ++k) add(d.signal, order[k], true);
    // Weighed over the whole sample before the folds are cut, as CWoLa hunting does (the
    // supervised reference balances its truth classes instead: training.balance = classes).
    if (!p.supervised && p.method == "cwola") {
      mixed.loss_weight = data::cwola_hunting_weights(regions);
    }

    ClassifierTaskData data;
    split_task(p.classifier, mixed, context, data);
    if (!data.failure_reason.empty()) return data;
    if (p.cathode.enabled) {
      train_against_flow_samples(p, context, data);
      if (!data.failure_reason.empty()) return data;
    }
    if (p.idealised.enabled) train_against_template(p, context, data);
    // Truth test: signal never injected, against the held-out fold's signal-region background
    // (events no model of this fold trained or validated on), the same number in every fold
    // (90 % of the expected count, so that the fold tasks share a stack).
    data.test.features = mixed.features;
    std::vector<std::size_t> test_background;
    const auto wanted =
        static_cast<std::size_t>(0.9 * static_cast<double>(counts.signal_region) /
                                 static_cast<double>(std::max<std::size_t>(context.folds, 1))) +
        1;
    for (std::size_t i = 0; i < data.held_out.size() && test_background.size() < wanted; ++i) {
      if (windows.in_signal_region(data.held_out.mass[i]) && data.held_out.is_signal[i] == 0)
        test_background.push_back(i);
    }
    data.test = data.held_out.subset(test_background);
    data.test.loss_weight.clear();
    for (std::size_t k = d.signal.size() - p.signal_test_events; k < d.signal.size(); ++k) {
      const std::size_t i = order[k];
      const auto begin = d.signal.rows.begin() + static_cast<std::ptrdiff_t>(i * d.signal.features);
      data.test.rows.insert(data.test.rows.end(), begin,
                            begin + static_cast<std::ptrdiff_t>(d.signal.features));
      data.test.label.push_back(1);
      data.test.is_signal.push_back(1);
      data.test.mass.push_back(d.signal.mass[i]);
    }
    for (std::size_t i = 0; i < data.test.size(); ++i) data.test.label[i] = data.test.is_signal[i];

    std::size_t n_sr = 0;
    std::size_t n_low = 0;
    for (const auto r : regions) {
      n_sr += r == data::HuntingRegion::kSignalRegion ? 1 : 0;
      n_low += r == data::HuntingRegion::kLowSideband ? 1 : 0;
    }
    data.yields = {static_cast<double>(injected_in_sr), static_cast<double>(counts.signal_region)};
    data.study_columns = {static_cast<double>(p.window),
                          windows.signal.first,
                          windows.signal.second,
                          span_low,
                          span_high,
                          static_cast<double>(p.injected),
                          static_cast<double>(context.repeat),
                          static_cast<double>(n_sr),
                          static_cast<double>(n_low),
                          static_cast<double>(regions.size() - n_sr - n_low),
                          static_cast<double>(injected_in_sr),
                          static_cast<double>(p.signal_test_events),
                          p.supervised ? 1.0 : 0.0};
    return data;
  }
};

HuntPoint read_point(core::JobConfig& config,
                     std::map<std::string, std::shared_ptr<const HuntData>>& loaded) {
  HuntPoint p;
  // The hunt's defaults: nested 5 × 4 k-fold, CWoLa-hunting class weights.
  if (!config.has("training.folds")) config.set("training.folds", "5", "hunt default");
  if (!config.has("training.inner_folds")) config.set("training.inner_folds", "4", "hunt default");
  p.supervised = config.get_choice("hunt.labels", "cwola", {"cwola", "supervised"}) == "supervised";
  // Read only when named, so that jobs without it keep their effective config and job hash.
  if (config.has("hunt.method")) {
    p.method =
        config.get_choice("hunt.method", "cwola", {"cwola", "cathode", "idealised", "vae_qr"});
  }
  p.cathode.enabled = p.method == "cathode";
  p.idealised.enabled = p.method == "idealised";
  p.vae_qr.enabled = p.method == "vae_qr";
  if (p.method != "cwola" && p.supervised) {
    config.fail("hunt.method", "= " + p.method +
                                   " learns the signal region against a background model; "
                                   "hunt.labels = supervised trains on truth labels instead "
                                   "(choose one)");
  }
  if (!config.has("training.balance")) {
    // VAE-QR trains no classifier: the setting is not used, and `none` says so.
    config.set("training.balance",
               p.vae_qr.enabled                      ? "none"
               : p.supervised || p.method != "cwola" ? "classes"
                                                     : "cwola_hunting",
               "hunt default");
  }
  if (p.idealised.enabled) {
    p.idealised.oversampling =
        static_cast<std::size_t>(config.get_int("hunt.template_oversampling", 4, 1, 1000));
  }
  if (p.vae_qr.enabled) {
    auto& v = p.vae_qr;
    v.latent = static_cast<int>(config.get_int("vae_qr.latent", 4, 1, 1024));
    const auto hidden = config.get_ints("vae_qr.hidden", {32, 32}, 1, 65536);
    v.hidden.assign(hidden.begin(), hidden.end());
    v.kl_weight = config.get_double("vae_qr.kl_weight", 1.0, 0.0, 1e6);
    v.epochs = static_cast<int>(config.get_int("vae_qr.epochs", 100, 1, 100000));
    v.patience = static_cast<int>(config.get_int("vae_qr.patience", 10, 1, 100000));
    v.quantile = config.get_double("vae_qr.quantile", 0.9, 0.5, 0.999);
    const auto qr_hidden = config.get_ints("vae_qr.qr_hidden", {32, 32, 32}, 1, 65536);
    v.qr_hidden.assign(qr_hidden.begin(), qr_hidden.end());
    v.qr_epochs = static_cast<int>(config.get_int("vae_qr.qr_epochs", 100, 1, 100000));
    v.qr_degree = static_cast<int>(config.get_int("vae_qr.qr_degree", 3, 0, 9));
  }
  if (p.cathode.enabled) {
    auto& c = p.cathode;
    c.oversampling =
        static_cast<std::size_t>(config.get_int("hunt.cathode_oversampling", 4, 1, 1000));
    c.blocks = static_cast<int>(config.get_int("cathode.blocks", 4, 1, 64));
    c.hidden = static_cast<int>(config.get_int("cathode.hidden", 64, 1, 4096));
    c.epochs = static_cast<int>(config.get_int("cathode.epochs", 100, 1, 100000));
    c.patience = static_cast<int>(config.get_int("cathode.patience", 10, 1, 100000));
  }
  const HuntFiles files = read_files(config, p.idealised.enabled);
  p.feature_names.assign(
      files.options.columns.begin(),
      files.options.columns.begin() + static_cast<std::ptrdiff_t>(files.features));
  p.mass_column = files.options.columns.at(files.features);
  if (p.cathode.enabled && p.cathode.hidden < static_cast<int>(files.features) - 1) {
    config.fail("cathode.hidden", "= " + std::to_string(p.cathode.hidden) + " is below the " +
                                      std::to_string(files.features - 1) +
                                      " units a MADE of hunt.features needs (features - 1)");
  }
  auto& data = loaded[files.text()];
  if (!data) {
    auto fresh = std::make_shared<HuntData>();
    fresh->background = read_hunt_table(config, files, "hunt.data_file", files.data_file, false);
    fresh->signal = read_hunt_table(config, files, "hunt.signal_file", files.signal_file, true);
    if (p.idealised.enabled) {
      fresh->templates =
          read_hunt_table(config, files, "hunt.template_file", files.template_file, false);
    }
    data = fresh;
  }
  p.data = data;
  p.windows = read_windows(config);
  p.window = static_cast<std::size_t>(config.get_int(
      "hunt.window", 1, 1, static_cast<std::int64_t>(std::max<std::size_t>(p.windows.count(), 1))));
  p.injected = static_cast<std::size_t>(config.get_int("hunt.injected_signal", 0, 0, 1LL << 40));
  p.signal_test_events =
      static_cast<std::size_t>(config.get_int("hunt.signal_test_events", 2000, 1, 1LL << 40));
  const std::size_t pool = p.data->signal.size();
  if (p.injected + p.signal_test_events > pool) {
    config.fail("hunt.injected_signal",
                "and hunt.signal_test_events (" + std::to_string(p.signal_test_events) + ") need " +
                    std::to_string(p.injected + p.signal_test_events) +
                    " signal events, but hunt.signal_file has " + std::to_string(pool) +
                    " (injected events are never used to measure the classifier)");
  }
  const auto windows = p.windows.window(p.window);
  const auto [low, high] = p.windows.span(p.window);
  const auto n_datasets = static_cast<std::size_t>(config.get_int(
      "hunt.pseudo_datasets", 1, 1, static_cast<std::int64_t>(p.data->background.size())));
  p.datasets.assign(n_datasets, {});
  const auto& masses = p.data->background.mass;
  for (std::size_t i = 0; i < masses.size(); ++i) {
    const float m = masses[i];
    if (!(m >= low && m < high)) continue;
    auto& counts = p.datasets[i % n_datasets];
    ++counts.span;
    if (windows.in_signal_region(m)) {
      ++counts.signal_region;
    } else if (m < windows.signal.first) {
      ++counts.low_sideband;
    } else {
      ++counts.high_sideband;
    }
  }
  const auto window_text = "window " + std::to_string(p.window) + " (signal region [" +
                           core::format_double(windows.signal.first) + ", " +
                           core::format_double(windows.signal.second) + ") GeV)";
  for (std::size_t k = 0; k < n_datasets; ++k) {
    const auto& counts = p.datasets[k];
    const std::string where =
        window_text + (n_datasets > 1 ? " in pseudo-dataset " + std::to_string(k) + " of " +
                                            std::to_string(n_datasets)
                                      : std::string());
    const std::string key = n_datasets > 1 ? "hunt.pseudo_datasets" : "hunt.window";
    if (counts.low_sideband == 0 || counts.high_sideband == 0) {
      config.fail(key, where + " has " + std::to_string(counts.low_sideband) + " and " +
                           std::to_string(counts.high_sideband) +
                           " data events in its low and high sidebands; both need events "
                           "(choose other hunt.edges or windows, or fewer pseudo-datasets)");
    }
    if (counts.signal_region == 0) config.fail(key, where + " holds no data events");
  }
  auto& fit = p.fit;
  fit.efficiencies = config.get_doubles("hunt.efficiencies", fit.efficiencies, 1e-9, 1.0);
  fit.bins = static_cast<std::size_t>(config.get_int("hunt.fit_bins", 20, 4, 100000));
  fit.scan_points = static_cast<std::size_t>(config.get_int("hunt.scan_points", 5, 1, 10000));
  fit.signal_width = config.get_double("hunt.signal_width", 0.05, 1e-6, 0.499);
  fit.max_params = static_cast<int>(config.get_int("hunt.max_params", 4, 2, 5));
  fit.signal_mass = config.get_double("hunt.signal_mass", 0.0, 0.0, 1e6);
  try {
    fit.validate("hunt.");
  } catch (const core::InputError& e) {
    config.fail("hunt.efficiencies", e.what());
  }
  p.classifier = read_classifier_settings(config, /*knows_mass_regions=*/true);
  if (p.classifier.folds < 2) {
    config.fail("training.folds",
                "must be >= 2 for a hunt: every event is selected by models "
                "that never saw it (k-fold cross-training)");
  }
  if (p.vae_qr.enabled && p.classifier.balance == Balance::kCwolaHunting) {
    config.fail("training.balance",
                "= cwola_hunting weighs a classifier's classes; hunt.method = vae_qr trains "
                "no classifier (a VAE on the sidebands); leave it out or use none");
  }
  if (p.vae_qr.enabled && p.classifier.backend == ClassifierBackend::kBdt) {
    config.fail("model.classifier",
                "= bdt: hunt.method = vae_qr trains no classifier (its score is a VAE's loss); "
                "use nn or leave it out");
  }
  if ((p.cathode.enabled || p.idealised.enabled) &&
      p.classifier.balance == Balance::kCwolaHunting) {
    config.fail("training.balance",
                "= cwola_hunting weighs signal region against sidebands, "
                "which hunt.method = " +
                    p.method + " does not train on; use classes or none");
  }
  if (p.idealised.enabled) {
    const auto& t = p.data->templates;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (windows.in_signal_region(t.mass[i]) && t.truth[i] == 0) {
        p.idealised.signal_region_rows.push_back(i);
      }
    }
    // The training part and validation block together hold at most the signal region's data.
    std::size_t most = 0;
    for (const auto& counts : p.datasets) most = std::max(most, counts.signal_region);
    const std::size_t needed = p.idealised.oversampling * (most + p.injected);
    if (p.idealised.signal_region_rows.size() < needed) {
      config.fail("hunt.template_oversampling",
                  "= " + std::to_string(p.idealised.oversampling) + " needs up to " +
                      std::to_string(needed) + " background events of hunt.template_file '" +
                      files.template_file + "' in " + window_text + ", which has " +
                      std::to_string(p.idealised.signal_region_rows.size()) +
                      " (simulate more, or lower the oversampling)");
    }
  }
  if (p.supervised) {
    if (p.classifier.balance == Balance::kCwolaHunting) {
      config.fail("training.balance",
                  "= cwola_hunting weighs signal region against sidebands, "
                  "which hunt.labels = supervised does not train on; use "
                  "classes or none");
    }
    for (const auto& counts : p.datasets) {
      // Every injected event may fall into the signal region: an upper bound for label 1.
      check_folds(config, p.classifier, p.injected, counts.signal_region);
    }
  } else {
    for (const auto& counts : p.datasets) {
      check_folds(config, p.classifier, counts.signal_region,
                  counts.low_sideband + counts.high_sideband);
    }
  }
  return p;
}

}  // namespace

std::unique_ptr<Study> make_hunt_study(std::vector<core::JobConfig>& point_configs) {
  std::map<std::string, std::shared_ptr<const HuntData>> loaded;
  std::vector<HuntPoint> points;
  for (auto& config : point_configs) points.push_back(read_point(config, loaded));
  for (std::size_t i = 1; i < points.size(); ++i) {
    if (points[i].supervised != points.front().supervised) {
      point_configs[i].fail("hunt.labels",
                            "may not be scanned: the supervised reference has no select → fit "
                            "step (it trains on the signal region alone); give it a stage of "
                            "its own");
    }
    if (points[i].method != points.front().method) {
      point_configs[i].fail("hunt.method",
                            "may not be scanned: one hunt runs one method (the store's "
                            "artifacts are the method's); give each method a stage of its own");
    }
    if (points[i].fit.text() != points.front().fit.text()) {
      point_configs[i].fail("hunt.efficiencies",
                            "and the other select → fit settings of [hunt] may not be scanned: "
                            "one hunt fits every window alike");
    }
  }
  if (loaded.size() > 1) {
    point_configs.back().fail("hunt.data_file",
                              "and the other file settings of [hunt] may not be scanned: one "
                              "hunt reads one data table and one signal table");
  }
  return std::make_unique<HuntStudy>(std::move(points));
}

const stats::HuntFitSettings* hunt_fit_settings(const Study& study) {
  const auto* hunt = dynamic_cast<const HuntStudy*>(&study);
  return hunt != nullptr && !hunt->supervised() ? &hunt->fit_settings() : nullptr;
}

}  // namespace cwola::studies
