#include "stats/limits.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "stats/significance.hpp"
#include "stats/toys.hpp"

namespace cwola::stats {

namespace {
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double normal_quantile(double p) {
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

/// Root of a decreasing function f(μ) − target on (0, ∞): bracket by doubling, TOMS 748.
template <class F>
double solve_decreasing(F f, double start) {
  double low = 0.0;
  double f_low = f(low);
  // Already at or below the target at μ = 0 (e.g. a conditional fit that ends on a boundary).
  if (!(f_low > 0.0)) return low;
  double high = std::max(start, 1e-9);
  double f_high = f(high);
  int doublings = 0;
  while (f_high > 0.0) {
    low = high;
    f_low = f_high;
    high *= 2.0;
    f_high = f(high);
    if (++doublings > 200) throw core::Error("limit: no crossing found");
  }
  if (f_high == 0.0) return high;
  boost::uintmax_t iterations = 100;
  const auto root = boost::math::tools::toms748_solve(
      f, low, high, f_low, f_high, boost::math::tools::eps_tolerance<double>(30), iterations);
  return 0.5 * (root.first + root.second);
}
}  // namespace

double counting_cls_limit(double n_obs, double background, double alpha) {
  if (n_obs < 0.0 || background < 0.0 || !(alpha > 0.0 && alpha < 1.0)) {
    throw core::InputError("limit", "n_obs/background/alpha",
                           std::to_string(n_obs) + "/" + std::to_string(background),
                           "need n >= 0, b >= 0 and 0 < alpha < 1");
  }
  const double k = std::floor(n_obs);
  // P(N <= k | λ) = Q(k + 1, λ), the regularised upper incomplete gamma.
  const double cl_b = boost::math::gamma_q(k + 1.0, background);
  auto f = [&](double s) { return boost::math::gamma_q(k + 1.0, s + background) / cl_b - alpha; };
  return solve_decreasing(f, std::max(1.0, k + 1.0));
}

double asymptotic_cls(double q_tilde, double q_asimov) {
  q_tilde = std::max(q_tilde, 0.0);
  q_asimov = std::max(q_asimov, 1e-300);
  const double sq = std::sqrt(q_tilde);
  const double sqa = std::sqrt(q_asimov);
  double p_mu = 0.0;
  double one_minus_pb = 0.0;
  if (q_tilde <= q_asimov) {
    p_mu = 1.0 - normal_cdf(sq);
    one_minus_pb = normal_cdf(sqa - sq);
  } else {
    p_mu = 1.0 - normal_cdf((q_tilde + q_asimov) / (2.0 * sqa));
    one_minus_pb = normal_cdf((q_asimov - q_tilde) / (2.0 * sqa));
  }
  return one_minus_pb > 0.0 ? p_mu / one_minus_pb : 0.0;
}

LimitResult asymptotic_cls_limit(const BinnedFitter& fitter, const FitResult& background_fit,
                                 const std::vector<double>& signal, double alpha) {
  LimitResult result;
  if (!background_fit.converged) {
    result.failure = "background-only fit failed: " + background_fit.failure_reason;
    return result;
  }
  const FitResult free_fit = fitter.fit_signal(signal, background_fit.theta);
  if (!free_fit.converged) {
    result.failure = "signal+background fit failed: " + free_fit.failure_reason;
    return result;
  }
  BinnedFitter asimov = fitter;
  asimov.set_counts(background_fit.background);
  const FitResult asimov_fit = asimov.fit_background(background_fit.theta);
  if (!asimov_fit.converged) {
    result.failure = "background-only fit of the Asimov data failed: " + asimov_fit.failure_reason;
    return result;
  }
  std::string failure;
  auto conditional = [&](const BinnedFitter& f, double mu, const std::vector<double>& theta) {
    const FitResult fit = f.fit_fixed_signal(signal, mu, theta);
    if (!fit.converged && failure.empty()) failure = fit.failure_reason;
    return fit.half_deviance;
  };
  auto q_asimov = [&](double mu) {
    return std::max(0.0, 2.0 * (conditional(asimov, mu, background_fit.theta) -
                                asimov_fit.half_deviance));
  };
  const double mu_hat = free_fit.signal_yield;
  auto q_tilde = [&](double mu) {
    if (mu_hat > mu) return 0.0;
    const double reference = mu_hat < 0.0 ? background_fit.half_deviance : free_fit.half_deviance;
    return std::max(0.0, 2.0 * (conditional(fitter, mu, background_fit.theta) - reference));
  };
  const double scale = std::max(free_fit.signal_yield_error, 1e-6);
  try {
    result.observed = solve_decreasing(
        [&](double mu) { return asymptotic_cls(q_tilde(mu), q_asimov(mu)) - alpha; },
        std::max(mu_hat, 0.0) + 2.0 * scale);
    // σ of μ̂ under the background-only hypothesis: σ² = μ²/q_μ,A, taken at the median.
    double sigma = scale;
    for (int iteration = 0; iteration < 3; ++iteration) {
      const double mu = sigma * normal_quantile(1.0 - 0.5 * alpha);
      sigma = mu / std::sqrt(std::max(q_asimov(mu), 1e-300));
    }
    const int bands[5] = {-2, -1, 0, 1, 2};
    for (int b = 0; b < 5; ++b) {
      const double n = bands[b];
      result.expected[b] = sigma * (normal_quantile(1.0 - alpha * normal_cdf(n)) + n);
    }
  } catch (const std::exception& e) {  // core::Error, or Boost.Math's evaluation errors
    result.failure = e.what();
    return result;
  }
  if (!failure.empty()) {
    result.failure = "a conditional fit failed: " + failure;
    return result;
  }
  result.ok = true;
  return result;
}

double fixed_background_q_tilde(const std::vector<double>& counts,
                                const std::vector<double>& background,
                                const std::vector<double>& signal, double mu) {
  double mu_hat = 0.0;
  fixed_background_q0(counts, background, signal, &mu_hat);
  if (mu_hat > mu) return 0.0;
  auto log_l = [&](double m) {
    double sum = 0.0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const double lambda = background[i] + m * signal[i];
      if (lambda <= 0.0) continue;  // only reached at μ̂'s boundary, where those bins are empty
      sum += (counts[i] > 0.0 ? counts[i] * std::log(lambda) : 0.0) - lambda;
    }
    return sum;
  };
  const double reference = mu_hat < 0.0 ? log_l(0.0) : log_l(mu_hat);
  return std::max(0.0, 2.0 * (reference - log_l(mu)));
}

LimitResult toy_cls_limit(const std::vector<double>& counts, const std::vector<double>& background,
                          const std::vector<double>& signal, int toys, std::uint64_t seed,
                          double alpha) {
  LimitResult result;
  if (toys < 10) throw core::InputError("toy CLs", "toys", std::to_string(toys), "need >= 10 toys");
  const std::size_t nb = counts.size();
  std::vector<double> uniforms(static_cast<std::size_t>(toys) * nb);
  for (int t = 0; t < toys; ++t) {
    core::RandomStream stream(toy_seed(seed, static_cast<std::uint64_t>(t)));
    for (std::size_t i = 0; i < nb; ++i) uniforms[static_cast<std::size_t>(t) * nb + i] = stream.uniform();
  }
  auto cls = [&](double mu) {
    const double q_obs = fixed_background_q_tilde(counts, background, signal, mu);
    std::size_t sb = 0;
    std::size_t b_only = 0;
    std::vector<double> n(nb);
    for (int t = 0; t < toys; ++t) {
      const double* u = &uniforms[static_cast<std::size_t>(t) * nb];
      for (std::size_t i = 0; i < nb; ++i) n[i] = poisson_inverse(u[i], background[i] + mu * signal[i]);
      if (fixed_background_q_tilde(n, background, signal, mu) >= q_obs) ++sb;
      for (std::size_t i = 0; i < nb; ++i) n[i] = poisson_inverse(u[i], background[i]);
      if (fixed_background_q_tilde(n, background, signal, mu) >= q_obs) ++b_only;
    }
    return b_only > 0 ? static_cast<double>(sb) / static_cast<double>(b_only) : 0.0;
  };
  // Bisection: the toy CLs is a step function of μ, so no interpolating root finder.
  double low = 0.0;
  double high = 1.0;
  double s_total = 0.0;
  for (double s : signal) s_total += s;
  for (std::size_t i = 0; i < nb; ++i) high = std::max(high, (counts[i] + 3.0 * std::sqrt(background[i] + 1.0)) / std::max(s_total, 1e-12));
  int doublings = 0;
  while (cls(high) > alpha) {
    low = high;
    high *= 2.0;
    if (++doublings > 60) {
      result.failure = "toy CLs never fell below alpha";
      return result;
    }
  }
  for (int iteration = 0; iteration < 30 && (high - low) > 1e-3 * high; ++iteration) {
    const double mid = 0.5 * (low + high);
    if (cls(mid) > alpha) {
      low = mid;
    } else {
      high = mid;
    }
  }
  result.observed = 0.5 * (low + high);
  result.ok = true;
  return result;
}

}  // namespace cwola::stats
