#pragma once
/// Upper limits on a signal yield (events) at confidence level 1 − α (default 95 %):
///  - exact CLs for one counting bin (Poisson sums; n = 0, b → 0 gives −ln 0.05 = 3.00);
///  - asymptotic CLs with the profiled q̃_μ (Cowan, Cranmer, Gross, Vitells, EPJC 71
///    (2011) 1554), the background refitted at every μ, with ±1σ/±2σ expected bands
///    from the background-only Asimov data set;
///  - toy CLs with q̃_μ and the background held at its fit (its uncertainty ignored;
///    use it where the asymptotic formulae fail: few events).
#include <cstdint>
#include <string>
#include <vector>

#include "stats/binned_fit.hpp"

namespace cwola::stats {

/// CLs = P(n ≤ n_obs | s + b) / P(n ≤ n_obs | b) solved for s at CLs = alpha.
double counting_cls_limit(double n_obs, double background, double alpha = 0.05);

/// CLs from q̃_μ and its Asimov value q_μ,A (Cowan et al. eqs. 65–66 with the
/// p_b of the same hypotheses): CLs = p_μ / (1 − p_b).
double asymptotic_cls(double q_tilde, double q_asimov);

struct LimitResult {
  bool ok = false;
  std::string failure;
  double observed = 0.0;  ///< events
  /// Expected limits at −2σ, −1σ, median, +1σ, +2σ (events).
  double expected[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
};

/// Asymptotic CLs limit on the yield of `signal` (bin fractions) in the data of
/// `fitter`, with `background_fit` its background-only fit.
LimitResult asymptotic_cls_limit(const BinnedFitter& fitter, const FitResult& background_fit,
                                 const std::vector<double>& signal, double alpha = 0.05);

/// q̃_μ with the background fixed (μ̂ bounded below by 0 in the sense of Cowan's q̃).
double fixed_background_q_tilde(const std::vector<double>& counts,
                                const std::vector<double>& background,
                                const std::vector<double>& signal, double mu);

/// Toy CLs with fixed background: CL_{s+b} and CL_b from `toys` pseudo-data sets
/// (seeded from (seed, toy id)), shared between hypotheses; the limit by bisection.
LimitResult toy_cls_limit(const std::vector<double>& counts, const std::vector<double>& background,
                          const std::vector<double>& signal, int toys, std::uint64_t seed,
                          double alpha = 0.05);

}  // namespace cwola::stats
