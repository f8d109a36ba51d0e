#pragma once
/// Ensembles from the per-event scores in /artifacts/scores, at rank 0 after a study:
///  - per scan point, the ensemble of its done repeats (mean score event by event) and its
///    metrics: /summary/ensemble_* (NaN with ensemble_reason when it cannot be formed: fewer
///    than 2 done repeats, or repeats that scored different test events);
///  - with k-fold training, per (point, repeat) sample the out-of-fold scores (each fold
///    scored by the mean of its inner models, none of which saw it), their metrics against
///    the truth, and per point the mean and std over samples: /summary/oof_*.
/// Scores are averaged raw and never rectified (flipping on the test set would tune on it).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/results_store.hpp"

namespace cwola::report {

/// Metrics of one set of scores on its truth labels, in store::ensemble_metric_names() order;
/// `roc` (if not null) gets ε_s on `grid`. max_sic is exact on the ROC's vertices with ε_b at
/// least kMinBackgroundEvents test background events (the floor itself included).
std::vector<double> score_metrics(const std::vector<float>& scores,
                                  const std::vector<std::uint8_t>& labels,
                                  const std::vector<double>& grid, std::vector<double>* roc);
/// Test background events a quoted max SIC must rest on.
inline constexpr double kMinBackgroundEvents = 10.0;

/// Event-by-event mean of members' scores (all of one length).
std::vector<float> mean_scores(const std::vector<std::vector<float>>& members);

/// One k-fold sample's out-of-fold scores: each fold scored by the mean of its inner models
/// (none of which trained or validated on it), the folds concatenated in fold order.
struct OutOfFoldSample {
  std::size_t first_row = 0;  ///< row (in the point's ScoreRows) of its fold 0, inner 0 model
  bool complete = false;      ///< every fold model done and scoring the same events
  std::vector<float> scores;
  std::vector<std::uint8_t> labels;  ///< truth
  std::vector<float> masses;         ///< empty without /artifacts/scores/mass
};

/// The samples of one point's rows (runs of tasks whose (fold, inner) count up from (0, 0));
/// `done(row)` says whether a row's task finished. Incomplete samples have no scores.
std::vector<OutOfFoldSample> out_of_fold_samples(const store::ScoreRows& rows,
                                                 const std::function<bool(std::size_t)>& done);

/// Adds the ensemble_* and oof_* columns to `summary` when the store keeps scores.
void add_ensemble_summary(const store::ResultsStore& store, store::SummaryColumns& summary);

}  // namespace cwola::report
