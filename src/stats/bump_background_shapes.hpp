#pragma once
/// Smoothly falling background shapes for the bump-hunt network's training histograms (the
/// data-directed paradigm, docs/bump_hunt_network.md). Each analytic family is fixed by its
/// two end points: (x1, y_max) at the first bin centre and (x2, y_min) at the last, with
/// y_max > y_min > 0 in expected entries per bin and 0 < x1 < x2 on the histogram's mass axis
/// (dimensionless: the first bin edge is 1). With u = (x − x1)/(x2 − x1) ∈ [0, 1]:
///
///  - kExponential:   y = b e^(−a x),           a = ln(y_max/y_min)/(x2 − x1)
///  - kLinear:        y = y_max − (y_max − y_min) u
///  - kPower1..4, kPowerFree: y = A/x^k + B,     A = (y_max − y_min)/(x1^−k − x2^−k),
///                    B = y_min − A x2^−k;  k = 1..4, or k (the shape parameter) ~ U[0.01, 10]
///  - kHalfParabola:  y = y_min + (y_max − y_min)(1 − u)²  (the falling half of a parabola with
///                    its vertex at the last bin)
///  - kNegativeLog:   y = −a ln x + b,          a = (y_max − y_min)/ln(x2/x1)
///  - kQuarterCosine: y = y_min + (y_max − y_min) cos(πu/2)  (a quarter period)
///  - kHalfCosh:      y = y_min + (y_max − y_min)(cosh(c(1 − u)) − 1)/(cosh c − 1), c > 0 the
///                    shape parameter (the half of cosh from its minimum outwards)
///
/// "Stretched" variants (thesis §5.2.1): the family is cut at x_c = x1 + f (x2 − x1) with
/// f ∈ (0, 1] and the part [x1, x_c] is stretched back over [x1, x2] and rescaled to the same
/// end points: y_f(x) = y_min + (y_max − y_min)(y(x1 + f(x − x1)) − y(x_c))/(y_max − y(x_c)).
/// Stretching keeps the end points and monotonic fall; f = 1 is the plain family.
///
/// The data-like kDijet family is the statistics module's CMS dijet function
/// (background_family.hpp) with entries per bin = width × dN/dm at the bin centre:
/// ln y = θ0 + θ1 ln(1 − m/√s) − θ2 ln(m/√s) − θ3 ln²(m/√s) + ln(width). θ1 and θ3 are drawn
/// around a fit to the CMS dijet spectrum (kDijetFit below); θ0 and θ2 are then solved so the
/// curve passes through both end points.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cwola::stats {

/// The families; the value is stored in the histogram files, so never renumber.
enum class BumpFamily : std::int8_t {
  kExponential = 0,
  kLinear = 1,
  kPower1 = 2,
  kPower2 = 3,
  kPower3 = 4,
  kPower4 = 5,
  kPowerFree = 6,
  kHalfParabola = 7,
  kNegativeLog = 8,
  kQuarterCosine = 9,
  kHalfCosh = 10,
  kDijet = 11,
};

/// Every family in value order (index = stored value).
const std::vector<BumpFamily>& all_bump_families();
/// "exponential", "linear", "power1".."power4", "power_free", "half_parabola", "neg_log",
/// "quarter_cosine", "half_cosh", "dijet".
std::string bump_family_name(BumpFamily family);
/// The inverse of bump_family_name; InputError naming `origin` and the text otherwise.
BumpFamily parse_bump_family(const std::string& text, const std::string& origin);

/// The CMS dijet spectrum fitted with the 4-parameter dijet function: θ = {ln p0, p1, p2, p3}
/// and the 1σ errors of θ1 and θ3 (√ of the covariance diagonal). Source: BinnedFitter (default
/// options) on ../shared/data/spectra/cms_dijet_mass_13TeV_137fb.csv read with counts = value ×
/// 137 × width (137 fb⁻¹, pb/TeV), √s = 13 TeV, all 42 bins 1530–8752 GeV; half deviance 20.62.
/// tests/stats/test_bump_background_shapes.cpp refits the spectrum and checks these numbers.
struct DijetFit {
  static constexpr std::array<double, 4> kTheta = {-0.06664265227, 8.176627883, 5.216110157,
                                                   -0.001877549763};
  static constexpr double kTheta1Error = 0.3138;
  static constexpr double kTheta3Error = 0.04504;
  static constexpr double kLowEdgeGev = 1530.0;   ///< first bin edge of the fitted spectrum
  static constexpr double kHighEdgeGev = 8752.0;  ///< last bin edge of the fitted spectrum
  static constexpr double kSqrtSGev = 13000.0;
};

/// One background curve: the family, its end points and its free shape parameters.
struct BumpShape {
  BumpFamily family = BumpFamily::kExponential;
  double y_max = 1000.0;  ///< expected entries in the first bin (> y_min)
  double y_min = 10.0;    ///< expected entries in the last bin (> 0)
  /// k of kPowerFree (0.01–10), c of kHalfCosh (> 0); unused by the others.
  double parameter = 0.0;
  /// Fraction f ∈ (0, 1] of the range kept by the stretch (1: not stretched); analytic only.
  double cut = 1.0;
  /// kDijet: GeV of mass-axis value 1 (the first bin edge); the histogram must end below √s.
  double mass_scale_gev = 0.0;
  /// kDijet: θ1 and θ3 (θ0 and θ2 follow from the end points).
  double dijet_theta1 = DijetFit::kTheta[1];
  double dijet_theta3 = DijetFit::kTheta[3];

  /// InputError unless y_max > y_min > 0, 0 < cut <= 1, the shape parameter is in range.
  void validate() const;
};

/// Expected entries per bin of `shape` on `edges` (the mass axis, strictly increasing, > 0,
/// at least 2 bins). Passes through (first centre, y_max) and (last centre, y_min); analytic
/// families are evaluated at the bin centres. InputError for a kDijet shape whose end points
/// cannot be met (a histogram beyond √s); falls monotonically for every analytic family.
std::vector<double> bump_background(const BumpShape& shape, const std::vector<double>& edges);

/// The analytic family through (x1, y_max) and (x2, y_min), at x (no stretch, no kDijet).
double analytic_shape(BumpFamily family, double parameter, double x1, double y_max, double x2,
                      double y_min, double x);

/// kDijet: θ = {θ0, θ1, θ2, θ3} through both end points for the given θ1, θ3 (see above).
std::array<double, 4> dijet_theta_through_ends(const BumpShape& shape,
                                               const std::vector<double>& edges);

}  // namespace cwola::stats
