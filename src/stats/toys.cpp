#include "stats/toys.hpp"

#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>

#include "core/seed.hpp"

namespace cwola::stats {

std::uint64_t toy_seed(std::uint64_t master_seed, std::uint64_t toy_id) {
  return core::stream_seed(master_seed, toy_id, core::SeedPurpose::kPseudoExperiment);
}

double poisson_variate(core::RandomStream& stream, double lambda) {
  if (!(lambda > 0.0)) return 0.0;
  if (lambda < 10.0) {
    const double limit = std::exp(-lambda);
    double product = stream.uniform();
    double k = 0.0;
    while (product > limit) {
      product *= stream.uniform();
      k += 1.0;
    }
    return k;
  }
  // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random
  // variables", Insurance: Mathematics and Economics 12 (1993) 39.
  const double slam = std::sqrt(lambda);
  const double loglam = std::log(lambda);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = stream.uniform() - 0.5;
    const double v = stream.uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
        -lambda + k * loglam - std::lgamma(k + 1.0)) {
      return k;
    }
  }
}

double poisson_inverse(double u, double lambda) {
  if (!(lambda > 0.0)) return 0.0;
  // Start at the mode with the exact CDF (regularised upper gamma), walk to the quantile.
  double k = std::floor(lambda);
  double cdf = boost::math::gamma_q(k + 1.0, lambda);
  double pmf = std::exp(k * std::log(lambda) - lambda - std::lgamma(k + 1.0));
  if (cdf < u) {
    while (cdf < u && pmf > 0.0) {
      k += 1.0;
      pmf *= lambda / k;
      cdf += pmf;
    }
    return k;
  }
  while (k > 0.0 && cdf - pmf >= u) {
    cdf -= pmf;
    pmf *= k / lambda;
    k -= 1.0;
  }
  return k;
}

ToyResult run_background_toy(BinnedFitter& fitter, const std::vector<double>& background,
                             const std::vector<double>& nominal_theta, const SignalShape& prototype,
                             const std::vector<ScanPoint>& points, std::uint64_t seed) {
  core::RandomStream stream(seed);
  std::vector<double> counts(background.size());
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = poisson_variate(stream, background[i]);
  fitter.set_counts(counts);
  ToyResult toy;
  const FitResult fit = fitter.fit_background(nominal_theta);
  const LocalScan scan = scan_local_significance(fitter, fit, prototype, points);
  toy.z_signed = scan.z_signed;
  toy.z_max = -std::numeric_limits<double>::infinity();
  std::size_t failed = 0;
  for (std::size_t p = 0; p < points.size(); ++p) {
    if (!scan.failure[p].empty()) {
      if (toy.failure.empty()) toy.failure = scan.failure[p];
      ++failed;
      continue;
    }
    if (scan.z_signed[p] > toy.z_max) {
      toy.z_max = scan.z_signed[p];
      toy.arg_max = p;
    }
  }
  // A toy whose fits failed anywhere would understate z_max: it is a failed toy.
  toy.ok = failed == 0;
  if (!toy.ok) toy.z_max = std::numeric_limits<double>::quiet_NaN();
  return toy;
}

GlobalSignificance global_significance(double observed_z_max, const std::vector<double>& toy_z_max) {
  GlobalSignificance g;
  g.z_local = observed_z_max;
  g.p_local = p_from_z(observed_z_max);
  for (double z : toy_z_max) {
    if (std::isnan(z)) continue;
    ++g.toys;
    if (z >= observed_z_max) ++g.exceeding;
  }
  if (g.toys == 0) return g;
  const double n = static_cast<double>(g.toys);
  g.p_global = static_cast<double>(g.exceeding) / n;
  g.p_global_error = std::sqrt(std::max(g.p_global * (1.0 - g.p_global), 1.0 / n) / n);
  g.z_global = g.p_global <= 0.0   ? std::numeric_limits<double>::infinity()
               : g.p_global >= 1.0 ? -std::numeric_limits<double>::infinity()
                                   : z_from_p(g.p_global);
  g.trials_factor = g.p_global / g.p_local;
  return g;
}

}  // namespace cwola::stats
