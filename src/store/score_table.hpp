#pragma once
/// Every task's per-event test scores: the artifact "scores" (store/artifact_store.hpp; one
/// mechanism for every per-event output), with a row per task of the job, and the /summary
/// columns of the ensembles built from them. Created with the rest of the store (so a task's
/// scores land in pre-allocated rows, written before its status flag).
///
///   /artifacts/scores/score      float32 [tasks, width]  raw network output; NaN past the events
///   /artifacts/scores/label      float32 [tasks, width]  1 signal, 0 background (truth)
///   /artifacts/scores/mass       float32 [tasks, width]  optional: each scored event's resonance
///                                                        mass (GeV), for studies that select on
///                                                        it later (the hunt)
///   /artifacts/scores/rows       int64   [tasks]         events in the row
///   /artifacts/scores/events_id  uint64  [tasks]         fingerprint of the scored events: equal
///                                                        rows scored the same events in order
///   /artifacts/scores/seed       uint64  [tasks]         the task's seed (/tasks/seed)
///   /tasks/fold, /tasks/inner_fold   int64 [tasks]       k-fold model of each task (0 without)
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/artifact_store.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

/// Metrics of an ensemble (or of a k-fold sample's out-of-fold scores), in /summary as
/// "ensemble_<name>" and "oof_<name>_mean", "oof_<name>_std".
const std::vector<std::string>& ensemble_metric_names();

/// The artifact of a job's scores: `tasks` rows of `width` events (columns score, label and,
/// with `with_mass`, mass); `stage` names the stages whose tasks it holds ("main" without).
ArtifactLayout score_artifact(std::size_t tasks, std::size_t width, bool with_mass,
                              const std::string& stage);
/// Collective, at store creation: the ensemble and out-of-fold /summary columns of `points`
/// points with a ROC on `grid` points (the scores themselves are created as an artifact).
void create_ensemble_columns(Hdf5File& file, std::size_t points, std::size_t grid);
/// Events per row, or 0 when the store keeps no scores.
std::size_t score_table_width(const Hdf5File& file);
/// Independent: one task's scores, labels, masses (empty, or one per score, when the table
/// has a mass column), the task's seed and the events' fingerprint (scores.size() <= width).
void write_score_row(Hdf5File& file, std::uint64_t task, const std::vector<float>& scores,
                     const std::vector<std::uint8_t>& labels, const std::vector<float>& masses,
                     std::uint64_t seed, std::uint64_t events_id);

/// Rows of consecutive tasks.
struct ScoreRows {
  std::size_t width = 0;
  std::vector<float> scores;        ///< [rows][width]
  std::vector<std::int8_t> labels;  ///< [rows][width]
  std::vector<float> masses;        ///< [rows][width], empty without a mass column
  std::vector<std::int64_t> count;  ///< events of each row (0: the task wrote none)
  std::vector<std::uint64_t> events_id;
  std::vector<std::int64_t> fold, inner_fold;
  /// The first `count[row]` scores and labels of a row.
  std::vector<float> row_scores(std::size_t row) const;
  std::vector<std::uint8_t> row_labels(std::size_t row) const;
  std::vector<float> row_masses(std::size_t row) const;
};
/// Rows of tasks [first_task, first_task + tasks), with their folds from /tasks.
ScoreRows read_score_rows(const Hdf5File& file, std::uint64_t first_task, std::size_t tasks);

}  // namespace cwola::store
