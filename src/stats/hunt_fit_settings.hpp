#pragma once
/// The select → fit settings of a sliding-window hunt (docs/hunt.md §3): which sideband
/// efficiencies to cut at and how to fit each window's selected m_jj spectrum. A hunt job reads
/// them from [hunt] (so `cwola run` fits right after the training) and `cwola hunt` from its
/// options (to redo the selection without training).
#include <string>
#include <vector>

namespace cwola::stats {

struct HuntFitSettings {
  /// Sideband efficiencies of the cuts (each in (0, 1]); the no-cut spectrum (1) is always
  /// analysed as well, first.
  std::vector<double> efficiencies = {0.1, 0.03, 0.01};
  std::size_t bins = 20;        ///< uniform m_jj bins over a window's span
  std::size_t scan_points = 5;  ///< signal masses, evenly inside the signal region
  double signal_width = 0.05;   ///< Gaussian σ / mass (the dijet mass resolution)
  int max_params = 4;           ///< the F-test tries 2 … max_params dijet parameters
  /// GeV, the injected signal's mass (0: not known): the significance there, the 95 % CL
  /// excluded yield and the CMS limit rule.
  double signal_mass = 0;

  /// InputError naming the setting as `prefix` + its name ("hunt." in a job, "--" on the
  /// command line, with the job's key names: efficiencies, fit_bins, scan_points, signal_width,
  /// max_params, signal_mass).
  void validate(const std::string& prefix) const;
  /// The settings as text (stored with the results).
  std::string text() const;
};

}  // namespace cwola::stats
