#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <random>

#include "metrics/roc.hpp"
#include "parallel/mpi_runtime.hpp"
#include "report/ensemble_summary.hpp"
#include "store/results_store.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;

namespace {
/// Labels 1 (first half) and 0, and a member's scores: the truth plus its own Gaussian noise.
std::vector<std::uint8_t> half_labels(std::size_t n) {
  std::vector<std::uint8_t> labels(n, 0);
  for (std::size_t i = 0; i < n / 2; ++i) labels[i] = 1;
  return labels;
}

std::vector<float> noisy_member(const std::vector<std::uint8_t>& labels, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> noise(0.0F, 1.5F);
  std::vector<float> scores;
  for (auto l : labels) scores.push_back(static_cast<float>(l) + noise(engine));
  return scores;
}

double column(const store::SummaryColumns& s, const std::string& name, std::size_t p) {
  for (const auto& [key, values] : s.doubles) {
    if (key == name) return values.at(p);
  }
  throw std::runtime_error("no column " + name);
}

std::string text(const store::SummaryColumns& s, const std::string& name, std::size_t p) {
  for (const auto& [key, values] : s.strings) {
    if (key == name) return values.at(p);
  }
  throw std::runtime_error("no column " + name);
}

/// Brute force: the largest ε_s/√ε_b over every cut score >= t with at least 10 background
/// events passing.
double brute_force_max_sic(const std::vector<float>& scores,
                           const std::vector<std::uint8_t>& labels) {
  double n_s = 0;
  double n_b = 0;
  for (auto l : labels) (l ? n_s : n_b) += 1;
  double best = 0;
  for (float t : scores) {
    double s = 0;
    double b = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if (scores[i] >= t) (labels[i] ? s : b) += 1;
    }
    if (b >= 10) best = std::max(best, (s / n_s) / std::sqrt(b / n_b));
  }
  return best;
}

const std::vector<double> kGrid = metrics::log_grid(1e-3, 1.0, 13);
/// A Gaussian-study store layout of `points` points (one axis) with `repeats` tasks each,
/// keeping scores of `width` events.
store::StoreLayout score_layout(const std::string& job_text, const std::string& axis,
                                const std::vector<std::string>& values, std::uint64_t repeats,
                                std::size_t width) {
  store::StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "ensembles";
  layout.job_text = job_text;
  layout.job_hash = "e";
  layout.axes = {axis};
  for (const auto& v : values) layout.point_axis_values.push_back({v});
  for (std::uint64_t t = 0; t < values.size() * repeats; ++t) {
    layout.task_point.push_back(t / repeats);
    layout.task_repeat.push_back(t % repeats);
    layout.task_seed.push_back(t);
  }
  layout.result_columns = {"auc"};
  layout.max_epochs = 1;
  layout.roc_grid = kGrid;
  layout.score_width = width;
  return layout;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ensemble_summary)

BOOST_AUTO_TEST_CASE(max_sic_is_exact_against_brute_force) {
  const auto labels = half_labels(400);
  for (unsigned seed : {1U, 2U, 3U}) {
    const auto scores = noisy_member(labels, seed);
    const auto values = report::score_metrics(scores, labels, kGrid, nullptr);
    // Names: index 8 max_sic, 10 background_at_max_sic.
    BOOST_TEST(values[8] == brute_force_max_sic(scores, labels),
               boost::test_tools::tolerance(1e-12));
    BOOST_TEST(values[10] >= report::kMinBackgroundEvents - 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(mean_scores_average_event_by_event) {
  const auto mean = report::mean_scores({{0.0F, 1.0F, 0.5F}, {1.0F, 0.0F, 0.25F}});
  BOOST_TEST(mean == (std::vector<float>{0.5F, 0.5F, 0.375F}), boost::test_tools::per_element());
}

// A store of 3 points x 4 repeats: point 0 has 4 done repeats on one test set, point 1 only
// one done repeat, point 2 repeats on different test sets. Only point 0 gets an ensemble; it
// is the mean of its members, and (independent noise) beats each of them.
BOOST_AUTO_TEST_CASE(ensembles_of_points_with_reasons) {
  const std::string path = "ensemble_summary_test.h5";
  const auto labels = half_labels(600);
  const auto layout =
      score_layout("[job]\n", "gaussian.f1", {"0.6", "0.7", "0.8"}, 4, labels.size());
  store::Provenance provenance;
  auto store = store::ResultsStore::create(MPI_COMM_SELF, path, layout, provenance, true);
  std::vector<std::vector<float>> point0;
  double member_auc_sum = 0;
  for (std::uint64_t t = 0; t < 12; ++t) {
    if (t >= 5 && t < 8) continue;  // point 1: only task 4 done
    store::TaskRecord r;
    r.task = t;
    r.scores = noisy_member(labels, static_cast<unsigned>(10 + t));
    r.score_labels = labels;
    r.results = {metrics::auc(r.scores, labels)};
    r.scored_events_id = t < 8 ? 5 : 100 + t;  // point 2: different test sets
    if (t < 4) {
      point0.push_back(r.scores);
      member_auc_sum += r.results[0];
    }
    store.write_task(r);
  }
  store::SummaryColumns summary;
  report::add_ensemble_summary(store, summary);

  const auto mean = report::mean_scores(point0);
  BOOST_TEST(column(summary, "ensemble_auc", 0) == metrics::auc(mean, labels),
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(column(summary, "ensemble_auc", 0) > member_auc_sum / 4 + 0.02);
  BOOST_TEST(column(summary, "ensemble_n_background", 0) == 300.0);
  BOOST_TEST(text(summary, "ensemble_reason", 0).empty());
  BOOST_TEST(std::isnan(column(summary, "ensemble_auc", 1)));
  BOOST_TEST(text(summary, "ensemble_reason", 1).find("fewer than 2") != std::string::npos);
  BOOST_TEST(std::isnan(column(summary, "ensemble_auc", 2)));
  BOOST_TEST(text(summary, "ensemble_reason", 2).find("per_point") != std::string::npos);
  store.close();
  unlink(path.c_str());
}

// metrics.ensemble_size = 2 (a scan axis here: 3 at point 1): 5 done repeats per point form
// ensembles of consecutive members; the leftover member joins none. Each group's AUC is that of
// its mean score, and the summary holds their mean, std (over groups, as over repeats) and count.
BOOST_AUTO_TEST_CASE(ensembles_of_ensemble_size_members) {
  const std::string path = "ensemble_groups_test.h5";
  const auto labels = half_labels(400);
  const auto layout = score_layout("[job]\n[metrics]\nensemble_size = 2\n", "metrics.ensemble_size",
                                   {"2", "3"}, 5, labels.size());
  store::Provenance provenance;
  auto store = store::ResultsStore::create(MPI_COMM_SELF, path, layout, provenance, true);
  std::vector<std::vector<float>> members;
  for (std::uint64_t t = 0; t < 10; ++t) {
    store::TaskRecord r;
    r.task = t;
    r.scores = noisy_member(labels, static_cast<unsigned>(40 + t));
    r.score_labels = labels;
    r.results = {metrics::auc(r.scores, labels)};
    r.scored_events_id = 7;
    members.push_back(r.scores);
    store.write_task(r);
  }
  store::SummaryColumns summary;
  report::add_ensemble_summary(store, summary);

  auto group_auc = [&](std::size_t first, std::size_t size) {
    return metrics::auc(report::mean_scores(std::vector<std::vector<float>>(
                            members.begin() + static_cast<std::ptrdiff_t>(first),
                            members.begin() + static_cast<std::ptrdiff_t>(first + size))),
                        labels);
  };
  const double a = group_auc(0, 2);
  const double b = group_auc(2, 2);
  BOOST_TEST(column(summary, "ensemble_group_auc_mean", 0) == (a + b) / 2,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(column(summary, "ensemble_group_auc_std", 0) == std::abs(a - b) / 2,
             boost::test_tools::tolerance(1e-9));
  // Point 1: groups of 3 out of 5 members, so one group, no spread.
  BOOST_TEST(column(summary, "ensemble_group_auc_mean", 1) == group_auc(5, 3),
             boost::test_tools::tolerance(1e-12));
  std::vector<std::int64_t> groups;
  for (const auto& [key, values] : summary.integers) {
    if (key == "ensemble_groups") groups = values;
  }
  BOOST_TEST(groups == (std::vector<std::int64_t>{2, 1}), boost::test_tools::per_element());
  store.close();
  unlink(path.c_str());
}

// k-fold: 2 repeats x 3 folds x 2 inner models. Each fold's held-out events are scored by its
// inner models; the out-of-fold AUC of a repeat is that of the fold means, concatenated.
BOOST_AUTO_TEST_CASE(out_of_fold_scores_are_assembled_per_sample) {
  const std::string path = "oof_summary_test.h5";
  const std::size_t folds = 3;
  const std::size_t inner = 2;
  store::StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "oof";
  layout.job_text = "[job]\n";
  layout.job_hash = "o";
  layout.point_axis_values = {{}};
  for (std::uint64_t t = 0; t < 2 * folds * inner; ++t) {
    layout.task_point.push_back(0);
    layout.task_repeat.push_back(t / (folds * inner));
    layout.task_seed.push_back(t);
    layout.task_fold.push_back(static_cast<std::int64_t>((t / inner) % folds));
    layout.task_inner_fold.push_back(static_cast<std::int64_t>(t % inner));
  }
  layout.result_columns = {"auc"};
  layout.max_epochs = 1;
  layout.roc_grid = kGrid;
  const auto fold_labels = half_labels(100);
  layout.score_width = fold_labels.size();
  store::Provenance provenance;
  auto store = store::ResultsStore::create(MPI_COMM_SELF, path, layout, provenance, true);
  std::vector<std::vector<float>> oof(2);
  std::vector<std::vector<std::uint8_t>> oof_labels(2);
  for (std::uint64_t t = 0; t < 2 * folds * inner; t += inner) {
    std::vector<std::vector<float>> members;
    for (std::size_t j = 0; j < inner; ++j) {
      store::TaskRecord r;
      r.task = t + j;
      r.scores = noisy_member(fold_labels, static_cast<unsigned>(50 + t + j));
      r.score_labels = fold_labels;
      r.results = {0.5};
      r.scored_events_id = 1000 + t;  // the fold's events, shared by its inner models
      members.push_back(r.scores);
      store.write_task(r);
    }
    const auto mean = report::mean_scores(members);
    const std::size_t repeat = t / (folds * inner);
    oof[repeat].insert(oof[repeat].end(), mean.begin(), mean.end());
    oof_labels[repeat].insert(oof_labels[repeat].end(), fold_labels.begin(), fold_labels.end());
  }
  store::SummaryColumns summary;
  report::add_ensemble_summary(store, summary);
  const double a0 = metrics::auc(oof[0], oof_labels[0]);
  const double a1 = metrics::auc(oof[1], oof_labels[1]);
  BOOST_TEST(column(summary, "oof_auc_mean", 0) == (a0 + a1) / 2,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(column(summary, "oof_auc_std", 0) == std::abs(a0 - a1) / 2,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(column(summary, "oof_n_background_mean", 0) == 150.0);  // every event, once
  BOOST_TEST(std::isnan(column(summary, "ensemble_auc", 0)));
  store.close();
  unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
