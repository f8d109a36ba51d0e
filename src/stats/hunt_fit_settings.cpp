#include "stats/hunt_fit_settings.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::stats {

void HuntFitSettings::validate(const std::string& prefix) const {
  for (const double e : efficiencies) {
    if (!(e > 0 && e <= 1)) {
      throw core::InputError(prefix + "efficiencies", "efficiencies", core::format_double(e),
                             "a sideband efficiency must be in (0, 1]");
    }
  }
  if (bins < 4) {
    throw core::InputError(prefix + "fit_bins", "fit_bins", std::to_string(bins),
                           "a spectrum fit needs at least 4 bins");
  }
  if (scan_points < 1) {
    throw core::InputError(prefix + "scan_points", "scan_points", std::to_string(scan_points),
                           "scan at least one signal mass");
  }
  if (!(signal_width > 0 && signal_width < 0.5)) {
    throw core::InputError(prefix + "signal_width", "signal_width",
                           core::format_double(signal_width),
                           "the Gaussian σ / mass must be in (0, 0.5)");
  }
  if (!(signal_mass >= 0) || !std::isfinite(signal_mass)) {
    throw core::InputError(prefix + "signal_mass", "signal_mass", core::format_double(signal_mass),
                           "must be a mass >= 0 GeV (0: none)");
  }
  if (max_params < 2 || max_params > 5) {
    throw core::InputError(prefix + "max_params", "max_params", std::to_string(max_params),
                           "the dijet function has 2 to 5 parameters");
  }
}

std::string HuntFitSettings::text() const {
  std::ostringstream out;
  out << "efficiencies = 1";
  for (const double e : efficiencies) out << ", " << core::format_double(e);
  out << "\nbins = " << bins << "\nscan_points = " << scan_points
      << "\nsignal_width = " << core::format_double(signal_width) << "\nmax_params = " << max_params
      << "\nsignal_mass = " << core::format_double(signal_mass)
      << "\nfamily = dijet\nsignal = gaussian\nlimit = asymptotic CLs, 95 % CL\n";
  return out.str();
}

}  // namespace cwola::stats
