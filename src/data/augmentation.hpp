#pragma once
/// Physical data augmentation of Higgs-candidate events (the note's §3, after
/// Dillon et al.'s symmetry/resolution augmentations):
///   rotation     φ → φ + α, α ~ U[0, 2π), the same α for the whole event
///   eta_phi      η' ~ N(η, Λ/pT), φ' ~ N(φ, Λ/pT) per candidate, Λ = 10 GeV
///   pt           pT' ~ N(pT, σ(pT)), σ(pT) = sqrt(0.052 pT² + 1.502 pT) (GeV; the note's
///                eq. 3, also the detector default); negative results are set to zero
///                (to 1 MeV, so that η and φ stay defined)
///   all          rotation, then η–φ, then pT smearing
/// Candidate masses are kept; hh_pt and hh_m are recomputed from the augmented
/// candidates, the jets' ΔR inside each candidate is kept. "+n times" adds n
/// augmented copies of each *training* event: the validation split is made first, so
/// no copy of a validation event is ever trained on (the note's §4.28 lesson).
#include <cstdint>
#include <string>
#include <vector>

#include "core/random_stream.hpp"
#include "data/mixed_sample.hpp"
#include "features/dihiggs_features.hpp"
#include "features/higgs_pairing.hpp"

namespace cwola::data {

enum class AugmentationKind { kNone, kRotation, kEtaPhi, kPt, kAll };

/// "none", "rotation", "eta_phi", "pt", "all" ↔ the kinds.
AugmentationKind parse_augmentation(const std::string& name);
std::string to_string(AugmentationKind kind);
const std::vector<std::string>& augmentation_names();

struct AugmentationConfig {
  AugmentationKind kind = AugmentationKind::kNone;
  double smear_scale = 10;      ///< Λ (GeV) of the η–φ smearing
  double pt_quadratic = 0.052;  ///< c2 of σ(pT) = sqrt(c2 pT² + c1 pT)
  double pt_linear = 1.502;     ///< c1 (GeV)
};

/// One augmented copy of `event`.
features::HiggsCandidates augment(const features::HiggsCandidates& event,
                                  const AugmentationConfig& config, core::RandomStream& stream);

/// Events of a labelled sample, at the candidate level, before feature selection.
struct CandidateSample {
  std::vector<features::HiggsCandidates> events;
  std::vector<std::uint8_t> label;      ///< training label (mixture / region)
  std::vector<std::uint8_t> is_signal;  ///< truth
  void add(const features::HiggsCandidates& event, std::uint8_t label_value,
           std::uint8_t truth_value);
  std::size_t size() const { return events.size(); }
};

/// Feature table of a candidate sample.
EventTable to_table(const CandidateSample& sample, const features::FeatureSelection& selection);

struct AugmentedSplit {
  TrainValidationSplit split;
  /// For each training row, the index (into the input sample) of the event it comes
  /// from; validation_origin likewise. Used to prove the split precedes augmentation.
  std::vector<std::size_t> train_origin;
  std::vector<std::size_t> validation_origin;
};

/// Splits `sample` into training and validation (round(fraction × size) validation
/// events, permutation from `split_stream`), then appends `copies` augmented copies of
/// every training event (from `augment_stream`) to the training part only.
AugmentedSplit split_then_augment(const CandidateSample& sample,
                                  const features::FeatureSelection& selection,
                                  double validation_fraction, std::size_t copies,
                                  const AugmentationConfig& config,
                                  core::RandomStream& split_stream,
                                  core::RandomStream& augment_stream);

}  // namespace cwola::data
