/// Study "dihiggs_fraction" — the note's §1 (Fig. 1): CWoLa on di-Higgs → 4b with
/// two mixtures of signal fractions f1 and f2 (= 1 − f1 by default); f1 = 1, f2 = 0
/// is full supervision, its own scan point. The signal and the QCD background are
/// generated inside each task from (seed, task, purpose), passed through the
/// detector and the four-tag cut, paired into Higgs candidates (min ΔR) and turned
/// into the 16 features of Table 1 (or those the job chooses). A dense network
/// learns M1 vs M2 and is evaluated on pure signal and background test events.
///
/// [dihiggs] f1, f2 (number or `complement`), allow_equal_fractions,
///           events_per_mixture, test_events (per class), features, drop_features,
///           luminosity_fb, signal_cross_section_fb, background_cross_section_fb
///           (σ after the four-tag cut; yields for the significance columns)
/// plus the physics sections ([hh], [qcd], [production], [detector], [btagging],
/// [selection], [pairing], [generator] block_size) and [model]/[training]/[metrics].
#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "core/text.hpp"
#include "studies/classifier_study.hpp"
#include "studies/classifier_task.hpp"
#include "studies/dihiggs_common.hpp"
#include "studies/dihiggs_studies.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

namespace {

/// The mixtures (a base, so that DihiggsDenseStudyOf finds test_events), the physics, the
/// features and the classifier.
struct FractionSettings : DihiggsMixtures {
  DihiggsPhysics physics;
  features::FeatureSelection selection;
  ClassifierSettings classifier;
};

FractionSettings read_settings(core::JobConfig& config) {
  FractionSettings s;
  s.physics = DihiggsPhysics::read(config);
  s.selection = read_feature_selection(config, "dihiggs", "all");
  static_cast<DihiggsMixtures&>(s) = DihiggsMixtures::read(config, s.physics.heavy_mass());
  s.classifier = read_classifier_settings(config);
  return s;
}

class DihiggsFractionStudy : public DihiggsDenseStudyOf<FractionSettings> {
 public:
  explicit DihiggsFractionStudy(std::vector<FractionSettings> points)
      : DihiggsDenseStudyOf(std::move(points),
                               {"f1", "f2", "heavy_mass", "features", "pairing_accuracy",
                                "signal_four_tag_efficiency", "background_four_tag_efficiency"}) {}

 protected:
  ClassifierTaskData prepare_task(const TaskContext& context) const override {
    const FractionSettings& s = point(context.point);
    const DihiggsMixtures& m = s;
    const physics::HhEventSource signal(s.physics.signal);
    const physics::HhEventSource background(s.physics.background);
    const std::size_t n = m.events_per_mixture;
    const std::size_t s1 = data::signal_count(m.f1, n);
    const std::size_t s2 = data::signal_count(m.f2, n);
    const auto signal_events = generate_n(signal, s.physics.pairing,
                                          context.seed(core::SeedPurpose::kSignalSample), s1 + s2);
    const auto background_events =
        generate_n(background, s.physics.pairing,
                   context.seed(core::SeedPurpose::kBackgroundSample), 2 * n - s1 - s2);

    data::CandidateSample mixed;
    std::size_t next_signal = 0;
    std::size_t next_background = 0;
    for (const auto& [n_signal, label] : {std::pair{s1, 1}, std::pair{s2, 0}}) {
      for (std::size_t i = 0; i < n_signal; ++i) {
        mixed.add(signal_events[next_signal++].candidates, static_cast<std::uint8_t>(label), 1);
      }
      for (std::size_t i = 0; i < n - n_signal; ++i) {
        mixed.add(background_events[next_background++].candidates, static_cast<std::uint8_t>(label),
                  0);
      }
    }
    physics::FourTagCutflow signal_flow;
    physics::FourTagCutflow background_flow;
    const auto test_signal =
        generate_n(signal, s.physics.pairing, test_sub_seed(context, s.classifier.test_set, 1),
                   m.test_events, &signal_flow);
    const auto test_background = generate_n(background, s.physics.pairing,
                                            test_sub_seed(context, s.classifier.test_set, 0),
                                            m.test_events, &background_flow);
    data::CandidateSample test;
    for (const auto& e : test_signal) test.add(e.candidates, 1, 1);
    for (const auto& e : test_background) test.add(e.candidates, 0, 0);

    const auto mixed_table = data::to_table(mixed, s.selection);
    auto test_table = data::to_table(test, s.selection);

    ClassifierTaskData data;
    data.split = split_for_task(s.classifier, mixed_table, context);
    data.test = std::move(test_table);
    data.yields = m.yields();
    const auto efficiency = [](const physics::FourTagCutflow& flow) {
      return static_cast<double>(flow.counts.back()) / static_cast<double>(flow.counts.front());
    };
    data.study_columns = {m.f1,
                          m.f2,
                          s.physics.heavy_mass(),
                          static_cast<double>(s.selection.size()),
                          pairing_rate(test_signal),
                          efficiency(signal_flow),
                          efficiency(background_flow)};
    return data;
  }
};
}  // namespace

std::unique_ptr<Study> make_dihiggs_fraction_study(std::vector<core::JobConfig>& point_configs) {
  std::vector<FractionSettings> points;
  for (auto& config : point_configs) points.push_back(read_settings(config));
  return std::make_unique<DihiggsFractionStudy>(std::move(points));
}

}  // namespace cwola::studies
