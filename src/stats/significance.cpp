#include "stats/significance.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace cwola::stats {

namespace {
double log_likelihood(const std::vector<double>& n, const std::vector<double>& b,
                      const std::vector<double>& s, double mu) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const double lambda = b[i] + mu * s[i];
    if (lambda <= 0.0) {
      if (n[i] > 0.0) return -std::numeric_limits<double>::infinity();
      continue;
    }
    sum += (n[i] > 0.0 ? n[i] * std::log(lambda) : 0.0) - lambda;
  }
  return sum;
}
}  // namespace

double fixed_background_q0(const std::vector<double>& counts, const std::vector<double>& background,
                           const std::vector<double>& signal, double* mu_hat) {
  if (counts.size() != background.size() || counts.size() != signal.size()) {
    throw core::Error("fixed_background_q0: counts, background and signal differ in length");
  }
  // Lowest μ keeping every expectation >= 0.
  double mu_low = -std::numeric_limits<double>::infinity();
  double s_total = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (signal[i] > 0.0) mu_low = std::max(mu_low, -background[i] / signal[i]);
    s_total += signal[i];
  }
  if (!(s_total > 0.0)) throw core::Error("fixed_background_q0: the signal is empty");
  // Score dlnL/dμ = Σ s (n/λ − 1): decreasing in μ (ln L is concave).
  auto score = [&](double mu) {
    double d = 0.0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const double lambda = background[i] + mu * signal[i];
      d += signal[i] * ((counts[i] > 0.0 ? counts[i] / lambda : 0.0) - 1.0);
    }
    return d;
  };
  double best = 0.0;
  const double eps = 1e-12 * std::max(1.0, std::fabs(mu_low));
  if (score(mu_low + eps) <= 0.0) {
    best = mu_low;  // boundary: every signal bin with λ = 0 is empty
  } else {
    double high = std::max(1.0, 2.0 * std::fabs(mu_low));
    while (score(high) > 0.0) high *= 2.0;
    boost::uintmax_t iterations = 200;
    const auto root = boost::math::tools::toms748_solve(
        score, mu_low + eps, high, boost::math::tools::eps_tolerance<double>(50), iterations);
    best = 0.5 * (root.first + root.second);
  }
  if (mu_hat) *mu_hat = best;
  const double q0 = 2.0 * (log_likelihood(counts, background, signal, best) -
                           log_likelihood(counts, background, signal, 0.0));
  return std::max(q0, 0.0);
}

double fixed_background_z(const std::vector<double>& counts, const std::vector<double>& background,
                          const std::vector<double>& signal) {
  double mu = 0.0;
  const double q0 = fixed_background_q0(counts, background, signal, &mu);
  return (mu < 0.0 ? -1.0 : 1.0) * std::sqrt(q0);
}

double single_bin_z(double n, double b) {
  if (n == 0.0) return -std::sqrt(2.0 * b);
  const double q = 2.0 * (n * std::log(n / b) - (n - b));
  return (n >= b ? 1.0 : -1.0) * std::sqrt(std::max(q, 0.0));
}

double asimov_z(const std::vector<double>& background, const std::vector<double>& signal,
                double yield) {
  std::vector<double> n(background.size());
  for (std::size_t i = 0; i < n.size(); ++i) n[i] = background[i] + yield * signal[i];
  return fixed_background_z(n, background, signal);
}

double asimov_z_closed_form(const std::vector<double>& background,
                            const std::vector<double>& signal, double yield) {
  double sum = 0.0;
  for (std::size_t i = 0; i < background.size(); ++i) {
    const double s = yield * signal[i];
    sum += (background[i] + s) * std::log1p(s / background[i]) - s;
  }
  return std::sqrt(2.0 * sum);
}

double p_from_z(double z) {
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double z_from_p(double p) {
  const boost::math::normal_distribution<double> normal;
  return boost::math::quantile(boost::math::complement(normal, p));
}

SignalShape shape_at(const SignalShape& prototype, const ScanPoint& point) {
  SignalShape shape = prototype;
  if (shape.kind != ShapeKind::kTemplate) {
    shape.mass_gev = point.mass_gev;
    shape.sigma_gev = point.sigma_gev;
  }
  return shape;
}

LocalScan scan_local_significance(const BinnedFitter& fitter, const FitResult& background_fit,
                                  const SignalShape& prototype,
                                  const std::vector<ScanPoint>& points) {
  LocalScan scan;
  scan.points = points;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& point : points) {
    const auto signal = shape_at(prototype, point).bin_fractions(fitter.histogram().edges);
    FitResult fit;
    if (background_fit.converged) fit = fitter.fit_signal(signal, background_fit.theta);
    if (!background_fit.converged || !fit.converged) {
      scan.yield.push_back(nan);
      scan.yield_error.push_back(nan);
      scan.q0.push_back(nan);
      scan.z_signed.push_back(nan);
      scan.p_local.push_back(nan);
      scan.failure.push_back(!background_fit.converged
                                 ? "background-only fit failed: " + background_fit.failure_reason
                                 : "signal+background fit failed: " + fit.failure_reason);
      continue;
    }
    // The s+b fit nests the b-only one: a q0 < 0 is the b-only fit being the better
    // minimum of the two (within tolerance); count it as 0.
    const double q0 = std::max(0.0, 2.0 * (background_fit.half_deviance - fit.half_deviance));
    const double z = (fit.signal_yield < 0.0 ? -1.0 : 1.0) * std::sqrt(q0);
    scan.yield.push_back(fit.signal_yield);
    scan.yield_error.push_back(fit.signal_yield_error);
    scan.q0.push_back(q0);
    scan.z_signed.push_back(z);
    scan.p_local.push_back(p_from_z(z));
    scan.failure.emplace_back();
  }
  return scan;
}

}  // namespace cwola::stats
