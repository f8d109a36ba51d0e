#include "data/event_weights.hpp"

#include <array>
#include <string>

#include "core/error.hpp"

namespace cwola::data {

std::vector<float> balanced_class_weights(const std::vector<std::uint8_t>& labels) {
  std::array<std::size_t, 2> count{0, 0};
  for (auto label : labels) ++count[label != 0 ? 1 : 0];
  for (int label : {0, 1}) {
    if (count[static_cast<std::size_t>(label)] == 0) {
      throw core::InputError("training.balance = classes needs events of both labels, but label " +
                             std::to_string(label) + " has none among " +
                             std::to_string(labels.size()) +
                             " events (nothing to balance) check the sample sizes");
    }
  }
  const double n = static_cast<double>(labels.size());
  const std::array<float, 2> weight{static_cast<float>(n / (2.0 * static_cast<double>(count[0]))),
                                    static_cast<float>(n / (2.0 * static_cast<double>(count[1])))};
  std::vector<float> weights;
  weights.reserve(labels.size());
  for (auto label : labels) weights.push_back(weight[label != 0 ? 1 : 0]);
  return weights;
}

std::vector<float> cwola_hunting_weights(const std::vector<HuntingRegion>& regions) {
  std::array<std::size_t, 3> count{0, 0, 0};
  for (auto region : regions) ++count[static_cast<std::size_t>(region)];
  const char* names[] = {"low sideband", "signal region", "high sideband"};
  for (std::size_t r = 0; r < 3; ++r) {
    if (count[r] == 0) {
      throw core::InputError(std::string("the CWoLa-hunting weights need events in every mass "
                                         "region, but the ") +
                             names[r] + " has none among " + std::to_string(regions.size()) +
                             " events check the windows");
    }
  }
  const double low = static_cast<double>(count[0]);
  const std::array<float, 3> weight{1.0F,
                                    static_cast<float>(2.0 * low / static_cast<double>(count[1])),
                                    static_cast<float>(low / static_cast<double>(count[2]))};
  std::vector<float> weights;
  weights.reserve(regions.size());
  for (auto region : regions) weights.push_back(weight[static_cast<std::size_t>(region)]);
  return weights;
}

}  // namespace cwola::data
