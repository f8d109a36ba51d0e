#include <functional>
#include <map>

#include "core/error.hpp"
#include "core/text.hpp"
#include "studies/dihiggs_studies.hpp"
#include "studies/gaussian_study.hpp"
#include "studies/hidden_valley_study.hpp"
#include "studies/hunt_study.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

namespace {
using Factory = std::function<std::unique_ptr<Study>(std::vector<core::JobConfig>&)>;

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> kStudies = {
      {"gaussian", make_gaussian_study},
      {"hidden_valley", make_hidden_valley_study},
      {"dihiggs_fraction", make_dihiggs_fraction_study},
      {"dihiggs_attention", make_dihiggs_attention_study},
      {"dihiggs_hunting", make_dihiggs_hunting_study},
      {"dihiggs_augmentation", make_dihiggs_augmentation_study},
      {"user_samples", make_user_sample_study},
      {"hunt", make_hunt_study},
  };
  return kStudies;
}
}  // namespace

std::vector<std::string> study_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Study> make_study(const std::string& name,
                                  std::vector<core::JobConfig>& point_configs) {
  const auto it = registry().find(name);
  if (it == registry().end()) {
    const auto& first = point_configs.front();
    throw core::InputError(first.origin("job.study"), "job.study", name,
                           "is not a known study; choose one of {" +
                               core::join(study_names(), ", ") + "}");
  }
  // Settings that shape the store must be the same at every scan point.
  auto study = it->second(point_configs);
  for (auto& config : point_configs) {
    for (const char* key : {"metrics.roc_points", "metrics.roc_min_background_efficiency",
                            "metrics.untrained_baseline", "training.folds",
                            "training.inner_folds"}) {
      if (config.raw(key) != point_configs.front().raw(key)) {
        config.fail(key, "differs between scan points (the store has one ROC grid, one set of "
                         "result columns and one fold layout for the study)");
      }
    }
  }
  return study;
}

}  // namespace cwola::studies
