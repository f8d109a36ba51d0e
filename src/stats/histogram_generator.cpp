#include "stats/histogram_generator.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "core/text.hpp"
#include "stats/toys.hpp"

namespace cwola::stats {

namespace {

[[noreturn]] void fail(const std::string& key, const std::string& value,
                       const std::string& problem) {
  throw core::InputError("bump." + key + " = " + value + " " + problem);
}

void check_fraction(const std::string& key, double value) {
  if (!(value >= 0.0 && value <= 1.0)) fail(key, core::format_double(value), "must be in [0, 1]");
}

void check_range(const std::string& key, const std::array<double, 2>& range, double low,
                 double high, const std::string& unit) {
  if (!(range[0] >= low && range[0] <= range[1] && range[1] <= high)) {
    fail(key, core::format_double(range[0]) + ", " + core::format_double(range[1]),
         "must be lo, hi with " + core::format_double(low) +
             " <= lo <= hi <= " + core::format_double(high) + unit);
  }
}

double uniform_in(core::RandomStream& stream, double lo, double hi) {
  return lo + (hi - lo) * stream.uniform();
}

double log_uniform_in(core::RandomStream& stream, double lo, double hi) {
  return std::exp(uniform_in(stream, std::log(lo), std::log(hi)));
}

bool falls(const std::vector<double>& y) {
  for (std::size_t i = 1; i < y.size(); ++i) {
    if (!(y[i] < y[i - 1])) return false;
  }
  return true;
}

/// Z_A² = 2 Σ[(b + μs) ln(1 + μs/b) − μs] and its derivative 2 Σ s ln(1 + μs/b).
void asimov_z2(const std::vector<double>& b, const std::vector<double>& s, std::size_t first,
               double mu, double& value, double& slope) {
  value = 0.0;
  slope = 0.0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const double x = mu * s[k];
    const double log_term = std::log1p(x / b[first + k]);
    value += (b[first + k] + x) * log_term - x;
    slope += s[k] * log_term;
  }
  value *= 2.0;
  slope *= 2.0;
}
}  // namespace

void HistogramGeneratorConfig::validate() const {
  if (min_bins < 2)
    fail("min_bins", std::to_string(min_bins), "must be >= 2 (a histogram needs 2 bins)");
  if (max_bins < min_bins) {
    fail("max_bins", std::to_string(max_bins),
         "must be >= bump.min_bins = " + std::to_string(min_bins));
  }
  check_fraction("variable_fraction", variable_fraction);
  check_range("mass_range", mass_range, 1.0 + 1e-6, 1e6, " (last edge / first edge)");
  if (!(min_entries > 0.0 && min_entries < max_entries && max_entries <= 1e12)) {
    fail("min_entries",
         core::format_double(min_entries) + " (max_entries = " + core::format_double(max_entries) +
             ")",
         "must satisfy 0 < min_entries < max_entries <= 1e12");
  }
  if (families.empty()) fail("families", "(empty)", "must name at least one family");
  check_fraction("stretched_fraction", stretched_fraction);
  if (!(min_cut > 0.0 && min_cut <= 1.0))
    fail("min_cut", core::format_double(min_cut), "must be in (0, 1]");
  check_range("power_range", power_range, 1e-6, 100.0, "");
  check_range("cosh_range", cosh_range, 1e-6, 100.0, "");
  if (!(dijet_spread >= 0.0 && dijet_spread <= 100.0)) {
    fail("dijet_spread", core::format_double(dijet_spread), "must be in [0, 100] (fit σ)");
  }
  const bool dijet =
      std::find(families.begin(), families.end(), BumpFamily::kDijet) != families.end();
  const double fitted = DijetFit::kHighEdgeGev / DijetFit::kLowEdgeGev;
  if (dijet && mass_range[1] > fitted) {
    fail("mass_range",
         core::format_double(mass_range[0]) + ", " + core::format_double(mass_range[1]),
         "must end at <= " + core::format_double(fitted) +
             " with the dijet family (the fitted CMS range 1530–8752 GeV); lower it or drop "
             "dijet from bump.families");
  }
  if (signal_widths.empty()) fail("signal_widths", "(empty)", "must list at least one width");
  for (int w : signal_widths) {
    if (w < 1 || w > 20) fail("signal_widths", std::to_string(w), "must be in [1, 20] bins");
  }
  check_range("z_range", z_range, 0.0, 100.0, " (σ)");
  check_fraction("no_signal_fraction", no_signal_fraction);
}

std::vector<double> uniform_edges(std::size_t bins, double range) {
  std::vector<double> edges(bins + 1);
  for (std::size_t i = 0; i <= bins; ++i) {
    edges[i] = 1.0 + (range - 1.0) * static_cast<double>(i) / static_cast<double>(bins);
  }
  return edges;
}

std::vector<double> variable_edges(std::size_t bins, double range) {
  std::vector<double> edges(bins + 1);
  for (std::size_t i = 0; i <= bins; ++i) {
    edges[i] = std::pow(range, static_cast<double>(i) / static_cast<double>(bins));
  }
  return edges;
}

std::vector<double> gaussian_bin_weights(double width_bins) {
  const auto reach = static_cast<std::size_t>(std::ceil(8.0 * width_bins));
  std::vector<double> w(reach + 1);
  const double scale = 1.0 / (width_bins * std::sqrt(2.0));
  for (std::size_t d = 0; d <= reach; ++d) {
    // Upper tail differences (erfc) keep the far bins' relative precision.
    const double lo = (static_cast<double>(d) - 0.5) * scale;
    const double hi = (static_cast<double>(d) + 0.5) * scale;
    w[d] = d == 0 ? std::erf(hi) : 0.5 * (std::erfc(lo) - std::erfc(hi));
  }
  return w;
}

SignalWindow gaussian_window(std::size_t bins, std::size_t centre, double width_bins) {
  if (bins == 0 || centre >= bins || !(width_bins > 0.0)) {
    throw core::InputError(
        "gaussian_window: centre bin " + std::to_string(centre) + " of " + std::to_string(bins) +
        " bins, width " + core::format_double(width_bins) + " (needs centre < bins and width > 0)");
  }
  const auto w = gaussian_bin_weights(width_bins);
  const std::size_t reach = w.size() - 1;
  SignalWindow window;
  window.first = centre > reach ? centre - reach : 0;
  const std::size_t last = std::min(bins - 1, centre + reach);
  double sum = 0.0;
  for (std::size_t i = window.first; i <= last; ++i) {
    const double v = w[i > centre ? i - centre : centre - i];
    window.values.push_back(v);
    sum += v;
  }
  for (double& v : window.values) v /= sum;
  return window;
}

std::vector<double> gaussian_template(std::size_t bins, std::size_t centre, double width_bins) {
  const auto window = gaussian_window(bins, centre, width_bins);
  std::vector<double> s(bins, 0.0);
  std::copy(window.values.begin(), window.values.end(),
            s.begin() + static_cast<std::ptrdiff_t>(window.first));
  return s;
}

double asimov_z_signed(const std::vector<double>& background, const std::vector<double>& signal,
                       double mu, std::size_t first) {
  double value = 0.0;
  double slope = 0.0;
  asimov_z2(background, signal, first, mu, value, slope);
  return std::copysign(std::sqrt(std::max(value, 0.0)), mu);
}

double asimov_yield(const std::vector<double>& background, const std::vector<double>& signal,
                    double z_want, std::size_t first) {
  if (!(z_want >= 0.0) || !std::isfinite(z_want)) {
    throw core::InputError("asimov_yield: Z_want = " + core::format_double(z_want) +
                           " must be finite and >= 0");
  }
  if (z_want == 0.0) return 0.0;
  double curvature = 0.0;  // Σ s²/b: Z_A ≈ μ √(Σ s²/b) for a small signal
  for (std::size_t k = 0; k < signal.size(); ++k) {
    curvature += signal[k] * signal[k] / background[first + k];
  }
  if (!(curvature > 0.0)) throw core::Error("asimov_yield: empty signal template (a bug)");
  const double target = z_want * z_want;
  // Z_A² <= μ² Σ s²/b, so the small-signal guess lies left of the root; Z_A² is convex and
  // increasing, so Newton's first step lands right of it and the rest fall monotonically.
  double mu = z_want / std::sqrt(curvature);
  double lo = mu;
  for (int iteration = 0; iteration < 200; ++iteration) {
    double value = 0.0;
    double slope = 0.0;
    asimov_z2(background, signal, first, mu, value, slope);
    const double f = value - target;
    if (f <= 0.0) lo = std::max(lo, mu);
    double next = mu - f / slope;
    if (!(next > lo)) next = 0.5 * (lo + mu);  // rounding only: stay inside the bracket
    if (std::fabs(next - mu) <= 1e-15 * mu) return next;
    mu = next;
  }
  throw core::Error("asimov_yield: no convergence for Z_want = " + core::format_double(z_want) +
                    " (a bug)");
}

HistogramGenerator::HistogramGenerator(HistogramGeneratorConfig config)
    : config_(std::move(config)) {
  config_.validate();
}

void inject_bump(const HistogramGeneratorConfig& config, std::uint64_t master_seed,
                 std::uint64_t index, GeneratedHistogram& h) {
  const std::size_t bins = h.background.size();
  core::RandomStream injection(
      core::stream_seed(master_seed, index, core::SeedPurpose::kBumpInjection));
  h.signal.assign(bins, 0.0);
  h.has_signal = injection.uniform() >= config.no_signal_fraction;
  if (h.has_signal) {
    h.signal_width = config.signal_widths[injection.below(config.signal_widths.size())];
    h.centre_bin = static_cast<int>(injection.below(bins));
    h.z_want = uniform_in(injection, config.z_range[0], config.z_range[1]);
    const auto window = gaussian_window(bins, static_cast<std::size_t>(h.centre_bin),
                                        static_cast<double>(h.signal_width));
    h.mu = asimov_yield(h.background, window.values, h.z_want, window.first);
    std::copy(window.values.begin(), window.values.end(),
              h.signal.begin() + static_cast<std::ptrdiff_t>(window.first));
  }

  core::RandomStream fluctuation(
      core::stream_seed(master_seed, index, core::SeedPurpose::kBumpFluctuation));
  h.counts.resize(bins);
  for (std::size_t i = 0; i < bins; ++i) {
    h.counts[i] = poisson_variate(fluctuation, h.background[i] + h.mu * h.signal[i]);
  }
}

GeneratedHistogram HistogramGenerator::generate(std::uint64_t master_seed,
                                                std::uint64_t index) const {
  const auto& c = config_;
  GeneratedHistogram h;
  h.seed = core::stream_seed(master_seed, index, core::SeedPurpose::kBumpShape);
  core::RandomStream shape_stream(h.seed);
  const auto bins = static_cast<std::size_t>(c.min_bins) +
                    shape_stream.below(static_cast<std::uint64_t>(c.max_bins) -
                                       static_cast<std::uint64_t>(c.min_bins) + 1U);
  h.binning =
      shape_stream.uniform() < c.variable_fraction ? BumpBinning::kVariable : BumpBinning::kUniform;
  const double range = log_uniform_in(shape_stream, c.mass_range[0], c.mass_range[1]);
  h.edges = h.binning == BumpBinning::kVariable ? variable_edges(bins, range)
                                                : uniform_edges(bins, range);
  auto& shape = h.shape;
  shape.family = c.families[shape_stream.below(c.families.size())];
  double a = 0.0;
  double b = 0.0;
  do {
    a = log_uniform_in(shape_stream, c.min_entries, c.max_entries);
    b = log_uniform_in(shape_stream, c.min_entries, c.max_entries);
  } while (a == b);
  shape.y_max = std::max(a, b);
  shape.y_min = std::min(a, b);
  if (shape.family == BumpFamily::kPowerFree) {
    shape.parameter = uniform_in(shape_stream, c.power_range[0], c.power_range[1]);
  } else if (shape.family == BumpFamily::kHalfCosh) {
    shape.parameter = uniform_in(shape_stream, c.cosh_range[0], c.cosh_range[1]);
  }
  if (shape.family == BumpFamily::kDijet) {
    // Place [1, range] × scale inside the fitted CMS range and draw θ1, θ3 around the fit.
    // Against a small drop between the end points, a steep (1 − x)^θ1 turns the solved power
    // law upwards somewhere; then θ1, θ3 are shrunk together by λ = 15/16, 14/16, ... until the
    // curve falls. The slope of ln y is linear in λ and negative at λ = 0 (a pure power law
    // through y_max > y_min), so the largest falling λ on that grid is found going down.
    const double room = DijetFit::kHighEdgeGev / (DijetFit::kLowEdgeGev * range);
    shape.mass_scale_gev = DijetFit::kLowEdgeGev * std::pow(room, shape_stream.uniform());
    const double theta1 =
        DijetFit::kTheta[1] + c.dijet_spread * DijetFit::kTheta1Error * shape_stream.normal();
    const double theta3 =
        DijetFit::kTheta[3] + c.dijet_spread * DijetFit::kTheta3Error * shape_stream.normal();
    for (int step = 16; step >= 0; --step) {
      const double lambda = step / 16.0;
      shape.dijet_theta1 = lambda * theta1;
      shape.dijet_theta3 = lambda * theta3;
      h.background = bump_background(shape, h.edges);
      if (falls(h.background)) break;
    }
  } else {
    if (shape_stream.uniform() < c.stretched_fraction) {
      shape.cut = uniform_in(shape_stream, c.min_cut, 1.0);
    }
    h.background = bump_background(shape, h.edges);
  }

  inject_bump(c, master_seed, index, h);
  return h;
}

}  // namespace cwola::stats
