#pragma once
/// A compressed copy of a finished results store (`cwola compact`, docs/stages.md
/// "Artifacts"). The running store cannot compress its per-event artifacts: parallel HDF5 writes
/// filtered datasets only collectively, and each task writes its rows alone when it ends. After
/// the run one process can: every artifact column is rewritten with the shuffle and deflate
/// filters in chunks of many tasks; every other object (results, curves, models, attributes) is
/// copied as it is. Values are unchanged bit for bit, so every reader of the store reads the
/// copy.
#include <cstdint>
#include <string>

namespace cwola::store {

struct CompactionOutcome {
  std::uint64_t bytes_before = 0;  ///< size of the input file
  std::uint64_t bytes_after = 0;   ///< size of the copy
  std::uint64_t compressed_datasets = 0;
  std::uint64_t raw_artifact_bytes = 0;         ///< the artifact columns' values, uncompressed
  std::uint64_t compressed_artifact_bytes = 0;  ///< the same on disk in the copy
};

/// Serial (one process): writes the compressed copy of `input` to `output` (which must not
/// exist) with deflate `level` (1-9). Throws core::InputError naming the file for a store that
/// is not a finished cwola store (no /job/hash, or /job/complete not 1: resume it first), for
/// an existing `output` and for a bad level; core::Error for an HDF5 failure (the partial
/// `output` is then removed).
CompactionOutcome compact_store(const std::string& input, const std::string& output, int level);

}  // namespace cwola::store
