#pragma once
/// Feature standardisation of event tables: the one scaler of every dense study, fitted on the
/// training split only (studies/classifier_study.cpp) and applied to training, validation and
/// test events alike.
#include <cstddef>
#include <limits>
#include <vector>

#include "data/mixed_sample.hpp"

namespace cwola::data {

/// Per-feature mean and standard deviation of a table (for inputs of very different
/// scales: GeV next to radians); a constant feature gets σ = 1.
struct FeatureScaling {
  std::vector<double> mean;
  std::vector<double> sigma;
  /// Fitted on the first `rows` events of `table` (all by default; e.g. the original training
  /// events before augmented copies).
  static FeatureScaling fit(const EventTable& table,
                            std::size_t rows = std::numeric_limits<std::size_t>::max());
  /// x → (x − mean)/σ in place.
  void apply(EventTable& table) const;
};

}  // namespace cwola::data
