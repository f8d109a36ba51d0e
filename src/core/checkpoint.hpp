#pragma once
/// A training's state after an epoch as plain arrays (docs/stages.md, "Per-epoch checkpoints"),
/// the form in which the engine stores it and hands it back to the task that resumes after a
/// kill. Plain types, so that studies, the store and the runner share it without LibTorch or
/// HDF5; what the arrays mean is the training module's business (training/loop_checkpoint).
#include <cstdint>
#include <vector>

#include "core/model_tensors.hpp"

namespace cwola::core {

/// What a task's checkpoint holds, fixed before any task runs.
struct CheckpointLayout {
  ModelLayout tensors;        ///< float32 arrays (weights, optimizer moments, ...)
  std::size_t numbers = 0;    ///< float64 values (counters, losses, the epoch history)
  std::size_t bytes = 0;      ///< opaque bytes (a random generator's state)

  bool empty() const { return tensors.empty(); }
  bool operator==(const CheckpointLayout& other) const {
    return tensors == other.tensors && numbers == other.numbers && bytes == other.bytes;
  }
};

/// One checkpoint's values, in its CheckpointLayout's order.
struct Checkpoint {
  std::int64_t epochs_done = 0;  ///< epochs the training had finished when it was taken
  std::vector<std::vector<float>> tensors;
  std::vector<double> numbers;
  std::vector<std::uint8_t> bytes;
};

}  // namespace cwola::core
