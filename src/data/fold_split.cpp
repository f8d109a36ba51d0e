#include "data/fold_split.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cwola::data {

FoldAssignment assign_folds(std::size_t n, std::size_t k, core::RandomStream& stream) {
  CWOLA_EXPECT(k >= 2 && k <= n);
  const auto order = stream.permutation(n);
  FoldAssignment a;
  a.fold.resize(n);
  a.position.resize(n);
  a.size.assign(k, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t f = i * k / n;
    a.fold[order[i]] = f;
    a.position[order[i]] = a.size[f]++;
  }
  return a;
}

FoldIndices fold_indices(const FoldAssignment& folds, std::size_t fold, std::size_t inner_folds,
                         std::size_t inner, double validation_fraction,
                         core::RandomStream& split_stream) {
  CWOLA_EXPECT(fold < folds.size.size() && inner < inner_folds && inner_folds >= 1);
  FoldIndices out;
  std::vector<std::size_t> rest;
  for (std::size_t i = 0; i < folds.fold.size(); ++i) {
    (folds.fold[i] == fold ? out.held_out : rest).push_back(i);
  }
  if (inner_folds == 1) {
    const auto order = split_stream.permutation(rest.size());
    const auto n_validation = static_cast<std::size_t>(
        std::llround(validation_fraction * static_cast<double>(rest.size())));
    std::vector<bool> is_validation(rest.size(), false);
    for (std::size_t i = 0; i < n_validation; ++i) is_validation[order[i]] = true;
    for (std::size_t r = 0; r < rest.size(); ++r) {
      (is_validation[r] ? out.validation : out.train).push_back(rest[r]);
    }
    return out;
  }
  // Block of an event: its random position within its fold, cut into inner_folds parts, so
  // each block draws evenly from every training fold and is the same for every inner model.
  for (std::size_t i : rest) {
    const std::size_t block = folds.position[i] * inner_folds / folds.size[folds.fold[i]];
    (block == inner ? out.validation : out.train).push_back(i);
  }
  return out;
}

namespace {
/// Positions p in [0, size) with p · blocks / size == block: the events of a fold of `size`
/// that fall into inner block `block` (fold_indices' rule).
std::size_t block_count(std::size_t size, std::size_t blocks, std::size_t block) {
  std::size_t count = 0;
  for (std::size_t p = 0; p < size; ++p) count += p * blocks / size == block ? 1 : 0;
  return count;
}

/// Keeps `keep` of `rows` (ascending), the ones first in a permutation drawn from `stream`.
void keep_first(std::vector<std::size_t>& rows, std::size_t keep, core::RandomStream& stream) {
  if (rows.size() <= keep) return;
  const auto order = stream.permutation(rows.size());
  std::vector<bool> kept(rows.size(), false);
  for (std::size_t i = 0; i < keep; ++i) kept[order[i]] = true;
  std::vector<std::size_t> out;
  out.reserve(keep);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (kept[i]) out.push_back(rows[i]);
  }
  rows = std::move(out);
}
}  // namespace

void equalise_fold_parts(const FoldAssignment& folds, std::size_t inner_folds,
                         double validation_fraction, FoldIndices& indices,
                         core::RandomStream& stream) {
  const std::size_t n = folds.fold.size();
  const std::size_t k = folds.size.size();
  std::size_t train = n;
  std::size_t validation = n;
  for (std::size_t f = 0; f < k; ++f) {
    const std::size_t rest = n - folds.size[f];
    for (std::size_t j = 0; j < inner_folds; ++j) {
      std::size_t v = 0;
      if (inner_folds == 1) {
        v = static_cast<std::size_t>(
            std::llround(validation_fraction * static_cast<double>(rest)));
      } else {
        for (std::size_t g = 0; g < k; ++g) {
          if (g != f) v += block_count(folds.size[g], inner_folds, j);
        }
      }
      validation = std::min(validation, v);
      train = std::min(train, rest - v);
    }
  }
  keep_first(indices.train, train, stream);
  keep_first(indices.validation, validation, stream);
}

}  // namespace cwola::data
