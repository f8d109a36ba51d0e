#include "report/ensemble_summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/ini_document.hpp"
#include "metrics/aggregate.hpp"
#include "metrics/classifier_metrics.hpp"
#include "metrics/roc.hpp"
#include "metrics/sic.hpp"

namespace cwola::report {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct PointRows {
  std::uint64_t first = 0;
  std::size_t count = 0;
};
}  // namespace

std::vector<double> score_metrics(const std::vector<float>& scores,
                                  const std::vector<std::uint8_t>& labels,
                                  const std::vector<double>& grid, std::vector<double>* roc) {
  std::size_t n_signal = 0;
  for (auto l : labels) n_signal += l;
  const std::size_t n_background = labels.size() - n_signal;
  metrics::validate_scored_sample(scores, labels);
  const auto scan = metrics::scan_thresholds(scores, labels);
  const auto curve = metrics::roc_curve(scan);
  // The same exact max SIC as every task's column, with the floor of >= 10 test background
  // events (docs/ensembles.md).
  const auto best =
      metrics::max_sic(curve, kMinBackgroundEvents / static_cast<double>(n_background));
  if (roc != nullptr) *roc = metrics::sample_roc(curve, grid);
  std::vector<double> values = {metrics::auc(scan), metrics::best_accuracy(scan)};
  const auto& points = metrics::working_points();
  for (double eb : points) values.push_back(metrics::signal_efficiency_at(curve, eb));
  for (double eb : points)
    values.push_back(metrics::signal_efficiency_at(curve, eb) / std::sqrt(eb));
  for (double v : {best.sic, best.background_efficiency,
                   best.background_efficiency * static_cast<double>(n_background),
                   static_cast<double>(n_signal), static_cast<double>(n_background)}) {
    values.push_back(v);
  }
  return values;
}

std::vector<float> mean_scores(const std::vector<std::vector<float>>& members) {
  return metrics::member_mean(members, "events");
}

std::vector<OutOfFoldSample> out_of_fold_samples(const store::ScoreRows& rows,
                                                 const std::function<bool(std::size_t)>& done) {
  std::vector<OutOfFoldSample> samples;
  if (rows.fold.empty()) return samples;
  const auto max_fold = *std::max_element(rows.fold.begin(), rows.fold.end());
  const auto max_inner = *std::max_element(rows.inner_fold.begin(), rows.inner_fold.end());
  const auto folds = static_cast<std::size_t>(max_fold + 1);
  const auto inners = static_cast<std::size_t>(max_inner + 1);
  const std::size_t n = rows.count.size();
  for (std::size_t first = 0; first + folds * inners <= n; first += folds * inners) {
    OutOfFoldSample sample;
    sample.first_row = first;
    sample.complete = true;
    for (std::size_t f = 0; f < folds && sample.complete; ++f) {
      const std::size_t fold_first = first + f * inners;
      std::vector<std::vector<float>> inner;
      for (std::size_t j = 0; j < inners; ++j) {
        const std::size_t i = fold_first + j;
        if (!done(i) || rows.events_id[i] != rows.events_id[fold_first]) {
          sample.complete = false;
          break;
        }
        inner.push_back(rows.row_scores(i));
      }
      if (!sample.complete) break;
      const auto mean = mean_scores(inner);
      const auto labels = rows.row_labels(fold_first);
      const auto masses = rows.row_masses(fold_first);
      sample.scores.insert(sample.scores.end(), mean.begin(), mean.end());
      sample.labels.insert(sample.labels.end(), labels.begin(), labels.end());
      sample.masses.insert(sample.masses.end(), masses.begin(), masses.end());
    }
    if (!sample.complete) {
      sample.scores.clear();
      sample.labels.clear();
      sample.masses.clear();
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

namespace {
/// metrics.ensemble_size of each point (0: no groups), from the effective job text and, when
/// it is a scan axis, the point's value. The job reader validated it when the job started.
std::vector<std::size_t> ensemble_group_sizes(const store::ResultsStore& store) {
  const std::string key = "ensemble_size";
  const auto texts = store.read_job_text();
  const std::string job_value =
      texts.empty() ? "" : core::ini_value(texts.front(), "metrics", key, "/job/text");
  std::vector<std::size_t> sizes(store.n_points(), job_value.empty() ? 0 : std::stoul(job_value));
  const auto axes = store.axes();
  const auto axis = std::find(axes.begin(), axes.end(), "metrics." + key);
  if (axis != axes.end()) {
    const auto values = store.read_point_values();
    const auto a = static_cast<std::size_t>(axis - axes.begin());
    for (std::size_t p = 0; p < sizes.size(); ++p) sizes[p] = std::stoul(values.at(p).at(a));
  }
  return sizes;
}
}  // namespace

void add_ensemble_summary(const store::ResultsStore& store, store::SummaryColumns& summary) {
  if (store.score_width() == 0) return;
  const auto& names = store::ensemble_metric_names();
  const auto grid = store.read_roc_grid();
  const auto status = store.read_status();
  const auto task_points = store.read_task_points();
  const std::size_t n_points = store.n_points();

  std::vector<PointRows> rows(n_points);  // a point's tasks are consecutive
  for (std::size_t t = 0; t < task_points.size(); ++t) {
    auto& r = rows.at(static_cast<std::size_t>(task_points[t]));
    if (r.count == 0) r.first = t;
    ++r.count;
  }

  std::vector<std::vector<double>> ensemble(names.size(), std::vector<double>(n_points, kNaN));
  std::vector<std::vector<double>> oof_mean(names.size(), std::vector<double>(n_points, kNaN));
  std::vector<std::vector<double>> oof_std(names.size(), std::vector<double>(n_points, kNaN));
  std::vector<double> roc_rows(n_points * grid.size(), kNaN);
  std::vector<std::int64_t> members(n_points, 0);
  std::vector<std::int64_t> samples(n_points, 0);
  std::vector<std::string> reasons(n_points);
  std::vector<std::string> oof_reasons(n_points);
  // Ensembles of metrics.ensemble_size consecutive done repeats: the spread of the ensemble
  // statistic itself (the null band of an ensemble needs several ensembles of the null).
  const auto group_sizes = ensemble_group_sizes(store);
  std::vector<std::vector<double>> group_mean(names.size(), std::vector<double>(n_points, kNaN));
  std::vector<std::vector<double>> group_std(names.size(), std::vector<double>(n_points, kNaN));
  std::vector<std::int64_t> groups(n_points, 0);

  for (std::size_t p = 0; p < n_points; ++p) {
    const auto scores = store.read_scores(rows[p].first, rows[p].count);
    auto done = [&](std::size_t i) {
      return status.at(rows[p].first + i) == store::TaskStatus::kDone && scores.count[i] > 0;
    };
    const bool k_fold =
        std::any_of(scores.fold.begin(), scores.fold.end(), [](std::int64_t f) { return f > 0; });
    if (k_fold) {
      reasons[p] = "k-fold job: its repeats train on different samples (see oof_*)";
      std::vector<std::vector<double>> per_metric(names.size());
      std::size_t incomplete = 0;
      std::size_t null_samples = 0;
      for (const auto& sample : out_of_fold_samples(scores, done)) {
        if (!sample.complete) {
          ++incomplete;
          continue;
        }
        const auto signal = std::count(sample.labels.begin(), sample.labels.end(), 1);
        if (signal == 0 || signal == static_cast<std::ptrdiff_t>(sample.labels.size())) {
          ++null_samples;  // one truth class only (a hunt without injection): no metric
          continue;
        }
        const auto values = score_metrics(sample.scores, sample.labels, grid, nullptr);
        for (std::size_t m = 0; m < names.size(); ++m) per_metric[m].push_back(values[m]);
        ++samples[p];
      }
      if (samples[p] == 0 && null_samples > 0) {
        oof_reasons[p] = std::to_string(null_samples) +
                         " sample(s) hold one truth class only (no signal): no metric";
        continue;
      }
      if (samples[p] == 0) {
        oof_reasons[p] =
            "no sample has every fold model done (" + std::to_string(incomplete) + " incomplete)";
        continue;
      }
      for (std::size_t m = 0; m < names.size(); ++m) {
        const auto a = metrics::aggregate(per_metric[m]);
        oof_mean[m][p] = a.mean;
        oof_std[m][p] = a.std;
      }
      if (incomplete > 0) {
        oof_reasons[p] = std::to_string(incomplete) +
                         " sample(s) left out: a fold model failed "
                         "or is pending";
      }
      continue;
    }

    oof_reasons[p] = "not a k-fold job";
    std::vector<std::vector<float>> member_scores;
    std::vector<std::uint8_t> labels;
    bool same_events = true;
    std::uint64_t events_id = 0;
    for (std::size_t i = 0; i < rows[p].count; ++i) {
      if (!done(i)) continue;
      if (member_scores.empty()) {
        events_id = scores.events_id[i];
        labels = scores.row_labels(i);
      } else if (scores.events_id[i] != events_id) {
        same_events = false;
      }
      member_scores.push_back(scores.row_scores(i));
    }
    members[p] = static_cast<std::int64_t>(member_scores.size());
    if (!same_events) {
      reasons[p] =
          "repeats scored different test events (metrics.test_set = per_task); set "
          "metrics.test_set = per_point for an ensemble";
      continue;
    }
    if (member_scores.size() < 2) {
      reasons[p] = "fewer than 2 done repeats (" + std::to_string(member_scores.size()) +
                   "): an ensemble needs at least 2";
      continue;
    }
    const std::size_t group = group_sizes[p];
    if (group >= 2 && member_scores.size() >= group) {
      std::vector<std::vector<double>> per_metric(names.size());
      for (std::size_t first = 0; first + group <= member_scores.size(); first += group) {
        const std::vector<std::vector<float>> subset(
            member_scores.begin() + static_cast<std::ptrdiff_t>(first),
            member_scores.begin() + static_cast<std::ptrdiff_t>(first + group));
        const auto values = score_metrics(mean_scores(subset), labels, grid, nullptr);
        for (std::size_t m = 0; m < names.size(); ++m) per_metric[m].push_back(values[m]);
        ++groups[p];
      }
      for (std::size_t m = 0; m < names.size(); ++m) {
        const auto a = metrics::aggregate(per_metric[m]);
        group_mean[m][p] = a.mean;
        group_std[m][p] = a.std;
      }
    }
    std::vector<double> roc;
    const auto values = score_metrics(mean_scores(member_scores), labels, grid, &roc);
    for (std::size_t m = 0; m < names.size(); ++m) ensemble[m][p] = values[m];
    std::copy(roc.begin(), roc.end(),
              roc_rows.begin() + static_cast<std::ptrdiff_t>(p * grid.size()));
  }

  for (std::size_t m = 0; m < names.size(); ++m) {
    summary.doubles.emplace_back("ensemble_" + names[m], ensemble[m]);
    summary.doubles.emplace_back("oof_" + names[m] + "_mean", oof_mean[m]);
    summary.doubles.emplace_back("oof_" + names[m] + "_std", oof_std[m]);
    summary.doubles.emplace_back("ensemble_group_" + names[m] + "_mean", group_mean[m]);
    summary.doubles.emplace_back("ensemble_group_" + names[m] + "_std", group_std[m]);
  }
  summary.integers.emplace_back("ensemble_groups", groups);
  summary.doubles.emplace_back("ensemble_roc_eps_s", roc_rows);
  summary.integers.emplace_back("ensemble_members", members);
  summary.integers.emplace_back("oof_samples", samples);
  summary.strings.emplace_back("ensemble_reason", reasons);
  summary.strings.emplace_back("oof_reason", oof_reasons);
}

}  // namespace cwola::report
