#include "training/meta_trainer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <utility>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "training/adam_optimizer.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

namespace {

/// Mean (weighted) binary cross-entropy on logits: the one loop's loss for a network alone.
torch::Tensor weak_label_loss(const torch::Tensor& logits, const Batch& batch) {
  auto per_event =
      torch::binary_cross_entropy_with_logits(logits, batch.y, {}, {}, at::Reduction::None);
  if (batch.weight.defined()) per_event = per_event * batch.weight;
  return per_event.mean();
}

double accuracy_of(const torch::Tensor& logits, const torch::Tensor& y) {
  return ((logits > 0) == (y > 0.5)).to(torch::kFloat64).mean().item<double>();
}

void check_task(const MetaTask& task, std::uint64_t index) {
  for (const auto* set : {&task.train, &task.test}) {
    if (!set->x.defined() || set->x.size(0) == 0 || !set->y.defined() ||
        set->y.size(0) != set->x.size(0)) {
      throw core::InputError("meta-task " + std::to_string(index) + " has an empty or malformed " +
                             (set == &task.train ? "training" : "test") +
                             " sample (x and y need one row per event) give each task events");
    }
  }
}

/// The trainable parameters, split into the head (adapted by the inner loop) and the rest.
struct MetaParameters {
  std::vector<torch::Tensor> all;  // every trainable parameter, module order
  std::vector<std::size_t> fast;   // indices into `all` that the inner loop adapts
};

MetaParameters meta_parameters(torch::nn::Module& module,
                               const std::function<bool(const std::string&)>& adapts) {
  MetaParameters out;
  for (const auto& item : module.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    if (adapts(item.key())) out.fast.push_back(out.all.size());
    out.all.push_back(item.value());
  }
  if (out.fast.empty()) {
    throw core::InputError(
        "meta-training adapts no parameter (the inner loop needs a trainable head) give the "
        "network a trainable dense head");
  }
  return out;
}

/// One task's contribution: the inner loop on a copy of the head, then the first-order
/// gradient of the test loss at the adapted weights. Leaves the head at its initial values.
struct TaskResult {
  std::vector<torch::Tensor> gradient;  // per MetaParameters::all; zeros where unused
  double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0;
};

TaskResult adapt_and_test(const Classifier& model, MetaParameters& parameters, const MetaTask& task,
                          const MetaTrainerConfig& config, std::uint64_t order_seed) {
  TaskResult result;
  std::vector<torch::Tensor> initial;
  std::vector<torch::Tensor> fast;
  for (std::size_t i : parameters.fast) {
    initial.push_back(parameters.all[i].detach().clone());
    fast.push_back(parameters.all[i]);
  }
  model.module->train();
  std::mt19937_64 rng(order_seed);
  const std::int64_t n = task.train.y.size(0);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::int64_t next = n;  // drawn afresh at the first step
  const std::int64_t size = std::min<std::int64_t>(config.inner_batch_size, n);
  for (int step = 0; step < config.inner_steps; ++step) {
    if (next + size > n) {
      draw_epoch_order(order, rng);
      next = 0;
    }
    const auto index =
        torch::tensor(std::vector<std::int64_t>(order.begin() + next, order.begin() + next + size),
                      torch::kInt64)
            .to(task.train.x.device());
    next += size;
    Batch minibatch{
        task.train.x.index_select(0, index), task.train.y.index_select(0, index),
        task.train.weight.defined() ? task.train.weight.index_select(0, index) : torch::Tensor()};
    const auto logits = model.logits(minibatch.x);
    const auto loss = weak_label_loss(logits, minibatch);
    const auto gradients = torch::autograd::grad({loss}, fast);
    {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < fast.size(); ++i) {
        fast[i].sub_(gradients[i], config.inner_learning_rate);
      }
    }
    if (step + 1 == config.inner_steps) {
      result.train_loss = loss.item<double>();
      result.train_accuracy = accuracy_of(logits.detach(), minibatch.y);
    }
  }
  // The test loss at the adapted head; its gradient, first order, for every trainable tensor.
  const auto logits = model.logits(task.test.x);
  const auto test_loss = weak_label_loss(logits, task.test);
  result.test_loss = test_loss.item<double>();
  result.test_accuracy = accuracy_of(logits.detach(), task.test.y);
  const auto gradients =
      torch::autograd::grad({test_loss}, parameters.all, {}, false, false, /*allow_unused=*/true);
  for (std::size_t i = 0; i < parameters.all.size(); ++i) {
    result.gradient.push_back(gradients[i].defined() ? gradients[i].detach()
                                                     : torch::zeros_like(parameters.all[i]));
  }
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < fast.size(); ++i) fast[i].copy_(initial[i]);
  return result;
}

}  // namespace

void MetaTrainerConfig::validate() const {
  const auto positive = [](const char* key, double value) {
    if (!(value > 0) || !std::isfinite(value)) {
      throw core::InputError("meta", key, std::to_string(value), "must be > 0 and finite");
    }
  };
  for (const auto& [key, value] :
       {std::pair{"meta_batches", meta_batches}, std::pair{"tasks_per_batch", tasks_per_batch},
        std::pair{"inner_steps", inner_steps}, std::pair{"inner_batch_size", inner_batch_size}}) {
    if (value < 1) throw core::InputError("meta", key, std::to_string(value), "must be >= 1");
  }
  positive("inner_learning_rate", inner_learning_rate);
  positive("learning_rate", learning_rate);
  if (!(weight_decay >= 0)) {
    throw core::InputError("meta", "weight_decay", std::to_string(weight_decay), "must be >= 0");
  }
  if (hard_tasks < 0) {
    throw core::InputError("meta", "hard_tasks", std::to_string(hard_tasks), "must be >= 0");
  }
}

std::vector<std::size_t> hardest_sources(const std::vector<double>& accuracy, std::size_t k) {
  std::vector<std::size_t> seen;
  for (std::size_t s = 0; s < accuracy.size(); ++s) {
    if (!std::isnan(accuracy[s])) seen.push_back(s);
  }
  std::stable_sort(seen.begin(), seen.end(),
                   [&accuracy](std::size_t a, std::size_t b) { return accuracy[a] < accuracy[b]; });
  if (seen.size() > k) seen.resize(k);
  return seen;
}

MetaOutcome meta_train(const Classifier& model,
                       const std::function<bool(const std::string&)>& adapts, std::size_t sources,
                       const DrawMetaTask& draw, const MetaTrainerConfig& config,
                       std::uint64_t seed, torch::Device device, const KeepGoing& keep_going) {
  config.validate();
  if (!model.module || !model.logits) {
    throw core::Error("meta-training got an empty model (a bug in the caller)");
  }
  if (sources == 0) {
    throw core::InputError(
        "meta-training needs at least one source of tasks (got none) name "
        "the benchmarks to meta-train on");
  }
  model.module->to(device);
  auto parameters = meta_parameters(*model.module, adapts);
  TrainerConfig outer;
  outer.learning_rate = config.learning_rate;
  outer.weight_decay = config.weight_decay;
  AdamOptimizer optimizer(parameters.all, outer, MemberAxis::kSingle);
  optimizer.set_learning_rate(config.learning_rate);

  MetaOutcome outcome;
  std::uint64_t next_task = 0;
  const auto on_device = [device](MetaTask task) {
    for (auto* set : {&task.train, &task.test}) {
      set->x = set->x.to(device);
      set->y = set->y.to(device);
      if (set->weight.defined()) set->weight = set->weight.to(device);
    }
    return task;
  };
  // One outer step from the mean gradient of `results`; false when a loss was not finite.
  const auto outer_step = [&](const std::vector<TaskResult>& results) {
    for (const auto& r : results) {
      if (!std::isfinite(r.train_loss) || !std::isfinite(r.test_loss)) return false;
    }
    for (std::size_t i = 0; i < parameters.all.size(); ++i) {
      auto sum = torch::zeros_like(parameters.all[i]);
      for (const auto& r : results) sum += r.gradient[i];
      parameters.all[i].mutable_grad() = sum / static_cast<double>(results.size());
    }
    optimizer.step();
    optimizer.zero_grad();
    return true;
  };
  const auto run_task = [&](std::size_t source) {
    const std::uint64_t index = next_task++;
    auto drawn = draw(index, source);
    check_task(drawn, index);
    const auto task = on_device(std::move(drawn));
    return adapt_and_test(model, parameters, task, config,
                          core::stream_seed(seed, index, core::SeedPurpose::kMetaInner));
  };

  for (int b = 0; b < config.meta_batches; ++b) {
    MetaBatchRecord record;
    std::vector<double> accuracy_sum(sources, 0.0);
    std::vector<int> tasks_of(sources, 0);
    std::vector<TaskResult> results;
    for (int t = 0; t < config.tasks_per_batch; ++t) {
      const std::size_t source =
          (static_cast<std::size_t>(b) * static_cast<std::size_t>(config.tasks_per_batch) +
           static_cast<std::size_t>(t)) %
          sources;
      results.push_back(run_task(source));
      accuracy_sum[source] += results.back().test_accuracy;
      ++tasks_of[source];
    }
    auto& r = record.record;
    for (const auto& result : results) {
      r.train_loss += result.train_loss / static_cast<double>(results.size());
      r.train_accuracy += result.train_accuracy / static_cast<double>(results.size());
      r.val_loss += result.test_loss / static_cast<double>(results.size());
      r.val_accuracy += result.test_accuracy / static_cast<double>(results.size());
    }
    for (std::size_t s = 0; s < sources; ++s) {
      record.source_accuracy.push_back(tasks_of[s] > 0 ? accuracy_sum[s] / tasks_of[s]
                                                       : std::numeric_limits<double>::quiet_NaN());
    }
    bool finite = outer_step(results);
    // Hard tasks: one more meta-update for each of the lowest-accuracy sources.
    if (finite && config.hard_tasks > 0) {
      record.hard =
          hardest_sources(record.source_accuracy, static_cast<std::size_t>(config.hard_tasks));
      for (std::size_t source : record.hard) {
        finite = finite && outer_step({run_task(source)});
      }
    }
    outcome.history.push_back(record);
    if (!finite) {
      outcome.status = TrainStatus::kDiverged;
      outcome.failure_reason =
          "non-finite meta-training loss at meta-batch " + std::to_string(b) + " (0-based)";
      break;
    }
    if (keep_going && !keep_going(r)) {
      outcome.status = TrainStatus::kAbandoned;
      break;
    }
  }
  outcome.optimizer = optimizer.state();
  model.module->eval();
  return outcome;
}

}  // namespace cwola::training
