#pragma once
/// Jet assignment on a SPANet data set: the attention network trained on the first part of the
/// file and tested on the complete events of the rest, event purity per jet count, beside a
/// physics baseline (the chi2 mass constraint for ttbar triplets, the note's min-ΔR pairing for
/// di-Higgs pairs) and the random-assignment purity. Used by
/// `cwola assign`; docs/attention.md.
#include <cstdint>
#include <string>
#include <vector>

#include "core/model_tensors.hpp"
#include "physics/jet_event.hpp"
#include "store/spanet_dataset.hpp"
#include "store/spanet_predictions.hpp"
#include "store/spanet_spec.hpp"
#include "training/attention_trainer.hpp"

namespace cwola::studies {

/// Tensors for the network from a data set read with its spec: jets [N, J, F], mask, targets
/// [N, P, K], labels (the first classification if any, else 1 for events with all targets).
training::AttentionSample to_attention_sample(const store::SpanetDataset& data);

/// Tensors for the network from generated events (their `max_jets` leading jets: pT, η, φ, m,
/// b-tag, as our generator writes them) with their training labels. `truth_targets`: each
/// event's generator pairing (TARGETS h1/h2 → b1/b2; −1 where a b quark's jet is not among
/// the kept jets, and for every background event); false: −1 everywhere, so the pairing head
/// learns nothing and no truth reaches the network.
training::AttentionSample to_attention_sample(const std::vector<physics::JetEvent>& events,
                                              const std::vector<float>& labels,
                                              std::size_t max_jets, bool truth_targets);

/// The network configuration for to_attention_sample's jets (SPANet's di-Higgs spec: log-
/// normalised pT and mass, normalised η and φ, the b-tag bit as it is); sizes from `base`.
models::AttentionNetworkConfig dihiggs_network_config(std::size_t max_jets,
                                                      models::AttentionNetworkConfig base = {});

/// The network configuration a spec implies (features, their log/normalise flags, particles,
/// daughters and daughter symmetries); sizes from `base`. Throws core::InputError when the
/// particles differ in their daughter count or symmetries (one head shape for all).
models::AttentionNetworkConfig network_config_for(const store::SpanetEventSpec& spec,
                                                  std::uint64_t max_jets,
                                                  models::AttentionNetworkConfig base = {});

struct AssignmentOptions {
  double train_fraction = 0.8;  ///< first part of the file for training
  /// Last fraction of the training part held out for validation (early stopping with
  /// trainer.patience, best epoch's weights); 0: none, train every epoch, keep the last.
  double validation_fraction = 0.0;
  std::uint64_t seed = 1;       ///< master seed (weight init and epoch order, via core/seed)
  models::AttentionNetworkConfig network;  ///< sizes (hidden, layers, heads)
  training::AttentionTrainerConfig trainer;
  bool baseline = true;  ///< chi2 for 2 particles x 3 daughters, min-ΔR for 2 x 2
};

/// One row of the purity table: events with `jets` real jets (the last row: >= jets).
struct PurityRow {
  std::int64_t jets = 0;
  bool at_least = false;
  std::int64_t events = 0;     ///< complete test events in the row
  double attention = 0;        ///< event purity of the network
  double baseline = -1;        ///< of the baseline (-1 when not run)
  double random = 0;           ///< of a uniformly random assignment
};

struct AssignmentResult {
  std::vector<PurityRow> rows;  ///< per jet count, then "all"
  std::string baseline;         ///< "chi2", "min_dR" or "" (none for this event topology)
  std::vector<training::AttentionEpoch> history;
  int best_epoch = -1;               ///< by validation loss; -1 without a validation set
  std::int64_t validation_events = 0;
  double train_seconds = 0;
  std::int64_t train_events = 0;
  core::ModelTensors model;  ///< the trained network (parameters, normalisation buffers)
  /// With detection_loss_scale > 0: the detection head on the test events (all of them,
  /// complete or not), the null from the training set's targets; else events = 0.
  training::DetectionQuality detection;
};

AssignmentResult run_assignment(const store::SpanetEventSpec& spec,
                                const store::SpanetDataset& data,
                                const AssignmentOptions& options);

/// Predictions of the trained network `model` (AssignmentResult::model) for events
/// [first, first + count) of `data`, as rows of SPANet's predict layout (inputs as read,
/// greedy assignments, their probabilities, the class probability when the spec classifies,
/// and the detection probabilities when options.trainer.loss_weights.detection > 0).
store::SpanetPredictionRows predict_events(const store::SpanetEventSpec& spec,
                                           const store::SpanetDataset& data,
                                           const AssignmentOptions& options,
                                           const core::ModelTensors& model, std::uint64_t first,
                                           std::uint64_t count);

/// The note's min-ΔR pairing (features::make_candidates: the four highest-pT b-tagged jets
/// passing the four-tag kinematics) of every event in `index`, as [M, 2, 2] jet indices (h1's
/// jets, then h2's; -1 where fewer than four jets qualify). Needs pt, eta, phi, mass, btag.
torch::Tensor min_delta_r_assignments(const store::SpanetDataset& data, const torch::Tensor& index);

/// Purity of a uniformly random assignment of `particles` particles with `daughters` jets each
/// (symmetry group of size `group` per particle, particles interchangeable) among n jets.
double random_purity(std::int64_t n, int particles, int daughters, int group);

}  // namespace cwola::studies
