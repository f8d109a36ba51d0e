#pragma once
/// Measured spectra as bump-network histograms (docs/bump_hunt_network.md, "On real
/// spectra"): the background fitted to a spectrum (the F-test's choice of the dijet family),
/// brought into the network's domain — the high-mass tail cut where the fit falls below
/// min_entries / max_entries of its first bin, the rest integrated over bins the network
/// accepts (30–99 by default) and normalised so the largest bin expects max_entries. Bumps are
/// then injected and fluctuated by inject_bump, exactly as in the training histograms, so the
/// network's z on a real shape is compared with the profile-likelihood z over the same known
/// background.
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
  std::size_t kept_bins = 0;      ///< measured bins kept (from the low-mass end)
  std::vector<double> expected;   ///< expected background entries per network bin, × scale
  double scale = 1.0;             ///< max_entries / the fit's largest network bin
  double measured_events = 0.0;   ///< Σ counts of the measured spectrum
};

/// The network's domain of entries per bin.
struct EntryRange {
  double min_entries = 10.0;
  double max_entries = 1e5;
};

/// Fits `spectrum` (run_ftest with `options`); keeps the measured bins from the first up to
/// the last whose fitted content is at least range.min_entries / range.max_entries of the
/// first's; integrates the fit over network_bins of those and scales it so the largest bin
/// expects range.max_entries. InputError naming `name` when no fit converges or fewer than 2
/// bins are kept.
SpectrumBackground fit_spectrum_background(const std::string& name, const Histogram& spectrum,
                                           const FtestOptions& options, int min_bins,
                                           int max_bins, const EntryRange& range);

}  // namespace cwola::stats
