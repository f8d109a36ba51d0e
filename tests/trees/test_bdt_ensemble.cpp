#include "trees/bdt_ensemble.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "metrics/roc.hpp"

namespace cwola::trees {
namespace {

/// Events with labels: label 1 drawn from N(shift, 1) per feature, label 0 from N(0, 1);
/// shift = 0 makes the features independent of the label.
struct Events {
  std::vector<float> rows;
  std::vector<std::uint8_t> labels;
  std::size_t features = 2;
  LabelledRows view(const std::vector<float>* weights = nullptr) const {
    return {&rows, features, &labels, weights};
  }
};

Events make_events(std::size_t ones, std::size_t zeros, double shift, std::uint64_t seed,
                   std::size_t features = 2) {
  core::RandomStream random(seed);
  Events e;
  e.features = features;
  for (std::size_t i = 0; i < ones + zeros; ++i) {
    const bool one = i < ones;
    for (std::size_t f = 0; f < features; ++f)
      e.rows.push_back(static_cast<float>(random.normal() + (one ? shift : 0.0)));
    e.labels.push_back(one ? 1 : 0);
  }
  return e;
}

BdtConfig small_config() {
  BdtConfig c;
  c.rounds = 40;
  c.max_leaves = 8;
  c.learning_rate = 0.2;
  c.patience = 5;
  c.ensemble = 3;
  return c;
}

BOOST_AUTO_TEST_CASE(separable_problem_is_learned) {
  // Classes 4 sigma apart along the diagonal: the optimal AUC is Phi(4 / sqrt 2 * ...) ~ 1.
  const auto train = make_events(1000, 1000, 4.0, 1);
  const auto validation = make_events(250, 250, 4.0, 2);
  const auto test = make_events(1000, 1000, 4.0, 3);
  const auto bdt = train_bdt_ensemble(small_config(), train.view(), validation.view(), 7);
  const auto scores = bdt.predict(test.rows, test.features);
  BOOST_TEST(metrics::auc(scores, test.labels) > 0.95);
}

BOOST_AUTO_TEST_CASE(label_independent_features_give_auc_one_half) {
  // 10 000 + 10 000 test events: the AUC's standard deviation under the null is
  // sqrt((n0 + n1 + 1) / (12 n0 n1)) = 0.0041, so 0.05 is 12 standard deviations.
  const auto train = make_events(2000, 2000, 0.0, 11);
  const auto validation = make_events(500, 500, 0.0, 12);
  const auto test = make_events(10000, 10000, 0.0, 13);
  const auto bdt = train_bdt_ensemble(small_config(), train.view(), validation.view(), 7);
  const auto scores = bdt.predict(test.rows, test.features);
  BOOST_TEST(std::fabs(metrics::auc(scores, test.labels) - 0.5) < 0.05);
}

BOOST_AUTO_TEST_CASE(same_seed_is_bit_identical_and_another_seed_differs) {
  const auto train = make_events(600, 600, 1.0, 21);
  const auto validation = make_events(200, 200, 1.0, 22);
  const auto test = make_events(500, 500, 1.0, 23);
  const auto config = small_config();
  const auto a = train_bdt_ensemble(config, train.view(), validation.view(), 99)
                     .predict(test.rows, test.features);
  const auto b = train_bdt_ensemble(config, train.view(), validation.view(), 99)
                     .predict(test.rows, test.features);
  const auto c = train_bdt_ensemble(config, train.view(), validation.view(), 100)
                     .predict(test.rows, test.features);
  BOOST_TEST(a.size() == test.labels.size());
  BOOST_TEST(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  BOOST_TEST(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)) != 0);
}

BOOST_AUTO_TEST_CASE(early_stopping_keeps_the_best_round) {
  // Overlapping classes and a large learning rate: the validation loss turns up early.
  const auto train = make_events(300, 300, 0.5, 31);
  const auto validation = make_events(300, 300, 0.5, 32);
  auto config = small_config();
  config.rounds = 200;
  config.learning_rate = 0.8;
  config.max_leaves = 32;
  const auto bdt = train_bdt_ensemble(config, train.view(), validation.view(), 5);
  BOOST_TEST(static_cast<int>(bdt.status()) == static_cast<int>(BdtStatus::kEarlyStopped));
  const auto& history = bdt.history();
  BOOST_TEST(static_cast<int>(history.size()) == bdt.best_round() + config.patience + 1);
  const auto lowest = std::min_element(history.begin(), history.end(),
                                       [](const RoundRecord& x, const RoundRecord& y) {
                                         return x.val_loss < y.val_loss;
                                       });
  BOOST_TEST(static_cast<int>(lowest - history.begin()) == bdt.best_round());
  // The predictions are the best round's: their validation log-loss is the recorded minimum.
  const auto p = bdt.predict(validation.rows, validation.features);
  BOOST_TEST(log_loss(p, validation.labels, nullptr) == lowest->val_loss,
             boost::test_tools::tolerance(1e-9));
  // And the training kept improving on its own events after the best round.
  BOOST_TEST(history.back().train_loss < history[bdt.best_round()].train_loss);
}

BOOST_AUTO_TEST_CASE(instance_weights_change_the_model) {
  // 1 : 9 unbalanced classes; weighting label 1 by 9 makes both weigh alike, which moves the
  // scores' scale (mean score near 0.5 instead of near 0.1).
  const auto train = make_events(200, 1800, 1.0, 41);
  const auto validation = make_events(50, 450, 1.0, 42);
  std::vector<float> train_w;
  std::vector<float> validation_w;
  for (auto l : train.labels) train_w.push_back(l == 1 ? 9.0F : 1.0F);
  for (auto l : validation.labels) validation_w.push_back(l == 1 ? 9.0F : 1.0F);
  const auto config = small_config();
  const auto plain = train_bdt_ensemble(config, train.view(), validation.view(), 3)
                         .predict(validation.rows, validation.features);
  const auto weighted =
      train_bdt_ensemble(config, train.view(&train_w), validation.view(&validation_w), 3)
          .predict(validation.rows, validation.features);
  double mean_plain = 0;
  double mean_weighted = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    mean_plain += plain[i] / static_cast<double>(plain.size());
    mean_weighted += weighted[i] / static_cast<double>(plain.size());
  }
  BOOST_TEST(mean_plain < 0.2);
  BOOST_TEST(mean_weighted > 0.3);
}

BOOST_AUTO_TEST_CASE(abandoning_stops_before_the_next_round) {
  const auto train = make_events(100, 100, 1.0, 51);
  const auto validation = make_events(50, 50, 1.0, 52);
  int polls = 0;
  const auto bdt = train_bdt_ensemble(small_config(), train.view(), validation.view(), 1,
                                      [&polls] { return ++polls <= 3; });
  BOOST_TEST(static_cast<int>(bdt.status()) == static_cast<int>(BdtStatus::kAbandoned));
  BOOST_TEST(bdt.history().size() == 3U);
}

BOOST_AUTO_TEST_CASE(bad_settings_and_one_label_samples_are_refused) {
  auto config = small_config();
  config.max_leaves = 1;
  BOOST_CHECK_THROW(config.validate(), core::InputError);
  const auto one_label = make_events(100, 0, 1.0, 61);
  const auto validation = make_events(50, 50, 1.0, 62);
  BOOST_CHECK_THROW(train_bdt_ensemble(small_config(), one_label.view(), validation.view(), 1),
                    core::InputError);
}

}  // namespace
}  // namespace cwola::trees
