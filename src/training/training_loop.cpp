#include "training/training_loop.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <tuple>

#include "core/early_stopping.hpp"
#include "core/error.hpp"
#include "models/ensemble_model.hpp"
#include "training/adam_optimizer.hpp"

namespace cwola::training {

namespace {

constexpr double kPi = 3.14159265358979323846;

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// Checks that a data set is non-empty, with x [N, ...], y [N] and, if given, weights [N].
void check_batch(const Batch& batch, const std::string& what) {
  if (!batch.x.defined() || !batch.y.defined()) {
    throw core::InputError(what +
                           " has no data (x or y is undefined) give it events before "
                           "training");
  }
  if (batch.x.dim() < 2 || batch.y.dim() != 1 || batch.x.size(0) != batch.y.size(0)) {
    throw core::InputError(what + " has x of shape " + shape_of(batch.x) + " and y of shape " +
                           shape_of(batch.y) +
                           " (the trainer needs x [N, features...] and y [N]) check how the "
                           "data set was built");
  }
  if (batch.x.size(0) == 0) {
    throw core::InputError(what +
                           " is empty (no events to train or validate on) check the "
                           "sample sizes and split fractions of the study");
  }
  if (batch.weight.defined() &&
      (batch.weight.dim() != 1 || batch.weight.size(0) != batch.y.size(0))) {
    throw core::InputError(what + " has event weights of shape " + shape_of(batch.weight) +
                           " for " + std::to_string(batch.y.size(0)) +
                           " events (one weight per event is needed) check the weights");
  }
  for (std::size_t i = 0; i < batch.extra.size(); ++i) {
    const auto& t = batch.extra[i];
    if (!t.defined() || t.dim() < 1 || t.size(0) != batch.y.size(0)) {
      throw core::InputError(what + " has per-event tensor " + std::to_string(i) + " of shape " +
                             (t.defined() ? shape_of(t) : std::string("(none)")) + " for " +
                             std::to_string(batch.y.size(0)) +
                             " events (one row per event is needed) check how the data set "
                             "was built");
    }
  }
}

/// Parameters and buffers of a module, in a fixed order, for snapshots of the best weights.
std::vector<torch::Tensor> state_tensors(const torch::nn::Module& module) {
  std::vector<torch::Tensor> tensors = module.parameters();
  for (const auto& buffer : module.buffers()) tensors.push_back(buffer);
  return tensors;
}

/// Every member's data set `set`, stacked along a new leading axis [K, N, ...] on `device`:
/// x, y and weight as float32, the extra tensors in their own dtypes (masks, indices).
Batch stack_members(const std::vector<EnsembleMember>& members, Batch EnsembleMember::*set,
                    torch::Device device) {
  const auto stack = [&](const auto& pick, bool as_float) {
    std::vector<torch::Tensor> moved;
    moved.reserve(members.size());
    for (const auto& m : members) {
      const torch::Tensor& t = pick(m.*set);
      moved.push_back(as_float ? t.to(device, torch::kFloat32) : t.to(device));
    }
    return torch::stack(moved).contiguous();
  };
  Batch out;
  out.x = stack([](const Batch& b) -> const torch::Tensor& { return b.x; }, true);
  out.y = stack([](const Batch& b) -> const torch::Tensor& { return b.y; }, true);
  if ((members.front().*set).weight.defined()) {
    out.weight = stack([](const Batch& b) -> const torch::Tensor& { return b.weight; }, true);
  }
  for (std::size_t i = 0; i < (members.front().*set).extra.size(); ++i) {
    out.extra.push_back(
        stack([i](const Batch& b) -> const torch::Tensor& { return b.extra[i]; }, false));
  }
  return out;
}

/// Applies `cut` to every tensor of a stacked data set (undefined weights stay undefined).
template <typename Cut>
Batch cut_members(const Batch& set, const Cut& cut) {
  Batch out{cut(set.x), cut(set.y), set.weight.defined() ? cut(set.weight) : torch::Tensor(), {}};
  for (const auto& t : set.extra) out.extra.push_back(cut(t));
  return out;
}

/// Events `index` (int64 [K * b], rows of the flattened [K * N] events) of a stacked data set,
/// as a minibatch [K, b, ...].
Batch take_events(const Batch& set, const torch::Tensor& index, std::int64_t members,
                  std::int64_t events) {
  return cut_members(set, [&](const torch::Tensor& t) {
    std::vector<std::int64_t> flat_shape = {-1};
    std::vector<std::int64_t> batch_shape = {members, events};
    for (std::int64_t d = 2; d < t.dim(); ++d) {
      flat_shape.push_back(t.size(d));
      batch_shape.push_back(t.size(d));
    }
    return t.view(flat_shape).index_select(0, index).view(batch_shape);
  });
}

void check_logits(const torch::Tensor& logits, std::int64_t members, std::int64_t events) {
  if (logits.dim() != 2 || logits.size(0) != members || logits.size(1) != events) {
    throw core::Error("the stacked model returned logits of shape " + shape_of(logits) + " for " +
                      std::to_string(members) + " members x " + std::to_string(events) +
                      " events (a stacked classifier must return [K, N]) fix the model's "
                      "forward()");
  }
}

/// Checks a loss's result for `members` x `events` (logits as check_logits); `backward`: it
/// must carry the objective to backpropagate.
void check_loss(const StackLoss& out, std::int64_t members, std::int64_t events, bool backward) {
  check_logits(out.logits, members, events);
  const auto fail = [members](const std::string& what, const torch::Tensor& t, const char* wanted) {
    throw core::Error("the loss returned " + what + " of shape " +
                      (t.defined() ? shape_of(t) : std::string("(none)")) + " for " +
                      std::to_string(members) + " members (" + wanted + ") fix the model's loss");
  };
  if (!out.loss.defined() || out.loss.dim() != 1 || out.loss.size(0) != members) {
    fail("losses", out.loss, "one per member, [K]");
  }
  if (backward && (!out.objective.defined() || out.objective.numel() != 1)) {
    fail("an objective", out.objective, "a scalar to backpropagate");
  }
  for (const auto& term : out.terms) {
    if (!term.defined() || term.dim() != 1 || term.size(0) != members) {
      fail("a term", term, "one value per member, [K]");
    }
  }
}

using Optimizer = AdamOptimizer;

/// Per-member losses and accuracies of a stacked evaluation.
struct StackedEvaluation {
  std::vector<double> loss;      // mean loss per event (the model's loss), per member
  std::vector<double> accuracy;  // fraction with (logit > 0) == label, per member
};

/// The default loss: (weighted) binary cross-entropy on the logits, each member's mean over
/// its events.
StackLoss binary_cross_entropy(const StackView& model, const Batch& batch) {
  StackLoss out;
  out.logits = model.logits(batch.x);
  check_logits(out.logits, batch.y.size(0), batch.y.size(1));
  const auto b = batch.y.size(1);
  // Each member's gradient is that of its own mean loss, divided by b in the same place as
  // binary_cross_entropy_with_logits' backward with mean reduction divides it; the members'
  // parameters are disjoint, so summing their losses mixes nothing.
  const bool backward = out.logits.requires_grad();
  if (backward) out.logits.register_hook([b](torch::Tensor grad) { return grad / b; });
  auto per_event =
      torch::binary_cross_entropy_with_logits(out.logits, batch.y, {}, {}, at::Reduction::None);
  if (batch.weight.defined()) per_event = per_event * batch.weight;
  if (backward) out.objective = per_event.sum();
  out.loss = per_event.detach().mean(1);
  return out;
}

/// The model's loss (its hook, else binary cross-entropy) on a stacked minibatch.
StackLoss minibatch_loss(const StackView& model, const Batch& batch) {
  if (!model.loss) return binary_cross_entropy(model, batch);
  auto out = model.loss(batch);
  check_loss(out, batch.y.size(0), batch.y.size(1), torch::GradMode::is_enabled());
  return out;
}

StackedEvaluation evaluate(const StackView& model, const Batch& set, std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  model.module->eval();
  const std::int64_t members = set.y.size(0);
  const std::int64_t n = set.y.size(1);
  auto loss_sum = torch::zeros({members}, set.y.options().dtype(torch::kFloat64));
  auto correct = torch::zeros({members}, set.y.options().dtype(torch::kInt64));
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + batch_size);
    const auto chunk =
        cut_members(set, [&](const torch::Tensor& t) { return t.slice(1, start, end); });
    const auto out = minibatch_loss(model, chunk);
    loss_sum += out.loss.to(torch::kFloat64) * static_cast<double>(end - start);
    correct += ((out.logits > 0) == (chunk.y > 0.5)).sum(1);
  }
  const auto loss_cpu = loss_sum.cpu();
  const auto correct_cpu = correct.cpu();
  StackedEvaluation result;
  for (std::int64_t k = 0; k < members; ++k) {
    result.loss.push_back(loss_cpu[k].item<double>() / static_cast<double>(n));
    result.accuracy.push_back(static_cast<double>(correct_cpu[k].item<std::int64_t>()) /
                              static_cast<double>(n));
  }
  return result;
}

/// One member's progress: its epoch-order stream, its early stopping (core::EarlyStopping:
/// patience and min_delta), and what it keeps.
struct MemberProgress {
  std::mt19937_64 rng;
  core::EarlyStopping stopping{1};
  std::vector<torch::Tensor> best_state;   // its weights at best_epoch
  std::vector<torch::Tensor> final_state;  // set when it leaves the stack
  OptimizerState best_optimizer;           // kSingle: the optimizer at best_epoch
  // average_best_epochs > 1: (validation loss, epoch, weights) of its best epochs so far.
  std::vector<std::tuple<double, int, std::vector<torch::Tensor>>> kept;
  TrainOutcome outcome;
};

std::string set_name(const char* set, MemberAxis axis, std::size_t member) {
  std::string name = std::string("the ") + set + " set";
  if (axis == MemberAxis::kStacked) name += " of ensemble member " + std::to_string(member);
  return name;
}

}  // namespace

double scheduled_learning_rate(const TrainerConfig& config, int epoch) {
  switch (config.schedule) {
    case LearningRateSchedule::kConstant:
      return config.learning_rate;
    case LearningRateSchedule::kCosine:
      return config.learning_rate * 0.5 *
             (1 + std::cos(kPi * static_cast<double>(epoch) / config.max_epochs));
    case LearningRateSchedule::kStep:
      return config.learning_rate * std::pow(config.step_factor, epoch / config.step_epochs);
  }
  return config.learning_rate;
}

std::vector<TrainOutcome> train_stack(const StackView& model,
                                      const std::vector<EnsembleMember>& members,
                                      const TrainerConfig& config, torch::Device device,
                                      const StackKeepGoing& keep_going,
                                      const OptimizerState* initial_optimizer,
                                      const EpochCheckpoints* checkpoints) {
  config.validate();
  if (checkpoints != nullptr && model.axis != MemberAxis::kSingle) {
    throw core::Error("per-epoch checkpoints need a network alone (a bug in the caller)");
  }
  if (checkpoints != nullptr && config.average_best_epochs > 1) {
    throw core::InputError("trainer", "average_best_epochs",
                           std::to_string(config.average_best_epochs),
                           "a checkpoint does not keep the weights of the best epochs; use 1 "
                           "with per-epoch checkpoints");
  }
  if (!model.module || (!model.logits && !model.loss)) {
    throw core::Error("the trainer got an empty model (a bug in the caller)");
  }
  if (members.empty()) {
    throw core::InputError(
        "an ensemble training needs at least one member (got none) pass one "
        "data set per stacked network");
  }
  const bool weighted = members.front().train.weight.defined();
  const bool validated = members.front().validation.x.defined();
  if (!validated && config.average_best_epochs > 1) {
    throw core::InputError("trainer", "average_best_epochs",
                           std::to_string(config.average_best_epochs),
                           "the best epochs are chosen on validation events, and this training "
                           "has none; use 1 or give it a validation set");
  }
  for (std::size_t k = 0; k < members.size(); ++k) {
    check_batch(members[k].train, set_name("training", model.axis, k));
    if (members[k].validation.x.defined() != validated) {
      throw core::InputError("ensemble member " + std::to_string(k) +
                             (validated ? " has no" : " has a") +
                             " validation set unlike member 0 (stacked members stop alike) group "
                             "only tasks with the same splits");
    }
    if (validated) check_batch(members[k].validation, set_name("validation", model.axis, k));
    for (const auto* part : {"train", "validation"}) {
      const bool train = std::string(part) == "train";
      if (!train && !validated) continue;
      const auto& a = train ? members[k].train : members[k].validation;
      const auto& b = train ? members.front().train : members.front().validation;
      bool alike = a.x.sizes() == b.x.sizes() && a.extra.size() == b.extra.size();
      for (std::size_t i = 0; alike && i < a.extra.size(); ++i) {
        alike = a.extra[i].sizes() == b.extra[i].sizes() &&
                a.extra[i].scalar_type() == b.extra[i].scalar_type();
      }
      if (!alike) {
        throw core::InputError("ensemble member " + std::to_string(k) + " has " + part +
                               " data of shape " + shape_of(a.x) + " but member 0 has " +
                               shape_of(b.x) +
                               " (or their per-event tensors differ; stacked members train on "
                               "equally many events of one shape) group only tasks with the same "
                               "sample sizes");
      }
      if (a.weight.defined() != weighted) {
        throw core::InputError("ensemble member " + std::to_string(k) +
                               (weighted ? " has no" : " has") +
                               " event weights unlike member 0 "
                               "(stacked members are weighted alike) group only tasks with the "
                               "same training.balance");
      }
    }
  }
  torch::nn::Module& module = *model.module;
  if (model.axis == MemberAxis::kSingle) {
    if (members.size() != 1) {
      throw core::Error("a single network trains one member (a bug in the caller)");
    }
  } else {
    const auto stacked = static_cast<std::size_t>(models::count_members(module));
    if (stacked != members.size()) {
      throw core::InputError("the stacked model has " + std::to_string(stacked) + " members but " +
                             std::to_string(members.size()) +
                             " data sets were given (one per member is needed) build the model "
                             "from as many networks as there are tasks");
    }
  }
  module.to(device);

  // All data move to the device once, stacked [K, N, ...]; minibatches are gathered there.
  Batch train = stack_members(members, &EnsembleMember::train, device);
  Batch validation;
  if (validated) validation = stack_members(members, &EnsembleMember::validation, device);
  const std::int64_t n = train.y.size(1);
  const std::int64_t batch_size = config.batch_size;

  const std::vector<torch::Tensor> live = state_tensors(module);
  Optimizer optimizer(module.parameters(), config, model.axis);
  const bool single = model.axis == MemberAxis::kSingle;
  if (initial_optimizer != nullptr && !initial_optimizer->empty()) {
    if (!single) {
      throw core::Error("continuing an optimizer state needs a network alone (caller bug)");
    }
    optimizer.restore(*initial_optimizer);
  }

  std::vector<MemberProgress> progress(members.size());
  for (std::size_t k = 0; k < members.size(); ++k) {
    progress[k].rng.seed(members[k].shuffle_seed);
    progress[k].stopping = core::EarlyStopping(config.patience, config.min_delta);
    progress[k].outcome.status = TrainStatus::kCompleted;
  }
  std::vector<std::size_t> active(members.size());  // row of the stack -> member
  std::iota(active.begin(), active.end(), std::size_t{0});
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::vector<std::int64_t> flat;

  // A member's weights: its row of every state tensor, or a network's own tensors.
  const auto snapshot = [&live, &model](std::size_t row) {
    std::vector<torch::Tensor> slices;
    slices.reserve(live.size());
    for (const auto& t : live) {
      slices.push_back(model.axis == MemberAxis::kSingle
                           ? t.detach().clone()
                           : t[static_cast<std::int64_t>(row)].detach().clone());
    }
    return slices;
  };

  int first_epoch = 0;
  if (checkpoints != nullptr && checkpoints->resume != nullptr) {
    const LoopState& state = *checkpoints->resume;
    if (state.weights.size() != live.size()) {
      throw core::InputError("the checkpoint to resume has " +
                             std::to_string(state.weights.size()) +
                             " tensors but the network has " + std::to_string(live.size()) +
                             " (a checkpoint of another network) start the task again");
    }
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < live.size(); ++i) {
      auto tensor = live[i];
      tensor.copy_(state.weights[i]);
    }
    optimizer.restore(state.optimizer);
    MemberProgress& m = progress.front();
    m.stopping.restore(state.best_val_loss, state.best_epoch, state.epochs_without_improvement);
    m.outcome.best_epoch = state.best_epoch;
    m.outcome.history = state.history;
    for (const auto& t : state.best_weights) m.best_state.push_back(t.to(device).clone());
    m.best_optimizer = state.best_optimizer;
    // The epoch orders already drawn, drawn again: the stream continues where it was.
    for (int e = 0; e < state.epochs_done; ++e) draw_epoch_order(order, m.rng);
    first_epoch = state.epochs_done;
  }

  for (int epoch = first_epoch; epoch < config.max_epochs && !active.empty(); ++epoch) {
    const auto rows = static_cast<std::int64_t>(active.size());
    optimizer.set_learning_rate(scheduled_learning_rate(config, epoch));
    module.train();
    // Member k's permutation, shifted into its own block of the flattened [rows * n] events.
    flat.resize(static_cast<std::size_t>(rows * n));
    for (std::int64_t r = 0; r < rows; ++r) {
      draw_epoch_order(order, progress[active[static_cast<std::size_t>(r)]].rng);
      for (std::int64_t i = 0; i < n; ++i) {
        flat[static_cast<std::size_t>(r * n + i)] = order[static_cast<std::size_t>(i)] + r * n;
      }
    }
    const auto permutation =
        torch::from_blob(flat.data(), {rows, n}, torch::kInt64).clone().to(device);
    // Sums stay on the device so a GPU is not synchronised after every minibatch.
    const auto sum_options = train.y.options().dtype(torch::kFloat64);
    auto loss_sum = torch::zeros({rows}, sum_options);
    auto correct = torch::zeros({rows}, train.y.options().dtype(torch::kInt64));
    std::vector<torch::Tensor> term_sums;
    for (std::int64_t start = 0; start < n; start += batch_size) {
      const std::int64_t end = std::min(n, start + batch_size);
      const std::int64_t b = end - start;
      const auto index = permutation.slice(1, start, end).reshape({rows * b});
      const Batch minibatch = take_events(train, index, rows, b);
      optimizer.zero_grad();
      const StackLoss out = minibatch_loss(model, minibatch);
      out.objective.backward();
      if (model.after_backward) model.after_backward();
      if (config.gradient_clip > 0) optimizer.clip_gradients(config.gradient_clip);
      optimizer.step();
      torch::NoGradGuard no_grad;
      loss_sum += out.loss.detach().to(torch::kFloat64) * static_cast<double>(b);
      correct += ((out.logits.detach() > 0) == (minibatch.y > 0.5)).sum(1);
      while (term_sums.size() < out.terms.size()) {
        term_sums.push_back(torch::zeros({rows}, sum_options));
      }
      for (std::size_t i = 0; i < out.terms.size(); ++i) {
        term_sums[i] += out.terms[i].detach().to(torch::kFloat64) * static_cast<double>(b);
      }
    }
    const auto loss_cpu = loss_sum.cpu();
    const auto correct_cpu = correct.cpu();
    std::vector<torch::Tensor> terms_cpu;
    for (const auto& t : term_sums) terms_cpu.push_back(t.cpu());
    StackedEvaluation val;
    if (validated) {
      val = evaluate(model, validation, batch_size);
    } else {
      val.loss.assign(active.size(), std::numeric_limits<double>::quiet_NaN());
      val.accuracy = val.loss;
    }

    // Per member: divergence, improvement, then (after keep_going) patience and the epoch
    // limit.
    std::vector<bool> leaves(active.size(), false);
    const EpochRecord* first_training = nullptr;
    for (std::size_t r = 0; r < active.size(); ++r) {
      MemberProgress& m = progress[active[r]];
      EpochRecord record;
      record.train_loss =
          loss_cpu[static_cast<std::int64_t>(r)].item<double>() / static_cast<double>(n);
      record.train_accuracy =
          static_cast<double>(correct_cpu[static_cast<std::int64_t>(r)].item<std::int64_t>()) /
          static_cast<double>(n);
      record.val_loss = val.loss[r];
      record.val_accuracy = val.accuracy[r];
      for (const auto& t : terms_cpu) {
        record.train_terms.push_back(t[static_cast<std::int64_t>(r)].item<double>() /
                                     static_cast<double>(n));
      }
      m.outcome.history.push_back(record);
      if (!std::isfinite(record.train_loss) || (validated && !std::isfinite(record.val_loss))) {
        m.outcome.status = TrainStatus::kDiverged;
        m.outcome.failure_reason = std::string("non-finite ") +
                                   (std::isfinite(record.train_loss) ? "validation" : "training") +
                                   " loss at epoch " + std::to_string(epoch);
        leaves[r] = true;
        continue;
      }
      if (first_training == nullptr) first_training = &m.outcome.history.back();
      if (!validated) continue;  // no best epochs and no patience to count
      const auto keep = static_cast<std::size_t>(config.average_best_epochs);
      if (keep > 1 && (m.kept.size() < keep || record.val_loss < std::get<0>(m.kept.back()))) {
        torch::NoGradGuard no_grad;
        auto at = std::upper_bound(
            m.kept.begin(), m.kept.end(), record.val_loss,
            [](double loss, const auto& entry) { return loss < std::get<0>(entry); });
        m.kept.insert(at, std::make_tuple(record.val_loss, epoch, snapshot(r)));
        if (m.kept.size() > keep) m.kept.pop_back();
      }
      if (m.stopping.improved(record.val_loss, epoch)) {
        m.outcome.best_epoch = epoch;
        torch::NoGradGuard no_grad;
        m.best_state = snapshot(r);
        if (single) m.best_optimizer = optimizer.state();
      }
    }
    const bool stop = first_training != nullptr && keep_going && !keep_going(*first_training);
    for (std::size_t r = 0; r < active.size(); ++r) {
      if (leaves[r]) continue;
      MemberProgress& m = progress[active[r]];
      if (stop) {
        m.outcome.status = TrainStatus::kAbandoned;
        leaves[r] = true;
      } else if (m.stopping.exhausted()) {
        m.outcome.status = TrainStatus::kEarlyStopped;
        leaves[r] = true;
      }
    }

    // A network alone that goes on (or is stopped by a signal) saves where it stands.
    if (checkpoints != nullptr && checkpoints->save) {
      const MemberProgress& m = progress.front();
      const bool abandoned = m.outcome.status == TrainStatus::kAbandoned;
      if ((!leaves.front() && epoch + 1 < config.max_epochs) || abandoned) {
        LoopState state;
        state.epochs_done = epoch + 1;
        state.weights = snapshot(0);
        state.optimizer = optimizer.state();
        state.best_val_loss = m.stopping.best_loss();
        state.epochs_without_improvement = m.stopping.steps_without_improvement();
        state.best_epoch = m.outcome.best_epoch;
        state.best_weights = m.best_state;
        state.best_optimizer = m.best_optimizer;
        state.history = m.outcome.history;
        checkpoints->save(state);
      }
    }

    // Members that stop leave the stack with their best (else current) weights.
    std::vector<std::int64_t> keep_rows;
    std::vector<std::size_t> still_active;
    for (std::size_t r = 0; r < active.size(); ++r) {
      if (!leaves[r]) {
        keep_rows.push_back(static_cast<std::int64_t>(r));
        still_active.push_back(active[r]);
        continue;
      }
      MemberProgress& m = progress[active[r]];
      torch::NoGradGuard no_grad;
      m.final_state = m.best_state.empty() ? snapshot(r) : m.best_state;
      m.best_state.clear();
    }
    if (still_active.size() != active.size() && !still_active.empty()) {
      // Only a stack of several members shrinks (a stack of one ends instead).
      torch::NoGradGuard no_grad;
      const auto keep = torch::tensor(keep_rows, torch::kInt64).to(device);
      optimizer.zero_grad();
      for (const auto& t : live) {
        auto tensor = t;
        tensor.set_data(t.detach().index_select(0, keep));
      }
      optimizer.compact(keep);
      const auto keep_members = [&keep](const torch::Tensor& t) { return t.index_select(0, keep); };
      train = cut_members(train, keep_members);
      if (validated) validation = cut_members(validation, keep_members);
    }
    active = std::move(still_active);
  }

  // Members that ran all epochs finish here; then every member's final weights go back.
  torch::NoGradGuard no_grad;
  for (std::size_t r = 0; r < active.size(); ++r) {
    MemberProgress& m = progress[active[r]];
    m.final_state = m.best_state.empty() ? snapshot(r) : m.best_state;
  }
  optimizer.zero_grad();
  for (std::size_t i = 0; i < live.size(); ++i) {
    auto tensor = live[i];
    if (model.axis == MemberAxis::kSingle) {
      tensor.copy_(progress.front().final_state.at(i));
      continue;
    }
    std::vector<torch::Tensor> rows;
    rows.reserve(progress.size());
    for (const auto& m : progress) rows.push_back(m.final_state.at(i));
    tensor.set_data(torch::stack(rows).contiguous());
  }
  module.eval();

  if (single) {
    MemberProgress& m = progress.front();
    m.outcome.optimizer =
        m.best_optimizer.empty() ? optimizer.state() : std::move(m.best_optimizer);
  }
  std::vector<TrainOutcome> outcomes;
  outcomes.reserve(progress.size());
  for (auto& m : progress) {
    for (auto& [loss, epoch, state] : m.kept) {
      m.outcome.averaged_states.push_back(std::move(state));
      m.outcome.averaged_epochs.push_back(epoch);
    }
    outcomes.push_back(std::move(m.outcome));
  }
  return outcomes;
}

std::vector<std::vector<float>> score_over_best_epochs(
    const StackView& model, const std::vector<TrainOutcome>& outcomes,
    const std::function<std::vector<std::vector<float>>()>& score) {
  std::size_t rounds = 1;
  for (const auto& o : outcomes) rounds = std::max(rounds, o.averaged_states.size());
  if (rounds == 1) return score();
  const std::vector<torch::Tensor> live = state_tensors(*model.module);
  std::vector<torch::Tensor> held;
  {
    torch::NoGradGuard no_grad;
    for (const auto& t : live) held.push_back(t.detach().clone());
  }
  const auto load = [&](std::size_t round) {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < live.size(); ++i) {
      auto tensor = live[i];
      if (model.axis == MemberAxis::kSingle) {
        const auto& states = outcomes.front().averaged_states;
        tensor.copy_(states.empty() ? held[i] : states[std::min(round, states.size() - 1)][i]);
        continue;
      }
      std::vector<torch::Tensor> rows;
      for (std::size_t k = 0; k < outcomes.size(); ++k) {
        const auto& states = outcomes[k].averaged_states;
        rows.push_back(states.empty() ? held[i][static_cast<std::int64_t>(k)]
                                      : states[std::min(round, states.size() - 1)][i]);
      }
      tensor.copy_(torch::stack(rows));
    }
  };
  std::vector<std::vector<double>> sums;
  std::vector<std::size_t> counts(outcomes.size(), 0);
  for (std::size_t round = 0; round < rounds; ++round) {
    load(round);
    const auto scores = score();
    if (sums.empty()) {
      for (const auto& s : scores) sums.emplace_back(s.size(), 0.0);
    }
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      if (round >= std::max<std::size_t>(1, outcomes[k].averaged_states.size())) continue;
      for (std::size_t e = 0; e < scores[k].size(); ++e) sums[k][e] += scores[k][e];
      ++counts[k];
    }
  }
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < live.size(); ++i) {
      auto tensor = live[i];
      tensor.copy_(held[i]);
    }
  }
  std::vector<std::vector<float>> averaged(outcomes.size());
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    averaged[k].reserve(sums[k].size());
    for (double s : sums[k]) {
      averaged[k].push_back(static_cast<float>(s / static_cast<double>(counts[k])));
    }
  }
  return averaged;
}

}  // namespace cwola::training
