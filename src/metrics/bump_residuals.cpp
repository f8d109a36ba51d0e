#include "metrics/bump_residuals.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>

#include "core/error.hpp"
#include "metrics/aggregate.hpp"

namespace cwola::metrics {

std::vector<BumpResidual> bump_residuals(const std::vector<std::int64_t>& n_bins,
                                         const std::vector<double>& target,
                                         const std::vector<double>& prediction) {
  std::size_t total = 0;
  for (auto n : n_bins) {
    if (n < 1) throw core::InputError("residuals", "n_bins", std::to_string(n), "must be >= 1");
    total += static_cast<std::size_t>(n);
  }
  if (target.size() != total || prediction.size() != total) {
    throw core::InputError("residuals", "per-bin columns",
                           std::to_string(target.size()) + ", " + std::to_string(prediction.size()),
                           "differ from Σ n_bins = " + std::to_string(total));
  }
  std::vector<BumpResidual> out;
  out.reserve(n_bins.size());
  std::size_t at = 0;
  for (auto n : n_bins) {
    BumpResidual r;
    r.z_pl = -std::numeric_limits<double>::infinity();
    r.z_pred_max = r.z_pl;
    for (std::int64_t j = 0; j < n; ++j) {
      const double t = target[at + static_cast<std::size_t>(j)];
      const double p = prediction[at + static_cast<std::size_t>(j)];
      if (t > r.z_pl) {
        r.z_pl = t;
        r.bin = j;
      }
      r.z_pred_max = std::max(r.z_pred_max, p);
    }
    r.z_pred = prediction[at + static_cast<std::size_t>(r.bin)];
    out.push_back(r);
    at += static_cast<std::size_t>(n);
  }
  return out;
}

ResidualSummary summarise_residuals(const std::vector<BumpResidual>& residuals,
                                    const std::string& axis, const std::string& group) {
  ResidualSummary s;
  s.axis = axis;
  s.group = group;
  s.histograms = residuals.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (residuals.empty()) {
    s.bias = s.spread = s.q025 = s.q16 = s.q84 = s.q975 = nan;
    s.z_pred_q16 = s.z_pred_q84 = s.z_pred_q025 = s.z_pred_q975 = nan;
    return s;
  }
  std::vector<double> delta;
  std::vector<double> z_pred;
  for (const auto& r : residuals) {
    delta.push_back(r.delta());
    z_pred.push_back(r.z_pred);
  }
  const Aggregate a = aggregate(delta);
  s.bias = a.mean;
  s.spread = a.std;
  std::sort(delta.begin(), delta.end());
  std::sort(z_pred.begin(), z_pred.end());
  s.q025 = quantile_of_sorted(delta, 0.025);
  s.q16 = quantile_of_sorted(delta, 0.16);
  s.q84 = quantile_of_sorted(delta, 0.84);
  s.q975 = quantile_of_sorted(delta, 0.975);
  s.z_pred_q025 = quantile_of_sorted(z_pred, 0.025);
  s.z_pred_q16 = quantile_of_sorted(z_pred, 0.16);
  s.z_pred_q84 = quantile_of_sorted(z_pred, 0.84);
  s.z_pred_q975 = quantile_of_sorted(z_pred, 0.975);
  return s;
}

namespace {
std::string bins_group(std::int64_t n) {
  if (n < 50) return "30-49";
  if (n < 70) return "50-69";
  if (n < 100) return "70-99";
  return "100+";
}

std::string decade_group(double ratio) {
  const int decade = std::max(0, static_cast<int>(std::floor(std::log10(std::max(ratio, 1.0)))));
  return "1e" + std::to_string(decade) + "-1e" + std::to_string(decade + 1);
}

std::string z_group(double z) {
  const long centre = std::lround(z);
  const auto edge = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", v);
    return std::string(text);
  };
  return edge(static_cast<double>(centre) - 0.5) + "-" + edge(static_cast<double>(centre) + 0.5);
}
}  // namespace

std::vector<ResidualSummary> summarise_by_group(const std::vector<BumpResidual>& residuals,
                                                const std::vector<BumpHistogramTraits>& traits) {
  if (traits.size() != residuals.size()) {
    throw core::InputError("residuals", "traits", std::to_string(traits.size()),
                           "differ from the " + std::to_string(residuals.size()) + " residuals");
  }
  std::vector<ResidualSummary> out = {summarise_residuals(residuals, "all", "all")};
  const auto by = [&](const std::string& axis,
                      const std::function<std::pair<double, std::string>(std::size_t)>& key) {
    std::map<std::pair<double, std::string>, std::vector<BumpResidual>> groups;
    for (std::size_t i = 0; i < residuals.size(); ++i) groups[key(i)].push_back(residuals[i]);
    for (const auto& [k, members] : groups)
      out.push_back(summarise_residuals(members, axis, k.second));
  };
  by("n_bins", [&](std::size_t i) {
    return std::make_pair(static_cast<double>(traits[i].n_bins < 50    ? 0
                                              : traits[i].n_bins < 70  ? 1
                                              : traits[i].n_bins < 100 ? 2
                                                                       : 3),
                          bins_group(traits[i].n_bins));
  });
  by("dynamic_range", [&](std::size_t i) {
    return std::make_pair(std::floor(std::log10(std::max(traits[i].dynamic_range, 1.0))),
                          decade_group(traits[i].dynamic_range));
  });
  by("width", [&](std::size_t i) {
    const int w = traits[i].signal_width;
    return std::make_pair(static_cast<double>(w),
                          w == 0 ? std::string("none") : "w" + std::to_string(w));
  });
  by("z_pl", [&](std::size_t i) {
    return std::make_pair(static_cast<double>(std::lround(residuals[i].z_pl)),
                          z_group(residuals[i].z_pl));
  });
  return out;
}

}  // namespace cwola::metrics
