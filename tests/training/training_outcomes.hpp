#pragma once
/// What the ensemble-trainer tests compare: the outcomes and test scores of a set of tasks
/// trained one by one or stacked.
#include <algorithm>
#include <cmath>
#include <vector>

#include "training/trainer.hpp"

namespace cwola::training::testing {

struct TrainedTasks {
  std::vector<TrainOutcome> outcomes;
  std::vector<std::vector<float>> scores;
};

inline double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return worst;
}

}  // namespace cwola::training::testing
