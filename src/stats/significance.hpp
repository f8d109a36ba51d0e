#pragma once
/// Local significance of a bump: z = sign(μ̂)·√q0 with q0 = 2[ln L(μ̂) − ln L(0)] and
/// the signal yield μ free in sign (signed z is stored; the one-sided discovery
/// significance is max(z, 0)). Fixed-background forms (the closed-form checks and
/// the Asimov significance) and the profiled form (background refitted) are here.
#include <string>
#include <vector>

#include "stats/binned_fit.hpp"
#include "stats/signal_shape.hpp"

namespace cwola::stats {

/// Likelihood-ratio test of μ = 0 with the background b fixed: μ̂ maximises
/// Π Pois(n_i | b_i + μ s_i) over all μ with every b_i + μ s_i >= 0 (Boost.Math
/// TOMS 748 on the score). Returns q0 >= 0; `mu_hat` gets μ̂.
double fixed_background_q0(const std::vector<double>& counts, const std::vector<double>& background,
                           const std::vector<double>& signal, double* mu_hat = nullptr);
/// sign(μ̂) √q0 of fixed_background_q0.
double fixed_background_z(const std::vector<double>& counts, const std::vector<double>& background,
                          const std::vector<double>& signal);
/// Closed form for one bin: sgn(n − b) √(2[n ln(n/b) − (n − b)]); −√(2b) at n = 0.
double single_bin_z(double n, double b);
/// Asimov (median expected) significance of `yield`·s over a known b: the
/// likelihood-ratio z of the data n = b + yield·s.
double asimov_z(const std::vector<double>& background, const std::vector<double>& signal,
                double yield);
/// Closed form Asimov z = √(2 Σ[(b + μs) ln(1 + μs/b) − μs]).
double asimov_z_closed_form(const std::vector<double>& background,
                            const std::vector<double>& signal, double yield);

/// One hypothesis of the scan: a signal shape at a mass.
struct ScanPoint {
  double mass_gev = 0.0;
  double sigma_gev = 0.0;
};

/// Profiled local significance at every scan point.
struct LocalScan {
  std::vector<ScanPoint> points;
  std::vector<double> yield;        ///< μ̂ (events)
  std::vector<double> yield_error;  ///< from the Hessian
  std::vector<double> q0;           ///< 2[ln L(μ̂) − ln L(0)] >= 0
  std::vector<double> z_signed;     ///< sign(μ̂)√q0
  std::vector<double> p_local;      ///< one-sided 1 − Φ(z)
  std::vector<std::string> failure; ///< empty when both fits converged
};

/// The signal shape at a scan point (Gaussian/Crystal Ball placed at the point;
/// a template is used as given).
SignalShape shape_at(const SignalShape& prototype, const ScanPoint& point);

/// Signal+background fits at every point against `background_fit` (the
/// background-only fit of the fitter's current counts).
LocalScan scan_local_significance(const BinnedFitter& fitter, const FitResult& background_fit,
                                  const SignalShape& prototype,
                                  const std::vector<ScanPoint>& points);

/// One-sided p-value 1 − Φ(z) and its inverse.
double p_from_z(double z);
double z_from_p(double p);

}  // namespace cwola::stats
