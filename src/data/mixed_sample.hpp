#pragma once
/// Event tables with a training label (which mixture an event belongs to) and
/// its truth (signal or background), and the CWoLa mixing and splitting on them.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/random_stream.hpp"

namespace cwola::data {

/// Row-major feature table. `label` is what the classifier is trained on (1 =
/// mixture M1 / signal region, 0 = M2 / sideband); `is_signal` is the truth,
/// known only for generated or labelled test events.
struct EventTable {
  std::size_t features = 0;
  std::vector<float> rows;
  std::vector<std::uint8_t> label;
  std::vector<std::uint8_t> is_signal;
  /// Per-event loss weights known only to the study that made the events (e.g. the
  /// CWoLa-hunting SR/SB weights); empty: none. subset carries them.
  std::vector<float> loss_weight;
  /// Per-event resonance mass (GeV) where a later step needs it with the event's score (the
  /// hunt's selected spectra); empty: none. subset carries it.
  std::vector<float> mass;

  std::size_t size() const { return label.size(); }
  /// Appends `n` rows (already in `values`, row-major) with the given label and truth.
  void append(const std::vector<float>& values, std::size_t n, std::uint8_t label_value,
              std::uint8_t truth_value);
  /// The rows at `indices`, in that order.
  EventTable subset(const std::vector<std::size_t>& indices) const;
};

/// Number of signal events in a mixture of n events with signal fraction f: round(f n).
std::size_t signal_count(double fraction, std::size_t events);

struct TrainValidationSplit {
  EventTable train;
  EventTable validation;
};

/// Row numbers of a train/validation split.
struct SplitRows {
  std::vector<std::size_t> train;
  std::vector<std::size_t> validation;
};

/// The one train/validation split of every study: a permutation of 0..events-1 drawn from
/// `stream`; its first round(validation_fraction × events) rows validate, the rest train (both
/// in permutation order).
SplitRows split_rows(std::size_t events, double validation_fraction, core::RandomStream& stream);

/// Random split (split_rows); the validation part gets round(fraction × size) events. Made
/// before any augmentation so that no copy of a validation event is trained on.
TrainValidationSplit split_train_validation(const EventTable& table, double validation_fraction,
                                            core::RandomStream& stream);

}  // namespace cwola::data
