#include "stats/spectrum_histograms.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/text.hpp"
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
                                           int max_bins, const EntryRange& range) {
  SpectrumBackground out;
  out.name = name;
  out.measured_events = spectrum.total();
  const auto ftest = run_ftest(spectrum, options);
  if (ftest.chosen_params == 0) {
    throw core::InputError(name, "fit", "no converged fit",
                           "(the F-test's candidates all failed; see cwola fit on this spectrum)");
  }
  out.fit = ftest.rows[ftest.chosen_row].fit;
  const BackgroundFamily family{options.kind, ftest.chosen_params, options.sqrt_s_gev};
  // The tail below the network's dynamic range is cut on the measured bins (a ratio, so it
  // does not depend on the later scale).
  const auto measured = expected_counts(family, out.fit.theta, spectrum);
  const double floor = measured.front() * range.min_entries / range.max_entries;
  while (out.kept_bins < measured.size() && measured[out.kept_bins] >= floor) ++out.kept_bins;
  if (out.kept_bins < 2) {
    throw core::InputError(name, "spectra.min_entries", core::format_double(range.min_entries),
                           "leaves fewer than 2 bins of the spectrum above " +
                               core::format_double(range.min_entries / range.max_entries) +
                               " of its first bin's fitted content");
  }
  const std::vector<double> kept(spectrum.edges.begin(),
                                 spectrum.edges.begin() +
                                     static_cast<std::ptrdiff_t>(out.kept_bins) + 1);
  out.bins = network_bins(kept, min_bins, max_bins, name);
  Histogram target;
  target.edges = out.bins.edges;
  target.counts.assign(target.edges.size() - 1, 0.0);
  out.expected = expected_counts(family, out.fit.theta, target);
  const double largest = *std::max_element(out.expected.begin(), out.expected.end());
  out.scale = range.max_entries / largest;
  for (double& b : out.expected) b *= out.scale;
  return out;
}

}  // namespace cwola::stats
