#include "stats/bump_background_shapes.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "stats/background_family.hpp"

namespace cwola::stats {

namespace {
constexpr double kPi = 3.14159265358979323846;

const char* const kNames[] = {"exponential", "linear",         "power1",     "power2",
                              "power3",      "power4",         "power_free", "half_parabola",
                              "neg_log",     "quarter_cosine", "half_cosh",  "dijet"};

std::string text(double value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

double power_of(BumpFamily family, double parameter) {
  switch (family) {
    case BumpFamily::kPower1:
      return 1.0;
    case BumpFamily::kPower2:
      return 2.0;
    case BumpFamily::kPower3:
      return 3.0;
    case BumpFamily::kPower4:
      return 4.0;
    default:
      return parameter;
  }
}
}  // namespace

const std::vector<BumpFamily>& all_bump_families() {
  static const std::vector<BumpFamily> kAll = {
      BumpFamily::kExponential,   BumpFamily::kLinear,       BumpFamily::kPower1,
      BumpFamily::kPower2,        BumpFamily::kPower3,       BumpFamily::kPower4,
      BumpFamily::kPowerFree,     BumpFamily::kHalfParabola, BumpFamily::kNegativeLog,
      BumpFamily::kQuarterCosine, BumpFamily::kHalfCosh,     BumpFamily::kDijet};
  return kAll;
}

std::string bump_family_name(BumpFamily family) { return kNames[static_cast<int>(family)]; }

BumpFamily parse_bump_family(const std::string& name, const std::string& origin) {
  for (BumpFamily family : all_bump_families()) {
    if (bump_family_name(family) == name) return family;
  }
  std::string known;
  for (BumpFamily family : all_bump_families()) {
    known += (known.empty() ? "" : ", ") + bump_family_name(family);
  }
  throw core::InputError(origin + ": '" + name + "' is not a background family (one of " + known +
                         ")");
}

void BumpShape::validate() const {
  const std::string what = "bump background " + bump_family_name(family) + ": ";
  if (!(y_min > 0.0) || !(y_max > y_min) || !std::isfinite(y_max)) {
    throw core::InputError(what + "end points y_max = " + text(y_max) + ", y_min = " + text(y_min) +
                           " must satisfy y_max > y_min > 0 (entries per bin)");
  }
  if (!(cut > 0.0 && cut <= 1.0)) {
    throw core::InputError(what + "cut = " + text(cut) + " must be in (0, 1]");
  }
  if (family == BumpFamily::kPowerFree && !(parameter > 0.0 && parameter < 1e3)) {
    throw core::InputError(what + "exponent k = " + text(parameter) + " must be in (0, 1000)");
  }
  if (family == BumpFamily::kHalfCosh && !(parameter > 0.0 && parameter < 700.0)) {
    throw core::InputError(what + "curvature c = " + text(parameter) +
                           " must be in (0, 700) (cosh overflows beyond)");
  }
  if (family == BumpFamily::kDijet &&
      (!(mass_scale_gev > 0.0) || !std::isfinite(dijet_theta1) || !std::isfinite(dijet_theta3))) {
    throw core::InputError(what + "mass scale = " + text(mass_scale_gev) +
                           " GeV must be > 0 and θ1, θ3 finite");
  }
}

double analytic_shape(BumpFamily family, double parameter, double x1, double y_max, double x2,
                      double y_min, double x) {
  const double u = (x - x1) / (x2 - x1);
  const double drop = y_max - y_min;
  switch (family) {
    case BumpFamily::kExponential:
      // y_max (y_min/y_max)^u: b e^(−a x) with a = ln(y_max/y_min)/(x2 − x1).
      return y_max * std::exp(-u * std::log(y_max / y_min));
    case BumpFamily::kLinear:
      return y_max - drop * u;
    case BumpFamily::kPower1:
    case BumpFamily::kPower2:
    case BumpFamily::kPower3:
    case BumpFamily::kPower4:
    case BumpFamily::kPowerFree: {
      const double k = power_of(family, parameter);
      const double p1 = std::pow(x1, -k);
      const double p2 = std::pow(x2, -k);
      const double a = drop / (p1 - p2);
      return y_min + a * (std::pow(x, -k) - p2);
    }
    case BumpFamily::kHalfParabola:
      return y_min + drop * (1.0 - u) * (1.0 - u);
    case BumpFamily::kNegativeLog:
      return y_max - drop * std::log(x / x1) / std::log(x2 / x1);
    case BumpFamily::kQuarterCosine:
      return y_min + drop * std::cos(0.5 * kPi * u);
    case BumpFamily::kHalfCosh: {
      // (cosh(c(1 − u)) − 1) written with expm1 so small c keeps its precision.
      const double c = parameter;
      const double v = c * (1.0 - u);
      const double top = std::expm1(v) + std::expm1(-v);
      const double bottom = std::expm1(c) + std::expm1(-c);
      return y_min + drop * top / bottom;
    }
    case BumpFamily::kDijet:
      break;
  }
  throw core::Error("analytic_shape: kDijet is not an analytic family (a bug in the caller)");
}

std::array<double, 4> dijet_theta_through_ends(const BumpShape& shape,
                                               const std::vector<double>& edges) {
  const BackgroundFamily family{FamilyKind::kDijet, 4, DijetFit::kSqrtSGev};
  const std::size_t n = edges.size() - 1;
  const double m1 = shape.mass_scale_gev * 0.5 * (edges[0] + edges[1]);
  const double m2 = shape.mass_scale_gev * 0.5 * (edges[n - 1] + edges[n]);
  if (!(shape.mass_scale_gev * edges[n] < DijetFit::kSqrtSGev)) {
    throw core::InputError("bump background dijet: last edge " +
                           text(shape.mass_scale_gev * edges[n]) +
                           " GeV is not below √s = 13000 GeV; lower the mass scale or range");
  }
  const double w1 = shape.mass_scale_gev * (edges[1] - edges[0]);
  const double w2 = shape.mass_scale_gev * (edges[n] - edges[n - 1]);
  const auto phi1 = family.basis(m1);  // {1, ln(1−x), −ln x, −ln² x}
  const auto phi2 = family.basis(m2);
  // ln y = θ0 + θ1 φ1 + θ2 φ2 + θ3 φ3 + ln w: two linear equations in θ0, θ2.
  const double r1 =
      std::log(shape.y_max / w1) - shape.dijet_theta1 * phi1[1] - shape.dijet_theta3 * phi1[3];
  const double r2 =
      std::log(shape.y_min / w2) - shape.dijet_theta1 * phi2[1] - shape.dijet_theta3 * phi2[3];
  const double theta2 = (r1 - r2) / (phi1[2] - phi2[2]);
  const double theta0 = r1 - theta2 * phi1[2];
  return {theta0, shape.dijet_theta1, theta2, shape.dijet_theta3};
}

std::vector<double> bump_background(const BumpShape& shape, const std::vector<double>& edges) {
  shape.validate();
  if (edges.size() < 3) {
    throw core::InputError("bump background: " + std::to_string(edges.size()) +
                           " edges (at least 2 bins, 3 edges, are needed)");
  }
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (!(edges[i] > 0.0) || !std::isfinite(edges[i]) || (i > 0 && !(edges[i] > edges[i - 1]))) {
      throw core::InputError("bump background: edges[" + std::to_string(i) +
                             "] = " + text(edges[i]) + " (edges must be finite, > 0, increasing)");
    }
  }
  const std::size_t n = edges.size() - 1;
  std::vector<double> y(n);
  if (shape.family == BumpFamily::kDijet) {
    const auto theta = dijet_theta_through_ends(shape, edges);
    const BackgroundFamily family{FamilyKind::kDijet, 4, DijetFit::kSqrtSGev};
    const std::vector<double> theta_vector(theta.begin(), theta.end());
    for (std::size_t i = 0; i < n; ++i) {
      const double mass = shape.mass_scale_gev * 0.5 * (edges[i] + edges[i + 1]);
      const double width = shape.mass_scale_gev * (edges[i + 1] - edges[i]);
      y[i] = width * std::exp(family.log_density(theta_vector, mass));
    }
    return y;
  }
  const double x1 = 0.5 * (edges[0] + edges[1]);
  const double x2 = 0.5 * (edges[n - 1] + edges[n]);
  const double xc = x1 + shape.cut * (x2 - x1);
  const double y_cut = shape.cut < 1.0 ? analytic_shape(shape.family, shape.parameter, x1,
                                                        shape.y_max, x2, shape.y_min, xc)
                                       : shape.y_min;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = 0.5 * (edges[i] + edges[i + 1]);
    const double base = analytic_shape(shape.family, shape.parameter, x1, shape.y_max, x2,
                                       shape.y_min, x1 + shape.cut * (x - x1));
    y[i] = shape.y_min + (shape.y_max - shape.y_min) * (base - y_cut) / (shape.y_max - y_cut);
  }
  return y;
}

}  // namespace cwola::stats
