#pragma once
/// Summary statistics over the repeats of a study (e.g. the AUC of 10 trainings).
/// The seeds quote mean +- std; other groups quote the median with 16/84% quantiles, so
/// both are kept.
#include <cstddef>
#include <string>
#include <vector>

#include "core/error.hpp"

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

/// An ensemble's output: element by element the mean of its members' outputs (scores per
/// event, z per bin), summed in double and stored as T. Every ensemble averages through this.
/// core::Error (a bug in the caller) when members differ in length; `what` names the elements.
template <typename T>
std::vector<T> member_mean(const std::vector<std::vector<T>>& members, const std::string& what) {
  if (members.empty()) return {};
  std::vector<double> sum(members.front().size(), 0.0);
  for (const auto& member : members) {
    if (member.size() != sum.size()) {
      throw core::Error("ensemble members give " + std::to_string(member.size()) + " and " +
                        std::to_string(sum.size()) + " " + what + " (they must cover the same)");
    }
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += member[i];
  }
  std::vector<T> mean(sum.size());
  const auto n = static_cast<double>(members.size());
  for (std::size_t i = 0; i < sum.size(); ++i) mean[i] = static_cast<T>(sum[i] / n);
  return mean;
}

}  // namespace cwola::metrics
