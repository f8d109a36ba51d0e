#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <set>

#include "core/random_stream.hpp"
#include "data/fold_split.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(fold_split)

BOOST_AUTO_TEST_CASE(folds_are_balanced_and_seeded) {
  core::RandomStream a(7);
  core::RandomStream b(7);
  core::RandomStream c(8);
  const auto folds_a = data::assign_folds(103, 5, a);
  BOOST_TEST(folds_a.fold == data::assign_folds(103, 5, b).fold);
  BOOST_TEST(folds_a.fold != data::assign_folds(103, 5, c).fold);
  std::vector<std::size_t> size(5, 0);
  for (auto f : folds_a.fold) ++size.at(f);
  for (auto s : size) BOOST_TEST((s == 20U || s == 21U));
  BOOST_TEST(folds_a.size == size);
  // Positions number each fold's events 0..size-1.
  for (std::size_t f = 0; f < 5; ++f) {
    std::set<std::size_t> positions;
    for (std::size_t i = 0; i < 103; ++i) {
      if (folds_a.fold[i] == f) positions.insert(folds_a.position[i]);
    }
    BOOST_TEST(positions.size() == size[f]);
    BOOST_TEST(*positions.rbegin() == size[f] - 1);
  }
}

// Events ordered by class (as the studies' samples are): every validation block and training
// part still holds both classes in about their overall proportion.
BOOST_AUTO_TEST_CASE(inner_blocks_mix_classes_of_an_ordered_sample) {
  core::RandomStream stream(3);
  const std::size_t n = 1000;  // events 0..499 class 1, 500..999 class 0
  const auto folds = data::assign_folds(n, 5, stream);
  for (std::size_t j = 0; j < 4; ++j) {
    core::RandomStream split(1);
    const auto idx = data::fold_indices(folds, 2, 4, j, 0.2, split);
    std::size_t ones = 0;
    for (auto e : idx.validation) ones += e < 500 ? 1 : 0;
    BOOST_TEST(idx.validation.size() == 200U);
    BOOST_TEST((ones > 70 && ones < 130));
  }
}

// The fold-leakage test: for every event, every model whose scores it receives (the inner
// models of its own held-out fold) neither trained nor validated on it, and the held-out
// folds cover every event exactly once.
BOOST_AUTO_TEST_CASE(no_event_is_scored_by_a_model_that_saw_it) {
  for (std::size_t inner_folds : {1U, 3U, 4U}) {
    const std::size_t n = 157;
    const std::size_t k = 5;
    core::RandomStream stream(11);
    const auto folds = data::assign_folds(n, k, stream);
    const auto& fold_of_event = folds.fold;
    std::vector<std::size_t> scored_by(n, 0);
    for (std::size_t f = 0; f < k; ++f) {
      std::set<std::size_t> validated;
      for (std::size_t j = 0; j < inner_folds; ++j) {
        core::RandomStream split(100 + f * 10 + j);
        const auto idx = data::fold_indices(folds, f, inner_folds, j, 0.25, split);
        const std::set<std::size_t> seen_by_model = [&] {
          std::set<std::size_t> s(idx.train.begin(), idx.train.end());
          s.insert(idx.validation.begin(), idx.validation.end());
          return s;
        }();
        BOOST_TEST(seen_by_model.size() == idx.train.size() + idx.validation.size());
        BOOST_TEST(seen_by_model.size() + idx.held_out.size() == n);
        for (auto e : idx.held_out) {
          BOOST_TEST(fold_of_event[e] == f);
          BOOST_TEST(seen_by_model.count(e) == 0U);  // never trained or validated on
          if (j == 0) ++scored_by[e];
        }
        for (auto e : idx.validation) BOOST_TEST(validated.insert(e).second);
        BOOST_TEST(!idx.train.empty());
        BOOST_TEST(!idx.validation.empty());
      }
      // Inner blocks: each event outside fold f validates exactly one inner model.
      if (inner_folds > 1) {
        std::size_t outside = 0;
        for (auto g : fold_of_event) outside += g != f ? 1 : 0;
        BOOST_TEST(validated.size() == outside);
      }
    }
    for (auto count : scored_by) BOOST_TEST(count == 1U);
  }
}

BOOST_AUTO_TEST_CASE(equalised_parts_have_one_size_for_every_model) {
  // n = 103 is no multiple of k × l: folds and inner blocks differ by an event or so.
  for (const std::size_t inner_folds : {std::size_t{1}, std::size_t{4}}) {
    cwola::core::RandomStream fold_stream(7);
    const auto folds = cwola::data::assign_folds(103, 5, fold_stream);
    std::set<std::size_t> train_sizes;
    std::set<std::size_t> validation_sizes;
    for (std::size_t f = 0; f < 5; ++f) {
      for (std::size_t j = 0; j < inner_folds; ++j) {
        cwola::core::RandomStream split(100 + f * 10 + j);
        const auto full = cwola::data::fold_indices(folds, f, inner_folds, j, 0.25, split);
        auto trimmed = full;
        cwola::data::equalise_fold_parts(folds, inner_folds, 0.25, trimmed, split);
        train_sizes.insert(trimmed.train.size());
        validation_sizes.insert(trimmed.validation.size());
        // Only training and validation lose events, a few at most, and only their own.
        BOOST_TEST(trimmed.held_out == full.held_out);
        BOOST_TEST(std::includes(full.train.begin(), full.train.end(), trimmed.train.begin(),
                                 trimmed.train.end()));
        BOOST_TEST(std::includes(full.validation.begin(), full.validation.end(),
                                 trimmed.validation.begin(), trimmed.validation.end()));
        const std::size_t dropped = full.train.size() + full.validation.size() -
                                    trimmed.train.size() - trimmed.validation.size();
        BOOST_TEST(dropped <= 10u);
      }
    }
    BOOST_TEST(train_sizes.size() == 1u);
    BOOST_TEST(validation_sizes.size() == 1u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
