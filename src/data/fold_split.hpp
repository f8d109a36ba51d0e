#pragma once
/// k-fold cross-training splits (the nested scheme of CWoLa hunting): the events of a sample
/// fall into k folds; for held-out fold f, l inner models train on the other folds' events,
/// inner model j validating on block j of them. Every event is then scored by models that
/// never trained or validated on it. Pure index arithmetic on a seeded permutation: the same
/// (sample size, k, stream) give the same folds on any rank.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/random_stream.hpp"

namespace cwola::data {

/// Where each event falls: its fold, and its place within the fold in a random order (which
/// cuts the fold into inner blocks, the same blocks for every inner model).
struct FoldAssignment {
  std::vector<std::size_t> fold;      ///< per event, 0..k-1
  std::vector<std::size_t> position;  ///< per event, 0..(size of its fold)-1
  std::vector<std::size_t> size;      ///< events per fold
};

/// A uniformly random permutation cut into k nearly equal folds (sizes differ by at most one).
/// Needs 2 <= k <= n.
FoldAssignment assign_folds(std::size_t n, std::size_t k, core::RandomStream& stream);

/// Event indices of one (fold, inner) model, each list ascending.
struct FoldIndices {
  std::vector<std::size_t> train;       ///< trained on
  std::vector<std::size_t> validation;  ///< early stopping and model choice
  std::vector<std::size_t> held_out;    ///< the fold this model scores (never seen)
};

/// The events of model `inner` (of `inner_folds`) for held-out fold `fold`. With
/// inner_folds >= 2 every other fold is cut into inner_folds blocks by the events' random
/// positions (so block j takes evenly from every fold and every class mix) and model j
/// validates on block j; with inner_folds = 1 a random `validation_fraction` of the events
/// outside the fold (from `split_stream`) is the validation set.
FoldIndices fold_indices(const FoldAssignment& folds, std::size_t fold, std::size_t inner_folds,
                         std::size_t inner, double validation_fraction,
                         core::RandomStream& split_stream);

/// Trims `indices.train` and `indices.validation` of one (fold, inner) model to the smallest
/// sizes any model of `folds` gets (with the same inner_folds and validation_fraction), the
/// events left out chosen by `stream`: folds and inner blocks differ by an event or so when n is
/// not a multiple of k × l, and only models of equal sizes can train as one stack. At most 2k
/// events leave a model's training and validation (never its held-out fold: every event is
/// still scored). Order is kept.
void equalise_fold_parts(const FoldAssignment& folds, std::size_t inner_folds,
                         double validation_fraction, FoldIndices& indices,
                         core::RandomStream& stream);

}  // namespace cwola::data
