#pragma once
/// Per-event loss weights for training on mixed samples ([training] balance): equal total
/// weight per label, or the CWoLa-hunting weights of signal region and sidebands.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cwola::data {

/// Weights that give both labels the same total weight and keep the mean weight 1:
/// w = n / (2 n_label). Throws core::InputError if a label has no events.
std::vector<float> balanced_class_weights(const std::vector<std::uint8_t>& labels);

/// Where an event of a CWoLa-hunting sample lies in the resonance mass.
enum class HuntingRegion : std::uint8_t { kLowSideband, kSignalRegion, kHighSideband };

/// The CWoLa-hunting weights (Collins, Howe, Nachman 2019): low sideband 1, high sideband
/// n_low / n_high, signal region 2 n_low / n_SR, so that both sidebands weigh alike and the
/// signal region weighs as much as both together. Throws core::InputError if a region is empty.
std::vector<float> cwola_hunting_weights(const std::vector<HuntingRegion>& regions);

}  // namespace cwola::data
