#include "stats/ftest.hpp"

#include <boost/math/distributions/fisher_f.hpp>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::stats {

void FtestOptions::validate() const {
  if (min_params < 2 || max_params > 5 || min_params > max_params) {
    throw core::InputError("F-test", "parameters",
                           std::to_string(min_params) + ".." + std::to_string(max_params),
                           "candidates must lie within 2..5 parameters");
  }
  if (!(alpha > 0.0 && alpha < 1.0)) {
    throw core::InputError("F-test", "alpha", core::format_double(alpha), "must lie in (0, 1)");
  }
  if (!(max_fractional_uncertainty > 0.0)) {
    throw core::InputError("F-test", "max_fractional_uncertainty",
                           core::format_double(max_fractional_uncertainty), "must be > 0");
  }
}

double f_test_p_value(double f, int d1, int d2) {
  if (!(d1 > 0 && d2 > 0) || !std::isfinite(f)) return std::numeric_limits<double>::quiet_NaN();
  if (f <= 0.0) return 1.0;
  const boost::math::fisher_f_distribution<double> distribution(d1, d2);
  return boost::math::cdf(boost::math::complement(distribution, f));
}

FtestResult run_ftest(const Histogram& histogram, const FtestOptions& options,
                      const FitOptions& fit_options) {
  options.validate();
  FtestResult result;
  result.signal_mass_gev = options.signal_mass_gev > 0.0
                               ? options.signal_mass_gev
                               : std::sqrt(histogram.edges.front() * histogram.edges.back());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> previous_theta;
  int best = -1;
  for (int p = options.min_params; p <= options.max_params; ++p) {
    BackgroundFamily family{options.kind, p, options.sqrt_s_gev};
    BinnedFitter fitter(histogram, family, fit_options);
    FtestRow row;
    row.n_params = p;
    std::vector<double> start = previous_theta;
    if (!start.empty()) start.push_back(0.0);  // the nested fit is this family with p_new = 0
    row.fit = fitter.fit_background(start);
    row.goodness = goodness_of_fit(histogram.counts, row.fit.background, p, options.min_count);
    row.chi2 = options.chi2 == FtestChi2::kPearson ? row.goodness.pearson_chi2 : row.goodness.deviance;
    row.fractional_uncertainty =
        row.fit.converged ? fitter.fractional_uncertainty(row.fit, result.signal_mass_gev) : nan;
    row.f_statistic = nan;
    row.p_value = nan;
    if (row.fit.converged) previous_theta = row.fit.theta;
    if (!row.fit.converged) {
      row.note = "fit failed: " + row.fit.failure_reason;
    } else if (row.goodness.ndf <= 0) {
      row.note = "no degrees of freedom left";
    } else if (best < 0) {
      row.accepted = true;
      row.note = "first converged fit";
    } else {
      const FtestRow& current = result.rows[static_cast<std::size_t>(best)];
      row.compared_with = current.n_params;
      const int d1 = p - current.n_params;
      const int d2 = row.goodness.groups - p;
      row.f_statistic = ((current.chi2 - row.chi2) / d1) / (row.chi2 / d2);
      row.p_value = f_test_p_value(row.f_statistic, d1, d2);
      const bool significant = row.p_value < options.alpha;
      const bool precise = row.fractional_uncertainty < options.max_fractional_uncertainty;
      row.accepted = significant && precise;
      if (row.accepted) {
        row.note = "better than " + std::to_string(current.n_params) + " parameters";
      } else if (!significant) {
        row.note = "no significant improvement";
      } else {
        row.note = "improves but uncertainty at the signal mass >= " +
                   core::format_double(options.max_fractional_uncertainty);
      }
    }
    result.rows.push_back(row);
    if (row.accepted) best = static_cast<int>(result.rows.size()) - 1;
  }
  if (best >= 0) {
    result.chosen_row = static_cast<std::size_t>(best);
    result.chosen_params = result.rows[result.chosen_row].n_params;
  }
  return result;
}

std::string format_ftest_table(const FtestResult& result) {
  std::ostringstream out;
  out << std::setw(8) << "family" << std::setw(12) << "pearson" << std::setw(12) << "deviance"
      << std::setw(5) << "ndf" << std::setw(6) << "vs" << std::setw(10) << "F" << std::setw(11)
      << "p" << std::setw(10) << "frac.unc" << "  decision\n";
  for (const auto& row : result.rows) {
    out << std::setw(8) << row.fit.family << std::fixed << std::setprecision(2) << std::setw(12)
        << row.goodness.pearson_chi2 << std::setw(12) << row.goodness.deviance << std::setw(5)
        << row.goodness.ndf << std::setw(6)
        << (row.compared_with > 0 ? std::to_string(row.compared_with) : "-") << std::setw(10)
        << std::defaultfloat << std::setprecision(4) << row.f_statistic << std::scientific << std::setprecision(2)
        << std::setw(11) << row.p_value << std::fixed << std::setprecision(3) << std::setw(10)
        << row.fractional_uncertainty << "  " << (row.accepted ? "switch: " : "keep: ") << row.note
        << "\n";
  }
  out << "chosen: " << result.chosen_params << " parameters (signal mass for the uncertainty "
      << std::setprecision(0) << result.signal_mass_gev << " GeV)\n";
  return out.str();
}

}  // namespace cwola::stats
