#include "stats/background_family.hpp"

#include <gsl/gsl_integration.h>

#include <cmath>
#include <memory>

#include "core/error.hpp"

namespace cwola::stats {

std::string family_text(FamilyKind kind) { return kind == FamilyKind::kDijet ? "dijet" : "ua2"; }

FamilyKind parse_family(const std::string& text, const std::string& origin) {
  if (text == "dijet") return FamilyKind::kDijet;
  if (text == "ua2") return FamilyKind::kUa2;
  throw core::InputError(origin, "family", text, "unknown background family; use dijet or ua2");
}

std::string BackgroundFamily::name() const {
  return kind == FamilyKind::kDijet ? "dijet" + std::to_string(n_params)
                                    : "ua2_" + std::to_string(n_params);
}

void BackgroundFamily::validate() const {
  if (n_params < 2 || n_params > 5) {
    throw core::InputError("background family", "n_params", std::to_string(n_params),
                           "a family has 2 to 5 parameters");
  }
  if (!(sqrt_s_gev > 0.0)) {
    throw core::InputError("background family", "sqrt_s", std::to_string(sqrt_s_gev),
                           "√s must be > 0 GeV");
  }
}

std::vector<double> BackgroundFamily::basis(double mass_gev) const {
  const double x = mass_gev / sqrt_s_gev;
  std::vector<double> phi(static_cast<std::size_t>(n_params));
  if (kind == FamilyKind::kDijet) {
    const double lx = std::log(x);
    const double all[5] = {1.0, std::log1p(-x), -lx, -lx * lx, -lx * lx * lx};
    for (int k = 0; k < n_params; ++k) phi[static_cast<std::size_t>(k)] = all[k];
  } else {
    const double all[5] = {1.0, -std::log(x), -x, -x * x, -x * x * x};
    for (int k = 0; k < n_params; ++k) phi[static_cast<std::size_t>(k)] = all[k];
  }
  return phi;
}

double BackgroundFamily::log_density(const std::vector<double>& theta, double mass_gev) const {
  const auto phi = basis(mass_gev);
  double g = 0.0;
  for (std::size_t k = 0; k < phi.size(); ++k) g += theta[k] * phi[k];
  return g;
}

BinQuadrature make_bin_quadrature(const std::vector<double>& edges, std::size_t nodes_per_bin) {
  std::unique_ptr<gsl_integration_glfixed_table, void (*)(gsl_integration_glfixed_table*)> table(
      gsl_integration_glfixed_table_alloc(nodes_per_bin), gsl_integration_glfixed_table_free);
  if (!table) throw core::Error("GSL could not allocate a Gauss–Legendre table");
  BinQuadrature q;
  q.nodes_per_bin = nodes_per_bin;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    for (std::size_t j = 0; j < nodes_per_bin; ++j) {
      double x = 0.0;
      double w = 0.0;
      gsl_integration_glfixed_point(edges[i], edges[i + 1], j, &x, &w, table.get());
      q.mass.push_back(x);
      q.weight.push_back(w);
    }
  }
  return q;
}

std::vector<double> expected_counts(const BackgroundFamily& family,
                                    const std::vector<double>& theta, const Histogram& histogram,
                                    std::size_t nodes_per_bin) {
  const auto q = make_bin_quadrature(histogram.edges, nodes_per_bin);
  std::vector<double> mu(histogram.edges.size() - 1, 0.0);
  for (std::size_t i = 0; i < mu.size(); ++i) {
    for (std::size_t j = 0; j < nodes_per_bin; ++j) {
      const std::size_t a = i * nodes_per_bin + j;
      mu[i] += q.weight[a] * std::exp(family.log_density(theta, q.mass[a]));
    }
  }
  return mu;
}

}  // namespace cwola::stats
