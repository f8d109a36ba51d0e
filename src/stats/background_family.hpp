#pragma once
/// Smooth background families for falling mass spectra, written as
/// ln(dN/dm) = Σ_k θ_k φ_k(x), x = m/√s, so that bin integrals, gradients and the
/// Hessian of the likelihood are exact sums over quadrature nodes.
///
///  - kDijet (CMS): dN/dm = p0 (1−x)^p1 / x^(p2 + p3 ln x + p4 ln² x);
///    φ = {1, ln(1−x), −ln x, −ln² x, −ln³ x}, θ = {ln p0, p1, p2, p3, p4}.
///  - kUa2 (UA2/ATLAS-style alternative): dN/dm = p0 x^(−p1) exp(−p2 x − p3 x² − p4 x³);
///    φ = {1, −ln x, −x, −x², −x³}, θ = {ln p0, p1, p2, p3, p4}.
/// Both with 2–5 parameters (the first n of the list); p0 is per GeV.
#include <string>
#include <vector>

#include "stats/histogram.hpp"

namespace cwola::stats {

enum class FamilyKind { kDijet, kUa2 };

struct BackgroundFamily {
  FamilyKind kind = FamilyKind::kDijet;
  int n_params = 4;            ///< 2..5, normalisation included
  double sqrt_s_gev = 13000.0; ///< √s that defines x = m/√s

  /// "dijet4", "ua2_3".
  std::string name() const;
  /// InputError unless 2 <= n_params <= 5 and √s > 0.
  void validate() const;
  /// φ_k(m) for k < n_params (m in GeV, 0 < m < √s).
  std::vector<double> basis(double mass_gev) const;
  /// ln(dN/dm) per GeV at `mass_gev` for parameters θ.
  double log_density(const std::vector<double>& theta, double mass_gev) const;
};

/// "dijet" or "ua2" → FamilyKind (InputError naming `origin` otherwise).
FamilyKind parse_family(const std::string& text, const std::string& origin);
std::string family_text(FamilyKind kind);

/// Gauss–Legendre nodes inside each bin (GSL's fixed tables): the bin integral of a
/// smooth density is Σ_j weight[i][j] f(mass[i][j]). Eight nodes integrate a
/// degree-15 polynomial exactly; for the families above the relative error per bin
/// is < 1e-12 at the bin widths of the CMS spectra (tested against adaptive QAG).
struct BinQuadrature {
  std::size_t nodes_per_bin = 0;
  std::vector<double> mass;    ///< [bins × nodes] GeV
  std::vector<double> weight;  ///< [bins × nodes] GeV
};
BinQuadrature make_bin_quadrature(const std::vector<double>& edges, std::size_t nodes_per_bin);

/// Expected events per bin of `histogram.edges` (its counts are not used) for θ.
std::vector<double> expected_counts(const BackgroundFamily& family,
                                    const std::vector<double>& theta, const Histogram& histogram,
                                    std::size_t nodes_per_bin = 8);

}  // namespace cwola::stats
