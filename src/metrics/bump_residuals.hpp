#pragma once
/// How well a bump network reproduces the profile-likelihood significance (the thesis's §5.3):
/// per histogram Δ = Z_pred − Z_PL at the bin of the largest target, and bias, spread and
/// 68 % / 95 % intervals of Δ over groups of histograms (number of bins, dynamic range, signal
/// width, Z_PL).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cwola::metrics {

/// One histogram's comparison.
struct BumpResidual {
  std::int64_t bin = 0;   ///< bin of the largest target z (first of equals)
  double z_pl = 0;        ///< the largest target (profile-likelihood) z
  double z_pred = 0;      ///< the prediction at that bin
  double z_pred_max = 0;  ///< the largest prediction anywhere (the thesis's Z_pred)
  double delta() const { return z_pred - z_pl; }
};

/// Per histogram of flat per-bin columns (n_bins [H]; target and prediction [Σ n_bins]).
/// core::InputError if the lengths do not fit.
std::vector<BumpResidual> bump_residuals(const std::vector<std::int64_t>& n_bins,
                                         const std::vector<double>& target,
                                         const std::vector<double>& prediction);

/// Bias, spread and intervals of Δ over one group of histograms.
struct ResidualSummary {
  std::string axis;            ///< what groups: "all", "n_bins", "dynamic_range", "width", "z_pl"
  std::string group;           ///< the group, e.g. "30-49", "1e2-1e3", "w2", "4.5-5.5"
  std::size_t histograms = 0;  ///< histograms the numbers rest on
  double bias = 0;             ///< mean Δ
  double spread = 0;           ///< standard deviation of Δ
  double q025 = 0, q16 = 0, q84 = 0, q975 = 0;  ///< quantiles of Δ (68 %: q16–q84; 95 %)
  double z_pred_q16 = 0, z_pred_q84 = 0;        ///< the 68 % interval of Z_pred itself
  double z_pred_q025 = 0, z_pred_q975 = 0;      ///< its 95 % interval
};

/// Summaries of a sample of residuals (NaN fields for an empty group, histograms = 0).
ResidualSummary summarise_residuals(const std::vector<BumpResidual>& residuals,
                                    const std::string& axis, const std::string& group);

/// What each histogram is grouped by.
struct BumpHistogramTraits {
  std::int64_t n_bins = 0;
  double dynamic_range = 1;  ///< y_max / y_min of the true background
  int signal_width = 0;      ///< 0 without a signal
};

/// The summary over all histograms, then by number of bins (30–49, 50–69, 70–99, 100+), by
/// dynamic range (decades of y_max/y_min), by signal width (none, 1, 2, ...) and by Z_PL
/// (unit intervals centred on 0, 1, ..., 10: "4.5-5.5" holds the thesis's 5σ); groups without
/// histograms are left out.
std::vector<ResidualSummary> summarise_by_group(const std::vector<BumpResidual>& residuals,
                                                const std::vector<BumpHistogramTraits>& traits);

}  // namespace cwola::metrics
