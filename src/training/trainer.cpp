#include "training/trainer.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "training/training_loop.hpp"

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
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay)) {
    throw core::InputError("trainer", "weight_decay", format_double(weight_decay),
                           "the decoupled weight decay must be finite and >= 0 (0 is plain Adam)");
  }
  if (step_epochs < 1) {
    throw core::InputError("trainer", "step_epochs", std::to_string(step_epochs),
                           "the step schedule changes the rate every step_epochs >= 1 epochs");
  }
  if (!(step_factor > 0 && step_factor <= 1)) {
    throw core::InputError("trainer", "step_factor", format_double(step_factor),
                           "the step schedule multiplies the rate by a factor in (0, 1]");
  }
  if (!(gradient_clip >= 0) || !std::isfinite(gradient_clip)) {
    throw core::InputError("trainer", "gradient_clip", format_double(gradient_clip),
                           "the largest gradient norm must be finite and >= 0 (0 is off)");
  }
  if (average_best_epochs < 1) {
    throw core::InputError("trainer", "average_best_epochs", std::to_string(average_best_epochs),
                           "at least the best epoch is kept (>= 1)");
  }
}

LearningRateSchedule parse_schedule(const std::string& name) {
  if (name == "constant") return LearningRateSchedule::kConstant;
  if (name == "cosine") return LearningRateSchedule::kCosine;
  if (name == "step") return LearningRateSchedule::kStep;
  throw core::InputError("trainer", "schedule", name, "choose constant, cosine or step");
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
                              torch::Device device, const KeepGoing& keep_going,
                              const OptimizerState* initial_optimizer,
                              const EpochCheckpoints* checkpoints) {
  if (!model.module || !model.logits) {
    throw core::Error("train_classifier got an empty Classifier (a bug in the caller)");
  }
  // A stack of one: x [1, N, ...] -> the network's logits [N] -> [1, N].
  const auto& logits = model.logits;
  const StackView stack{model.module,
                        [logits](const torch::Tensor& x) {
                          const auto events = x.select(0, 0);
                          const auto out = logits(events);
                          if (out.dim() != 1 || out.size(0) != events.size(0)) {
                            throw core::Error(
                                "the model returned logits of shape " + shape_of(out) + " for " +
                                std::to_string(events.size(0)) +
                                " events (a classifier must return one logit per event, shape "
                                "[N]) fix the model's forward()");
                          }
                          return out.unsqueeze(0);
                        },
                        MemberAxis::kSingle};
  StackKeepGoing poll;
  if (keep_going) poll = keep_going;
  auto outcomes =
      train_stack(stack, {EnsembleMember{train, validation, shuffle_seed}}, config, device, poll,
                  initial_optimizer, checkpoints);
  return std::move(outcomes.front());
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

std::vector<float> predict_averaged_scores(const Classifier& model, const TrainOutcome& outcome,
                                           const torch::Tensor& x, int batch_size,
                                           torch::Device device) {
  if (outcome.averaged_states.size() <= 1) return predict_scores(model, x, batch_size, device);
  const StackView view{model.module, {}, MemberAxis::kSingle};
  return score_over_best_epochs(view, {outcome}, [&] {
           return std::vector<std::vector<float>>{predict_scores(model, x, batch_size, device)};
         }).front();
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
