#include "stats/spectrum_histograms.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "stats/background_family.hpp"

namespace cwola::stats {

Rebinning network_bins(const std::vector<double>& edges, int min_bins, int max_bins,
                       const std::string& origin) {
  const auto n = static_cast<int>(edges.size()) - 1;
  if (n < 1 || min_bins < 2 || max_bins < min_bins) {
    throw core::InputError(origin, "bins", std::to_string(n),
                           "cannot be brought into [" + std::to_string(min_bins) + ", " +
                               std::to_string(max_bins) + "] bins");
  }
  Rebinning out;
  if (n > max_bins) {
    out.merged = (n + max_bins - 1) / max_bins;
    for (int i = 0; i < n; i += out.merged) out.edges.push_back(edges[static_cast<std::size_t>(i)]);
    out.edges.push_back(edges.back());
  } else if (n < min_bins) {
    out.split = (min_bins + n - 1) / n;
    for (int i = 0; i < n; ++i) {
      const double low = edges[static_cast<std::size_t>(i)];
      const double width = edges[static_cast<std::size_t>(i) + 1] - low;
      for (int k = 0; k < out.split; ++k) out.edges.push_back(low + width * k / out.split);
    }
    out.edges.push_back(edges.back());
  } else {
    out.edges = edges;
  }
  const auto bins = static_cast<int>(out.edges.size()) - 1;
  if (bins < min_bins || bins > max_bins) {
    throw core::InputError(origin, "bins", std::to_string(n),
                           "cannot be brought into [" + std::to_string(min_bins) + ", " +
                               std::to_string(max_bins) + "] bins by merging or splitting (" +
                               std::to_string(bins) + ")");
  }
  return out;
}

SpectrumBackground fit_spectrum_background(const std::string& name, const Histogram& spectrum,
                                           const FtestOptions& options, int min_bins,
                                           int max_bins, double max_entries) {
  SpectrumBackground out;
  out.name = name;
  out.measured_events = spectrum.total();
  const auto ftest = run_ftest(spectrum, options);
  if (ftest.chosen_params == 0) {
    throw core::InputError(name, "fit", "no converged fit",
                           "(the F-test's candidates all failed; see cwola fit on this spectrum)");
  }
  out.fit = ftest.rows[ftest.chosen_row].fit;
  out.bins = network_bins(spectrum.edges, min_bins, max_bins, name);
  Histogram target;
  target.edges = out.bins.edges;
  target.counts.assign(target.edges.size() - 1, 0.0);
  const BackgroundFamily family{options.kind, ftest.chosen_params, options.sqrt_s_gev};
  out.expected = expected_counts(family, out.fit.theta, target);
  const double largest = *std::max_element(out.expected.begin(), out.expected.end());
  out.scale = std::min(1.0, max_entries / largest);
  for (double& b : out.expected) b *= out.scale;
  return out;
}

}  // namespace cwola::stats
