#pragma once
/// Per-epoch training checkpoints in the results store (docs/stages.md, "Per-epoch
/// checkpoints"): a long training killed after epoch e resumes at e + 1 on --resume instead
/// of at epoch 0. One group per stage whose tasks checkpoint, created up front like every
/// other dataset. A group holds the tasks whose trainings share one layout (a stage, or
/// the points of a stage with one network shape); its task l owns two slots, written
/// alternately, then the flag:
///
///   /checkpoints/<group>/task         int64   [tasks]              global task id of row l
///   /checkpoints/<group>/<tensor>     float32 [2 x tasks, ...shape]  row 2 l + slot
///   /checkpoints/<group>/numbers      float64 [2 x tasks, numbers]
///   /checkpoints/<group>/bytes        int8    [2 x tasks, bytes]     (raw bytes)
///   /checkpoints/<group>/epochs_done  int64   [tasks]   0: none; else the complete slot is
///                                                       epochs_done % 2
///   attributes: /checkpoints groups (names); a group's tensors (names), layout (numbers, bytes)
///
/// A kill while a slot is written leaves the flag on the other, complete slot, so a checkpoint
/// the flag names is always whole. Written by the rank that trains the task.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/checkpoint.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

/// The checkpoints of tasks that share a layout.
struct CheckpointGroup {
  std::string name;
  std::vector<std::uint64_t> tasks;  ///< ascending global task ids, one row each
  core::CheckpointLayout layout;

  bool holds(std::uint64_t task) const;
  /// The row of `task` (holds(task) must be true).
  std::size_t row_of(std::uint64_t task) const;
};

/// Collective: every group's datasets; rank 0 (`fill`) writes their task columns.
void create_checkpoint_datasets(Hdf5File& file, const std::vector<CheckpointGroup>& groups);
/// Rank 0, at store creation: each group's task column.
void fill_checkpoint_datasets(Hdf5File& file, const std::vector<CheckpointGroup>& groups);
/// The checkpoint groups of a store; empty when it keeps none.
std::vector<CheckpointGroup> read_checkpoint_groups(const Hdf5File& file);

/// Independent: `checkpoint` of `task` into the slot its epoch count chooses, then the flag.
/// `between` (optional, fault tests) runs after the slot and before the flag.
void write_checkpoint(Hdf5File& file, const CheckpointGroup& group, std::uint64_t task,
                      const core::Checkpoint& checkpoint,
                      const std::function<void()>& between = {});
/// Independent: the latest complete checkpoint of `task`, if it has one.
std::optional<core::Checkpoint> read_checkpoint(const Hdf5File& file, const CheckpointGroup& group,
                                                std::uint64_t task);

/// Bytes of one task's checkpoints (both slots and the flag).
std::size_t checkpoint_bytes(const core::CheckpointLayout& layout);

}  // namespace cwola::store
