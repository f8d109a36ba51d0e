#include "data/significance_mixing.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::data {

namespace {
void check(bool ok, const std::string& key, double value, const std::string& why) {
  if (!ok) throw core::InputError("significance mixing", key, core::format_double(value), why);
}

double asimov(double s, double b) { return std::sqrt(2.0 * ((s + b) * std::log1p(s / b) - s)); }

std::size_t rounded(double x) { return static_cast<std::size_t>(std::llround(x)); }
}  // namespace

void SignificanceMixingInput::validate() const {
  check(background_cross_section_fb > 0 && std::isfinite(background_cross_section_fb),
        "background_cross_section_fb", background_cross_section_fb, "σ_B must be > 0 fb");
  check(background_sr_efficiency > 0 && background_sr_efficiency <= 1, "background_sr_efficiency",
        background_sr_efficiency, "an efficiency must be in (0, 1]");
  check(background_sb_efficiency > 0 && background_sb_efficiency <= 1, "background_sb_efficiency",
        background_sb_efficiency, "an efficiency must be in (0, 1]");
  check(signal_sr_efficiency > 0 && signal_sr_efficiency <= 1, "signal_sr_efficiency",
        signal_sr_efficiency, "an efficiency must be in (0, 1] (no signal event in the SR?)");
  check(signal_sb_efficiency >= 0 && signal_sb_efficiency <= 1, "signal_sb_efficiency",
        signal_sb_efficiency, "an efficiency must be in [0, 1]");
  check(luminosity_fb > 0 && std::isfinite(luminosity_fb), "luminosity_fb", luminosity_fb,
        "L must be > 0 fb⁻¹");
  check(significance >= 0 && std::isfinite(significance), "significance", significance,
        "the injected significance must be >= 0");
}

double MixingCounts::injected_s_over_sqrt_b() const {
  return background_sr > 0
             ? static_cast<double>(signal_sr) / std::sqrt(static_cast<double>(background_sr))
             : 0.0;
}

double signal_for_asimov_significance(double z, double b) {
  if (!(b > 0))
    throw core::InputError("signal_for_asimov_significance needs b > 0 (no background)");
  if (z <= 0) return 0.0;
  double lo = 0;
  double hi = std::max(1.0, z * std::sqrt(b));
  while (asimov(hi, b) < z) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-10 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (asimov(mid, b) < z ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

MixingCounts significance_mixing_counts(const SignificanceMixingInput& input) {
  input.validate();
  MixingCounts c;
  const double sigma_l = input.background_cross_section_fb * input.luminosity_fb;
  c.expected_background_sr = sigma_l * input.background_sr_efficiency;
  c.background_sr = rounded(c.expected_background_sr);
  c.background_sb = rounded(sigma_l * input.background_sb_efficiency);
  const double b = static_cast<double>(c.background_sr);
  c.expected_signal_sr = input.definition == SignificanceDefinition::kSOverSqrtB
                             ? input.significance * std::sqrt(b)
                             : signal_for_asimov_significance(input.significance, b);
  c.signal_sr = rounded(c.expected_signal_sr);
  c.signal_sb = rounded(static_cast<double>(c.signal_sr) * input.signal_sb_efficiency /
                        input.signal_sr_efficiency);
  return c;
}

std::vector<std::size_t> share_counts(std::size_t total, const std::vector<double>& shares) {
  if (shares.empty()) throw core::InputError("share_counts: no shares (give one per source)");
  double sum = 0;
  for (double share : shares) {
    if (!(share > 0 && std::isfinite(share))) {
      throw core::InputError("share_counts: share " + std::to_string(share) +
                             " is not positive and finite (give positive weights)");
    }
    sum += share;
  }
  std::vector<std::size_t> counts(shares.size());
  std::vector<double> remainders(shares.size());
  std::size_t given = 0;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const double exact = static_cast<double>(total) * shares[i] / sum;
    counts[i] = std::min(total, static_cast<std::size_t>(std::floor(exact)));
    remainders[i] = exact - static_cast<double>(counts[i]);
    given += counts[i];
  }
  while (given < total) {
    std::size_t largest = 0;
    for (std::size_t i = 1; i < shares.size(); ++i) {
      if (remainders[i] > remainders[largest]) largest = i;
    }
    ++counts[largest];
    remainders[largest] = -1.0;  // one extra event per source at most
    ++given;
  }
  return counts;
}

}  // namespace cwola::data
