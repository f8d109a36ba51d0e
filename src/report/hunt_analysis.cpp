#include "report/hunt_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"
#include "metrics/aggregate.hpp"
#include "report/ensemble_summary.hpp"
#include "stats/ftest.hpp"
#include "stats/limits.hpp"
#include "stats/significance.hpp"

namespace cwola::report {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A study column of the first task of each sample (the hunt study's columns).
struct SampleColumns {
  std::vector<double> window, signal_region_low, signal_region_high, span_low, span_high, injected,
      seed;
};

/// The spectrum search of one selected spectrum.
struct SpectrumFit {
  std::string failure;  ///< empty when the background fit and the scan worked
  int params = 0;
  std::vector<double> background;  ///< [B]
  std::vector<double> z;           ///< [P]
  double z_max = kNaN;
  double mass_at_max = kNaN;
  double yield = kNaN;
  double yield_error = kNaN;
  double z_at_signal_mass = kNaN;
  double excluded_yield = kNaN;  ///< 95 % CL asymptotic CLs, selected events
};

/// `signal_mass` > 0 (inside the signal region): also the significance and the excluded yield
/// there.
SpectrumFit fit_spectrum(const stats::Histogram& histogram, double window_mass,
                         const std::vector<stats::ScanPoint>& points, double signal_mass,
                         const HuntAnalysisSettings& settings) {
  SpectrumFit out;
  out.background.assign(histogram.bins(), kNaN);
  out.z.assign(points.size(), kNaN);
  if (histogram.total() <= 0) {
    out.failure = "no selected events";
    return out;
  }
  stats::FtestOptions ftest;
  ftest.kind = stats::FamilyKind::kDijet;
  ftest.min_params = 2;
  ftest.max_params = std::min<int>(settings.max_params, static_cast<int>(histogram.bins()) - 1);
  ftest.signal_mass_gev = window_mass;
  const stats::FitOptions fit_options;
  const auto chosen = stats::run_ftest(histogram, ftest, fit_options);
  if (chosen.chosen_params == 0) {
    out.failure = "no background fit converged";
    return out;
  }
  const auto& background_fit = chosen.rows[chosen.chosen_row].fit;
  out.params = chosen.chosen_params;
  out.background = background_fit.background;
  const stats::BinnedFitter fitter(histogram, {stats::FamilyKind::kDijet, out.params, 13000.0},
                                   fit_options);
  stats::SignalShape prototype;
  prototype.kind = stats::ShapeKind::kGaussian;
  const auto scan = stats::scan_local_significance(fitter, background_fit, prototype, points);
  for (std::size_t k = 0; k < points.size(); ++k) {
    if (!scan.failure[k].empty()) continue;
    out.z[k] = scan.z_signed[k];
    if (std::isnan(out.z_max) || scan.z_signed[k] > out.z_max) {
      out.z_max = scan.z_signed[k];
      out.mass_at_max = points[k].mass_gev;
      out.yield = scan.yield[k];
      out.yield_error = scan.yield_error[k];
    }
  }
  if (std::isnan(out.z_max)) out.failure = "every signal + background fit failed";
  if (signal_mass > histogram.edges.front() && signal_mass < histogram.edges.back()) {
    const stats::ScanPoint truth{signal_mass, settings.signal_width * signal_mass};
    const auto at_mass = stats::scan_local_significance(fitter, background_fit, prototype, {truth});
    if (at_mass.failure.front().empty()) out.z_at_signal_mass = at_mass.z_signed.front();
    const auto shape = stats::shape_at(prototype, truth).bin_fractions(histogram.edges);
    const auto limit = stats::asymptotic_cls_limit(fitter, background_fit, shape);
    if (limit.ok) out.excluded_yield = limit.observed;
  }
  return out;
}
}  // namespace

double sideband_threshold(const std::vector<float>& scores, const std::vector<bool>& sideband,
                          double efficiency) {
  if (efficiency >= 1.0) return -std::numeric_limits<double>::infinity();
  std::vector<float> sb;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (sideband[i]) sb.push_back(scores[i]);
  }
  if (sb.empty()) return std::numeric_limits<double>::infinity();
  const auto keep = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::llround(efficiency * static_cast<double>(sb.size()))), 1,
      sb.size());
  std::nth_element(sb.begin(), sb.begin() + static_cast<std::ptrdiff_t>(keep - 1), sb.end(),
                   std::greater<>());
  return sb[keep - 1];
}

namespace {
/// The per-(stage, window) summaries (limit, 3σ/5σ crossings) and the null distribution per
/// (stage, seed): each stage is its own method, never averaged with another.
void summarise_windows(store::HuntOutput& out) {
  const std::size_t n_eff = out.efficiencies.size();
  using Key = std::pair<std::int64_t, std::int64_t>;
  std::map<Key, std::map<std::int64_t, std::vector<std::size_t>>> by_window;  // → injection
  std::map<Key, std::vector<std::size_t>> null_by_seed;
  for (std::size_t s = 0; s < out.samples(); ++s) {
    if (!out.complete[s]) continue;
    by_window[{out.stage[s], out.window[s]}][out.injected[s]].push_back(s);
    if (out.injected[s] == 0) null_by_seed[{out.stage[s], out.seed[s]}].push_back(s);
  }
  const bool at_mass = out.signal_mass > 0;
  for (const auto& [stage_window, injections] : by_window) {
    out.summary_stage.push_back(stage_window.first);
    out.summary_window.push_back(stage_window.second);
    for (std::size_t e = 0; e < n_eff; ++e) {
      std::vector<double> injected;
      std::vector<double> z;
      std::vector<double> excluded;
      for (const auto& [n, samples] : injections) {
        std::vector<double> zs;
        std::vector<double> limits;
        for (const auto s : samples) {
          const std::size_t k = s * n_eff + e;
          const double value = at_mass ? out.z_at_signal_mass[k] : out.z_max[k];
          if (!std::isnan(value)) zs.push_back(value);
          // n_exc: the excluded selected yield over the selection efficiency of the injection.
          if (n > 0 && out.selected_injected[k] > 0 && !std::isnan(out.excluded_yield[k])) {
            limits.push_back(out.excluded_yield[k] * static_cast<double>(n) /
                             out.selected_injected[k]);
          }
        }
        injected.push_back(static_cast<double>(n));
        z.push_back(zs.empty() ? kNaN : metrics::aggregate(zs).mean);
        excluded.push_back(limits.empty() ? kNaN : metrics::aggregate(limits).mean);
      }
      out.limit_injected.push_back(cms_limit(injected, excluded));
      out.crossing_3sigma.push_back(crossing(injected, z, 3.0));
      out.crossing_5sigma.push_back(crossing(injected, z, 5.0));
    }
  }
  for (const auto& [stage_seed, samples] : null_by_seed) {
    out.null_stage.push_back(stage_seed.first);
    out.null_seed.push_back(stage_seed.second);
    for (std::size_t e = 0; e < n_eff; ++e) {
      double largest = kNaN;
      for (const auto s : samples) {
        const double z = out.z_max[s * n_eff + e];
        if (!std::isnan(z) && (std::isnan(largest) || z > largest)) largest = z;
      }
      out.null_z_max.push_back(largest);
    }
  }
}

}  // namespace

store::HuntOutput analyse_hunt(const store::ResultsStore& store,
                               const HuntAnalysisSettings& settings) {
  settings.validate("hunt.");
  if (store.score_width() == 0) {
    throw core::InputError("store '" + store.path() +
                           "' keeps no per-event scores; it is not a hunt run");
  }
  const auto& columns = store.result_columns();
  for (const char* needed : {"window", "signal_region_low", "span_low", "injected"}) {
    if (std::find(columns.begin(), columns.end(), needed) == columns.end()) {
      throw core::InputError("store '" + store.path() + "' has no result column '" + needed +
                             "': it is not a run of the hunt study");
    }
  }
  const auto status = store.read_status();
  const auto task_points = store.read_task_points();
  // The supervised reference (a stage of the job, or the whole job) trains on the signal region
  // alone: there is no spectrum to select and fit, so its points are left out.
  std::vector<double> supervised(task_points.size(), 0.0);
  if (std::find(columns.begin(), columns.end(), "supervised_reference") != columns.end()) {
    supervised = store.read_result_column("supervised_reference");
  }
  // (A failed task's columns are NaN: a point is the reference when any of its tasks says so.)
  if (std::none_of(supervised.begin(), supervised.end(), [](double s) { return s == 0.0; })) {
    throw core::InputError("store '" + store.path() +
                           "' holds only the supervised reference (hunt.labels = supervised): "
                           "it trains on the signal region alone, so it has no spectrum to "
                           "select and fit; read its truth metrics (max_sic, auc) from the store");
  }
  const SampleColumns c{store.read_result_column("window"),
                        store.read_result_column("signal_region_low"),
                        store.read_result_column("signal_region_high"),
                        store.read_result_column("span_low"),
                        store.read_result_column("span_high"),
                        store.read_result_column("injected"),
                        store.read_result_column("injection_seed")};

  store::HuntOutput out;
  out.config = settings.text();
  out.source_store = store.path();
  out.efficiencies = {1.0};
  out.efficiencies.insert(out.efficiencies.end(), settings.efficiencies.begin(),
                          settings.efficiencies.end());
  out.bins = settings.bins;
  out.scan_points = settings.scan_points;
  // Each stage of a league job is its own method; a job without stages has one, "main".
  const auto& stages = store.stages();
  const auto stage_index = [&](std::size_t task) -> std::int64_t {
    for (std::size_t k = 0; k < stages.size(); ++k) {
      if (stages[k].holds(task)) return static_cast<std::int64_t>(k);
    }
    return 0;
  };
  for (const auto& stage : stages) out.stage_names.push_back(stage.name);
  if (out.stage_names.empty()) out.stage_names = {"main"};

  for (std::size_t p = 0, first = 0; first < task_points.size(); ++p) {
    std::size_t count = 0;
    while (first + count < task_points.size() &&
           static_cast<std::size_t>(task_points[first + count]) == p)
      ++count;
    if (std::any_of(supervised.begin() + static_cast<std::ptrdiff_t>(first),
                    supervised.begin() + static_cast<std::ptrdiff_t>(first + count),
                    [](double s) { return s == 1.0; })) {
      first += count;
      continue;
    }
    const auto rows = store.read_scores(first, count);
    const auto samples = out_of_fold_samples(
        rows, [&](std::size_t i) { return status.at(first + i) == store::TaskStatus::kDone; });
    for (const auto& sample : samples) {
      // Window and injection from the sample's first task (every fold task has the same).
      const std::size_t task = first + sample.first_row;
      const double sr_low = c.signal_region_low[task];
      const double sr_high = c.signal_region_high[task];
      const double span_low = c.span_low[task];
      const double span_high = c.span_high[task];
      out.point.push_back(static_cast<std::int64_t>(p));
      out.stage.push_back(stage_index(task));
      out.seed.push_back(std::isnan(c.seed[task]) ? -1 : static_cast<std::int64_t>(c.seed[task]));
      out.window.push_back(std::isnan(c.window[task]) ? -1
                                                      : static_cast<std::int64_t>(c.window[task]));
      out.injected.push_back(
          std::isnan(c.injected[task]) ? -1 : static_cast<std::int64_t>(c.injected[task]));
      out.complete.push_back(sample.complete ? 1 : 0);
      out.events.push_back(static_cast<std::int64_t>(sample.scores.size()));
      out.signal_region_low.push_back(sr_low);
      out.signal_region_high.push_back(sr_high);
      out.span_low.push_back(span_low);
      out.span_high.push_back(span_high);

      stats::Histogram histogram;
      for (std::size_t b = 0; b <= settings.bins; ++b) {
        const double edge = std::isnan(span_low)
                                ? kNaN
                                : span_low + (span_high - span_low) * static_cast<double>(b) /
                                                 static_cast<double>(settings.bins);
        histogram.edges.push_back(edge);
        out.edges.push_back(edge);
      }
      std::vector<stats::ScanPoint> points;
      for (std::size_t k = 0; k < settings.scan_points; ++k) {
        const double m = sr_low + (sr_high - sr_low) * (static_cast<double>(k) + 0.5) /
                                      static_cast<double>(settings.scan_points);
        points.push_back({m, settings.signal_width * m});
        out.scan_mass.push_back(m);
      }

      const std::size_t n = sample.scores.size();
      std::vector<bool> sideband(n);
      std::int64_t injected_in_sr = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const bool sr = sample.masses[i] >= sr_low && sample.masses[i] < sr_high;
        sideband[i] = !sr;
        injected_in_sr += sr && sample.labels[i] == 1 ? 1 : 0;
      }
      out.injected_in_signal_region.push_back(injected_in_sr);

      for (const double efficiency : out.efficiencies) {
        if (!sample.complete) {
          for (auto* v :
               {&out.threshold, &out.selected, &out.selected_signal_region, &out.signal_efficiency,
                &out.z_max, &out.mass_at_max, &out.yield, &out.yield_error})
            v->push_back(kNaN);
          for (auto* v : {&out.z_at_signal_mass, &out.excluded_yield, &out.selected_injected})
            v->push_back(kNaN);
          out.background_params.push_back(0);
          out.failure.emplace_back("incomplete: a fold model failed or is pending");
          out.counts.insert(out.counts.end(), settings.bins, kNaN);
          out.background.insert(out.background.end(), settings.bins, kNaN);
          out.scan_z.insert(out.scan_z.end(), settings.scan_points, kNaN);
          continue;
        }
        const double threshold = sideband_threshold(sample.scores, sideband, efficiency);
        histogram.counts.assign(settings.bins, 0.0);
        double selected = 0;
        double selected_sr = 0;
        double signal_passing = 0;
        double injected_passing = 0;
        for (std::size_t i = 0; i < n; ++i) {
          if (!(sample.scores[i] >= threshold)) continue;
          ++selected;
          injected_passing += sample.labels[i] == 1 ? 1 : 0;
          selected_sr += sideband[i] ? 0 : 1;
          signal_passing += !sideband[i] && sample.labels[i] == 1 ? 1 : 0;
          const auto b =
              static_cast<std::size_t>((sample.masses[i] - span_low) / (span_high - span_low) *
                                       static_cast<double>(settings.bins));
          histogram.counts[std::min(b, settings.bins - 1)] += 1.0;
        }
        // The signal mass is a hypothesis of the window whose signal region holds it.
        const bool holds_mass = settings.signal_mass >= sr_low && settings.signal_mass < sr_high;
        const auto fit = fit_spectrum(histogram, 0.5 * (sr_low + sr_high), points,
                                      holds_mass ? settings.signal_mass : 0.0, settings);
        out.z_at_signal_mass.push_back(fit.z_at_signal_mass);
        out.excluded_yield.push_back(fit.excluded_yield);
        out.selected_injected.push_back(injected_passing);
        out.threshold.push_back(threshold);
        out.selected.push_back(selected);
        out.selected_signal_region.push_back(selected_sr);
        out.signal_efficiency.push_back(
            injected_in_sr > 0 ? signal_passing / static_cast<double>(injected_in_sr) : kNaN);
        out.z_max.push_back(fit.z_max);
        out.mass_at_max.push_back(fit.mass_at_max);
        out.yield.push_back(fit.yield);
        out.yield_error.push_back(fit.yield_error);
        out.background_params.push_back(fit.params);
        out.failure.push_back(fit.failure);
        out.counts.insert(out.counts.end(), histogram.counts.begin(), histogram.counts.end());
        out.background.insert(out.background.end(), fit.background.begin(), fit.background.end());
        out.scan_z.insert(out.scan_z.end(), fit.z.begin(), fit.z.end());
      }
    }
    first += count;
  }
  out.signal_mass = settings.signal_mass;
  summarise_windows(out);
  out.check_consistent();
  return out;
}

double crossing(const std::vector<double>& injected, const std::vector<double>& z, double level) {
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (std::isnan(z[i]) || z[i] < level) continue;
    if (i == 0) return injected[0];
    if (std::isnan(z[i - 1])) return injected[i];
    return injected[i - 1] +
           (level - z[i - 1]) / (z[i] - z[i - 1]) * (injected[i] - injected[i - 1]);
  }
  return kNaN;
}

double cms_limit(const std::vector<double>& injected, const std::vector<double>& excluded) {
  double best = kNaN;
  for (std::size_t i = 0; i < injected.size(); ++i) {
    if (!(injected[i] > 0) || std::isnan(excluded[i])) continue;
    const double limit = std::max(injected[i], excluded[i]);
    if (std::isnan(best) || limit < best) best = limit;
  }
  return best;
}

std::string format_hunt_table(const store::HuntOutput& o) {
  // (stage, window, injected, efficiency) → values over seeds.
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::size_t>;
  std::map<Key, std::pair<std::vector<double>, std::vector<double>>> rows;
  std::map<Key, std::pair<double, double>> span;
  const std::size_t n_eff = o.efficiencies.size();
  // A league job's stages are its methods: each line names its own.
  const bool staged = o.stage_names.size() > 1;
  const auto stage_cell = [&](const std::string& text) {
    std::ostringstream cell;
    if (staged) cell << std::setw(16) << text;
    return cell.str();
  };
  for (std::size_t s = 0; s < o.samples(); ++s) {
    for (std::size_t e = 0; e < n_eff; ++e) {
      const auto key = std::make_tuple(o.stage[s], o.window[s], o.injected[s], e);
      auto& [z, eps] = rows[key];
      if (!std::isnan(o.z_max[s * n_eff + e])) z.push_back(o.z_max[s * n_eff + e]);
      if (!std::isnan(o.signal_efficiency[s * n_eff + e]))
        eps.push_back(o.signal_efficiency[s * n_eff + e]);
      span[key] = {o.signal_region_low[s], o.signal_region_high[s]};
    }
  }
  std::ostringstream out;
  out << stage_cell("stage") << std::setw(6) << "window" << std::setw(18) << "signal region"
      << std::setw(10) << "injected" << std::setw(8) << "eff_SB" << std::setw(7) << "seeds"
      << std::setw(18) << "z_max" << std::setw(18) << "signal eff."
      << "\n";
  const auto mean_std = [](const std::vector<double>& v) {
    if (v.empty()) return std::string("—");
    const auto a = metrics::aggregate(v);
    std::ostringstream t;
    t << std::fixed << std::setprecision(2) << a.mean << " ± " << a.std;
    return t.str();
  };
  for (const auto& [key, values] : rows) {
    const auto [stage, window, injected, e] = key;
    const auto [low, high] = span[key];
    std::ostringstream region;
    region << "[" << low << ", " << high << ")";
    out << stage_cell(o.stage_names.at(static_cast<std::size_t>(stage))) << std::setw(6) << window
        << std::setw(18) << region.str() << std::setw(10) << injected << std::setw(8)
        << core::format_double(o.efficiencies[e]) << std::setw(7) << values.first.size()
        << std::setw(18) << mean_std(values.first) << std::setw(18) << mean_std(values.second)
        << "\n";
  }
  const auto number = [](double v) {
    std::ostringstream t;
    if (std::isnan(v)) return std::string("—");
    t << std::fixed << std::setprecision(0) << v;
    return t.str();
  };
  out << "\nper window, injected events (" << (o.signal_mass > 0 ? "z at the signal mass" : "z_max")
      << "; limit by the CMS rule" << (o.signal_mass > 0 ? "" : ": needs --signal-mass") << "):\n"
      << stage_cell("stage") << std::setw(6) << "window" << std::setw(8) << "eff_SB"
      << std::setw(12) << "3σ at" << std::setw(12) << "5σ at" << std::setw(14) << "95% limit"
      << "\n";
  for (std::size_t w = 0; w < o.summary_window.size(); ++w) {
    for (std::size_t e = 0; e < n_eff; ++e) {
      const std::size_t k = w * n_eff + e;
      out << stage_cell(o.stage_names.at(static_cast<std::size_t>(o.summary_stage[w])))
          << std::setw(6) << o.summary_window[w] << std::setw(8)
          << core::format_double(o.efficiencies[e]) << std::setw(12) << number(o.crossing_3sigma[k])
          << std::setw(12) << number(o.crossing_5sigma[k]) << std::setw(14)
          << number(o.limit_injected[k]) << "\n";
    }
  }
  for (std::size_t k = 0; k < o.stage_names.size(); ++k) {
    std::size_t seeds = 0;
    for (const auto stage : o.null_stage) seeds += static_cast<std::size_t>(stage) == k ? 1 : 0;
    if (seeds == 0) continue;
    out << "\nwithout injection" << (staged ? " (" + o.stage_names[k] + ")" : "")
        << ", the largest z_max over windows (" << seeds << " seeds): ";
    for (std::size_t e = 0; e < n_eff; ++e) {
      std::vector<double> z;
      std::size_t above = 0;
      for (std::size_t s = 0; s < o.null_seed.size(); ++s) {
        const double v = o.null_z_max[s * n_eff + e];
        if (static_cast<std::size_t>(o.null_stage[s]) != k || std::isnan(v)) continue;
        z.push_back(v);
        above += v > 3.0 ? 1 : 0;
      }
      out << (e == 0 ? "" : "; ") << core::format_double(o.efficiencies[e]) << ": " << mean_std(z)
          << " (" << above << " above 3)";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace cwola::report
