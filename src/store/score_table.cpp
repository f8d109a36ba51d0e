#include "store/score_table.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace cwola::store {

namespace {
constexpr std::size_t kReasonLength = 160;
constexpr const char* kName = "scores";
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

ArtifactLayout score_artifact(std::size_t tasks, std::size_t width, bool with_mass,
                              const std::string& stage) {
  ArtifactLayout a;
  a.name = kName;
  a.stage = stage;
  a.first_task = 0;
  a.n_tasks = tasks;
  a.max_rows = width;
  a.columns = {"score", "label"};
  if (with_mass) a.columns.emplace_back("mass");
  a.seed_purpose = "task";
  a.description = "each task's per-event test scores (raw output) with truth labels";
  return a;
}

void create_ensemble_columns(Hdf5File& file, std::size_t points, std::size_t grid) {
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

std::size_t score_table_width(const Hdf5File& file) {
  const std::string written = std::string("/artifacts/") + kName + "/written";
  if (!file.exists(written)) return 0;
  return read_artifact_layout(file, kName).max_rows;
}

void write_score_row(Hdf5File& file, std::uint64_t task, const std::vector<float>& scores,
                     const std::vector<std::uint8_t>& labels, const std::vector<float>& masses,
                     std::uint64_t seed, std::uint64_t events_id) {
  const auto artifact = read_artifact_layout(file, kName);
  const bool with_mass = artifact.columns.size() == 3;
  if (labels.size() != scores.size() || (with_mass && masses.size() != scores.size())) {
    throw core::Error("task " + std::to_string(task) + " scored " + std::to_string(scores.size()) +
                      " events with " + std::to_string(labels.size()) + " labels and " +
                      std::to_string(masses.size()) + " masses (a bug in the study)");
  }
  std::vector<float> values;
  values.reserve(scores.size() * artifact.columns.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    values.push_back(scores[i]);
    values.push_back(static_cast<float>(labels[i]));
    if (with_mass) values.push_back(masses[i]);
  }
  write_artifact(file, artifact, task, values, seed, events_id);
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
  if (rows.width == 0 || tasks == 0) return rows;
  const auto artifact = read_artifact_layout(file, kName);
  auto block = read_artifact_block(file, artifact, first_task, tasks);
  rows.scores = std::move(block.columns.at(0));
  rows.labels.reserve(block.columns.at(1).size());
  for (float label : block.columns.at(1)) {
    rows.labels.push_back(static_cast<std::int8_t>(label == 1.0F ? 1 : 0));
  }
  if (block.columns.size() == 3) rows.masses = std::move(block.columns[2]);
  rows.count = std::move(block.rows);
  rows.events_id = std::move(block.events_id);
  const auto folds = file.read_int64s("/tasks/fold");
  const auto inner = file.read_int64s("/tasks/inner_fold");
  for (std::size_t i = 0; i < tasks; ++i) {
    rows.fold.push_back(folds.at(first_task + i));
    rows.inner_fold.push_back(inner.at(first_task + i));
  }
  return rows;
}

}  // namespace cwola::store
