// Per-epoch checkpoints: a training resumed from the checkpoint of any epoch, through the plain
// form the store keeps, ends exactly as the uninterrupted training (weights, history, best
// epoch, status), with dropout, early stopping and batch norm; saving changes nothing.
#include "training/loop_checkpoint.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <random>

#include "core/error.hpp"
#include "models/dense_network.hpp"
#include "models/module_tensors.hpp"

namespace models = cwola::models;
namespace training = cwola::training;
using training::Batch;
using training::TrainerConfig;

namespace {

const torch::Device kCpu(torch::kCPU);

/// Overlapping 2-d blobs (label 1 shifted by +0.8).
Batch blobs(std::int64_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> rows;
  std::vector<float> labels;
  for (std::int64_t i = 0; i < n; ++i) {
    const bool label = (i % 3) == 0;
    rows.push_back(normal(rng) + (label ? 0.8F : 0.0F));
    rows.push_back(normal(rng) + (label ? 0.8F : 0.0F));
    labels.push_back(label ? 1.0F : 0.0F);
  }
  return {training::to_tensor(rows, 2), torch::tensor(labels), {}};
}

models::DenseNetworkConfig network_config(bool batch_norm) {
  models::DenseNetworkConfig network;
  network.inputs = 2;
  network.hidden = {16, 16};
  network.dropout = 0.3;  // masks from the network's own counter, a buffer: it must travel
  network.batch_norm = batch_norm;
  return network;
}

TrainerConfig config() {
  TrainerConfig c;
  c.max_epochs = 14;
  c.batch_size = 40;
  c.learning_rate = 2e-2;
  c.patience = 4;
  return c;
}

struct Run {
  std::vector<std::vector<float>> weights;
  training::TrainOutcome outcome;
  std::vector<cwola::core::Checkpoint> saved;
};

/// Trains a fresh network (initialised from `init_seed`), from `resume` if given, saving a
/// checkpoint after every epoch when `save`.
Run train(bool batch_norm, std::uint64_t init_seed, const cwola::core::Checkpoint* resume,
          bool save) {
  training::seed_weight_init(init_seed);
  models::DenseNetwork model(network_config(batch_norm));
  Run run;
  training::EpochCheckpoints checkpoints;
  training::LoopState state;
  if (resume != nullptr) {
    state = training::import_checkpoint(*model, *resume, config().max_epochs);
    checkpoints.resume = &state;
  }
  if (save) {
    checkpoints.save = [&](const training::LoopState& s) {
      run.saved.push_back(training::export_checkpoint(*model, s, config().max_epochs));
    };
  }
  run.outcome = training::train_classifier(training::as_classifier(model), blobs(400, 1),
                                           blobs(200, 2), config(), 77, kCpu, {}, nullptr,
                                           resume || save ? &checkpoints : nullptr);
  run.weights = models::export_tensors(*model).values;
  return run;
}

void check_same(const Run& a, const Run& b) {
  BOOST_TEST(a.weights == b.weights);  // bit for bit
  BOOST_TEST(a.outcome.best_epoch == b.outcome.best_epoch);
  BOOST_TEST(static_cast<int>(a.outcome.status) == static_cast<int>(b.outcome.status));
  BOOST_REQUIRE(a.outcome.history.size() == b.outcome.history.size());
  for (std::size_t e = 0; e < a.outcome.history.size(); ++e) {
    BOOST_TEST(a.outcome.history[e].train_loss == b.outcome.history[e].train_loss);
    BOOST_TEST(a.outcome.history[e].val_loss == b.outcome.history[e].val_loss);
    BOOST_TEST(a.outcome.history[e].val_accuracy == b.outcome.history[e].val_accuracy);
  }
  BOOST_TEST(a.outcome.optimizer.step == b.outcome.optimizer.step);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(loop_checkpoint)

BOOST_AUTO_TEST_CASE(a_training_resumed_after_any_epoch_ends_as_the_uninterrupted_one) {
  for (const bool batch_norm : {false, true}) {
    BOOST_TEST_CONTEXT("batch norm " << batch_norm) {
      const Run plain = train(batch_norm, 5, nullptr, false);
      const Run saving = train(batch_norm, 5, nullptr, true);
      check_same(plain, saving);  // saving changes nothing
      // A checkpoint after every epoch the training went on from.
      BOOST_REQUIRE(!saving.saved.empty());
      BOOST_TEST(saving.saved.size() == plain.outcome.history.size() - 1);
      const auto layout = training::checkpoint_layout(
          *models::DenseNetwork(network_config(batch_norm)), config().max_epochs);
      const auto& names = layout.tensors.tensors;
      BOOST_TEST(std::any_of(names.begin(), names.end(),
                             [](const auto& t) { return t.name == "weights.dropout_step"; }));
      for (const auto& checkpoint : saving.saved) {
        BOOST_TEST_CONTEXT("resumed after epoch " << checkpoint.epochs_done) {
          // Another initialisation: everything must come from the checkpoint.
          check_same(plain, train(batch_norm, 999, &checkpoint, false));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(loss_terms_extend_the_layout_and_round_trip) {
  const Run saving = train(false, 5, nullptr, true);
  models::DenseNetwork model(network_config(false));
  const int epochs = config().max_epochs;
  const auto plain = training::checkpoint_layout(*model, epochs);
  const auto with_terms = training::checkpoint_layout(*model, epochs, 2);
  BOOST_TEST(with_terms.numbers == plain.numbers + 2 * static_cast<std::size_t>(epochs));
  BOOST_TEST((with_terms.tensors == plain.tensors));
  auto state = training::import_checkpoint(*model, saving.saved.back(), epochs);
  for (std::size_t e = 0; e < state.history.size(); ++e) {
    state.history[e].train_terms = {0.5 + static_cast<double>(e), -1.0 * static_cast<double>(e)};
  }
  const auto checkpoint = training::export_checkpoint(*model, state, epochs, 2);
  BOOST_TEST(checkpoint.numbers.size() == with_terms.numbers);
  const auto back = training::import_checkpoint(*model, checkpoint, epochs, 2);
  BOOST_REQUIRE(back.history.size() == state.history.size());
  for (std::size_t e = 0; e < back.history.size(); ++e) {
    BOOST_TEST(back.history[e].train_terms == state.history[e].train_terms);
    BOOST_TEST(back.history[e].train_loss == state.history[e].train_loss);
  }
  // A checkpoint with terms does not fit a layout without them (and the reverse).
  BOOST_CHECK_THROW(training::import_checkpoint(*model, checkpoint, epochs),
                    cwola::core::InputError);
  BOOST_CHECK_THROW(training::import_checkpoint(*model, saving.saved.back(), epochs, 2),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_of_another_network_is_refused) {
  const Run plain = train(false, 5, nullptr, true);
  auto other = network_config(false);
  other.hidden = {8};
  models::DenseNetwork model(other);
  BOOST_CHECK_THROW(training::import_checkpoint(*model, plain.saved.front(), config().max_epochs),
                    cwola::core::InputError);
  // Another epoch limit: another job.
  models::DenseNetwork same(network_config(false));
  BOOST_CHECK_THROW(training::import_checkpoint(*same, plain.saved.front(), 20),
                    cwola::core::InputError);
  // Checkpoints do not keep the best epochs' weights that average_best_epochs averages.
  auto averaging = config();
  averaging.average_best_epochs = 3;
  training::EpochCheckpoints checkpoints;
  checkpoints.save = [](const training::LoopState&) {};
  BOOST_CHECK_THROW(training::train_classifier(training::as_classifier(same), blobs(100, 1),
                                               blobs(50, 2), averaging, 77, kCpu, {}, nullptr,
                                               &checkpoints),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
