#pragma once
/// Resonance shapes, normalised to one over the whole mass axis and integrated
/// exactly over each bin (closed-form CDFs): the fraction of the signal in a bin.
#include <string>
#include <vector>

namespace cwola::stats {

enum class ShapeKind { kGaussian, kCrystalBall, kTemplate };

/// Double-sided Crystal Ball tails (CMS's resonance shape): Gaussian core between
/// −alpha_low·σ and +alpha_high·σ, power-law tails with exponents n_low, n_high (> 1).
struct CrystalBallTails {
  double alpha_low = 1.0;
  double n_low = 2.0;
  double alpha_high = 2.0;
  double n_high = 2.0;
};

struct SignalShape {
  ShapeKind kind = ShapeKind::kGaussian;
  double mass_gev = 0.0;   ///< peak position (Gaussian/Crystal Ball)
  double sigma_gev = 0.0;  ///< core width
  CrystalBallTails tails;
  /// kTemplate: a histogram of the signal (any normalisation; its total is the
  /// whole signal, so parts outside the analysis bins are lost acceptance).
  std::vector<double> template_edges;
  std::vector<double> template_counts;

  /// InputError naming `origin` for a non-positive width, tails with n <= 1 or
  /// alpha <= 0, or a template with bad edges or negative content.
  void validate(const std::string& origin) const;
  /// Fraction of the signal in [low, high) GeV.
  double integral(double low_gev, double high_gev) const;
  /// Fractions per bin of `edges` (sums to the acceptance, <= 1).
  std::vector<double> bin_fractions(const std::vector<double>& edges) const;
  /// "gaussian", "crystal_ball", "template".
  std::string kind_text() const;
};

ShapeKind parse_shape(const std::string& text, const std::string& origin);

}  // namespace cwola::stats
