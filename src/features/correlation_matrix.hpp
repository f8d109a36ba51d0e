#pragma once
/// Pearson correlation coefficients between columns of a row-major table (the
/// note's §2.3: which features follow the resonance mass m_hh).
#include <cstddef>
#include <vector>

namespace cwola::features {

/// Symmetric [columns × columns] matrix, row-major. A constant column has NaN
/// correlations (0/0) with the others and 1 with itself.
std::vector<double> correlation_matrix(const std::vector<float>& rows, std::size_t columns);

}  // namespace cwola::features
