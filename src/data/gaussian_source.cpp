#include "data/gaussian_source.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cwola::data {

SymmetricMatrix equicorrelated_covariance(const std::vector<double>& sigma, double correlation) {
  SymmetricMatrix matrix;
  matrix.dimension = sigma.size();
  matrix.values.resize(sigma.size() * sigma.size());
  for (std::size_t i = 0; i < sigma.size(); ++i) {
    for (std::size_t j = 0; j < sigma.size(); ++j) {
      matrix.values[i * sigma.size() + j] = sigma[i] * sigma[j] * (i == j ? 1.0 : correlation);
    }
  }
  return matrix;
}

std::vector<double> cholesky(const SymmetricMatrix& covariance) {
  const std::size_t n = covariance.dimension;
  std::vector<double> lower(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = covariance.at(i, j);
      for (std::size_t k = 0; k < j; ++k) sum -= lower[i * n + k] * lower[j * n + k];
      if (i == j) {
        if (!(sum > 0.0)) {
          throw core::InputError(
              "covariance is not positive definite (pivot " + std::to_string(i) +
              " is " + std::to_string(sum) +
              ", so no Gaussian has it); use correlation in (-1/(d-1), 1) and sigma > 0");
        }
        lower[i * n + i] = std::sqrt(sum);
      } else {
        lower[i * n + j] = sum / lower[j * n + j];
      }
    }
  }
  return lower;
}

double mahalanobis_distance(const std::vector<double>& mean_difference,
                            const SymmetricMatrix& covariance) {
  // Solve L y = μ; then μᵀ Σ⁻¹ μ = |y|².
  const auto lower = cholesky(covariance);
  const std::size_t n = covariance.dimension;
  std::vector<double> y(n);
  double squared = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double sum = mean_difference[i];
    for (std::size_t k = 0; k < i; ++k) sum -= lower[i * n + k] * y[k];
    y[i] = sum / lower[i * n + i];
    squared += y[i] * y[i];
  }
  return std::sqrt(squared);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

GaussianSource::GaussianSource(std::vector<double> mean, const SymmetricMatrix& covariance)
    : mean_(std::move(mean)), cholesky_(cholesky(covariance)) {
  CWOLA_EXPECT(mean_.size() == covariance.dimension);
}

void GaussianSource::sample(core::RandomStream& stream, std::size_t n,
                            std::vector<float>& rows) const {
  const std::size_t d = mean_.size();
  std::vector<double> z(d);
  rows.reserve(rows.size() + n * d);
  for (std::size_t event = 0; event < n; ++event) {
    for (auto& value : z) value = stream.normal();
    for (std::size_t i = 0; i < d; ++i) {
      double x = mean_[i];
      for (std::size_t k = 0; k <= i; ++k) x += cholesky_[i * d + k] * z[k];
      rows.push_back(static_cast<float>(x));
    }
  }
}

}  // namespace cwola::data
