#include "training/ensemble_trainer.hpp"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <dlfcn.h>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "models/ensemble_model.hpp"

namespace cwola::training {

namespace {

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

void check_member_batch(const Batch& batch, const std::string& name, std::size_t member) {
  const std::string what = "the " + name + " set of ensemble member " + std::to_string(member);
  if (!batch.x.defined() || !batch.y.defined()) {
    throw core::InputError(what + " has no data (x or y is undefined) give it events before "
                                  "training");
  }
  if (batch.x.dim() < 2 || batch.y.dim() != 1 || batch.x.size(0) != batch.y.size(0)) {
    throw core::InputError(what + " has x of shape " + shape_of(batch.x) + " and y of shape " +
                           shape_of(batch.y) +
                           " (the trainer needs x [N, features...] and y [N]) check how the "
                           "data set was built");
  }
  if (batch.x.size(0) == 0) {
    throw core::InputError(what + " is empty (no events to train or validate on) check the "
                                  "sample sizes and split fractions of the study");
  }
}

/// Stacks one tensor per member along a new leading axis, on `device` as float32.
torch::Tensor stack_to(const std::vector<torch::Tensor>& tensors, torch::Device device) {
  std::vector<torch::Tensor> moved;
  moved.reserve(tensors.size());
  for (const auto& t : tensors) {
    moved.push_back(t.to(device, torch::kFloat32));
  }
  return torch::stack(moved).contiguous();
}

/// Parameters and buffers of a module, in a fixed order (as trainer.cpp's state_tensors).
std::vector<torch::Tensor> state_tensors(const torch::nn::Module& module) {
  std::vector<torch::Tensor> tensors = module.parameters();
  for (const auto& buffer : module.buffers()) {
    tensors.push_back(buffer);
  }
  return tensors;
}

void check_logits(const torch::Tensor& logits, std::int64_t members, std::int64_t events) {
  if (logits.dim() != 2 || logits.size(0) != members || logits.size(1) != events) {
    throw core::Error("the stacked model returned logits of shape " + shape_of(logits) + " for " +
                      std::to_string(members) + " members x " + std::to_string(events) +
                      " events (a stacked classifier must return [K, N]) fix the model's "
                      "forward()");
  }
}

/// Adam with LibTorch's defaults (betas 0.9, 0.999, eps 1e-8, no weight decay), written out
/// with the same tensor operations as torch::optim::Adam::step so that each member's update
/// is the one the single-network trainer makes. One step counter serves all members: they
/// start together and a member that stops is removed (compact), never updated again.
class StackedAdam {
 public:
  StackedAdam(std::vector<torch::Tensor> parameters, double learning_rate)
      : parameters_(std::move(parameters)), learning_rate_(learning_rate) {
    for (const auto& p : parameters_) {
      exp_avg_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      exp_avg_sq_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    }
  }

  void zero_grad() {
    for (auto& p : parameters_) {
      p.mutable_grad() = torch::Tensor();
    }
  }

  void step() {
    torch::NoGradGuard no_grad;
    ++step_;
    const double bias_correction1 = 1 - std::pow(kBeta1, static_cast<double>(step_));
    const double bias_correction2 = 1 - std::pow(kBeta2, static_cast<double>(step_));
    const double step_size = learning_rate_ / bias_correction1;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      auto& p = parameters_[i];
      const auto& grad = p.grad();
      if (!grad.defined()) {
        continue;
      }
      exp_avg_[i].mul_(kBeta1).add_(grad, 1 - kBeta1);
      exp_avg_sq_[i].mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
      const auto denom = (exp_avg_sq_[i].sqrt() / std::sqrt(bias_correction2)).add_(kEps);
      p.data().addcdiv_(exp_avg_[i], denom, -step_size);
    }
  }

  /// Keeps the optimizer state of the members at rows `keep` (the parameters themselves are
  /// compacted by the caller).
  void compact(const torch::Tensor& keep) {
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      exp_avg_[i] = exp_avg_[i].index_select(0, keep);
      exp_avg_sq_[i] = exp_avg_sq_[i].index_select(0, keep);
    }
  }

 private:
  static constexpr double kBeta1 = 0.9;
  static constexpr double kBeta2 = 0.999;
  static constexpr double kEps = 1e-8;
  std::vector<torch::Tensor> parameters_;
  std::vector<torch::Tensor> exp_avg_;
  std::vector<torch::Tensor> exp_avg_sq_;
  double learning_rate_;
  std::int64_t step_ = 0;
};

/// Per-event losses and correct-prediction counts of every row of a stacked evaluation.
struct StackedEvaluation {
  std::vector<double> loss;      // mean binary cross-entropy per event, per member
  std::vector<double> accuracy;  // fraction with (logit > 0) == label, per member
};

StackedEvaluation evaluate(const StackedClassifier& model, const torch::Tensor& x,
                           const torch::Tensor& y, std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  model.module->eval();
  const std::int64_t members = x.size(0);
  const std::int64_t n = x.size(1);
  auto loss_sum = torch::zeros({members}, x.options().dtype(torch::kFloat64));
  auto correct = torch::zeros({members}, x.options().dtype(torch::kInt64));
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + batch_size);
    const auto xb = x.slice(1, start, end);
    const auto yb = y.slice(1, start, end);
    const auto logits = model.logits(xb);
    check_logits(logits, members, end - start);
    loss_sum += torch::binary_cross_entropy_with_logits(logits, yb, {}, {},
                                                        at::Reduction::None)
                    .mean(1)
                    .to(torch::kFloat64) *
                static_cast<double>(end - start);
    correct += ((logits > 0) == (yb > 0.5)).sum(1);
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

/// Where one member stands during training.
struct MemberProgress {
  std::mt19937_64 rng;
  double best_val_loss = std::numeric_limits<double>::infinity();
  int epochs_without_improvement = 0;
  std::vector<torch::Tensor> best_state;   // its slices of the state tensors at best_epoch
  std::vector<torch::Tensor> final_state;  // set when it leaves the stack
  TrainOutcome outcome;
};

}  // namespace

std::vector<TrainOutcome> train_ensemble(const StackedClassifier& model,
                                         const std::vector<EnsembleMember>& members,
                                         const TrainerConfig& config, torch::Device device,
                                         const EnsembleKeepGoing& keep_going) {
  config.validate();
  if (!model.module || !model.logits) {
    throw core::Error("train_ensemble got an empty StackedClassifier (a bug in the caller)");
  }
  if (members.empty()) {
    throw core::InputError("an ensemble training needs at least one member (got none) pass one "
                           "data set per stacked network");
  }
  for (std::size_t k = 0; k < members.size(); ++k) {
    check_member_batch(members[k].train, "training", k);
    check_member_batch(members[k].validation, "validation", k);
    for (const auto* part : {"train", "validation"}) {
      const bool train = std::string(part) == "train";
      const auto& a = train ? members[k].train.x : members[k].validation.x;
      const auto& b = train ? members.front().train.x : members.front().validation.x;
      if (a.sizes() != b.sizes()) {
        throw core::InputError("ensemble member " + std::to_string(k) + " has " + part +
                               " data of shape " + shape_of(a) + " but member 0 has " +
                               shape_of(b) +
                               " (stacked members train on equally many events of one shape) "
                               "group only tasks with the same sample sizes");
      }
    }
  }
  torch::nn::Module& module = *model.module;
  const auto stacked = static_cast<std::size_t>(models::count_members(module));
  if (stacked != members.size()) {
    throw core::InputError("the stacked model has " + std::to_string(stacked) +
                           " members but " + std::to_string(members.size()) +
                           " data sets were given (one per member is needed) build the model "
                           "from as many networks as there are tasks");
  }
  module.to(device);

  // All data move to the device once, stacked [K, N, ...]; minibatches are gathered there.
  std::vector<torch::Tensor> parts;
  const auto gather = [&](auto pick) {
    parts.clear();
    for (const auto& m : members) parts.push_back(pick(m));
    return stack_to(parts, device);
  };
  auto x_train = gather([](const EnsembleMember& m) { return m.train.x; });
  auto y_train = gather([](const EnsembleMember& m) { return m.train.y; });
  auto x_val = gather([](const EnsembleMember& m) { return m.validation.x; });
  auto y_val = gather([](const EnsembleMember& m) { return m.validation.y; });
  const std::int64_t n = x_train.size(1);
  const std::int64_t batch_size = config.batch_size;
  const auto event_shape = x_train.sizes().slice(2).vec();

  const std::vector<torch::Tensor> live = state_tensors(module);
  StackedAdam optimizer(module.parameters(), config.learning_rate);

  std::vector<MemberProgress> progress(members.size());
  for (std::size_t k = 0; k < members.size(); ++k) {
    progress[k].rng.seed(members[k].shuffle_seed);
    progress[k].outcome.status = TrainStatus::kCompleted;
  }
  std::vector<std::size_t> active(members.size());  // row of the stack -> member
  std::iota(active.begin(), active.end(), std::size_t{0});
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::vector<std::int64_t> flat;

  const auto snapshot = [&live](std::size_t row) {
    std::vector<torch::Tensor> slices;
    slices.reserve(live.size());
    for (const auto& t : live) slices.push_back(t[static_cast<std::int64_t>(row)].detach().clone());
    return slices;
  };

  for (int epoch = 0; epoch < config.max_epochs && !active.empty(); ++epoch) {
    const auto rows = static_cast<std::int64_t>(active.size());
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
    std::vector<std::int64_t> flat_shape = {rows * n};
    flat_shape.insert(flat_shape.end(), event_shape.begin(), event_shape.end());
    const auto x_flat = x_train.view(flat_shape);
    const auto y_flat = y_train.view({rows * n});
    auto loss_sum = torch::zeros({rows}, x_train.options().dtype(torch::kFloat64));
    auto correct = torch::zeros({rows}, x_train.options().dtype(torch::kInt64));
    for (std::int64_t start = 0; start < n; start += batch_size) {
      const std::int64_t end = std::min(n, start + batch_size);
      const std::int64_t b = end - start;
      const auto index = permutation.slice(1, start, end).reshape({rows * b});
      std::vector<std::int64_t> batch_shape = {rows, b};
      batch_shape.insert(batch_shape.end(), event_shape.begin(), event_shape.end());
      const auto xb = x_flat.index_select(0, index).view(batch_shape);
      const auto yb = y_flat.index_select(0, index).view({rows, b});
      optimizer.zero_grad();
      const auto logits = model.logits(xb);
      if (start == 0) {
        check_logits(logits, rows, b);
      }
      // Each member's gradient is that of its own mean loss, divided by b in the same place
      // as binary_cross_entropy_with_logits' backward with mean reduction divides it; the
      // members' parameters are disjoint, so summing their losses mixes nothing.
      if (logits.requires_grad()) {
        logits.register_hook([b](torch::Tensor grad) { return grad / b; });
      }
      const auto per_event =
          torch::binary_cross_entropy_with_logits(logits, yb, {}, {}, at::Reduction::None);
      per_event.sum().backward();
      optimizer.step();
      torch::NoGradGuard no_grad;
      loss_sum += per_event.detach().mean(1).to(torch::kFloat64) * static_cast<double>(b);
      correct += ((logits.detach() > 0) == (yb > 0.5)).sum(1);
    }
    const auto loss_cpu = loss_sum.cpu();
    const auto correct_cpu = correct.cpu();
    const StackedEvaluation val = evaluate(model, x_val, y_val, batch_size);

    // Per member, in the order train_classifier checks: divergence, improvement, then (after
    // keep_going) patience and the epoch limit.
    std::vector<bool> leaves(active.size(), false);
    for (std::size_t r = 0; r < active.size(); ++r) {
      MemberProgress& m = progress[active[r]];
      EpochRecord record;
      record.train_loss = loss_cpu[static_cast<std::int64_t>(r)].item<double>() /
                          static_cast<double>(n);
      record.train_accuracy =
          static_cast<double>(correct_cpu[static_cast<std::int64_t>(r)].item<std::int64_t>()) /
          static_cast<double>(n);
      record.val_loss = val.loss[r];
      record.val_accuracy = val.accuracy[r];
      m.outcome.history.push_back(record);
      if (!std::isfinite(record.train_loss) || !std::isfinite(record.val_loss)) {
        m.outcome.status = TrainStatus::kDiverged;
        m.outcome.failure_reason = std::string("non-finite ") +
                                   (std::isfinite(record.train_loss) ? "validation" : "training") +
                                   " loss at epoch " + std::to_string(epoch);
        leaves[r] = true;
        continue;
      }
      if (record.val_loss < m.best_val_loss - config.min_delta) {
        m.best_val_loss = record.val_loss;
        m.outcome.best_epoch = epoch;
        m.epochs_without_improvement = 0;
        torch::NoGradGuard no_grad;
        m.best_state = snapshot(r);
      } else {
        ++m.epochs_without_improvement;
      }
    }
    const bool any_training =
        std::find(leaves.begin(), leaves.end(), false) != leaves.end();
    const bool stop = any_training && keep_going && !keep_going();
    for (std::size_t r = 0; r < active.size(); ++r) {
      if (leaves[r]) continue;
      MemberProgress& m = progress[active[r]];
      if (stop) {
        m.outcome.status = TrainStatus::kAbandoned;
        leaves[r] = true;
      } else if (m.epochs_without_improvement >= config.patience) {
        m.outcome.status = TrainStatus::kEarlyStopped;
        leaves[r] = true;
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
      torch::NoGradGuard no_grad;
      const auto keep = torch::tensor(keep_rows, torch::kInt64).to(device);
      optimizer.zero_grad();
      for (const auto& t : live) {
        auto tensor = t;
        tensor.set_data(t.detach().index_select(0, keep));
      }
      optimizer.compact(keep);
      x_train = x_train.index_select(0, keep);
      y_train = y_train.index_select(0, keep);
      x_val = x_val.index_select(0, keep);
      y_val = y_val.index_select(0, keep);
    }
    active = std::move(still_active);
  }

  // Members that ran all epochs finish here; then every member's final weights go back into
  // its row of the full stack.
  torch::NoGradGuard no_grad;
  for (std::size_t r = 0; r < active.size(); ++r) {
    MemberProgress& m = progress[active[r]];
    m.final_state = m.best_state.empty() ? snapshot(r) : m.best_state;
  }
  optimizer.zero_grad();
  for (std::size_t i = 0; i < live.size(); ++i) {
    std::vector<torch::Tensor> rows;
    rows.reserve(progress.size());
    for (const auto& m : progress) rows.push_back(m.final_state.at(i));
    auto tensor = live[i];
    tensor.set_data(torch::stack(rows).contiguous());
  }
  module.eval();

  std::vector<TrainOutcome> outcomes;
  outcomes.reserve(progress.size());
  for (auto& m : progress) outcomes.push_back(std::move(m.outcome));
  return outcomes;
}

std::vector<std::vector<float>> predict_ensemble_scores(const StackedClassifier& model,
                                                        const std::vector<torch::Tensor>& x,
                                                        int batch_size, torch::Device device) {
  if (batch_size < 1) {
    throw core::InputError("predict_ensemble_scores", "batch_size", std::to_string(batch_size),
                           "a batch needs at least one event");
  }
  if (x.empty()) {
    throw core::InputError("predict_ensemble_scores needs one event set per member (got none) "
                           "pass the members' test sets");
  }
  for (const auto& t : x) {
    if (!t.defined() || t.dim() < 2 || t.sizes() != x.front().sizes()) {
      throw core::InputError(
          "predict_ensemble_scores needs x [N, features...] of one shape for every member, got " +
          (t.defined() ? shape_of(t) : std::string("no tensor")) + " and " +
          shape_of(x.front()) + " (stacked evaluation) group tasks with equal test sets");
    }
  }
  const auto members = static_cast<std::int64_t>(x.size());
  const std::int64_t n = x.front().size(0);
  std::vector<std::vector<float>> scores(x.size(), std::vector<float>(static_cast<std::size_t>(n)));
  if (n == 0) {
    return scores;
  }
  torch::NoGradGuard no_grad;
  model.module->to(device);
  model.module->eval();
  const auto x_device = stack_to(x, device);
  std::vector<torch::Tensor> chunks;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + std::int64_t{batch_size});
    const auto logits = model.logits(x_device.slice(1, start, end));
    check_logits(logits, members, end - start);
    chunks.push_back(torch::sigmoid(logits));
  }
  const auto all = torch::cat(chunks, 1).to(torch::kCPU, torch::kFloat32).contiguous();
  for (std::int64_t k = 0; k < members; ++k) {
    const float* row = all[k].data_ptr<float>();
    std::copy(row, row + n, scores[static_cast<std::size_t>(k)].begin());
  }
  return scores;
}

std::int64_t member_footprint_bytes(std::int64_t train_events, std::int64_t validation_events,
                                    std::int64_t test_events, std::int64_t values_per_event,
                                    std::int64_t parameters, std::int64_t activation_width,
                                    std::int64_t batch_size, std::int64_t eval_batch_size) {
  constexpr std::int64_t kFloat = 4;
  const std::int64_t data =
      (train_events + validation_events + test_events) * (values_per_event + 1) * kFloat;
  const std::int64_t weights = 5 * parameters * kFloat;
  const std::int64_t activations =
      3 * (batch_size + eval_batch_size) * (activation_width + values_per_event) * kFloat;
  return data + weights + activations;
}

std::int64_t ensemble_memory_budget(torch::Device device, int local_ranks) {
  if (device.is_cuda()) {
    // The CPU build of LibTorch has no CUDA headers; the runtime's own entry point is looked up
    // in the process instead (present whenever a CUDA LibTorch is loaded).
    using MemGetInfo = int (*)(std::size_t*, std::size_t*);
    if (void* symbol = dlsym(RTLD_DEFAULT, "cudaMemGetInfo")) {
      std::size_t free_bytes = 0;
      std::size_t total_bytes = 0;
      if (reinterpret_cast<MemGetInfo>(symbol)(&free_bytes, &total_bytes) == 0) {
        return static_cast<std::int64_t>(free_bytes / 2);
      }
    }
    return std::int64_t{4} << 30;
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  const std::int64_t physical = pages > 0 && page_size > 0
                                    ? static_cast<std::int64_t>(pages) * page_size
                                    : (std::int64_t{4} << 30);
  return physical / 4 / std::max(1, local_ranks);
}

int max_useful_ensemble(torch::Device device) { return device.is_cuda() ? 512 : 8; }

void set_deterministic(bool on) {
  if (on && torch::cuda::is_available()) {
    // Must be set before cuBLAS creates its first handle; 0 = do not overwrite a user's value.
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  }
  at::globalContext().setDeterministicAlgorithms(on, /*warn_only=*/false);
  at::globalContext().setDeterministicCuDNN(on);
  if (on) {
    at::globalContext().setBenchmarkCuDNN(false);
  }
}

}  // namespace cwola::training
