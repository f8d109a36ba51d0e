#include "studies/gaussian_study.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "core/text.hpp"
#include "data/gaussian_source.hpp"

namespace cwola::studies {

namespace {
std::vector<double> per_dimension(core::JobConfig& config, const std::string& key,
                                  std::vector<double> values, std::size_t dimensions) {
  if (values.size() == 1) values.assign(dimensions, values.front());
  if (values.size() != dimensions) {
    config.fail(key, "has " + std::to_string(values.size()) + " values but gaussian.dimensions = " +
                         std::to_string(dimensions) + "; give one value or one per dimension");
  }
  return values;
}

class GaussianStudy : public Study {
 public:
  explicit GaussianStudy(std::vector<GaussianSettings> points) : points_(std::move(points)) {
    columns_ = classifier_columns();
    for (const char* extra : {"optimal_auc", "optimal_accuracy", "mahalanobis_distance", "f1", "f2"}) {
      columns_.emplace_back(extra);
    }
    for (const auto& p : points_) {
      max_epochs_ = std::max(max_epochs_, static_cast<std::size_t>(p.classifier.max_epochs));
    }
    grid_ = studies::roc_grid(points_.front().classifier);
  }

  const std::vector<std::string>& result_columns() const override { return columns_; }
  std::size_t max_epochs() const override { return max_epochs_; }
  const std::vector<double>& roc_grid() const override { return grid_; }

  TaskOutput run_task(const TaskContext& context) override {
    const GaussianSettings& s = points_.at(context.point);
    const auto samples = make_samples(s, context);
    TaskOutput output = train_and_evaluate(s.classifier, samples.mixed, samples.test,
                                           {s.expected_signal, s.expected_background}, context);
    append_study_columns(s, output);
    return output;
  }

  /// Tasks of points with the same network, training settings and sample sizes train as one
  /// stacked model; a call with tasks of several such groups trains one group after another.
  std::vector<TaskOutput> run_tasks(const std::vector<TaskContext>& contexts) override {
    return run_in_groups(
        contexts,
        [this](const TaskContext& context) { return group_key(points_.at(context.point)); },
        [this](const std::vector<TaskContext>& group) { return run_stacked(group); });
  }

  std::size_t task_device_bytes() const override {
    std::size_t most = 0;
    for (const auto& s : points_) {
      most = std::max(most, stacked_task_bytes(s.classifier, 2 * s.events_per_mixture,
                                               2 * s.test_events, s.dimensions));
    }
    return most;
  }

 private:
  /// One group of tasks (equal group_key) trained as one stacked network.
  std::vector<TaskOutput> run_stacked(const std::vector<TaskContext>& group) const {
    std::vector<Samples> samples;
    samples.reserve(group.size());  // problems point into it
    std::vector<ClassifierProblem> problems;
    for (const auto& context : group) {
      const GaussianSettings& s = points_.at(context.point);
      samples.push_back(make_samples(s, context));
      problems.push_back({&samples.back().mixed, &samples.back().test,
                          {s.expected_signal, s.expected_background}, context});
    }
    auto outputs = train_and_evaluate_stacked(points_.at(group.front().point).classifier, problems);
    for (std::size_t g = 0; g < group.size(); ++g) {
      if (outputs[g].status != TaskOutput::Status::kAbandoned) {
        append_study_columns(points_.at(group[g].point), outputs[g]);
      }
    }
    return outputs;
  }

  struct Samples {
    data::EventTable mixed;  ///< M1 (label 1) and M2 (label 0), with the truth
    data::EventTable test;   ///< pure signal and background, labelled by the truth
  };

  /// The task's mixtures and test set, each drawn from streams of the task's own seeds.
  static Samples make_samples(const GaussianSettings& s, const TaskContext& context) {
    const auto covariance = data::equicorrelated_covariance(s.sigma, s.correlation);
    const data::GaussianSource signal(s.signal_mean, covariance);
    const data::GaussianSource background(std::vector<double>(s.dimensions, 0.0), covariance);

    // Each mixture draws its signal and its background from streams of their own.
    core::RandomStream signal_stream(context.seed(core::SeedPurpose::kSignalSample));
    core::RandomStream background_stream(context.seed(core::SeedPurpose::kBackgroundSample));
    Samples samples;
    data::EventTable& mixed = samples.mixed;
    mixed.features = s.dimensions;
    for (const auto& [fraction, label] : {std::pair{s.f1, 1}, std::pair{s.f2, 0}}) {
      const std::size_t n_signal = data::signal_count(fraction, s.events_per_mixture);
      const std::size_t n_background = s.events_per_mixture - n_signal;
      std::vector<float> rows;
      signal.sample(signal_stream, n_signal, rows);
      mixed.append(rows, n_signal, static_cast<std::uint8_t>(label), 1);
      rows.clear();
      background.sample(background_stream, n_background, rows);
      mixed.append(rows, n_background, static_cast<std::uint8_t>(label), 0);
    }

    core::RandomStream test_stream(context.seed(core::SeedPurpose::kTestSample));
    data::EventTable& test = samples.test;
    test.features = s.dimensions;
    std::vector<float> rows;
    signal.sample(test_stream, s.test_events, rows);
    test.append(rows, s.test_events, 1, 1);
    rows.clear();
    background.sample(test_stream, s.test_events, rows);
    test.append(rows, s.test_events, 0, 0);
    return samples;
  }

  static void append_study_columns(const GaussianSettings& s, TaskOutput& output) {
    const double delta = s.mahalanobis_distance;
    for (double extra : {data::normal_cdf(delta / std::sqrt(2.0)), data::normal_cdf(delta / 2.0),
                         delta, s.f1, s.f2}) {
      output.results.push_back(extra);
    }
  }

  /// Points with equal keys can share a stacked training.
  static std::string group_key(const GaussianSettings& s) {
    return stacking_key(s.classifier) + ";" + std::to_string(s.dimensions) + ";" +
           std::to_string(s.events_per_mixture) + ";" + std::to_string(s.test_events);
  }

  std::vector<GaussianSettings> points_;
  std::vector<std::string> columns_;
  std::size_t max_epochs_ = 1;
  std::vector<double> grid_;
};
}  // namespace

GaussianSettings read_gaussian_settings(core::JobConfig& config) {
  GaussianSettings s;
  s.dimensions = static_cast<std::size_t>(config.get_int("gaussian.dimensions", 4, 1, 4096));
  s.signal_mean = per_dimension(config, "gaussian.signal_mean",
                                config.get_doubles("gaussian.signal_mean", {0.5}, -1e6, 1e6),
                                s.dimensions);
  s.sigma = per_dimension(config, "gaussian.sigma",
                          config.get_doubles("gaussian.sigma", {1.0}, 1e-9, 1e9), s.dimensions);
  s.correlation = config.get_double("gaussian.correlation", 0.0, -1.0, 1.0);
  s.f1 = config.get_double("gaussian.f1", 0.8, 0.0, 1.0);
  const std::string f2_text = config.get_string("gaussian.f2", "complement");
  s.f2 = f2_text == "complement" ? 1.0 - s.f1 : config.get_double("gaussian.f2", 0.2, 0.0, 1.0);
  const bool allow_equal = config.get_bool("gaussian.allow_equal_fractions", false);
  if (s.f1 == s.f2 && !allow_equal) {
    config.fail("gaussian.f1",
                "equals gaussian.f2 = " + core::format_double(s.f2) +
                    " (the two mixtures are then identical and there is nothing to learn); "
                    "choose f1 != f2, or set gaussian.allow_equal_fractions = true for a null test");
  }
  s.events_per_mixture =
      static_cast<std::size_t>(config.get_int("gaussian.events_per_mixture", 20000, 10, 1LL << 32));
  s.test_events =
      static_cast<std::size_t>(config.get_int("gaussian.test_events", 20000, 1, 1LL << 32));
  s.expected_signal = config.get_double("gaussian.expected_signal", 100.0, 0.0, 1e15);
  s.expected_background = config.get_double("gaussian.expected_background", 10000.0, 1e-9, 1e15);
  try {
    s.mahalanobis_distance = data::mahalanobis_distance(
        s.signal_mean, data::equicorrelated_covariance(s.sigma, s.correlation));
  } catch (const core::InputError& e) {
    config.fail("gaussian.correlation", e.what());
  }
  s.classifier = read_classifier_settings(config);
  return s;
}

std::unique_ptr<Study> make_gaussian_study(std::vector<core::JobConfig>& point_configs) {
  std::vector<GaussianSettings> points;
  for (auto& config : point_configs) points.push_back(read_gaussian_settings(config));
  return std::make_unique<GaussianStudy>(std::move(points));
}

}  // namespace cwola::studies
