#include "data/constituent_augmentation.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::data {

namespace {
constexpr double kPi = 3.14159265358979323846;

double wrap(double phi) {
  double w = std::fmod(phi + kPi, 2.0 * kPi);
  if (w <= 0) w += 2.0 * kPi;
  return w - kPi;
}
}  // namespace

void DijetConstituentTable::append_row(const DijetConstituentTable& other, std::size_t row,
                                       std::uint8_t label_value) {
  if (max_constituents == 0 && size() == 0) max_constituents = other.max_constituents;
  if (other.max_constituents != max_constituents) {
    throw core::Error("dijet tables with different constituent widths cannot be combined (a bug)");
  }
  const std::size_t begin = row * max_constituents;
  const std::size_t end = begin + max_constituents;
  for (int j = 0; j < 2; ++j) {
    pt[j].insert(pt[j].end(), other.pt[j].begin() + begin, other.pt[j].begin() + end);
    eta[j].insert(eta[j].end(), other.eta[j].begin() + begin, other.eta[j].begin() + end);
    phi[j].insert(phi[j].end(), other.phi[j].begin() + begin, other.phi[j].begin() + end);
  }
  mjj.push_back(other.mjj[row]);
  label.push_back(label_value);
  is_signal.push_back(other.is_signal[row]);
}

DijetConstituentTable DijetConstituentTable::subset(const std::vector<std::size_t>& rows) const {
  DijetConstituentTable out;
  out.max_constituents = max_constituents;
  for (auto r : rows) out.append_row(*this, r, label[r]);
  return out;
}

ConstituentAugmentationMode parse_constituent_augmentation(const std::string& name) {
  if (name == "none") return ConstituentAugmentationMode::kNone;
  if (name == "smear") return ConstituentAugmentationMode::kSmear;
  if (name == "copy") return ConstituentAugmentationMode::kCopy;
  throw core::InputError("augmentation '" + name + "' is not known; choose none, smear or copy");
}

std::string to_string(ConstituentAugmentationMode mode) {
  switch (mode) {
    case ConstituentAugmentationMode::kNone:
      return "none";
    case ConstituentAugmentationMode::kSmear:
      return "smear";
    case ConstituentAugmentationMode::kCopy:
      return "copy";
  }
  return "none";
}

void ConstituentAugmentationConfig::validate() const {
  if (copies < 0 || copies > 1000) {
    throw core::InputError("augmentation", "copies", std::to_string(copies),
                           "the number of added copies must be in [0, 1000]");
  }
  if (!(smear_scale_gev >= 0) || !std::isfinite(smear_scale_gev)) {
    throw core::InputError("augmentation", "smear_scale_gev", core::format_double(smear_scale_gev),
                           "the smearing scale Λ must be >= 0 GeV (note: 0.1)");
  }
}

void smear_event(DijetConstituentTable& table, std::size_t row, double scale_gev,
                 core::RandomStream& stream) {
  const std::size_t begin = row * table.max_constituents;
  for (int j = 0; j < 2; ++j) {
    for (std::size_t i = begin; i < begin + table.max_constituents; ++i) {
      const double pt = table.pt[j][i];
      if (pt <= 0) continue;
      const double sigma = scale_gev / pt;
      table.eta[j][i] = static_cast<float>(table.eta[j][i] + sigma * stream.normal());
      table.phi[j][i] = static_cast<float>(wrap(table.phi[j][i] + sigma * stream.normal()));
    }
  }
}

void rotate_event(DijetConstituentTable& table, std::size_t row, double angle) {
  const std::size_t begin = row * table.max_constituents;
  for (int j = 0; j < 2; ++j) {
    for (std::size_t i = begin; i < begin + table.max_constituents; ++i) {
      if (table.pt[j][i] > 0) table.phi[j][i] = static_cast<float>(wrap(table.phi[j][i] + angle));
    }
  }
}

DijetConstituentTable augment_training_split(const DijetConstituentTable& train,
                                             const ConstituentAugmentationConfig& config,
                                             core::RandomStream& stream) {
  config.validate();
  DijetConstituentTable out = train;
  if (config.mode == ConstituentAugmentationMode::kNone) return out;
  for (int copy = 0; copy < config.copies; ++copy) {
    for (std::size_t row = 0; row < train.size(); ++row) {
      out.append_row(train, row, train.label[row]);
      if (config.mode == ConstituentAugmentationMode::kSmear) {
        smear_event(out, out.size() - 1, config.smear_scale_gev, stream);
      }
    }
  }
  return out;
}

}  // namespace cwola::data
