#include "data/augmentation.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"
#include "physics/detector.hpp"

namespace cwola::data {

const std::vector<std::string>& augmentation_names() {
  static const std::vector<std::string> kNames = {"none", "rotation", "eta_phi", "pt", "all"};
  return kNames;
}

AugmentationKind parse_augmentation(const std::string& name) {
  const auto& names = augmentation_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<AugmentationKind>(i);
  }
  throw core::InputError("augmentation '" + name + "' is not known; choose one of {" +
                         core::join(names, ", ") + "}");
}

std::string to_string(AugmentationKind kind) {
  return augmentation_names().at(static_cast<std::size_t>(kind));
}

namespace {
constexpr double kMinimumPt = 1e-3;  // GeV: "zero" that keeps η and φ defined

physics::FourVector rebuild(double pt, double eta, double phi, double mass) {
  return physics::FourVector::from_pt_eta_phi_m(std::max(pt, kMinimumPt), eta,
                                                physics::wrap_phi(phi), std::max(mass, 0.0));
}

void rotate(features::HiggsCandidates& h, core::RandomStream& stream) {
  const double angle = 2 * physics::kPi * stream.uniform();
  for (auto* v : {&h.h1, &h.h2}) {
    *v = rebuild(v->pt(), v->eta(), v->phi() + angle, v->m());
  }
}

void smear_eta_phi(features::HiggsCandidates& h, double scale, core::RandomStream& stream) {
  for (auto* v : {&h.h1, &h.h2}) {
    const double sigma = scale / std::max(v->pt(), kMinimumPt);
    const double eta = v->eta() + sigma * stream.normal();
    const double phi = v->phi() + sigma * stream.normal();
    *v = rebuild(v->pt(), eta, phi, v->m());
  }
}

void smear_pt(features::HiggsCandidates& h, const AugmentationConfig& c,
              core::RandomStream& stream) {
  for (auto* v : {&h.h1, &h.h2}) {
    const double pt = v->pt();
    const double smeared =
        pt + physics::jet_pt_resolution(pt, c.pt_quadratic, c.pt_linear) * stream.normal();
    *v = rebuild(std::max(smeared, 0.0), v->eta(), v->phi(), v->m());
  }
}
}  // namespace

features::HiggsCandidates augment(const features::HiggsCandidates& event,
                                  const AugmentationConfig& config, core::RandomStream& stream) {
  features::HiggsCandidates out = event;
  const auto kind = config.kind;
  if (kind == AugmentationKind::kRotation || kind == AugmentationKind::kAll) rotate(out, stream);
  if (kind == AugmentationKind::kEtaPhi || kind == AugmentationKind::kAll) {
    smear_eta_phi(out, config.smear_scale, stream);
  }
  if (kind == AugmentationKind::kPt || kind == AugmentationKind::kAll)
    smear_pt(out, config, stream);
  return out;
}

void CandidateSample::add(const features::HiggsCandidates& event, std::uint8_t label_value,
                          std::uint8_t truth_value) {
  events.push_back(event);
  label.push_back(label_value);
  is_signal.push_back(truth_value);
}

EventTable to_table(const CandidateSample& sample, const features::FeatureSelection& selection) {
  EventTable table;
  table.features = selection.size();
  table.rows.reserve(sample.size() * selection.size());
  for (std::size_t i = 0; i < sample.size(); ++i) {
    selection.append(features::compute_dihiggs_features(sample.events[i]), table.rows);
  }
  table.label = sample.label;
  table.is_signal = sample.is_signal;
  return table;
}

AugmentedSplit split_then_augment(const CandidateSample& sample,
                                  const features::FeatureSelection& selection,
                                  double validation_fraction, std::size_t copies,
                                  const AugmentationConfig& config,
                                  core::RandomStream& split_stream,
                                  core::RandomStream& augment_stream) {
  auto rows = split_rows(sample.size(), validation_fraction, split_stream);
  AugmentedSplit out;
  out.validation_origin = std::move(rows.validation);
  out.train_origin = std::move(rows.train);
  CandidateSample train;
  CandidateSample validation;
  for (std::size_t i : out.validation_origin) {
    validation.add(sample.events[i], sample.label[i], sample.is_signal[i]);
  }
  for (std::size_t i : out.train_origin)
    train.add(sample.events[i], sample.label[i], sample.is_signal[i]);
  // Augmented copies come from the training events only.
  const std::size_t originals = out.train_origin.size();
  if (config.kind != AugmentationKind::kNone) {
    for (std::size_t copy = 0; copy < copies; ++copy) {
      for (std::size_t k = 0; k < originals; ++k) {
        train.add(augment(train.events[k], config, augment_stream), train.label[k],
                  train.is_signal[k]);
        out.train_origin.push_back(out.train_origin[k]);
      }
    }
  }
  out.split.train = to_table(train, selection);
  out.split.validation = to_table(validation, selection);
  return out;
}

}  // namespace cwola::data
