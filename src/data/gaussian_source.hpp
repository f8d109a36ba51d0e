#pragma once
/// Multivariate Gaussian event source: the proving ground of CWoLa, where the
/// Bayes-optimal classifier and its AUC are known in closed form.
#include <cstddef>
#include <vector>

#include "core/random_stream.hpp"

namespace cwola::data {

/// Dense symmetric matrix in row-major order.
struct SymmetricMatrix {
  std::size_t dimension = 0;
  std::vector<double> values;  ///< dimension × dimension
  double at(std::size_t row, std::size_t column) const { return values[row * dimension + column]; }
};

/// Covariance Σ_ij = σ_i σ_j (δ_ij + ρ (1 − δ_ij)): per-feature widths, one common correlation.
SymmetricMatrix equicorrelated_covariance(const std::vector<double>& sigma, double correlation);

/// Lower-triangular Cholesky factor L with Σ = L Lᵀ; throws InputError when Σ is
/// not positive definite (the sampler would produce NaNs).
std::vector<double> cholesky(const SymmetricMatrix& covariance);

/// Mahalanobis distance Δ = sqrt(μᵀ Σ⁻¹ μ) between two Gaussians whose means differ by μ.
double mahalanobis_distance(const std::vector<double>& mean_difference,
                            const SymmetricMatrix& covariance);

/// Standard normal CDF Φ(x).
double normal_cdf(double x);

class GaussianSource {
 public:
  GaussianSource(std::vector<double> mean, const SymmetricMatrix& covariance);
  std::size_t dimension() const { return mean_.size(); }
  /// Appends n events (row-major, dimension() floats each) drawn from `stream`.
  void sample(core::RandomStream& stream, std::size_t n, std::vector<float>& rows) const;

 private:
  std::vector<double> mean_;
  std::vector<double> cholesky_;
};

}  // namespace cwola::data
