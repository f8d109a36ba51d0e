#pragma once
/// Assignment predictions in SPANet's predict layout (its predict.py output), written by all
/// ranks into one parallel HDF5 file, each rank its own rows, so N ranks give the file 1 rank
/// gives:
///   INPUTS/<group>/<feature>, INPUTS/<group>/MASK   the predicted events' inputs, as read
///   TARGETS/<particle>/<daughter>                     int64 [events]: the predicted jet index
///   TARGETS/<particle>/assignment_probability         float32 [events]
///   TARGETS/<particle>/detection_probability          float32 [events]: the particle is
///                                                      reconstructable (all daughters kept)
///   TARGETS/<particle>/marginal_probability           float32 [events]: detection times
///                                                      assignment probability, as SPANet's
///   CLASSIFICATIONS/EVENT/<name>                      float32 [events]: class probability
/// The detection and marginal datasets are written only when asked (DetectionOutput): a network
/// trained with detection_loss_scale 0 has an untrained detection head, whose output would
/// mislead (docs/attention.md, "Detection head").
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
  /// [events, particles] when the detection head was trained, else empty (on every rank alike:
  /// creating the datasets is collective).
  std::vector<float> detection_probability;
};

/// Whether the file gets detection_probability and marginal_probability (the same on every
/// rank: the datasets are created collectively).
enum class DetectionOutput { kOmit, kWrite };

/// Collective over `comm`: creates `path` with `total_events` rows laid out after `spec` and
/// `data` (features, jet slots, particles) and writes every rank's `rows` (with kWrite, rows
/// must carry detection_probability). Throws core::InputError when the file cannot be created.
void write_spanet_predictions(MPI_Comm comm, const std::string& path, const SpanetEventSpec& spec,
                              const SpanetDataset& data, std::uint64_t total_events,
                              const SpanetPredictionRows& rows,
                              DetectionOutput with_detection = DetectionOutput::kOmit);

}  // namespace cwola::store
