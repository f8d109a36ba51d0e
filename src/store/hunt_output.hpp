#pragma once
/// The HDF5 file of `cwola hunt` (docs/hunt.md): per hunt sample (window, injection, seed) and
/// per selection efficiency, the cut, the selected m_jj spectrum, its background fit and the
/// local significance scan. Written by one process through "<path>.partial", renamed when
/// complete, so a file at `path` is always whole.
///
///   /meta/config, /meta/source_store                       the settings and the run's store
///   /meta/stages [K]                       the run's stages (methods); "main" without stages
///   /efficiency [E]                                        sideband efficiencies; 1 = no cut
///   /samples/point, stage, seed, window, injected, injected_in_signal_region, events,
///            complete                                                                  [S]
///   /samples/signal_region_low, signal_region_high, span_low, span_high               [S] GeV
///   /selection/threshold, selected, selected_signal_region, signal_efficiency, z_max,
///              mass_at_max, yield, yield_error, background_params, failure           [S, E]
///   /spectra/edges [S, B+1] GeV, counts [S, E, B], background [S, E, B] (fitted)
///   /scan/mass [S, P] GeV, z [S, E, P] (signed local significance)
///   with a signal mass (NaN in windows whose signal region does not hold it):
///   /selection/z_at_signal_mass, excluded_yield (95 % CL asymptotic CLs, in
///   selected events), selected_injected (injected events passing the cut)            [S, E]
///   /windows/stage, window [W], limit_injected, crossing_3sigma, crossing_5sigma  [W, E]
///   (injected events; the CMS limit rule and where the mean z crosses 3 and 5), per stage
///   and window
///   /null/stage, seed [N], /null/z_max [N, E]: without injection, the largest z_max over
///   windows, per stage and seed
#include <cstdint>
#include <string>
#include <vector>

namespace cwola::store {

struct HuntOutput {
  std::string config;
  std::string source_store;
  std::vector<double> efficiencies;  ///< [E]
  std::size_t bins = 0;              ///< B
  std::size_t scan_points = 0;       ///< P
  /// The run's stages (each a method of a league job); {"main"} for a job without stages.
  std::vector<std::string> stage_names;

  // Per sample [S].
  std::vector<std::int64_t> point, stage, seed, window, injected, injected_in_signal_region, events;
  std::vector<std::int8_t> complete;
  std::vector<double> signal_region_low, signal_region_high, span_low, span_high;

  // Per (sample, efficiency) [S × E], row-major.
  std::vector<double> threshold, selected, selected_signal_region, signal_efficiency, z_max,
      mass_at_max, yield, yield_error;
  std::vector<std::int64_t> background_params;
  std::vector<std::string> failure;
  double signal_mass = 0;  ///< GeV; 0: none given (the next three are NaN)
  std::vector<double> z_at_signal_mass, excluded_yield, selected_injected;  ///< [S × E]

  // Per (stage, window) [W] and (stage, window, efficiency) [W × E].
  std::vector<std::int64_t> summary_stage, summary_window;
  std::vector<double> limit_injected, crossing_3sigma, crossing_5sigma;
  // Without injection: per (stage, seed) [N] and (stage, seed, efficiency) [N × E].
  std::vector<std::int64_t> null_stage, null_seed;
  std::vector<double> null_z_max;

  std::vector<double> edges;       ///< [S × (B + 1)]
  std::vector<double> counts;      ///< [S × E × B]
  std::vector<double> background;  ///< [S × E × B]
  std::vector<double> scan_mass;   ///< [S × P]
  std::vector<double> scan_z;      ///< [S × E × P]

  std::size_t samples() const { return point.size(); }
  /// core::Error naming the column whose length does not match the sizes (a producer bug).
  void check_consistent() const;
};

/// Writes `output` to `path` (serially, through "<path>.partial"); InputError when the file
/// cannot be created.
void write_hunt_output(const std::string& path, const HuntOutput& output);

}  // namespace cwola::store
