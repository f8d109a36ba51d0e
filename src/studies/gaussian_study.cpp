#include "studies/gaussian_study.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/memory_limit.hpp"
#include "core/random_stream.hpp"
#include "core/text.hpp"
#include "data/gaussian_source.hpp"
#include "studies/classifier_study.hpp"

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

class GaussianStudy : public DenseClassifierStudyOf<GaussianSettings> {
 public:
  explicit GaussianStudy(std::vector<GaussianSettings> points)
      : DenseClassifierStudyOf(std::move(points), {"optimal_auc", "optimal_accuracy",
                                                   "mahalanobis_distance", "f1", "f2"}) {
    std::size_t most = 0;
    for (const auto& s : this->points()) {
      most = std::max(most, stacked_task_bytes(s.classifier, 2 * s.events_per_mixture,
                                               2 * s.test_events, s.dimensions));
    }
    set_task_device_bytes(most);
  }

 protected:
  std::size_t model_inputs(std::size_t point) const override {
    return this->point(point).dimensions;
  }

  ClassifierTaskData prepare_task(const TaskContext& context) const override {
    const GaussianSettings& s = point(context.point);
    auto samples = make_samples(s, context);
    ClassifierTaskData data;
    split_task(s.classifier, samples.mixed, context, data);
    if (!data.failure_reason.empty()) return data;
    data.test = std::move(samples.test);
    data.yields = {s.expected_signal, s.expected_background};
    const double delta = s.mahalanobis_distance;
    data.study_columns = {data::normal_cdf(delta / std::sqrt(2.0)), data::normal_cdf(delta / 2.0),
                          delta, s.f1, s.f2};
    return data;
  }

  SampleSizes sample_sizes(std::size_t index) const override {
    const GaussianSettings& s = point(index);
    return {2 * s.test_events, 2 * s.events_per_mixture};
  }

 private:
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

    core::RandomStream test_stream(context.test_seed(s.classifier.test_set));
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
};
}  // namespace

namespace {
/// A task holds its mixtures and test set as float64 tables (features, label, truth), their
/// training split and the trainer's tensors: refused now, with the number, rather than
/// aborting out of memory after the store was made.
void check_task_memory(core::JobConfig& config, const GaussianSettings& s) {
  const double events = 2.0 * static_cast<double>(s.events_per_mixture) +
                        2.0 * static_cast<double>(s.test_events);
  const double table_bytes = 2.0 * events * static_cast<double>(s.dimensions + 2) * 8.0;
  const double bytes = table_bytes + static_cast<double>(stacked_task_bytes(
                                         s.classifier, 2 * s.events_per_mixture,
                                         2 * s.test_events, s.dimensions));
  const std::string problem = core::memory_shortfall(
      bytes, "one task: 2 x " + std::to_string(s.events_per_mixture) + " mixed + 2 x " +
                 std::to_string(s.test_events) + " test events of " +
                 std::to_string(s.dimensions) + " features, with training");
  if (!problem.empty()) {
    config.fail("gaussian.events_per_mixture", problem + "; use fewer events per mixture (or "
                                               "gaussian.test_events)");
  }
}
}  // namespace

GaussianSettings read_gaussian_settings(core::JobConfig& config) {
  GaussianSettings s;
  s.dimensions = static_cast<std::size_t>(config.get_int("gaussian.dimensions", 4, 1, 4096));
  s.signal_mean =
      per_dimension(config, "gaussian.signal_mean",
                    config.get_doubles("gaussian.signal_mean", {0.5}, -1e6, 1e6), s.dimensions);
  s.sigma = per_dimension(config, "gaussian.sigma",
                          config.get_doubles("gaussian.sigma", {1.0}, 1e-9, 1e9), s.dimensions);
  s.correlation = config.get_double("gaussian.correlation", 0.0, -1.0, 1.0);
  s.f1 = config.get_double("gaussian.f1", 0.8, 0.0, 1.0);
  const std::string f2_text = config.get_string("gaussian.f2", "complement");
  s.f2 = f2_text == "complement" ? 1.0 - s.f1 : config.get_double("gaussian.f2", 0.2, 0.0, 1.0);
  const bool allow_equal = config.get_bool("gaussian.allow_equal_fractions", false);
  if (s.f1 == s.f2 && !allow_equal) {
    config.fail(
        "gaussian.f1",
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
  check_folds(config, s.classifier, s.events_per_mixture, s.events_per_mixture);
  check_task_memory(config, s);
  return s;
}

std::unique_ptr<Study> make_gaussian_study(std::vector<core::JobConfig>& point_configs) {
  std::vector<GaussianSettings> points;
  for (auto& config : point_configs) points.push_back(read_gaussian_settings(config));
  return std::make_unique<GaussianStudy>(std::move(points));
}

}  // namespace cwola::studies
