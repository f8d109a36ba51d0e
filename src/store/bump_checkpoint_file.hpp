#pragma once
/// The per-epoch checkpoints of `cwola bumpnet` (docs/bump_hunt_network.md, "Checkpoints,
/// resume and stop"): a file of its own next to the output, "<output>.checkpoints.h5", so the
/// output itself is still written once, complete, through "<output>.partial". Layout:
///   /run/card        string [1]  the effective card (canonical text) the checkpoints belong to
///   /run/data        string [1]  the histogram file (absolute path)
///   /run/histograms  int64 [1]   its number of histograms
///   /run/ranks       int64 [1]   the rank count (it fixes each rank's shard and minibatch)
///   /checkpoints/<network>/...   store/checkpoint_store.hpp: one group per network, one row
///                                per ensemble member (its task id), two slots and a flag each
/// Created through "<path>.partial" (renamed once every dataset exists), written by one rank
/// after every epoch; a kill inside a write leaves the flag on the last complete slot.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/checkpoint.hpp"
#include "store/checkpoint_store.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

/// What a checkpoint file must match to be continued.
struct BumpRunIdentity {
  std::string card;  ///< canonical card text (section.key = value lines)
  std::string data;  ///< absolute path of the histogram file
  std::int64_t histograms = 0;
  std::int64_t ranks = 0;
};

/// "<output>.checkpoints.h5".
std::string bump_checkpoint_path(const std::string& output);

/// The checkpoints of one bumpnet run, open for writing on one rank.
class BumpCheckpointFile {
 public:
  /// Serial: a new file at `path` (an existing one is replaced) with `groups`' slots.
  static BumpCheckpointFile create(const std::string& path, const BumpRunIdentity& identity,
                                   const std::vector<CheckpointGroup>& groups);
  /// Serial: an existing file, for writing; check_bump_checkpoints first.
  static BumpCheckpointFile open(const std::string& path,
                                 const std::vector<CheckpointGroup>& groups);

  /// `checkpoint` of `task` (a member of group `group`) into its free slot, then its flag, then
  /// a flush. `between` (optional, fault tests) runs after the slot and before the flag.
  void write(const std::string& group, std::uint64_t task, const core::Checkpoint& checkpoint,
             const std::function<void()>& between = {});
  void close();

 private:
  BumpCheckpointFile(Hdf5File file, std::vector<CheckpointGroup> groups)
      : file_(std::move(file)), groups_(std::move(groups)) {}
  Hdf5File file_;
  std::vector<CheckpointGroup> groups_;
};

/// Collective over `comm`: the latest complete checkpoint of every task of `groups` stored in
/// `path` (tasks without one are absent). core::InputError naming the file and the first
/// card key (or data, histograms, ranks, network) whose stored value differs from `identity` /
/// `groups`: a checkpoint of another run is never continued.
std::map<std::uint64_t, core::Checkpoint> read_bump_checkpoints(
    MPI_Comm comm, const std::string& path, const BumpRunIdentity& identity,
    const std::vector<CheckpointGroup>& groups);

}  // namespace cwola::store
