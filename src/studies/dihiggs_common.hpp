#pragma once
/// What the di-Higgs studies share: the physics settings (the same sections as the
/// generator cards in inputs/: [hh], [qcd], [production], [detector], [btagging],
/// [selection], [pairing]), in-task event generation from (seed, task, purpose), the
/// feature choice, and the per-task correlation columns.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/job_config.hpp"
#include "data/augmentation.hpp"
#include "data/dihiggs_mixing.hpp"
#include "features/dihiggs_features.hpp"
#include "features/higgs_pairing.hpp"
#include "physics/hh_event_source.hpp"
#include "studies/classifier_study.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

struct DihiggsPhysics {
  physics::HhEventSourceConfig signal;
  physics::HhEventSourceConfig background;
  features::PairingConfig pairing;
  double heavy_mass() const;
  /// Reads the physics sections (every key optional; defaults documented in the cards).
  static DihiggsPhysics read(core::JobConfig& config);
};

/// The two mixtures of the note's §1 and the truth-labelled test set ([dihiggs] f1, f2
/// (a number or `complement`), allow_equal_fractions, events_per_mixture, test_events (per
/// class), luminosity_fb, signal_cross_section_fb, background_cross_section_fb: the σ after
/// the four-tag cut, for the significance columns).
struct DihiggsMixtures {
  double f1 = 0.7;
  double f2 = 0.3;
  std::size_t events_per_mixture = 50000;
  std::size_t test_events = 5000;
  double luminosity = 139;
  double signal_cross_section = 3.64;
  double background_cross_section = 6030;
  /// Reads and validates them (f1 = f2 only with allow_equal_fractions: the null test);
  /// the cross sections default to the note's for `heavy_mass`.
  static DihiggsMixtures read(core::JobConfig& config, double heavy_mass);
  /// Expected signal and background events (σ × luminosity).
  ExpectedYields yields() const {
    return {signal_cross_section * luminosity, background_cross_section * luminosity};
  }
};

/// Reads `<section>.features` (names or sets, default `fallback`) and
/// `<section>.drop_features`, naming the key in errors.
features::FeatureSelection read_feature_selection(core::JobConfig& config,
                                                  const std::string& section,
                                                  const std::string& fallback);

/// A four-tag event at the candidate level.
struct CandidateEvent {
  features::HiggsCandidates candidates;
  double m_hh = 0;               ///< GeV, of the four jets used
  bool pairing_correct = false;  ///< truth pairing recovered (signal only)
};

/// Generates four-tag events from `source`, blocks 0, 1, ... of `seed`, handing each
/// one that has candidates to `take`, until `take` returns true (done). Returns the
/// cutflow of the blocks used. Throws after `max_blocks` blocks.
physics::FourTagCutflow generate_candidates(const physics::HhEventSource& source,
                                            const features::PairingConfig& pairing,
                                            std::uint64_t seed,
                                            const std::function<bool(const CandidateEvent&)>& take,
                                            std::uint64_t max_blocks = 100000);

/// As above, handing `take` each event's detector-level jets with its candidates (valid during
/// the call), for the networks that read the jets themselves.
physics::FourTagCutflow generate_candidates(
    const physics::HhEventSource& source, const features::PairingConfig& pairing,
    std::uint64_t seed,
    const std::function<bool(const CandidateEvent&, const physics::JetEvent&)>& take,
    std::uint64_t max_blocks = 100000);

/// The detector-level jets of the events generate_n(source, pairing, seed, n) gives.
std::vector<physics::JetEvent> generate_jet_events(const physics::HhEventSource& source,
                                                   const features::PairingConfig& pairing,
                                                   std::uint64_t seed, std::size_t n);

/// The first `n` four-tag candidate events of `seed`.
std::vector<CandidateEvent> generate_n(const physics::HhEventSource& source,
                                       const features::PairingConfig& pairing, std::uint64_t seed,
                                       std::size_t n, physics::FourTagCutflow* cutflow = nullptr);

/// Seed of a sub-stream of a task's purpose: (task seed of `purpose`, index).
std::uint64_t sub_seed(const TaskContext& context, core::SeedPurpose purpose, std::uint64_t index);
/// sub_seed of the test sample: the task's, or the point's with TestSet::kPerPoint (equal to
/// sub_seed(context, kTestSample, index) with TestSet::kPerTask).
std::uint64_t test_sub_seed(const TaskContext& context, TestSet test_set, std::uint64_t index);

/// Column names "corr__<a>__<b>" for a < b over the 16 di-Higgs features.
std::vector<std::string> correlation_columns();
/// Their values on `events` (the upper triangle of the correlation matrix).
std::vector<double> correlation_values(const std::vector<features::HiggsCandidates>& events);

/// The fraction of `events` whose pairing is correct (NaN if none).
double pairing_rate(const std::vector<CandidateEvent>& events);

/// Base of the di-Higgs dense studies: their network reads the chosen features (known before
/// any event, so stages can store its model), and their test sets hold test_events of each
/// class, without k-fold (the sample size is not fixed up front).
template <typename Point>
class DihiggsDenseStudyOf : public DenseClassifierStudyOf<Point> {
 protected:
  using DenseClassifierStudyOf<Point>::DenseClassifierStudyOf;

  std::size_t model_inputs(std::size_t point) const override {
    return this->point(point).selection.size();
  }
  SampleSizes sample_sizes(std::size_t index) const override {
    return {2 * this->point(index).test_events, 0};
  }
};

}  // namespace cwola::studies
