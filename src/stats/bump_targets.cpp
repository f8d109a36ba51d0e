#include "stats/bump_targets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "core/text.hpp"
#include "stats/histogram_generator.hpp"

namespace cwola::stats {

namespace {

/// Score g = dNLL/dμ = Σ s − Σ n s/λ and curvature h = Σ n s²/λ² (λ = b + μs).
void score(const double* n, const double* b, const double* s, std::size_t length, double mu,
           double& g, double& h) {
  g = 0.0;
  h = 0.0;
  for (std::size_t i = 0; i < length; ++i) {
    if (s[i] == 0.0) continue;
    const double inverse = 1.0 / (b[i] + mu * s[i]);
    const double t = n[i] * s[i] * inverse;
    g += s[i] - t;
    h += t * s[i] * inverse;
  }
}
}  // namespace

YieldFit fit_yield(const double* counts, const double* background, const double* signal,
                   std::size_t length) {
  YieldFit fit;
  double ratio = std::numeric_limits<double>::infinity();  // min b/s over s > 0
  double s2 = 0.0;
  double projection = 0.0;
  for (std::size_t i = 0; i < length; ++i) {
    if (signal[i] > 0.0) ratio = std::min(ratio, background[i] / signal[i]);
    s2 += signal[i] * signal[i];
    projection += signal[i] * (counts[i] - background[i]);
  }
  if (!(s2 > 0.0)) throw core::Error("fit_yield: empty signal template (a bug in the caller)");
  const double mu_min = -ratio * (1.0 - kYieldBoundEpsilon);
  double g = 0.0;
  double h = 0.0;
  score(counts, background, signal, length, mu_min, g, h);
  double mu = mu_min;
  if (g >= 0.0) {
    // NLL rises from the bound on: the minimum is the bound itself (no counts where the
    // expectation would reach 0 first).
    fit.at_boundary = true;
  } else {
    double below = mu_min;                                   // g(below) < 0
    double above = std::numeric_limits<double>::infinity();  // g(above) > 0
    mu = projection / s2;
    if (!(mu > below)) mu = 0.5 * below;
    for (fit.iterations = 1; fit.iterations <= 200; ++fit.iterations) {
      score(counts, background, signal, length, mu, g, h);
      if (g == 0.0) break;
      if (g < 0.0) {
        below = mu;
      } else {
        above = mu;
      }
      // g is increasing and concave: Newton from below never passes the root; from above it
      // may leave the bracket, then bisect.
      // Converged when the step is below 1e-9 of the yield's standard error 1/√h: q0 then
      // changes by ~h δ² < 1e-18. (A relative tolerance on μ alone cannot be met near μ = 0
      // over large backgrounds, where rounding in g is larger than h·1e-13.)
      const double step = -g / h;
      if (std::fabs(step) * std::sqrt(h) <= 1e-9) {
        if (mu + step > below && mu + step < above) mu += step;
        break;
      }
      double next = mu + step;
      if (!(next > below && next < above)) next = 0.5 * (below + above);
      if (next == mu) break;  // the bracket is down to one representable value
      mu = next;
    }
    if (fit.iterations > 200) {
      throw core::Error("fit_yield: no convergence after 200 iterations at μ = " +
                        core::format_double(mu) + " (a bug: the NLL is convex)");
    }
  }
  double half_q0 = 0.0;  // NLL(0) − NLL(μ) = Σ [n ln(1 + μs/b) − μs]
  for (std::size_t i = 0; i < length; ++i) {
    const double x = mu * signal[i];
    half_q0 += counts[i] * std::log1p(x / background[i]) - x;
  }
  fit.mu_hat = mu;
  fit.q0 = std::max(2.0 * half_q0, 0.0);
  fit.z = std::copysign(std::sqrt(fit.q0), mu);
  return fit;
}

BumpTargets compute_bump_targets(const std::vector<double>& counts,
                                 const std::vector<double>& background,
                                 const std::vector<int>& widths) {
  const std::size_t n = counts.size();
  if (n < 2 || background.size() != n) {
    throw core::InputError("bump targets: " + std::to_string(n) + " counts and " +
                           std::to_string(background.size()) +
                           " background bins (need the same number, at least 2)");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!(counts[i] >= 0.0) || !std::isfinite(counts[i])) {
      throw core::InputError("bump targets: counts[" + std::to_string(i) + "] = " +
                             core::format_double(counts[i]) + " (counts must be finite and >= 0)");
    }
    if (!(background[i] > 0.0) || !std::isfinite(background[i])) {
      throw core::InputError("bump targets: background[" + std::to_string(i) +
                             "] = " + core::format_double(background[i]) +
                             " (the background must be finite and > 0)");
    }
  }
  if (widths.empty()) throw core::InputError("bump targets: no widths given (need at least one)");
  BumpTargets targets;
  targets.widths = widths;
  targets.mixed.assign(n, -std::numeric_limits<double>::infinity());
  std::vector<double> window;
  for (int width : widths) {
    if (width < 1) {
      throw core::InputError("bump targets: width " + std::to_string(width) +
                             " bins (must be >= 1)");
    }
    // The same weights and summation order as gaussian_window: identical templates.
    const auto w = gaussian_bin_weights(static_cast<double>(width));
    const std::size_t reach = w.size() - 1;
    std::vector<double> z(n);
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t first = j > reach ? j - reach : 0;
      const std::size_t last = std::min(n - 1, j + reach);
      window.clear();
      double sum = 0.0;
      for (std::size_t i = first; i <= last; ++i) {
        const double v = w[i > j ? i - j : j - i];
        window.push_back(v);
        sum += v;
      }
      for (double& v : window) v /= sum;
      z[j] =
          fit_yield(counts.data() + first, background.data() + first, window.data(), window.size())
              .z;
      targets.mixed[j] = std::max(targets.mixed[j], z[j]);
    }
    targets.z.push_back(std::move(z));
  }
  return targets;
}

}  // namespace cwola::stats
