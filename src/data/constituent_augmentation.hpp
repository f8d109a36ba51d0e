#pragma once
/// Dijet events as padded constituent columns (the in-memory form of a jet event file's rows),
/// and the constituent-level augmentations of the note §4.9–4.19:
///   smear  η' ~ N(η, Λ/pT), φ' ~ N(φ, Λ/pT) for every constituent (pT in GeV; Λ = 100 MeV by
///          default, 200 and 500 MeV in §4.16), φ' wrapped into (−π, π];
///   copy   an unchanged duplicate ("+1 copy", §4.14.2);
///   "+n":  the training split gets n augmented copies of each of its events after the
///          originals. The train/validation split is made first (§4.28–4.29), so augmentation
///          only ever touches the training split.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/random_stream.hpp"

namespace cwola::data {

/// Rows of dijet events: per jet, `max_constituents` zero-padded (pt = 0) entries per event.
struct DijetConstituentTable {
  std::size_t max_constituents = 0;
  std::array<std::vector<float>, 2> pt, eta, phi;
  std::vector<float> mjj;
  std::vector<std::uint8_t> label;      ///< training label (1 = signal region, 0 = sideband)
  std::vector<std::uint8_t> is_signal;  ///< truth

  std::size_t size() const { return label.size(); }
  /// Appends event `row` of `other` with the given label (truth copied).
  void append_row(const DijetConstituentTable& other, std::size_t row, std::uint8_t label_value);
  /// The rows at `rows`, in that order, labels kept.
  DijetConstituentTable subset(const std::vector<std::size_t>& rows) const;
};

enum class ConstituentAugmentationMode { kNone, kSmear, kCopy };

/// "none", "smear", "copy" ↔ the modes.
ConstituentAugmentationMode parse_constituent_augmentation(const std::string& name);
std::string to_string(ConstituentAugmentationMode mode);

struct ConstituentAugmentationConfig {
  ConstituentAugmentationMode mode = ConstituentAugmentationMode::kNone;
  int copies = 1;                ///< n of "+n"
  double smear_scale_gev = 0.1;  ///< Λ
  /// Throws core::InputError naming the field and value.
  void validate() const;
};

/// Smears the constituents of event `row` in place (η–φ with Λ/pT).
void smear_event(DijetConstituentTable& table, std::size_t row, double scale_gev,
                 core::RandomStream& stream);

/// Rotates the whole event `row` by `angle` (rad) in φ.
void rotate_event(DijetConstituentTable& table, std::size_t row, double angle);

/// The training split plus `copies` augmented copies of every event (originals first, then copy
/// 1 of every event, copy 2, ...). Mode kNone returns the input unchanged.
DijetConstituentTable augment_training_split(const DijetConstituentTable& train,
                                             const ConstituentAugmentationConfig& config,
                                             core::RandomStream& stream);

}  // namespace cwola::data
