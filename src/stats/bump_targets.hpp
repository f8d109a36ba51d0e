#pragma once
/// The bump-hunt network's targets (docs/bump_hunt_network.md): for each bin j, the signal
/// template centred on j (histogram_generator.hpp, gaussian_window) is fitted to the observed
/// counts over the true, unfluctuated background b:
///   NLL(μ) = Σ_i [(b_i + μ s_i) − n_i ln(b_i + μ s_i)],  μ free in sign,
///   q0 = 2(NLL(0) − NLL(μ̂)),  z_j = sign(μ̂) √|q0|.
/// The fixed-width targets use W = 1..4 bins; the mixed-width target is the maximum over the
/// widths per bin (the thesis's "maximise the likelihood also in the width").
#include <cstddef>
#include <vector>

namespace cwola::stats {

/// The one-parameter fit of a yield μ over a fixed background.
struct YieldFit {
  double mu_hat = 0.0;  ///< entries
  double q0 = 0.0;      ///< 2(NLL(0) − NLL(μ̂)) >= 0
  double z = 0.0;       ///< sign(μ̂) √q0
  /// μ̂ is the lower bound −min_i(b_i/s_i)(1 − ε): the likelihood still rises towards it
  /// (a deficit in bins whose counts are 0).
  bool at_boundary = false;
  int iterations = 0;
};

/// ε of the lower bound of μ: b_i + μ s_i >= ε b_i > 0 in every bin.
inline constexpr double kYieldBoundEpsilon = 1e-9;

/// Fits μ for counts n, background b (> 0) and signal s (>= 0, not all 0), each of `length`
/// values (pointers into larger arrays, so the targets fit windows without copies).
/// NLL is convex in μ: safeguarded Newton inside a bracket that only shrinks (bisection when
/// a step leaves it), from the least-squares start Σ s(n − b)/Σ s²; converged when the Newton
/// step is below 1e-9 standard errors of μ (1/√(d²NLL/dμ²)) or the score is 0.
YieldFit fit_yield(const double* counts, const double* background, const double* signal,
                   std::size_t length);

/// Targets of one histogram: z per bin for each width and the mixed-width maximum.
struct BumpTargets {
  std::vector<int> widths;             ///< W (bins) of the rows of z
  std::vector<std::vector<double>> z;  ///< [width][bin], sign(μ̂)√q0
  std::vector<double> mixed;           ///< [bin] max over widths
};

/// All targets of a histogram. InputError (naming the bin and value) unless counts and
/// background have the same length >= 2, counts are finite and >= 0, background finite and
/// > 0, and widths are >= 1.
BumpTargets compute_bump_targets(const std::vector<double>& counts,
                                 const std::vector<double>& background,
                                 const std::vector<int>& widths = {1, 2, 3, 4});

}  // namespace cwola::stats
