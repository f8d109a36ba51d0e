#pragma once
/// Summary statistics over the repeats of a study (e.g. the AUC of 10 trainings).
/// The seeds quote mean +- std; other groups quote the median with 16/84% quantiles, so
/// both are kept.
#include <cstddef>
#include <vector>

namespace cwola::metrics {

/// Summary of the finite values of a sample; same units as the values.
struct Aggregate {
  double mean;    ///< arithmetic mean
  double std;     ///< population standard deviation (ddof = 0, numpy's np.std default)
  double median;  ///< 50% quantile
  double q16;     ///< 16% quantile
  double q84;     ///< 84% quantile
  std::size_t count;  ///< number of finite values used
};

/// Quantile q in [0, 1] of values sorted ascending, by linear interpolation between order
/// statistics (numpy's default "linear" method: position q (n-1)). Throws InputError for an
/// empty input or q outside [0, 1].
double quantile_of_sorted(const std::vector<double>& sorted_values, double q);

/// Aggregates the finite values only (NaN and +-inf, e.g. from failed repeats, are skipped
/// and not counted). Empty input (or no finite value) gives count 0 and NaN elsewhere.
Aggregate aggregate(const std::vector<double>& values);

}  // namespace cwola::metrics
