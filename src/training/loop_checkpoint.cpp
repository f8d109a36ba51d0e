#include "training/loop_checkpoint.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace cwola::training {

namespace {
// Scalars before the history, in this order.
enum Number : std::size_t {
  kEpochsDone,
  kStep,
  kBestStep,
  kBestValLoss,
  kEpochsWithoutImprovement,
  kBestEpoch,
  kScalars
};
constexpr std::size_t kRecordColumns = 4;

std::vector<std::pair<std::string, torch::Tensor>> state_items(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : module.named_parameters(true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(true)) out.emplace_back(item.key(), item.value());
  return out;
}

std::vector<float> flat(const torch::Tensor& tensor) {
  const auto values = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous().view({-1});
  return {values.data_ptr<float>(), values.data_ptr<float>() + values.numel()};
}

/// `values` shaped and typed like `like` (on the CPU; the loop moves it).
torch::Tensor shaped(const std::vector<float>& values, const torch::Tensor& like) {
  return torch::tensor(values).view(like.sizes()).to(like.scalar_type()).clone();
}
}  // namespace

core::CheckpointLayout checkpoint_layout(const torch::nn::Module& module, int max_epochs,
                                         std::size_t terms) {
  core::CheckpointLayout layout;
  const auto items = state_items(module);
  for (const char* prefix : {"weights.", "best."}) {
    for (const auto& [name, tensor] : items) {
      layout.tensors.tensors.push_back({prefix + name, tensor.sizes().vec()});
    }
  }
  const auto parameters = module.named_parameters(true);
  for (const char* prefix : {"optimizer.exp_avg.", "optimizer.exp_avg_sq.",
                             "best_optimizer.exp_avg.", "best_optimizer.exp_avg_sq."}) {
    for (const auto& item : parameters) {
      layout.tensors.tensors.push_back({prefix + item.key(), item.value().sizes().vec()});
    }
  }
  layout.tensors.description = "per-epoch training checkpoint";
  layout.numbers =
      kScalars + (kRecordColumns + terms) * static_cast<std::size_t>(std::max(0, max_epochs));
  return layout;
}

core::Checkpoint export_checkpoint(const torch::nn::Module& module, const LoopState& state,
                                   int max_epochs, std::size_t terms) {
  const auto items = state_items(module);
  const auto parameters = module.parameters(true);
  core::Checkpoint out;
  out.epochs_done = state.epochs_done;
  for (const auto* weights : {&state.weights, &state.best_weights}) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      out.tensors.push_back(weights->empty() ? std::vector<float>(static_cast<std::size_t>(
                                                   items[i].second.numel()), 0.0F)
                                             : flat(weights->at(i)));
    }
  }
  for (const auto* optimizer : {&state.optimizer, &state.best_optimizer}) {
    for (const auto* moments : {&optimizer->exp_avg, &optimizer->exp_avg_sq}) {
      for (std::size_t i = 0; i < parameters.size(); ++i) {
        out.tensors.push_back(optimizer->empty() ? std::vector<float>(static_cast<std::size_t>(
                                                       parameters[i].numel()), 0.0F)
                                                 : flat(moments->at(i)));
      }
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto epochs = static_cast<std::size_t>(max_epochs);
  out.numbers.assign(kScalars + (kRecordColumns + terms) * epochs, nan);
  out.numbers[kEpochsDone] = state.epochs_done;
  out.numbers[kStep] = static_cast<double>(state.optimizer.step);
  out.numbers[kBestStep] =
      state.best_optimizer.empty() ? -1.0 : static_cast<double>(state.best_optimizer.step);
  out.numbers[kBestValLoss] = state.best_val_loss;
  out.numbers[kEpochsWithoutImprovement] = state.epochs_without_improvement;
  out.numbers[kBestEpoch] = state.best_epoch;
  CWOLA_EXPECT(state.history.size() <= static_cast<std::size_t>(max_epochs));
  for (std::size_t e = 0; e < state.history.size(); ++e) {
    const auto& r = state.history[e];
    const std::size_t at = kScalars + kRecordColumns * e;
    out.numbers[at] = r.train_loss;
    out.numbers[at + 1] = r.train_accuracy;
    out.numbers[at + 2] = r.val_loss;
    out.numbers[at + 3] = r.val_accuracy;
    // The terms after every epoch's four columns: a layout without terms is unchanged.
    for (std::size_t t = 0; t < terms; ++t) {
      out.numbers[kScalars + kRecordColumns * epochs + terms * e + t] =
          t < r.train_terms.size() ? r.train_terms[t] : nan;
    }
  }
  return out;
}

LoopState import_checkpoint(const torch::nn::Module& module, const core::Checkpoint& checkpoint,
                            int max_epochs, std::size_t terms) {
  const auto layout = checkpoint_layout(module, max_epochs, terms);
  const auto misfit = [](const std::string& what) {
    throw core::InputError("the stored checkpoint does not fit this training (" + what +
                           "; a checkpoint of another network or job) start the task again");
  };
  if (checkpoint.tensors.size() != layout.tensors.tensors.size()) {
    misfit(std::to_string(checkpoint.tensors.size()) + " tensors, " +
           std::to_string(layout.tensors.tensors.size()) + " expected");
  }
  for (std::size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    if (checkpoint.tensors[i].size() != layout.tensors.tensors[i].size()) {
      misfit("tensor '" + layout.tensors.tensors[i].name + "' has " +
             std::to_string(checkpoint.tensors[i].size()) + " values");
    }
  }
  if (checkpoint.numbers.size() != layout.numbers || checkpoint.bytes.size() != layout.bytes) {
    misfit(std::to_string(checkpoint.numbers.size()) + " numbers and " +
           std::to_string(checkpoint.bytes.size()) + " bytes");
  }
  const auto& n = checkpoint.numbers;
  LoopState state;
  state.epochs_done = static_cast<int>(n[kEpochsDone]);
  if (state.epochs_done != checkpoint.epochs_done || state.epochs_done < 1 ||
      state.epochs_done > max_epochs) {
    misfit(std::to_string(state.epochs_done) + " epochs done");
  }
  state.best_epoch = static_cast<int>(n[kBestEpoch]);
  state.best_val_loss = n[kBestValLoss];
  state.epochs_without_improvement = static_cast<int>(n[kEpochsWithoutImprovement]);

  const auto items = state_items(module);
  const auto parameters = module.parameters(true);
  std::size_t next = 0;
  for (auto* weights : {&state.weights, &state.best_weights}) {
    for (const auto& item : items) weights->push_back(shaped(checkpoint.tensors[next++], item.second));
  }
  if (state.best_epoch < 0) state.best_weights.clear();
  for (auto* optimizer : {&state.optimizer, &state.best_optimizer}) {
    for (auto* moments : {&optimizer->exp_avg, &optimizer->exp_avg_sq}) {
      for (const auto& parameter : parameters) {
        moments->push_back(shaped(checkpoint.tensors[next++], parameter));
      }
    }
  }
  state.optimizer.step = static_cast<std::int64_t>(n[kStep]);
  if (n[kBestStep] < 0) {
    state.best_optimizer = {};
  } else {
    state.best_optimizer.step = static_cast<std::int64_t>(n[kBestStep]);
  }
  for (int e = 0; e < state.epochs_done; ++e) {
    const std::size_t at = kScalars + kRecordColumns * static_cast<std::size_t>(e);
    EpochRecord record;
    record.train_loss = n[at];
    record.train_accuracy = n[at + 1];
    record.val_loss = n[at + 2];
    record.val_accuracy = n[at + 3];
    for (std::size_t t = 0; t < terms; ++t) {
      record.train_terms.push_back(
          n[kScalars + kRecordColumns * static_cast<std::size_t>(max_epochs) +
            terms * static_cast<std::size_t>(e) + t]);
    }
    state.history.push_back(record);
  }
  return state;
}

}  // namespace cwola::training
