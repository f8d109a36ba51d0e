#include "training/trainer.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include "core/error.hpp"

namespace cwola::training {

namespace {

std::string format_double(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// Checks that a data set is non-empty, with x [N, ...] and y [N]; `name` is "training" or
/// "validation".
void check_batch(const Batch& batch, const std::string& name) {
  if (!batch.x.defined() || !batch.y.defined()) {
    throw core::InputError("the " + name +
                           " set has no data (x or y is undefined) give it events before "
                           "training");
  }
  if (batch.x.dim() < 2 || batch.y.dim() != 1 || batch.x.size(0) != batch.y.size(0)) {
    throw core::InputError("the " + name + " set has x of shape " + shape_of(batch.x) +
                           " and y of shape " + shape_of(batch.y) +
                           " (the trainer needs x [N, features...] and y [N]) check how the "
                           "data set was built");
  }
  if (batch.x.size(0) == 0) {
    throw core::InputError("the " + name +
                           " set is empty (no events to train or validate on) check the sample "
                           "sizes and split fractions of the study");
  }
}

/// Parameters and buffers of a module, in a fixed order, for snapshots of the best weights.
std::vector<torch::Tensor> state_tensors(const torch::nn::Module& module) {
  std::vector<torch::Tensor> tensors = module.parameters();
  for (const auto& buffer : module.buffers()) {
    tensors.push_back(buffer);
  }
  return tensors;
}

void check_logits(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (logits.sizes() != labels.sizes()) {
    throw core::Error("the model returned logits of shape " + shape_of(logits) + " for " +
                      std::to_string(labels.size(0)) +
                      " events (a classifier must return one logit per event, shape [N]) fix "
                      "the model's forward()");
  }
}

struct Evaluation {
  double loss = 0;      // mean binary cross-entropy per event
  double accuracy = 0;  // fraction with (logit > 0) == label
};

/// Loss and accuracy of the model on (x, y), both already on the model's device.
Evaluation evaluate(const Classifier& model, const torch::Tensor& x, const torch::Tensor& y,
                    std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  model.module->eval();
  const std::int64_t n = x.size(0);
  auto loss_sum = torch::zeros({}, x.options().dtype(torch::kFloat64));
  auto correct = torch::zeros({}, x.options().dtype(torch::kInt64));
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + batch_size);
    const auto xb = x.slice(0, start, end);
    const auto yb = y.slice(0, start, end);
    const auto logits = model.logits(xb);
    check_logits(logits, yb);
    loss_sum += torch::binary_cross_entropy_with_logits(logits, yb).to(torch::kFloat64) *
                static_cast<double>(end - start);
    correct += ((logits > 0) == (yb > 0.5)).sum();
  }
  return {loss_sum.item<double>() / static_cast<double>(n),
          static_cast<double>(correct.item<std::int64_t>()) / static_cast<double>(n)};
}

}  // namespace

void TrainerConfig::validate() const {
  if (max_epochs < 1) {
    throw core::InputError("trainer", "max_epochs", std::to_string(max_epochs),
                           "at least one epoch is needed");
  }
  if (batch_size < 1) {
    throw core::InputError("trainer", "batch_size", std::to_string(batch_size),
                           "a minibatch needs at least one event");
  }
  if (!(learning_rate > 0) || !std::isfinite(learning_rate)) {
    throw core::InputError("trainer", "learning_rate", format_double(learning_rate),
                           "the learning rate must be positive and finite (typical: 1e-3)");
  }
  if (patience < 1) {
    throw core::InputError("trainer", "patience", std::to_string(patience),
                           "patience counts epochs without improvement and must be >= 1 (set "
                           "it >= max_epochs to disable early stopping)");
  }
  if (!(min_delta >= 0) || !std::isfinite(min_delta)) {
    throw core::InputError("trainer", "min_delta", format_double(min_delta),
                           "the improvement threshold must be finite and >= 0");
  }
}

std::string to_string(TrainStatus status) {
  switch (status) {
    case TrainStatus::kCompleted:
      return "completed";
    case TrainStatus::kEarlyStopped:
      return "early_stopped";
    case TrainStatus::kDiverged:
      return "diverged";
    case TrainStatus::kAbandoned:
      return "abandoned";
  }
  return "unknown";
}

TrainOutcome train_classifier(const Classifier& model, const Batch& train, const Batch& validation,
                              const TrainerConfig& config, std::uint64_t shuffle_seed,
                              torch::Device device, const KeepGoing& keep_going) {
  config.validate();
  check_batch(train, "training");
  check_batch(validation, "validation");
  if (!model.module || !model.logits) {
    throw core::Error("train_classifier got an empty Classifier (a bug in the caller)");
  }
  torch::nn::Module& module = *model.module;
  module.to(device);

  // Everything moves to the device once; minibatches are gathered there.
  const auto x_train = train.x.to(device, torch::kFloat32).contiguous();
  const auto y_train = train.y.to(device, torch::kFloat32).contiguous();
  const auto x_val = validation.x.to(device, torch::kFloat32).contiguous();
  const auto y_val = validation.y.to(device, torch::kFloat32).contiguous();
  const std::int64_t n = x_train.size(0);
  const std::int64_t batch_size = config.batch_size;

  torch::optim::Adam optimizer(module.parameters(),
                               torch::optim::AdamOptions(config.learning_rate));
  std::mt19937_64 rng(shuffle_seed);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));

  const std::vector<torch::Tensor> live = state_tensors(module);
  std::vector<torch::Tensor> best_state;
  double best_val_loss = std::numeric_limits<double>::infinity();
  int epochs_without_improvement = 0;

  TrainOutcome outcome;
  outcome.status = TrainStatus::kCompleted;
  for (int epoch = 0; epoch < config.max_epochs; ++epoch) {
    module.train();
    draw_epoch_order(order, rng);
    const auto permutation =
        torch::from_blob(order.data(), {n}, torch::kInt64).clone().to(device);
    // Sums stay on the device so a GPU is not synchronised after every minibatch.
    auto loss_sum = torch::zeros({}, x_train.options().dtype(torch::kFloat64));
    auto correct = torch::zeros({}, x_train.options().dtype(torch::kInt64));
    for (std::int64_t start = 0; start < n; start += batch_size) {
      const std::int64_t end = std::min(n, start + batch_size);
      const auto index = permutation.slice(0, start, end);
      const auto xb = x_train.index_select(0, index);
      const auto yb = y_train.index_select(0, index);
      optimizer.zero_grad();
      const auto logits = model.logits(xb);
      if (start == 0) {
        check_logits(logits, yb);
      }
      const auto loss = torch::binary_cross_entropy_with_logits(logits, yb);
      loss.backward();
      optimizer.step();
      torch::NoGradGuard no_grad;
      loss_sum += loss.detach().to(torch::kFloat64) * static_cast<double>(end - start);
      correct += ((logits.detach() > 0) == (yb > 0.5)).sum();
    }
    EpochRecord record;
    record.train_loss = loss_sum.item<double>() / static_cast<double>(n);
    record.train_accuracy =
        static_cast<double>(correct.item<std::int64_t>()) / static_cast<double>(n);
    const Evaluation val = evaluate(model, x_val, y_val, batch_size);
    record.val_loss = val.loss;
    record.val_accuracy = val.accuracy;
    outcome.history.push_back(record);

    if (!std::isfinite(record.train_loss) || !std::isfinite(record.val_loss)) {
      outcome.status = TrainStatus::kDiverged;
      outcome.failure_reason = std::string("non-finite ") +
                               (std::isfinite(record.train_loss) ? "validation" : "training") +
                               " loss at epoch " + std::to_string(epoch);
      break;
    }
    if (record.val_loss < best_val_loss - config.min_delta) {
      best_val_loss = record.val_loss;
      outcome.best_epoch = epoch;
      epochs_without_improvement = 0;
      torch::NoGradGuard no_grad;
      best_state.clear();
      for (const auto& t : live) {
        best_state.push_back(t.detach().clone());
      }
    } else {
      ++epochs_without_improvement;
    }
    if (keep_going && !keep_going(record)) {
      outcome.status = TrainStatus::kAbandoned;
      break;
    }
    if (epochs_without_improvement >= config.patience) {
      outcome.status = TrainStatus::kEarlyStopped;
      break;
    }
  }

  if (!best_state.empty()) {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < live.size(); ++i) {
      live[i].copy_(best_state[i]);
    }
  }
  module.eval();
  return outcome;
}

std::vector<float> predict_scores(const Classifier& model, const torch::Tensor& x, int batch_size,
                                  torch::Device device) {
  if (batch_size < 1) {
    throw core::InputError("predict_scores", "batch_size", std::to_string(batch_size),
                           "a batch needs at least one event");
  }
  if (!x.defined() || x.dim() < 2) {
    throw core::InputError("predict_scores needs x [N, features...], got " +
                           (x.defined() ? shape_of(x) : std::string("no tensor")) +
                           " (one row per event) check the data set");
  }
  const std::int64_t n = x.size(0);
  std::vector<float> scores(static_cast<std::size_t>(n));
  if (n == 0) {
    return scores;
  }
  torch::NoGradGuard no_grad;
  model.module->to(device);
  model.module->eval();
  const auto x_device = x.to(device, torch::kFloat32).contiguous();
  std::vector<torch::Tensor> parts;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + std::int64_t{batch_size});
    const auto logits = model.logits(x_device.slice(0, start, end));
    if (logits.dim() != 1 || logits.size(0) != end - start) {
      throw core::Error("the model returned logits of shape " + shape_of(logits) + " for " +
                        std::to_string(end - start) +
                        " events (a classifier must return one logit per event, shape [N]) "
                        "fix the model's forward()");
    }
    parts.push_back(torch::sigmoid(logits));
  }
  const auto all = torch::cat(parts).to(torch::kCPU, torch::kFloat32).contiguous();
  std::copy(all.data_ptr<float>(), all.data_ptr<float>() + n, scores.begin());
  return scores;
}

void seed_weight_init(std::uint64_t seed) { torch::manual_seed(seed); }

torch::Tensor to_tensor(const std::vector<float>& rows, std::int64_t features) {
  if (features < 1 || rows.size() % static_cast<std::size_t>(features) != 0) {
    throw core::InputError("cannot shape " + std::to_string(rows.size()) + " values into rows of " +
                           std::to_string(features) +
                           " features (the data must be row-major, one full row per event) "
                           "check the feature count");
  }
  const auto n = static_cast<std::int64_t>(rows.size()) / features;
  // from_blob does not take ownership and wants a mutable pointer; clone() copies before return.
  return torch::from_blob(const_cast<float*>(rows.data()), {n, features}, torch::kFloat32).clone();
}

namespace {
/// Uniform integer in [0, bound) from the raw 64-bit stream by rejection, so the result does not
/// depend on the standard library's distribution implementation (std::uniform_int_distribution
/// differs between libstdc++ and libc++).
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  for (;;) {
    const std::uint64_t r = rng();
    if (r >= threshold) {
      return r % bound;
    }
  }
}
}  // namespace

void draw_epoch_order(std::vector<std::int64_t>& order, std::mt19937_64& rng) {
  std::iota(order.begin(), order.end(), std::int64_t{0});
  for (std::size_t i = order.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(uniform_below(rng, i));
    std::swap(order[i - 1], order[j]);
  }
}

}  // namespace cwola::training
