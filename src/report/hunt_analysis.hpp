#pragma once
/// The select → fit steps of the sliding-window hunt (docs/hunt.md), from a hunt run's store
/// alone: no training. Per hunt sample (window, injection, seed) the out-of-fold scores
/// (report/ensemble_summary: each fold scored by the mean of its inner models) of the window's
/// events are cut at fixed sideband efficiencies; the selected events' m_jj fill one spectrum
/// over the window's span (its sidebands and signal region), which is fitted with the dijet
/// function (parameters by Fisher's F-test) and then background + Gaussian signal at masses
/// inside the signal region, giving the local significance and the fitted yield.
#include <string>
#include <vector>

#include "stats/hunt_fit_settings.hpp"
#include "store/hunt_output.hpp"
#include "store/results_store.hpp"

namespace cwola::report {

/// The settings of the select → fit steps (stats/hunt_fit_settings.hpp).
using HuntAnalysisSettings = stats::HuntFitSettings;

/// The cut of one sample at sideband efficiency `efficiency`: the score that keeps
/// max(1, round(efficiency × n_sb)) sideband events (scores >= threshold pass); with
/// efficiency 1 every event passes (threshold −inf).
double sideband_threshold(const std::vector<float>& scores, const std::vector<bool>& sideband,
                          double efficiency);

/// Analyses every hunt sample of `store` (a run of the hunt study).
store::HuntOutput analyse_hunt(const store::ResultsStore& store,
                               const HuntAnalysisSettings& settings);

/// Linear interpolation of the injected yield at which `z` (mean over seeds, one value per
/// ascending `injected`) first reaches `level`; NaN when it never does.
double crossing(const std::vector<double>& injected, const std::vector<double>& z, double level);

/// The CMS limit rule (in injected events): min over injections of max(n_inj, n_exc(n_inj)),
/// with n_exc the excluded yield divided by the selection efficiency at that injection. NaN
/// without an injection that has both.
double cms_limit(const std::vector<double>& injected, const std::vector<double>& excluded);

/// A table of the results (one line per window, injection, efficiency: mean ± std over
/// seeds of z_max and the signal efficiency).
std::string format_hunt_table(const store::HuntOutput& output);

}  // namespace cwola::report
