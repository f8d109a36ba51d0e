#pragma once
/// Choosing the number of background parameters with Fisher's F-test, the CMS/CASE
/// rule: fit 2, 3, 4, 5 parameters; compare each candidate with the current best;
/// switch when p < alpha and the candidate's fractional uncertainty at the signal
/// mass is below max_fractional_uncertainty.
///   F = ((χ²_best − χ²_cand)/(p_cand − p_best)) / (χ²_cand/(N − p_cand)),
///   p = 1 − F_cdf(F; p_cand − p_best, N − p_cand),
/// with χ² by default the deviance 2Σ[λ − n + n ln(n/λ)] (the likelihood-ratio χ² of
/// the fit itself: it can only fall when a nested parameter is added, so F >= 0)
/// over N groups (every bin, empty ones included, or bins merged to >= min_count
/// events); Pearson's χ² as an option. p counts every parameter, normalisation
/// included (CASE counts shape parameters only: its ndf is ours + 1).
#include <string>
#include <vector>

#include "stats/binned_fit.hpp"

namespace cwola::stats {

enum class FtestChi2 { kPearson, kDeviance };

struct FtestOptions {
  FamilyKind kind = FamilyKind::kDijet;
  double sqrt_s_gev = 13000.0;
  int min_params = 2;
  int max_params = 5;
  double alpha = 0.05;
  double max_fractional_uncertainty = 0.5;
  double signal_mass_gev = 0.0;  ///< where the fractional uncertainty is taken (0: geometric mid-range)
  double min_count = 0.0;        ///< merge bins to >= min_count events for χ² (0: every bin)
  FtestChi2 chi2 = FtestChi2::kDeviance;
  void validate() const;
};

struct FtestRow {
  int n_params = 0;
  FitResult fit;
  GoodnessOfFit goodness;
  double chi2 = 0.0;          ///< the χ² the test uses (Pearson or deviance)
  int compared_with = 0;      ///< parameters of the best when this row was tested (0: first)
  double f_statistic = 0.0;   ///< NaN for the first row or a failed fit
  double p_value = 0.0;       ///< NaN likewise
  double fractional_uncertainty = 0.0;  ///< at the signal mass
  bool accepted = false;      ///< became the new best
  std::string note;           ///< why (not) accepted
};

struct FtestResult {
  std::vector<FtestRow> rows;
  int chosen_params = 0;     ///< 0 when no fit converged
  std::size_t chosen_row = 0;
  double signal_mass_gev = 0.0;
};

/// Fits every candidate (each started from the previous fit padded with 0) and
/// applies the rule. Non-converged candidates stay in the table, never chosen.
FtestResult run_ftest(const Histogram& histogram, const FtestOptions& options,
                      const FitOptions& fit_options = {});

/// The table as text: params, χ² (Pearson, deviance), ndf, F, p, frac. unc., decision.
std::string format_ftest_table(const FtestResult& result);

/// p = 1 − F_cdf(f; d1, d2) (Boost.Math).
double f_test_p_value(double f, int d1, int d2);

}  // namespace cwola::stats
