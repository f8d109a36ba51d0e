#pragma once
/// Training histograms for the bump-hunt network (docs/bump_hunt_network.md): a smoothly
/// falling background (bump_background_shapes.hpp) on 30–99 uniform or variable bins with
/// 10–10⁵ expected entries per bin, Poisson-fluctuated, with a Gaussian bump of width W bins
/// injected at a random bin and a yield that gives a wanted Asimov significance.
///
/// Every histogram is a pure function of (master seed, histogram index): three streams
/// core::stream_seed(master, index, purpose) — shape, injection, fluctuation — so a data set
/// is identical however it is split over ranks, and changing the injection settings leaves
/// the backgrounds unchanged.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/seed.hpp"
#include "stats/bump_background_shapes.hpp"

namespace cwola::stats {

/// How the bin edges are spaced; the value is stored in the files (never renumber).
enum class BumpBinning : std::int8_t {
  kUniform = 0,  ///< equal widths on the mass axis
  /// Widths ∝ mass (edges e_i = R^(i/n)): a detector resolution σ_m ∝ m, so a narrow
  /// resonance is the same number of bins wide anywhere on the axis (width/centre constant).
  kVariable = 1,
};

/// Settings of the generator; names follow the card keys `bump.<name>`.
struct HistogramGeneratorConfig {
  int min_bins = 30;  ///< bins drawn uniformly in [min_bins, max_bins]
  int max_bins = 99;
  double variable_fraction = 0.5;  ///< fraction of histograms with BumpBinning::kVariable
  /// Last edge / first edge of the mass axis (first edge = 1), log-uniform in this range:
  /// sets the shape of the x-dependent families (1/x^k, −ln, dijet). At most 8752/1530 = 5.72
  /// when kDijet is used (the fitted CMS range).
  std::array<double, 2> mass_range = {1.5, 5.5};
  /// Dynamic range: y_max and y_min (expected entries in the first and last bin) are two
  /// log-uniform draws in [min_entries, max_entries], the larger being y_max.
  double min_entries = 10.0;
  double max_entries = 1e5;
  std::vector<BumpFamily> families = all_bump_families();  ///< drawn with equal probability
  double stretched_fraction = 0.5;  ///< fraction of analytic shapes that are stretched
  double min_cut = 0.2;             ///< the stretch keeps a fraction f ~ U[min_cut, 1)
  std::array<double, 2> power_range = {0.01, 10.0};  ///< k of power_free, uniform
  std::array<double, 2> cosh_range = {0.5, 5.0};     ///< c of half_cosh, uniform
  /// kDijet: θ1, θ3 ~ fit + N(0, 1) × dijet_spread × (fit's 1σ error), then shrunk together
  /// (× 15/16, 14/16, ..., 0) until the curve through the end points falls.
  double dijet_spread = 5.0;
  std::vector<int> signal_widths = {1, 2, 3, 4};  ///< W (bins) drawn with equal probability
  std::array<double, 2> z_range = {0.0, 10.0};    ///< Z_want uniform (Asimov σ)
  double no_signal_fraction = 0.1;  ///< fraction of histograms without a signal (μ = 0)

  /// InputError naming the `bump.<name>` key and value for an inconsistent setting.
  void validate() const;
};

/// One generated histogram with its truth.
struct GeneratedHistogram {
  std::vector<double> edges;       ///< mass axis (first edge 1; × mass_scale_gev for kDijet)
  std::vector<double> background;  ///< expected background entries per bin (unfluctuated)
  std::vector<double> signal;      ///< injected template, Σ = 1 (zeros without a signal)
  std::vector<double> counts;      ///< observed entries: Poisson(background + μ signal)
  BumpShape shape;
  BumpBinning binning = BumpBinning::kUniform;
  bool has_signal = false;
  int signal_width = 0;    ///< W (bins), 0 without a signal
  int centre_bin = -1;     ///< bin the signal is centred on, −1 without a signal
  double mu = 0.0;         ///< injected yield (entries)
  double z_want = 0.0;     ///< wanted Asimov significance (0 without a signal)
  std::uint64_t seed = 0;  ///< the shape stream's seed (the other two follow from the index)
  std::size_t bins() const { return counts.size(); }
};

/// Uniform edges on [1, range]: e_i = 1 + i (range − 1)/n.
std::vector<double> uniform_edges(std::size_t bins, double range);
/// Variable edges on [1, range] with width ∝ centre: e_i = range^(i/n).
std::vector<double> variable_edges(std::size_t bins, double range);

/// A Gaussian bump of σ = `width_bins` bins centred on the centre of bin `centre`, integrated
/// over each bin (in bin-index units, so on variable binning it is a constant relative mass
/// resolution), truncated at 8σ and at the histogram's ends, normalised to Σ = 1.
/// `first` is the first bin of `values`; the template is zero outside.
struct SignalWindow {
  std::size_t first = 0;
  std::vector<double> values;
};
SignalWindow gaussian_window(std::size_t bins, std::size_t centre, double width_bins);
/// The same as a full-length template.
std::vector<double> gaussian_template(std::size_t bins, std::size_t centre, double width_bins);

/// Unnormalised weights w_d (d = 0..K, w_−d = w_d) of a Gaussian of σ = width_bins integrated
/// over bin d from the centre bin, K = ceil(8σ): the shared arithmetic of gaussian_window
/// and the targets (bump_targets.hpp), so both see bit-identical templates.
std::vector<double> gaussian_bin_weights(double width_bins);

/// Z_Asimov of a yield μ over a known background: sign(μ) √(2 Σ[(b + μs) ln(1 + μs/b) − μs]).
double asimov_z_signed(const std::vector<double>& background, const std::vector<double>& signal,
                       double mu, std::size_t first = 0);
/// The μ >= 0 with asimov_z_signed(μ) = z_want (Newton on the convex Z_A², to 1e-14 relative);
/// 0 for z_want = 0. `signal` is a window starting at bin `first` of `background`.
double asimov_yield(const std::vector<double>& background, const std::vector<double>& signal,
                    double z_want, std::size_t first = 0);

/// Injects a bump into `h`, whose edges and background are set, as HistogramGenerator does:
/// from the stream (master_seed, index, kBumpInjection) with or without a signal
/// (no_signal_fraction), its width W (signal_widths), centre bin and Z_want (z_range), the
/// yield μ with Z_A(μ) = Z_want; then Poisson counts from (master_seed, index,
/// kBumpFluctuation). Only those three settings of `config` are used.
void inject_bump(const HistogramGeneratorConfig& config, std::uint64_t master_seed,
                 std::uint64_t index, GeneratedHistogram& h);

class HistogramGenerator {
 public:
  /// Validates `config` (InputError naming the key and value).
  explicit HistogramGenerator(HistogramGeneratorConfig config);
  const HistogramGeneratorConfig& config() const { return config_; }
  /// Histogram `index` of the data set of `master_seed` (a pure function of both).
  GeneratedHistogram generate(std::uint64_t master_seed, std::uint64_t index) const;

 private:
  HistogramGeneratorConfig config_;
};

}  // namespace cwola::stats
