#pragma once
/// Measured spectra as bump-network histograms (docs/bump_hunt_network.md, "On real
/// spectra"): the background fitted to a spectrum (the F-test's choice of the dijet family),
/// integrated over bins the network accepts (30–99 by default) and scaled into its range of
/// entries. Bumps are then injected and fluctuated by inject_bump, exactly as in the training
/// histograms, so the network's z on a real shape is compared with the profile-likelihood z
/// over the same known background.
#include <string>
#include <vector>

#include "stats/binned_fit.hpp"
#include "stats/ftest.hpp"
#include "stats/histogram.hpp"

namespace cwola::stats {

/// How a spectrum's bins became the network's bins.
struct Rebinning {
  std::vector<double> edges;  ///< GeV
  int merged = 1;             ///< adjacent measured bins per network bin (last group may hold fewer)
  int split = 1;              ///< equal network bins per measured bin
};

/// Bins between `min_bins` and `max_bins`: more than max_bins measured bins are merged in
/// adjacent groups of k = ⌈n / max_bins⌉ from the low-mass end; fewer than min_bins are each
/// split into k = ⌈min_bins / n⌉ equal bins; otherwise the edges are kept. InputError (naming
/// `origin`) when no such k reaches the range.
Rebinning network_bins(const std::vector<double>& edges, int min_bins, int max_bins,
                       const std::string& origin);

/// A fitted spectrum on network bins.
struct SpectrumBackground {
  std::string name;
  Rebinning bins;
  FitResult fit;                  ///< the F-test's chosen fit of the measured bins
  std::vector<double> expected;   ///< expected background entries per network bin, × scale
  double scale = 1.0;             ///< min(1, max_entries / the largest fitted bin)
  double measured_events = 0.0;   ///< Σ counts of the measured spectrum
};

/// Fits `spectrum` (run_ftest with `options`), integrates the chosen fit over network_bins
/// and scales it so no bin expects more than `max_entries`. InputError naming `name` when no
/// fit converges.
SpectrumBackground fit_spectrum_background(const std::string& name, const Histogram& spectrum,
                                           const FtestOptions& options, int min_bins,
                                           int max_bins, double max_entries);

}  // namespace cwola::stats
