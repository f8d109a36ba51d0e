#include "store/score_table.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace cwola::store {

namespace {
// A chunk holds at most this many events (a row of a very large test set spans several).
constexpr hsize_t kMaxChunkEvents = hsize_t{1} << 20U;
constexpr std::size_t kReasonLength = 160;
}  // namespace

const std::vector<std::string>& ensemble_metric_names() {
  static const std::vector<std::string> kNames = {"auc",
                                                  "best_accuracy",
                                                  "eff_s_at_eb_1e-1",
                                                  "eff_s_at_eb_1e-2",
                                                  "eff_s_at_eb_1e-3",
                                                  "sic_at_eb_1e-1",
                                                  "sic_at_eb_1e-2",
                                                  "sic_at_eb_1e-3",
                                                  "max_sic",
                                                  "eb_at_max_sic",
                                                  "background_at_max_sic",
                                                  "n_signal",
                                                  "n_background"};
  return kNames;
}

void create_score_table(Hdf5File& file, std::size_t tasks, std::size_t points, std::size_t width,
                        std::size_t grid, bool with_mass) {
  const hsize_t rows = tasks;
  const hsize_t events = width;
  const std::vector<hsize_t> chunk = {1, std::min(events, kMaxChunkEvents)};
  file.create_chunked_dataset("/scores/score", ColumnType::kFloat32, {rows, events}, chunk);
  file.create_chunked_dataset("/scores/label", ColumnType::kInt8, {rows, events}, chunk);
  if (with_mass)
    file.create_chunked_dataset("/scores/mass", ColumnType::kFloat32, {rows, events}, chunk);
  file.create_dataset("/scores/count", ColumnType::kInt64, {rows});
  file.create_dataset("/scores/events_id", ColumnType::kUInt64, {rows});
  file.create_dataset("/scores/fold", ColumnType::kInt64, {rows});
  file.create_dataset("/scores/inner_fold", ColumnType::kInt64, {rows});

  const hsize_t n_points = points;
  for (const auto& name : ensemble_metric_names()) {
    file.create_dataset("/summary/ensemble_" + name, ColumnType::kFloat64, {n_points});
    file.create_dataset("/summary/oof_" + name + "_mean", ColumnType::kFloat64, {n_points});
    file.create_dataset("/summary/oof_" + name + "_std", ColumnType::kFloat64, {n_points});
    file.create_dataset("/summary/ensemble_group_" + name + "_mean", ColumnType::kFloat64,
                        {n_points});
    file.create_dataset("/summary/ensemble_group_" + name + "_std", ColumnType::kFloat64,
                        {n_points});
  }
  file.create_dataset("/summary/ensemble_members", ColumnType::kInt64, {n_points});
  file.create_dataset("/summary/ensemble_groups", ColumnType::kInt64, {n_points});
  file.create_dataset("/summary/ensemble_reason", ColumnType::kString, {n_points}, kReasonLength);
  file.create_dataset("/summary/ensemble_roc_eps_s", ColumnType::kFloat64,
                      {n_points, static_cast<hsize_t>(std::max<std::size_t>(grid, 1))});
  file.create_dataset("/summary/oof_samples", ColumnType::kInt64, {n_points});
  file.create_dataset("/summary/oof_reason", ColumnType::kString, {n_points}, kReasonLength);
}

void fill_score_table(Hdf5File& file, const std::vector<std::int64_t>& fold,
                      const std::vector<std::int64_t>& inner_fold) {
  file.write_int64s("/scores/fold", 0, fold);
  file.write_int64s("/scores/inner_fold", 0, inner_fold);
}

std::size_t score_table_width(const Hdf5File& file) {
  if (!file.exists("/scores/score")) return 0;
  return static_cast<std::size_t>(file.shape("/scores/score").at(1));
}

void write_score_row(Hdf5File& file, std::uint64_t task, std::size_t width,
                     const std::vector<float>& scores, const std::vector<std::uint8_t>& labels,
                     const std::vector<float>& masses, std::uint64_t events_id) {
  const bool with_mass = file.exists("/scores/mass");
  if (scores.size() > width || labels.size() != scores.size() ||
      (with_mass && masses.size() != scores.size())) {
    throw core::Error("task " + std::to_string(task) + " scored " + std::to_string(scores.size()) +
                      " events with " + std::to_string(labels.size()) +
                      " labels, but /scores "
                      "rows hold " +
                      std::to_string(width) +
                      " (a bug in the study's "
                      "sample_sizes)");
  }
  std::vector<float> row(width, std::numeric_limits<float>::quiet_NaN());
  std::copy(scores.begin(), scores.end(), row.begin());
  std::vector<std::int8_t> label_row(width, 0);
  std::copy(labels.begin(), labels.end(), label_row.begin());
  file.write_floats("/scores/score", task, row);
  file.write_int8s("/scores/label", task, label_row);
  if (with_mass) {
    std::vector<float> mass_row(width, std::numeric_limits<float>::quiet_NaN());
    std::copy(masses.begin(), masses.end(), mass_row.begin());
    file.write_floats("/scores/mass", task, mass_row);
  }
  file.write_int64s("/scores/count", task, {static_cast<std::int64_t>(scores.size())});
  file.write_uint64s("/scores/events_id", task, {events_id});
}

std::vector<float> ScoreRows::row_scores(std::size_t row) const {
  const auto begin = scores.begin() + static_cast<std::ptrdiff_t>(row * width);
  return {begin, begin + count.at(row)};
}

std::vector<std::uint8_t> ScoreRows::row_labels(std::size_t row) const {
  const auto begin = labels.begin() + static_cast<std::ptrdiff_t>(row * width);
  return {begin, begin + count.at(row)};
}

std::vector<float> ScoreRows::row_masses(std::size_t row) const {
  if (masses.empty()) return {};
  const auto begin = masses.begin() + static_cast<std::ptrdiff_t>(row * width);
  return {begin, begin + count.at(row)};
}

ScoreRows read_score_rows(const Hdf5File& file, std::uint64_t first_task, std::size_t tasks) {
  ScoreRows rows;
  rows.width = score_table_width(file);
  rows.scores = file.read_float_rows("/scores/score", first_task, tasks);
  rows.labels = file.read_int8_rows("/scores/label", first_task, tasks);
  if (file.exists("/scores/mass"))
    rows.masses = file.read_float_rows("/scores/mass", first_task, tasks);
  const auto count = file.read_int64s("/scores/count");
  const auto ids = file.read_uint64s("/scores/events_id");
  const auto folds = file.read_int64s("/scores/fold");
  const auto inner = file.read_int64s("/scores/inner_fold");
  for (std::size_t i = 0; i < tasks; ++i) {
    const auto c = count.at(first_task + i);
    rows.count.push_back(std::clamp<std::int64_t>(c, 0, static_cast<std::int64_t>(rows.width)));
    rows.events_id.push_back(ids.at(first_task + i));
    rows.fold.push_back(folds.at(first_task + i));
    rows.inner_fold.push_back(inner.at(first_task + i));
  }
  return rows;
}

}  // namespace cwola::store
