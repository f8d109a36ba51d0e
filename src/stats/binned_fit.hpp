#pragma once
/// Binned Poisson likelihood fits of a background family (optionally plus a signal
/// of free or fixed yield) to a histogram: GSL's BFGS from several starting points,
/// a few Newton steps on the exact Hessian to finish, and the covariance from the
/// inverse Hessian. Non-convergence is a result (converged = false, with a reason),
/// never a silent wrong fit.
#include <cstdint>
#include <string>
#include <vector>

#include "stats/background_family.hpp"
#include "stats/histogram.hpp"

namespace cwola::stats {

struct FitOptions {
  int starts = 3;                 ///< starting points: least squares on ln n, the given start, random kicks
  std::size_t nodes_per_bin = 8;  ///< Gauss–Legendre nodes per bin for the bin integrals
  int max_iterations = 2000;      ///< BFGS iterations per start
  double edm_tolerance = 1e-4;    ///< estimated distance to minimum ½ gᵀH⁻¹g (in ln L) to accept
  std::uint64_t seed = 12345;     ///< seed of the random kicks between starts
  void validate() const;
};

struct FitResult {
  bool converged = false;
  std::string failure_reason;     ///< empty when converged
  std::string family;             ///< "dijet4"
  int n_params = 0;               ///< background parameters (normalisation included)
  std::vector<double> theta;      ///< {ln p0, p1, ...}: ln(dN/dm) = Σ θ_k φ_k(x)
  /// Covariance of (θ..., signal yield) from the inverse Hessian of −ln L,
  /// row-major [(n_params + has_signal)²].
  std::vector<double> covariance;
  bool has_signal = false;
  double signal_yield = 0.0;        ///< events (free in sign) or the fixed value
  double signal_yield_error = 0.0;  ///< √ of its variance (0 when fixed)
  /// Free yield held on the physical boundary: no interior minimum, −ln L falls until an empty
  /// bin's expectation b_a + μ s_a reaches 0 (a deficit). The fit is that constrained
  /// minimum (μ = −b_a/s_a following the background); signal_yield_error is propagated from θ.
  bool at_boundary = false;
  /// −ln L + ln L_saturated = Σ λ − n + n ln(n/λ) (half the deviance).
  double half_deviance = 0.0;
  double edm = 0.0;
  int starts_used = 0;
  int starts_agreeing = 0;  ///< starts that reached the best minimum within 1e-3 in ln L
  std::vector<double> background;  ///< fitted background events per bin
};

/// χ² of a fit over all bins or over merged groups (>= min_count observed events).
struct GoodnessOfFit {
  double pearson_chi2 = 0.0;  ///< Σ (N − Λ)²/Λ
  double deviance = 0.0;      ///< 2 Σ [Λ − N + N ln(N/Λ)] (empty groups contribute 2Λ)
  int groups = 0;             ///< bins (or merged groups) used
  int ndf = 0;                ///< groups − fitted parameters
};
GoodnessOfFit goodness_of_fit(const std::vector<double>& counts, const std::vector<double>& expected,
                              int fitted_parameters, double min_count);

/// Fits one family to one binning; `set_counts` swaps the data (toys) keeping the
/// precomputed quadrature and parametrisation.
class BinnedFitter {
 public:
  BinnedFitter(const Histogram& histogram, const BackgroundFamily& family,
               const FitOptions& options = {});
  const Histogram& histogram() const { return histogram_; }
  const BackgroundFamily& family() const { return family_; }
  /// Same binning, new counts (validated: finite, >= 0, same length).
  void set_counts(const std::vector<double>& counts);

  /// Background-only fit; `start` (θ of an earlier fit, e.g. the nested family padded
  /// with 0) is tried first when given.
  FitResult fit_background(const std::vector<double>& start = {}) const;
  /// Background + μ·signal with μ free in sign; `signal` = fractions per bin.
  FitResult fit_signal(const std::vector<double>& signal, const std::vector<double>& start = {}) const;
  /// Background + fixed_yield·signal (background profiled): conditional fit for limits.
  FitResult fit_fixed_signal(const std::vector<double>& signal, double fixed_yield,
                             const std::vector<double>& start = {}) const;

  /// Fractional 1σ uncertainty of the fitted density at `mass_gev`:
  /// √(φᵀ C φ) (the uncertainty of ln f).
  double fractional_uncertainty(const FitResult& fit, double mass_gev) const;

 private:
  enum class SignalMode { kNone, kFree, kFixed };
  FitResult fit(SignalMode mode, const std::vector<double>& signal, double fixed_yield,
                const std::vector<double>& start) const;

  Histogram histogram_;
  BackgroundFamily family_;
  FitOptions options_;
  BinQuadrature quadrature_;
  std::vector<double> transform_;  ///< T [P×P], θ = T u (u: well-conditioned internal parameters)
  std::vector<double> psi_;        ///< Tᵀφ at every node [bins × nodes × P]
  std::vector<double> least_squares_u_;  ///< start from a weighted fit of ln(n/width)
};

}  // namespace cwola::stats
