#pragma once
/// /scores: every task's per-event test scores (float32) and truth labels, one row per task,
/// and the /summary columns of the ensembles built from them. Created with the rest of the
/// store (so a task's scores land in pre-allocated rows, written before its status flag).
///
///   /scores/score      float32 [tasks, width]  raw network output; NaN past a task's events
///   /scores/label      int8    [tasks, width]  1 signal, 0 background (0 past the events)
///   /scores/count      int64   [tasks]         events in the row
///   /scores/events_id  uint64  [tasks]         fingerprint of the scored events: equal rows
///                                              scored the same events in the same order
///   /scores/mass     float32 [tasks, width]  optional: each scored event's resonance mass (GeV),
///                                              for studies that select on it later (the hunt)
///   /scores/fold, /scores/inner_fold  int64 [tasks]  k-fold model of the task (0 without);
///                                              attribute-free, so readers need no plan
/// Chunked by task row; not compressed: parallel HDF5 writes filtered (compressed) datasets
/// only collectively, and tasks finish on their own schedule (docs/ensembles.md).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/hdf5_file.hpp"

namespace cwola::store {

/// Metrics of an ensemble (or of a k-fold sample's out-of-fold scores), in /summary as
/// "ensemble_<name>" and "oof_<name>_mean", "oof_<name>_std".
const std::vector<std::string>& ensemble_metric_names();

/// Collective, at store creation: /scores of `tasks` rows of `width` events, and the ensemble
/// and out-of-fold /summary columns of `points` points with a ROC on `grid` points.
/// `with_mass`: also /scores/mass.
void create_score_table(Hdf5File& file, std::size_t tasks, std::size_t points, std::size_t width,
                        std::size_t grid, bool with_mass);
/// Rank 0, at store creation: each task's fold and inner fold (all 0 without k-fold).
void fill_score_table(Hdf5File& file, const std::vector<std::int64_t>& fold,
                      const std::vector<std::int64_t>& inner_fold);
/// Events per row, or 0 when the store keeps no scores.
std::size_t score_table_width(const Hdf5File& file);
/// Independent: one task's scores, labels, masses (empty, or one per score, when the table
/// has /scores/mass) and events fingerprint (scores.size() <= width).
void write_score_row(Hdf5File& file, std::uint64_t task, std::size_t width,
                     const std::vector<float>& scores, const std::vector<std::uint8_t>& labels,
                     const std::vector<float>& masses, std::uint64_t events_id);

/// Rows of consecutive tasks.
struct ScoreRows {
  std::size_t width = 0;
  std::vector<float> scores;        ///< [rows][width]
  std::vector<std::int8_t> labels;  ///< [rows][width]
  std::vector<float> masses;        ///< [rows][width], empty without /scores/mass
  std::vector<std::int64_t> count;  ///< events of each row
  std::vector<std::uint64_t> events_id;
  std::vector<std::int64_t> fold, inner_fold;
  /// The first `count[row]` scores and labels of a row.
  std::vector<float> row_scores(std::size_t row) const;
  std::vector<std::uint8_t> row_labels(std::size_t row) const;
  std::vector<float> row_masses(std::size_t row) const;
};
ScoreRows read_score_rows(const Hdf5File& file, std::uint64_t first_task, std::size_t tasks);

}  // namespace cwola::store
