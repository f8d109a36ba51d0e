/// Study "dihiggs_augmentation" — physical data augmentation, the note's §3
/// (Tables 10–12): a fully supervised dense network on m_H = 500 GeV signal vs QCD
/// (50k + 50k training, 5k + 5k test; features without the b-tag flags), with the
/// training part enlarged by n augmented copies of each training event: azimuthal
/// rotation, η–φ smearing (σ = Λ/pT, Λ = 10 GeV), pT smearing (the jet resolution),
/// or all three. The validation split is made before augmenting, so no copy of a
/// validation event is trained on. `copies = 0` (or kind = none) is the original.
///
/// [dihiggs]      train_events (per class), test_events (per class), features, drop_features
/// [augmentation] kind (none | rotation | eta_phi | pt | all), copies, smear_scale (Λ, GeV),
///                pt_resolution_quadratic, pt_resolution_linear
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

struct AugmentationSettings {
  DihiggsPhysics physics;
  features::FeatureSelection selection;
  std::size_t train_events = 50000;
  std::size_t test_events = 5000;
  data::AugmentationConfig augmentation;
  std::size_t copies = 0;
  ClassifierSettings classifier;
};

AugmentationSettings read_settings(core::JobConfig& config) {
  AugmentationSettings s;
  s.physics = DihiggsPhysics::read(config);
  s.selection = read_feature_selection(config, "dihiggs", "no_btag");
  s.train_events =
      static_cast<std::size_t>(config.get_int("dihiggs.train_events", 50000, 10, 1LL << 30));
  s.test_events =
      static_cast<std::size_t>(config.get_int("dihiggs.test_events", 5000, 10, 1LL << 30));
  const auto kind = config.get_choice("augmentation.kind", "none", data::augmentation_names());
  s.augmentation.kind = data::parse_augmentation(kind);
  s.copies = static_cast<std::size_t>(config.get_int("augmentation.copies", 0, 0, 1000));
  s.augmentation.smear_scale = config.get_double("augmentation.smear_scale", 10, 0, 1e4);
  s.augmentation.pt_quadratic =
      config.get_double("augmentation.pt_resolution_quadratic", 0.052, 0, 10);
  s.augmentation.pt_linear = config.get_double("augmentation.pt_resolution_linear", 1.502, 0, 1000);
  if (s.copies == 0) s.augmentation.kind = data::AugmentationKind::kNone;
  s.classifier = read_classifier_settings(config);
  return s;
}

class DihiggsAugmentationStudy : public DihiggsDenseStudyOf<AugmentationSettings> {
 public:
  explicit DihiggsAugmentationStudy(std::vector<AugmentationSettings> points)
      : DihiggsDenseStudyOf(std::move(points), {"heavy_mass", "augmentation", "copies",
                                                   "train_rows", "validation_rows", "features"}) {}

 protected:
  ClassifierTaskData prepare_task(const TaskContext& context) const override {
    const AugmentationSettings& s = point(context.point);
    const physics::HhEventSource signal(s.physics.signal);
    const physics::HhEventSource background(s.physics.background);
    data::CandidateSample sample;
    for (const auto& e :
         generate_n(signal, s.physics.pairing, context.seed(core::SeedPurpose::kSignalSample),
                    s.train_events)) {
      sample.add(e.candidates, 1, 1);
    }
    for (const auto& e :
         generate_n(background, s.physics.pairing,
                    context.seed(core::SeedPurpose::kBackgroundSample), s.train_events)) {
      sample.add(e.candidates, 0, 0);
    }
    data::CandidateSample test;
    for (const auto& e :
         generate_n(signal, s.physics.pairing, test_sub_seed(context, s.classifier.test_set, 1),
                    s.test_events)) {
      test.add(e.candidates, 1, 1);
    }
    for (const auto& e :
         generate_n(background, s.physics.pairing,
                    test_sub_seed(context, s.classifier.test_set, 0), s.test_events)) {
      test.add(e.candidates, 0, 0);
    }

    core::RandomStream split_stream(context.seed(core::SeedPurpose::kSplit));
    core::RandomStream augment_stream(context.seed(core::SeedPurpose::kAugmentation));
    auto augmented =
        data::split_then_augment(sample, s.selection, s.classifier.validation_fraction, s.copies,
                                 s.augmentation, split_stream, augment_stream);
    auto test_table = data::to_table(test, s.selection);
    ClassifierTaskData data;
    // The scaler is fitted on the original training events only (they come before the copies).
    data.scaling_rows = sample.size() - augmented.validation_origin.size();
    data.study_columns = {s.physics.heavy_mass(),
                          static_cast<double>(s.augmentation.kind),
                          static_cast<double>(s.copies),
                          static_cast<double>(augmented.split.train.size()),
                          static_cast<double>(augmented.split.validation.size()),
                          static_cast<double>(s.selection.size())};
    data.split = std::move(augmented.split);
    data.test = std::move(test_table);
    data.yields = {static_cast<double>(s.test_events), static_cast<double>(s.test_events)};
    return data;
  }
};
}  // namespace

std::unique_ptr<Study> make_dihiggs_augmentation_study(
    std::vector<core::JobConfig>& point_configs) {
  std::vector<AugmentationSettings> points;
  for (auto& config : point_configs) points.push_back(read_settings(config));
  return std::make_unique<DihiggsAugmentationStudy>(std::move(points));
}

}  // namespace cwola::studies
