#pragma once
/// A SPANet-layout HDF5 file read through its event spec (store/spanet_spec.hpp):
///   INPUTS/<group>/MASK, INPUTS/<group>/<feature>  [N, J]   (the spec's first SEQUENTIAL group)
///   TARGETS/<particle>/<daughter>                 [N]      jet index, -1 if not matched
///   CLASSIFICATIONS/EVENT/<name>                  [N]
/// Datasets not named in the spec are ignored. Every input is checked before it is used: a
/// missing dataset, a mask that is not prefix-shaped, more real jets than allowed, a target out
/// of range, on padding or repeated within an event are core::InputErrors naming the file, the
/// dataset, the event index and the value (exit 2).
#include <cstdint>
#include <string>
#include <vector>

#include "store/spanet_spec.hpp"

namespace cwola::store {

struct SpanetDatasetOptions {
  std::uint64_t first = 0;  ///< first event (row)
  std::uint64_t count = 0;  ///< events to read, 0 = to the end
  /// Most real jets an event may have; slots beyond it are dropped when they are all padding.
  std::uint64_t max_jets = 10;
};

/// Events as plain row-major arrays (no LibTorch in the store).
struct SpanetDataset {
  std::uint64_t events = 0;
  std::uint64_t jet_slots = 0;          ///< J (<= max_jets)
  std::vector<SpanetFeature> features;  ///< F, the spec's order
  std::vector<float> jets;              ///< [events, J, F]
  std::vector<std::uint8_t> mask;       ///< [events, J], 1 = real jet, prefix-shaped
  std::vector<std::string> particles;   ///< the spec's EVENT order
  std::uint64_t daughters = 0;          ///< K, the most daughters of any particle
  std::vector<std::int64_t> targets;    ///< [events, particles, K], -1 unknown or no such slot
  std::vector<std::string> classification_names;
  std::vector<std::vector<std::int64_t>> classifications;  ///< [names][events]
};

/// Reads events [first, first + count) of `path` as described by `spec`.
SpanetDataset read_spanet_dataset(const std::string& path, const SpanetEventSpec& spec,
                                  const SpanetDatasetOptions& options = {});

}  // namespace cwola::store
