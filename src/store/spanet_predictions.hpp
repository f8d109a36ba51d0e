#pragma once
/// Assignment predictions in SPANet's predict layout (its predict.py output), written by all
/// ranks into one parallel HDF5 file, each rank its own rows, so N ranks give the file 1 rank
/// gives:
///   INPUTS/<group>/<feature>, INPUTS/<group>/MASK   the predicted events' inputs, as read
///   TARGETS/<particle>/<daughter>                     int64 [events]: the predicted jet index
///   TARGETS/<particle>/assignment_probability         float32 [events]
///   CLASSIFICATIONS/EVENT/<name>                      float32 [events]: class probability
/// SPANet's detection_probability and marginal_probability are not written: our network has
/// no detection head (docs/attention.md).
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/spanet_dataset.hpp"
#include "store/spanet_spec.hpp"

namespace cwola::store {

/// One rank's rows: events [first_event, first_event + events) of the output file.
struct SpanetPredictionRows {
  std::uint64_t first_event = 0;
  std::uint64_t events = 0;
  std::vector<float> jets;                   ///< [events, jet_slots, features], as read
  std::vector<std::uint8_t> mask;            ///< [events, jet_slots]
  std::vector<std::int64_t> assignments;     ///< [events, particles, daughters]
  std::vector<float> assignment_probability;  ///< [events, particles]
  std::vector<float> class_probability;      ///< [events] when the spec classifies, else empty
};

/// Collective over `comm`: creates `path` with `total_events` rows laid out after `spec` and
/// `data` (features, jet slots, particles) and writes every rank's `rows`. Throws
/// core::InputError when the file cannot be created.
void write_spanet_predictions(MPI_Comm comm, const std::string& path, const SpanetEventSpec& spec,
                              const SpanetDataset& data, std::uint64_t total_events,
                              const SpanetPredictionRows& rows);

}  // namespace cwola::store
