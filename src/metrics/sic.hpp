#pragma once
/// The significance improvement characteristic SIC = eps_s / sqrt(eps_b) over a whole ROC:
/// its exact maximum above a stated floor on eps_b, and its mean over a band of eps_s.
///
/// SIC grows without bound as eps_b -> 0 on a finite test set (a cut that keeps one signal
/// and no background event has infinite SIC), so its maximum is only meaningful above a
/// floor. Two conventions are in use (docs/metrics.md):
///  - a fixed minimum eps_b (e.g. 1e-3);
///  - a minimum number of test background events passing the cut, from a tolerated relative
///    statistical error r on that number: N_b >= 1/r^2, i.e. eps_b >= 1/(r^2 N_bkg,test).
///    r = 0.4 (6.25 events) is CATHODE's, r = 0.2 (25 events) the tree-based study's.
#include <cstdint>

#include "metrics/roc.hpp"

namespace cwola::metrics {

/// How the floor on eps_b of the maximum SIC is set.
enum class SicFloorRule {
  kBackgroundEfficiency,  ///< a fixed minimum eps_b
  kRelativeError,         ///< eps_b >= 1 / (r^2 N_bkg,test)
};

/// The floor of max_sic, as stated in [metrics] (sic_floor, sic_floor_relative_error,
/// sic_floor_background_efficiency).
struct SicFloor {
  SicFloorRule rule = SicFloorRule::kRelativeError;
  /// r: tolerated relative statistical error on the passing background count, in (0, 1].
  double relative_error = 0.2;
  /// The fixed minimum eps_b, in (0, 1].
  double background_efficiency = 1e-3;

  /// Throws InputError naming the value when a field is out of range.
  void validate() const;
  /// The minimum eps_b on a test set with `background_events` background events (> 0). May
  /// exceed 1 (too few events for the rule), in which case no SIC is quoted.
  double min_background_efficiency(std::uint64_t background_events) const;
};

/// The maximum of SIC over the ROC with eps_b >= floor, and where it is.
struct MaxSic {
  double sic = 0.0;                    ///< eps_s / sqrt(eps_b) there (NaN if floor > 1)
  double background_efficiency = 0.0;  ///< eps_b of the maximum
  double signal_efficiency = 0.0;      ///< eps_s of the maximum
};

/// Exact maximum of eps_s / sqrt(eps_b) over the piecewise-linear ROC (the randomised cuts
/// between its points included) restricted to eps_b >= min_background_efficiency (> 0).
/// On a segment eps_s = a + m eps_b (m >= 0) the SIC's derivative has the sign of
/// m eps_b - a: it falls then rises, so its maximum is at an end. The candidates are the ROC
/// points at or above the floor and the ROC at the floor itself. Ties go to the smallest
/// eps_b. A floor above 1 gives NaN everywhere. Throws InputError for a floor <= 0 or NaN,
/// or a malformed curve.
MaxSic max_sic(const RocCurve& roc, double min_background_efficiency);

/// Mean of SIC(eps_s) = eps_s / sqrt(eps_b(eps_s)) over eps_s in [lo, hi] (0 <= lo < hi <= 1),
/// with eps_b(eps_s) from background_efficiency_at. Integrated exactly segment by segment
/// (closed form, no cancellation), so it is the tree-based study's "SIC averaged over
/// eps_s in [0.18, 0.23]" without a sampling grid. +inf when eps_b = 0 over part of the band.
double mean_sic(const RocCurve& roc, double lo, double hi);

}  // namespace cwola::metrics
