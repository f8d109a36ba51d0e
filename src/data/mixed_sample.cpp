#include "data/mixed_sample.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cwola::data {

void EventTable::append(const std::vector<float>& values, std::size_t n, std::uint8_t label_value,
                        std::uint8_t truth_value) {
  CWOLA_EXPECT(values.size() == n * features);
  rows.insert(rows.end(), values.begin(), values.end());
  label.insert(label.end(), n, label_value);
  is_signal.insert(is_signal.end(), n, truth_value);
}

EventTable EventTable::subset(const std::vector<std::size_t>& indices) const {
  EventTable out;
  out.features = features;
  out.rows.reserve(indices.size() * features);
  out.label.reserve(indices.size());
  out.is_signal.reserve(indices.size());
  for (std::size_t index : indices) {
    CWOLA_EXPECT(index < size());
    const auto begin = rows.begin() + static_cast<std::ptrdiff_t>(index * features);
    out.rows.insert(out.rows.end(), begin, begin + static_cast<std::ptrdiff_t>(features));
    out.label.push_back(label[index]);
    out.is_signal.push_back(is_signal[index]);
    if (!loss_weight.empty()) out.loss_weight.push_back(loss_weight[index]);
    if (!mass.empty()) out.mass.push_back(mass[index]);
  }
  return out;
}

std::size_t signal_count(double fraction, std::size_t events) {
  return static_cast<std::size_t>(std::llround(fraction * static_cast<double>(events)));
}

SplitRows split_rows(std::size_t events, double validation_fraction, core::RandomStream& stream) {
  const auto order = stream.permutation(events);
  const auto n_validation = static_cast<std::size_t>(
      std::llround(validation_fraction * static_cast<double>(events)));
  SplitRows rows;
  rows.validation.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_validation));
  rows.train.assign(order.begin() + static_cast<std::ptrdiff_t>(n_validation), order.end());
  return rows;
}

TrainValidationSplit split_train_validation(const EventTable& table, double validation_fraction,
                                            core::RandomStream& stream) {
  const auto rows = split_rows(table.size(), validation_fraction, stream);
  return {table.subset(rows.train), table.subset(rows.validation)};
}

}  // namespace cwola::data
