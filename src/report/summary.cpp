#include "report/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "metrics/aggregate.hpp"
#include "metrics/classifier_metrics.hpp"

namespace cwola::report {

namespace {
const std::vector<double>* find_column(const store::SummaryColumns& summary,
                                       const std::string& name) {
  for (const auto& [key, values] : summary.doubles) {
    if (key == name) return &values;
  }
  return nullptr;
}

const std::vector<std::int64_t>* find_integers(const store::SummaryColumns& summary,
                                               const std::string& name) {
  for (const auto& [key, values] : summary.integers) {
    if (key == name) return &values;
  }
  return nullptr;
}

std::string plus_minus(double mean, double std) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.4f ± %.4f", mean, std);
  return buffer;
}
}  // namespace

store::SummaryColumns summarize(const store::ResultsStore& store) {
  const auto status = store.read_status();
  const auto points = store.read_task_points();
  const std::size_t n_points = store.n_points();
  store::SummaryColumns summary;
  std::vector<std::int64_t> n_done(n_points, 0);
  std::vector<std::int64_t> n_failed(n_points, 0);
  // Stages: a task failed because a task it reads failed is counted apart from its own failures.
  std::vector<std::int64_t> n_upstream_failed(n_points, 0);
  const bool staged = !store.stages().empty();
  const auto reasons = staged ? store.read_failure_reasons() : std::vector<std::string>{};
  for (std::size_t t = 0; t < status.size(); ++t) {
    const auto p = static_cast<std::size_t>(points[t]);
    if (status[t] == store::TaskStatus::kDone) ++n_done[p];
    if (status[t] != store::TaskStatus::kFailed) continue;
    if (staged && reasons[t].rfind("upstream task ", 0) == 0) {
      ++n_upstream_failed[p];
    } else {
      ++n_failed[p];
    }
  }
  summary.integers = {{"n_done", n_done}, {"n_failed", n_failed}};
  if (staged) summary.integers.emplace_back("n_upstream_failed", n_upstream_failed);

  for (const auto& column : store.result_columns()) {
    const auto values = store.read_result_column(column);
    std::vector<std::vector<double>> per_point(n_points);
    for (std::size_t t = 0; t < values.size(); ++t) {
      if (status[t] == store::TaskStatus::kDone) {
        per_point[static_cast<std::size_t>(points[t])].push_back(values[t]);
      }
    }
    std::vector<double> mean, std, median, q16, q84, count;
    for (const auto& sample : per_point) {
      const auto a = metrics::aggregate(sample);
      mean.push_back(a.mean);
      std.push_back(a.std);
      median.push_back(a.median);
      q16.push_back(a.q16);
      q84.push_back(a.q84);
      count.push_back(static_cast<double>(a.count));
    }
    summary.doubles.emplace_back(column + "_mean", mean);
    summary.doubles.emplace_back(column + "_std", std);
    summary.doubles.emplace_back(column + "_median", median);
    summary.doubles.emplace_back(column + "_q16", q16);
    summary.doubles.emplace_back(column + "_q84", q84);
    summary.doubles.emplace_back(column + "_count", count);
  }
  return summary;
}

std::string format_summary_table(const store::ResultsStore& store,
                                 const store::SummaryColumns& summary) {
  auto axes = store.axes();
  auto point_values = store.read_point_values();
  if (!store.stages().empty()) {
    // Stages: each point belongs to one stage; name it in the first column.
    const auto task_points = store.read_task_points();
    std::vector<std::string> point_stage(point_values.size());
    for (std::size_t t = 0; t < task_points.size(); ++t) {
      point_stage[static_cast<std::size_t>(task_points[t])] = store.stage_of(t).name;
    }
    axes.insert(axes.begin(), "stage");
    for (std::size_t p = 0; p < point_values.size(); ++p) {
      point_values[p].insert(point_values[p].begin(), point_stage[p]);
    }
  }
  return format_summary_table(axes, point_values, summary);
}

std::string format_summary_table(const std::vector<std::string>& axes,
                                 const std::vector<std::vector<std::string>>& point_values,
                                 const store::SummaryColumns& summary) {
  // Metric columns shown as mean ± std: (header, column, flag column or "").
  struct Shown {
    const char* header;
    const char* column;
    const char* flag;
  };
  std::vector<Shown> shown;
  for (const Shown& s :
       {Shown{"AUC", "auc", ""}, Shown{"ACC (val. threshold)", "accuracy_at_val_threshold", ""},
        Shown{"best ACC (test-tuned)", "best_accuracy", ""},
        Shown{"max SIC", "max_sic", "few_bkg_at_max_sic"},
        Shown{"SIC at eb=1e-3", "sic_at_eb_1e-3", "few_bkg_at_eb_1e-3"}}) {
    if (find_column(summary, std::string(s.column) + "_mean") != nullptr) shown.push_back(s);
  }
  // Reference columns a study may provide, shown as plain means.
  std::vector<std::string> references;
  for (const char* name : {"optimal_auc", "optimal_accuracy"}) {
    if (find_column(summary, std::string(name) + "_mean") != nullptr) references.emplace_back(name);
  }

  // Ensemble and out-of-fold AUCs, shown when the study kept scores and formed them.
  auto any_finite = [&summary](const char* name) {
    const auto* values = find_column(summary, name);
    return values != nullptr &&
           std::any_of(values->begin(), values->end(), [](double v) { return std::isfinite(v); });
  };
  const bool show_ensemble = any_finite("ensemble_auc");
  const bool show_oof = any_finite("oof_auc_mean");
  const bool show_groups = any_finite("ensemble_group_auc_mean");

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = axes;
  const auto* upstream_failed = find_integers(summary, "n_upstream_failed");
  for (const char* name : {"done", "failed"}) header.emplace_back(name);
  if (upstream_failed != nullptr) header.emplace_back("upstream failed");
  for (const auto& s : shown) header.emplace_back(s.header);
  if (show_ensemble) header.emplace_back("ensemble AUC");
  if (show_groups) header.emplace_back("AUC of ensembles of ensemble_size");
  if (show_oof) header.emplace_back("out-of-fold AUC");
  for (const auto& r : references) header.push_back(r);
  rows.push_back(header);

  const auto* done = find_integers(summary, "n_done");
  const auto* failed = find_integers(summary, "n_failed");
  bool any_flagged = false;
  for (std::size_t p = 0; p < point_values.size(); ++p) {
    std::vector<std::string> row = point_values[p];
    row.push_back(std::to_string(done->at(p)));
    row.push_back(std::to_string(failed->at(p)));
    if (upstream_failed != nullptr) row.push_back(std::to_string(upstream_failed->at(p)));
    for (const auto& s : shown) {
      const auto* mean = find_column(summary, std::string(s.column) + "_mean");
      const auto* std = find_column(summary, std::string(s.column) + "_std");
      std::string cell = plus_minus(mean->at(p), std->at(p));
      // The flag's mean over the repeats is the fraction flagged; any flagged repeat marks it.
      const auto* flag =
          *s.flag != '\0' ? find_column(summary, std::string(s.flag) + "_mean") : nullptr;
      if (flag != nullptr && flag->at(p) > 0.0) {
        cell += " *";
        any_flagged = true;
      }
      row.push_back(cell);
    }
    if (show_ensemble) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.4f", find_column(summary, "ensemble_auc")->at(p));
      row.emplace_back(buffer);
    }
    if (show_groups) {
      row.push_back(plus_minus(find_column(summary, "ensemble_group_auc_mean")->at(p),
                               find_column(summary, "ensemble_group_auc_std")->at(p)) +
                    " (" + std::to_string(find_integers(summary, "ensemble_groups")->at(p)) + ")");
    }
    if (show_oof) {
      row.push_back(plus_minus(find_column(summary, "oof_auc_mean")->at(p),
                               find_column(summary, "oof_auc_std")->at(p)));
    }
    for (const auto& r : references) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.4f", find_column(summary, r + "_mean")->at(p));
      row.emplace_back(buffer);
    }
    rows.push_back(row);
  }

  // Column widths in displayed characters ("±" is one character, two bytes).
  auto width_of = [](const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
  };
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width_of(row[c]));
  }
  std::ostringstream out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      out << std::string(widths[c] - width_of(rows[r][c]), ' ') << rows[r][c]
          << (c + 1 < rows[r].size() ? "  " : "\n");
    }
    if (r == 0) {
      std::size_t total = 0;
      for (auto w : widths) total += w + 2;
      out << std::string(total - 2, '-') << "\n";
    }
  }
  if (any_flagged) {
    out << "* rests on fewer than " << static_cast<int>(metrics::kFewBackgroundEvents)
        << " test background events in at least one repeat (few_bkg_* columns)\n";
  }
  if (std::any_of(shown.begin(), shown.end(),
                  [](const Shown& s) { return std::string(s.column) == "best_accuracy"; })) {
    out << "best ACC picks its threshold on the test set (biased up); ACC (val. threshold) "
           "picks it on the validation set\n";
  }
  return out.str();
}

}  // namespace cwola::report
