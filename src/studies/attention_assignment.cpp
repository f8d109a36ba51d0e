#include "studies/attention_assignment.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "features/higgs_pairing.hpp"
#include "features/spanet_columns.hpp"
#include "models/module_tensors.hpp"
#include "features/top_chi2_assignment.hpp"
#include "training/trainer.hpp"

namespace cwola::studies {

training::AttentionSample to_attention_sample(const store::SpanetDataset& data) {
  const auto n = static_cast<std::int64_t>(data.events);
  const auto j = static_cast<std::int64_t>(data.jet_slots);
  const auto f = static_cast<std::int64_t>(data.features.size());
  const auto p = static_cast<std::int64_t>(data.particles.size());
  const auto k = static_cast<std::int64_t>(data.daughters);
  training::AttentionSample s;
  s.jets = torch::from_blob(const_cast<float*>(data.jets.data()), {n, j, f}, torch::kFloat32)
               .clone();
  s.mask = torch::from_blob(const_cast<std::uint8_t*>(data.mask.data()), {n, j}, torch::kUInt8)
               .to(torch::kBool);
  s.targets =
      torch::from_blob(const_cast<std::int64_t*>(data.targets.data()), {n, p, k}, torch::kInt64)
          .clone();
  if (!data.classifications.empty()) {
    s.labels = torch::tensor(data.classifications.front(), torch::kInt64).to(torch::kFloat32);
  } else {
    s.labels = s.targets.ge(0).flatten(1).all(1).to(torch::kFloat32);
  }
  return s;
}

training::AttentionSample to_attention_sample(const std::vector<physics::JetEvent>& events,
                                              const std::vector<float>& labels,
                                              std::size_t max_jets, bool truth_targets) {
  if (labels.size() != events.size()) {
    throw core::Error("to_attention_sample: " + std::to_string(labels.size()) + " labels for " +
                      std::to_string(events.size()) + " events (a bug in the caller)");
  }
  const auto columns = features::to_spanet_columns(events, max_jets, features::PairingConfig{});
  const auto n = static_cast<std::int64_t>(events.size());
  const auto j = static_cast<std::int64_t>(max_jets);
  const auto per_jet = [&](const std::vector<float>& column) {
    return torch::from_blob(const_cast<float*>(column.data()), {n, j}, torch::kFloat32);
  };
  training::AttentionSample s;
  s.jets = torch::stack({per_jet(columns.pt), per_jet(columns.eta), per_jet(columns.phi),
                         per_jet(columns.mass), per_jet(columns.btag)},
                        2)
               .clone();
  s.mask = torch::from_blob(const_cast<std::int8_t*>(columns.mask.data()), {n, j}, torch::kInt8)
               .ne(0);
  if (truth_targets) {
    const auto column = [&](const std::vector<std::int64_t>& c) {
      return torch::from_blob(const_cast<std::int64_t*>(c.data()), {n}, torch::kInt64);
    };
    s.targets = torch::stack({torch::stack({column(columns.h1_b1), column(columns.h1_b2)}, 1),
                              torch::stack({column(columns.h2_b1), column(columns.h2_b2)}, 1)},
                             1)
                    .clone();
  } else {
    s.targets = torch::full({n, 2, 2}, -1, torch::kInt64);
  }
  s.labels = torch::from_blob(const_cast<float*>(labels.data()), {n}, torch::kFloat32).clone();
  return s;
}

models::AttentionNetworkConfig dihiggs_network_config(std::size_t max_jets,
                                                      models::AttentionNetworkConfig base) {
  base.jet_features = 5;
  base.max_jets = static_cast<int>(max_jets);
  base.log_features = {true, false, false, true, false};
  base.normalize_features = {true, true, true, true, false};
  base.particles = 2;
  base.daughters = 2;
  base.symmetric_daughters = {{0, 1}};
  base.validate();
  return base;
}

models::AttentionNetworkConfig network_config_for(const store::SpanetEventSpec& spec,
                                                  std::uint64_t max_jets,
                                                  models::AttentionNetworkConfig base) {
  const auto& group = spec.sequential.at(0);
  base.jet_features = static_cast<int>(group.features.size());
  base.log_features.clear();
  base.normalize_features.clear();
  for (const auto& feature : group.features) {
    base.log_features.push_back(feature.scaling == store::FeatureScaling::kLogNormalize);
    base.normalize_features.push_back(feature.scaling != store::FeatureScaling::kNone);
  }
  base.max_jets = static_cast<int>(max_jets);
  base.particles = static_cast<int>(spec.particles.size());
  const auto& first = spec.particles.at(0);
  base.daughters = static_cast<int>(first.daughters.size());
  base.symmetric_daughters = first.symmetric_daughters;
  for (const auto& particle : spec.particles) {
    if (particle.daughters.size() != first.daughters.size() ||
        particle.symmetric_daughters != first.symmetric_daughters) {
      throw core::InputError("event spec", "EVENT/" + particle.name,
                             std::to_string(particle.daughters.size()) + " daughters",
                             "every particle must have the daughters and permutations of '" +
                                 first.name + "' (the attention network has one head shape)");
    }
  }
  if (spec.particles.size() > 1 &&
      (spec.symmetric_particles.size() != 1 ||
       spec.symmetric_particles[0].size() != spec.particles.size())) {
    throw core::InputError("event spec", "PERMUTATIONS/EVENT", "not all particles",
                           "the attention network treats all particles as interchangeable: "
                           "list them all in one EVENT permutation");
  }
  base.validate();
  return base;
}

double random_purity(std::int64_t n, int particles, int daughters, int group) {
  const std::int64_t used = static_cast<std::int64_t>(particles) * daughters;
  if (n < used) return 0.0;
  double ways = 1;
  for (std::int64_t i = 0; i < used; ++i) ways *= static_cast<double>(n - i);
  for (int p = 0; p < particles; ++p) ways /= static_cast<double>(group) * (p + 1);
  return 1.0 / ways;
}

namespace {

/// The chi2 baseline's assignment of every event in `index`, as [M, 2, 3] in the spec's
/// daughter order; throws InputError if a needed feature or daughter name is missing.
/// The kinematics of one real jet, as the physics baselines read them.
struct BaselineJet {
  double pt, eta, phi, mass, btag;
};

/// Where pt, eta, phi, mass and btag sit among `data`'s features; InputError naming the
/// baseline that needs a missing one.
std::array<std::int64_t, 5> jet_columns(const store::SpanetDataset& data,
                                        const std::string& baseline) {
  std::array<std::int64_t, 5> columns{};
  const char* names[5] = {"pt", "eta", "phi", "mass", "btag"};
  for (std::size_t c = 0; c < 5; ++c) {
    const auto found = std::find_if(data.features.begin(), data.features.end(),
                                    [&](const auto& feature) { return feature.name == names[c]; });
    if (found == data.features.end()) {
      throw core::InputError("event spec", "INPUTS/SEQUENTIAL", names[c],
                             "the " + baseline + " baseline needs pt, eta, phi, mass and btag");
    }
    columns[c] = found - data.features.begin();
  }
  return columns;
}

/// The real jets of event `e`, in the file's slot order.
std::vector<BaselineJet> real_jets(const store::SpanetDataset& data, std::int64_t e,
                                   const std::array<std::int64_t, 5>& columns) {
  const auto f = static_cast<std::int64_t>(data.features.size());
  const auto j = static_cast<std::int64_t>(data.jet_slots);
  std::vector<BaselineJet> jets;
  for (std::int64_t i = 0; i < j && data.mask[static_cast<std::size_t>(e * j + i)] != 0; ++i) {
    const auto at = [&](std::size_t c) {
      return static_cast<double>(data.jets[static_cast<std::size_t>((e * j + i) * f + columns[c])]);
    };
    jets.push_back({at(0), at(1), at(2), at(3), at(4)});
  }
  return jets;
}

torch::Tensor chi2_assignments(const store::SpanetEventSpec& spec,
                               const store::SpanetDataset& data, const torch::Tensor& index) {
  const auto columns = jet_columns(data, "chi2");
  const auto& daughters = spec.particles.at(0).daughters;
  const auto b_slot = std::find(daughters.begin(), daughters.end(), "b") - daughters.begin();
  if (b_slot == static_cast<std::ptrdiff_t>(daughters.size())) {
    throw core::InputError("event spec", "EVENT/" + spec.particles[0].name, "no daughter 'b'",
                           "the chi2 baseline needs the b slot named 'b'");
  }
  std::vector<std::int64_t> q_slots;
  for (std::int64_t s = 0; s < 3; ++s) {
    if (s != b_slot) q_slots.push_back(s);
  }
  const auto m = index.size(0);
  auto out = torch::full({m, 2, 3}, -1, torch::kInt64);
  auto o = out.accessor<std::int64_t, 3>();
  const auto rows = index.accessor<std::int64_t, 1>();
  for (std::int64_t r = 0; r < m; ++r) {
    std::vector<features::ChiJet> jets;
    for (const auto& jet : real_jets(data, rows[r], columns)) {
      jets.push_back({jet.pt, jet.eta, jet.phi, jet.mass, jet.btag});
    }
    const auto tops = features::assign_tops_chi2(jets);
    for (std::int64_t t = 0; t < 2; ++t) {
      const auto& top = tops[static_cast<std::size_t>(t)];
      o[r][t][q_slots[0]] = top[0];
      o[r][t][q_slots[1]] = top[1];
      o[r][t][b_slot] = top[2];
    }
  }
  return out;
}

}  // namespace

store::SpanetPredictionRows predict_events(const store::SpanetEventSpec& spec,
                                           const store::SpanetDataset& data,
                                           const AssignmentOptions& options,
                                           const core::ModelTensors& model, std::uint64_t first,
                                           std::uint64_t count) {
  const auto cfg = network_config_for(spec, data.jet_slots, options.network);
  models::AttentionNetwork net(cfg);
  models::import_tensors(*net, model);
  store::SpanetPredictionRows rows;
  rows.first_event = first;
  rows.events = count;
  const auto per_event_jets = data.jet_slots * data.features.size();
  rows.jets.assign(data.jets.begin() + static_cast<std::ptrdiff_t>(first * per_event_jets),
                   data.jets.begin() + static_cast<std::ptrdiff_t>((first + count) * per_event_jets));
  rows.mask.assign(data.mask.begin() + static_cast<std::ptrdiff_t>(first * data.jet_slots),
                   data.mask.begin() + static_cast<std::ptrdiff_t>((first + count) * data.jet_slots));
  if (count == 0) return rows;
  const auto sample = to_attention_sample(data).select(
      torch::arange(static_cast<std::int64_t>(first), static_cast<std::int64_t>(first + count),
                    torch::kInt64));
  const auto predicted = training::predict_attention(net, sample.jets, sample.mask);
  const auto assignments = predicted.assignments.to(torch::kInt64).contiguous();
  rows.assignments.assign(assignments.data_ptr<std::int64_t>(),
                          assignments.data_ptr<std::int64_t>() + assignments.numel());
  const auto probabilities = predicted.assignment_probs.to(torch::kFloat32).contiguous();
  rows.assignment_probability.assign(probabilities.data_ptr<float>(),
                                     probabilities.data_ptr<float>() + probabilities.numel());
  if (options.trainer.loss_weights.detection > 0) {
    const auto detection = predicted.detection_probs.to(torch::kFloat32).contiguous();
    rows.detection_probability.assign(detection.data_ptr<float>(),
                                      detection.data_ptr<float>() + detection.numel());
  }
  if (!spec.classifications.empty()) {
    const auto classes = predicted.class_probs.to(torch::kFloat32).contiguous();
    rows.class_probability.assign(classes.data_ptr<float>(),
                                  classes.data_ptr<float>() + classes.numel());
  }
  return rows;
}

torch::Tensor min_delta_r_assignments(const store::SpanetDataset& data, const torch::Tensor& index) {
  const auto columns = jet_columns(data, "min-ΔR");
  const auto m = index.size(0);
  auto out = torch::full({m, 2, 2}, -1, torch::kInt64);
  auto o = out.accessor<std::int64_t, 3>();
  const auto rows = index.accessor<std::int64_t, 1>();
  const features::PairingConfig pairing;  // the note's: b-tagged jets, four-tag kinematics
  for (std::int64_t r = 0; r < m; ++r) {
    const auto jets = real_jets(data, rows[r], columns);
    std::vector<std::int64_t> slots(jets.size());  // by decreasing pT, as the pairing expects
    std::iota(slots.begin(), slots.end(), std::int64_t{0});
    std::stable_sort(slots.begin(), slots.end(), [&](std::int64_t a, std::int64_t b) {
      return jets[static_cast<std::size_t>(a)].pt > jets[static_cast<std::size_t>(b)].pt;
    });
    physics::JetEvent event;
    for (const auto slot : slots) {
      const auto& from = jets[static_cast<std::size_t>(slot)];
      physics::Jet jet;
      jet.p4 = physics::FourVector::from_pt_eta_phi_m(from.pt, from.eta, from.phi, from.mass);
      jet.btag = from.btag > 0.5;
      event.jets.push_back(jet);
    }
    const auto candidates = features::make_candidates(event, pairing);
    if (!candidates) continue;
    for (std::int64_t h = 0; h < 2; ++h) {
      for (std::int64_t b = 0; b < 2; ++b) {
        const auto sorted = candidates->jet_index[static_cast<std::size_t>(2 * h + b)];
        o[r][h][b] = slots[static_cast<std::size_t>(sorted)];  // back to the file's slot
      }
    }
  }
  return out;
}

AssignmentResult run_assignment(const store::SpanetEventSpec& spec,
                                const store::SpanetDataset& data,
                                const AssignmentOptions& options) {
  if (!(options.train_fraction > 0 && options.train_fraction < 1)) {
    throw core::InputError("cwola assign", "--train-fraction",
                           std::to_string(options.train_fraction), "must be in (0, 1)");
  }
  const auto cfg = network_config_for(spec, data.jet_slots, options.network);
  const auto sample = to_attention_sample(data);
  const auto n = sample.size();
  const auto n_train = static_cast<std::int64_t>(std::floor(options.train_fraction *
                                                            static_cast<double>(n)));
  auto trainer = options.trainer;
  if (data.classifications.empty()) trainer.loss_weights.classification = 0.0;  // nothing to learn

  if (!(options.validation_fraction >= 0 && options.validation_fraction < 1)) {
    throw core::InputError("cwola assign", "--validation-fraction",
                           std::to_string(options.validation_fraction), "must be in [0, 1)");
  }
  const auto n_validation = static_cast<std::int64_t>(
      std::floor(options.validation_fraction * static_cast<double>(n_train)));
  if (options.validation_fraction > 0 && (n_validation < 1 || n_validation >= n_train)) {
    throw core::InputError("cwola assign", "--validation-fraction",
                           std::to_string(options.validation_fraction),
                           "leaves " + std::to_string(n_validation) + " validation events of " +
                               std::to_string(n_train) + " training events; choose another");
  }
  AssignmentResult result;
  result.train_events = n_train - n_validation;
  result.validation_events = n_validation;
  training::seed_weight_init(core::stream_seed(options.seed, 0, core::SeedPurpose::kWeightInit));
  models::AttentionNetwork net(cfg);
  const auto train = sample.select(torch::arange(result.train_events, torch::kInt64));
  training::AttentionSample validation;
  if (n_validation > 0) {
    validation = sample.select(torch::arange(result.train_events, n_train, torch::kInt64));
  }
  const auto start = std::chrono::steady_clock::now();
  auto trained = training::train_attention(
      net, train, trainer, core::stream_seed(options.seed, 0, core::SeedPurpose::kShuffle),
      n_validation > 0 ? &validation : nullptr);
  if (trained.outcome.status == training::TrainStatus::kDiverged) {
    throw core::Error("attention training: " + trained.outcome.failure_reason +
                      " (lower learning_rate or check the inputs)");
  }
  result.history = std::move(trained.epochs);
  result.best_epoch = trained.best_epoch;
  result.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  result.model = models::export_tensors(*net);
  const auto test_index = torch::arange(n_train, n, torch::kInt64);
  const auto test = sample.select(test_index);
  const auto prediction = training::predict_attention(net, test.jets, test.mask);
  const auto& predicted = prediction.assignments;
  if (trainer.loss_weights.detection > 0) {
    result.detection =
        training::detection_quality(prediction.detection_probs, test.targets, train.targets);
  }
  const auto complete = test.targets.ge(0).flatten(1).all(1);
  const auto jet_count = test.mask.sum(1);
  const bool chi2 = options.baseline && cfg.particles == 2 && cfg.daughters == 3;
  const bool min_delta_r = options.baseline && cfg.particles == 2 && cfg.daughters == 2;
  result.baseline = chi2 ? "chi2" : min_delta_r ? "min_dR" : "";
  int group = 1;  // daughter permutations per particle: the product of the sets' factorials
  for (const auto& set : cfg.symmetric_daughters) {
    for (std::size_t i = 2; i <= set.size(); ++i) group *= static_cast<int>(i);
  }
  const std::int64_t lowest = static_cast<std::int64_t>(cfg.particles) * cfg.daughters;
  for (std::int64_t bin = 0; bin < 4; ++bin) {
    PurityRow row;
    torch::Tensor in_bin;
    if (bin < 3) {
      row.jets = lowest + bin;
      row.at_least = bin == 2;
      in_bin = row.at_least ? jet_count.ge(row.jets) : jet_count.eq(row.jets);
    } else {
      row.jets = lowest;
      row.at_least = true;
      in_bin = jet_count.ge(lowest);
    }
    const auto rows = torch::nonzero(in_bin.logical_and(complete)).flatten();
    row.events = rows.size(0);
    if (row.events == 0) continue;
    row.attention = training::event_purity(predicted.index_select(0, rows),
                                           test.targets.index_select(0, rows),
                                           cfg.symmetric_daughters)
                        .first;
    if (chi2 || min_delta_r) {
      const auto events = test_index.index_select(0, rows);
      row.baseline = training::event_purity(chi2 ? chi2_assignments(spec, data, events)
                                                 : min_delta_r_assignments(data, events),
                                            test.targets.index_select(0, rows),
                                            cfg.symmetric_daughters)
                         .first;
    }
    // Random purity: per event, averaged over the row's events.
    const auto counts = jet_count.index_select(0, rows);
    double sum = 0;
    for (std::int64_t r = 0; r < row.events; ++r) {
      sum += random_purity(counts[r].item<std::int64_t>(), cfg.particles, cfg.daughters, group);
    }
    row.random = sum / static_cast<double>(row.events);
    result.rows.push_back(row);
  }
  return result;
}

}  // namespace cwola::studies
