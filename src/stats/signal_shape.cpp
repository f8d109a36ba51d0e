#include "stats/signal_shape.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::stats {

namespace {
const double kSqrtTwoPi = std::sqrt(2.0 * M_PI);

double normal_cdf(double t) { return 0.5 * std::erfc(-t / std::sqrt(2.0)); }

/// Unnormalised integral of the Crystal Ball in units of t = (m − mean)/σ from −∞ to t.
double crystal_ball_cumulative(double t, const CrystalBallTails& c) {
  const double aL = c.alpha_low;
  const double nL = c.n_low;
  const double aH = c.alpha_high;
  const double nH = c.n_high;
  // Left tail A (B − t)^−n with A = (n/α)^n e^{−α²/2}, B = n/α − α: its integral from −∞
  // to t is A (B − t)^{1−n} / (n − 1).
  auto left_tail = [&](double u) {
    const double a = std::exp(nL * std::log(nL / aL) - 0.5 * aL * aL);
    return a * std::pow(nL / aL - aL - u, 1.0 - nL) / (nL - 1.0);
  };
  auto right_tail_above = [&](double u) {  // integral from u to +∞ of the right tail
    const double a = std::exp(nH * std::log(nH / aH) - 0.5 * aH * aH);
    return a * std::pow(nH / aH - aH + u, 1.0 - nH) / (nH - 1.0);
  };
  const double left_total = left_tail(-aL);
  const double core_total = kSqrtTwoPi * (normal_cdf(aH) - normal_cdf(-aL));
  if (t <= -aL) return left_tail(t);
  if (t <= aH) return left_total + kSqrtTwoPi * (normal_cdf(t) - normal_cdf(-aL));
  return left_total + core_total + right_tail_above(aH) - right_tail_above(t);
}

double crystal_ball_total(const CrystalBallTails& c) {
  const double aH = c.alpha_high;
  const double nH = c.n_high;
  const double right = std::exp(nH * std::log(nH / aH) - 0.5 * aH * aH) *
                       std::pow(nH / aH, 1.0 - nH) / (nH - 1.0);
  return crystal_ball_cumulative(aH, c) + right;
}
}  // namespace

ShapeKind parse_shape(const std::string& text, const std::string& origin) {
  if (text == "gaussian") return ShapeKind::kGaussian;
  if (text == "crystal_ball" || text == "dscb") return ShapeKind::kCrystalBall;
  if (text == "template") return ShapeKind::kTemplate;
  throw core::InputError(origin, "signal", text,
                         "unknown signal shape; use gaussian, crystal_ball or template");
}

std::string SignalShape::kind_text() const {
  switch (kind) {
    case ShapeKind::kGaussian: return "gaussian";
    case ShapeKind::kCrystalBall: return "crystal_ball";
    case ShapeKind::kTemplate: return "template";
  }
  return "?";
}

void SignalShape::validate(const std::string& origin) const {
  if (kind == ShapeKind::kTemplate) {
    if (template_edges.size() < 2 || template_counts.size() + 1 != template_edges.size()) {
      throw core::InputError(origin, "template", std::to_string(template_counts.size()) + " bins",
                             "a template needs bins + 1 edges and at least one bin");
    }
    double total = 0.0;
    for (std::size_t i = 0; i < template_counts.size(); ++i) {
      if (!(template_edges[i + 1] > template_edges[i])) {
        throw core::InputError(origin, "template edges[" + std::to_string(i + 1) + "]",
                               core::format_double(template_edges[i + 1]),
                               "edges must increase strictly");
      }
      if (!std::isfinite(template_counts[i]) || template_counts[i] < 0.0) {
        throw core::InputError(origin, "template counts[" + std::to_string(i) + "]",
                               core::format_double(template_counts[i]), "must be finite and >= 0");
      }
      total += template_counts[i];
    }
    if (!(total > 0.0)) {
      throw core::InputError(origin, "template", "0", "the template is empty");
    }
    return;
  }
  if (!(sigma_gev > 0.0) || !std::isfinite(mass_gev)) {
    throw core::InputError(origin, "sigma", core::format_double(sigma_gev),
                           "a signal needs a finite mass and a width > 0 GeV");
  }
  if (kind == ShapeKind::kCrystalBall &&
      (!(tails.alpha_low > 0.0) || !(tails.alpha_high > 0.0) || !(tails.n_low > 1.0) ||
       !(tails.n_high > 1.0))) {
    throw core::InputError(origin, "crystal ball tails",
                           core::format_double(tails.alpha_low) + "," +
                               core::format_double(tails.n_low) + "," +
                               core::format_double(tails.alpha_high) + "," +
                               core::format_double(tails.n_high),
                           "need alpha > 0 and n > 1 on both sides (else not normalisable)");
  }
}

double SignalShape::integral(double low_gev, double high_gev) const {
  switch (kind) {
    case ShapeKind::kGaussian:
      return normal_cdf((high_gev - mass_gev) / sigma_gev) -
             normal_cdf((low_gev - mass_gev) / sigma_gev);
    case ShapeKind::kCrystalBall: {
      const double total = crystal_ball_total(tails);
      return (crystal_ball_cumulative((high_gev - mass_gev) / sigma_gev, tails) -
              crystal_ball_cumulative((low_gev - mass_gev) / sigma_gev, tails)) /
             total;
    }
    case ShapeKind::kTemplate: {
      // Uniform within each template bin: overlap fractions.
      double total = 0.0;
      double inside = 0.0;
      for (std::size_t i = 0; i < template_counts.size(); ++i) {
        const double a = template_edges[i];
        const double b = template_edges[i + 1];
        total += template_counts[i];
        const double overlap = std::min(b, high_gev) - std::max(a, low_gev);
        if (overlap > 0.0) inside += template_counts[i] * overlap / (b - a);
      }
      return inside / total;
    }
  }
  return 0.0;
}

std::vector<double> SignalShape::bin_fractions(const std::vector<double>& edges) const {
  std::vector<double> s(edges.size() - 1);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = integral(edges[i], edges[i + 1]);
  return s;
}

}  // namespace cwola::stats
