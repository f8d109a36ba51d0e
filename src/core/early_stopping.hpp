#pragma once
/// The early-stopping rule of every iterative training: the network loop's epochs
/// (training/training_loop) and the boosted trees' rounds (trees/bdt_ensemble). One rule, so
/// `patience` means the same in both.
#include <limits>

namespace cwola::core {

/// An improvement is a validation loss below the best so far by more than `min_delta`;
/// `patience` steps in a row without one stop the training. The step with the best loss is
/// the one whose state the training keeps.
class EarlyStopping {
 public:
  explicit EarlyStopping(int patience, double min_delta = 0.0)
      : patience_(patience), min_delta_(min_delta) {}

  /// Records `step`'s validation loss; true when it improves on the best (the caller then
  /// keeps that step's state). A NaN loss is never an improvement.
  bool improved(double loss, int step) {
    if (loss < best_loss_ - min_delta_) {
      best_loss_ = loss;
      best_step_ = step;
      steps_without_improvement_ = 0;
      return true;
    }
    ++steps_without_improvement_;
    return false;
  }

  /// Whether `patience` steps in a row have passed without an improvement.
  bool exhausted() const { return steps_without_improvement_ >= patience_; }

  double best_loss() const { return best_loss_; }
  /// The step with the best loss; -1 before the first improvement.
  int best_step() const { return best_step_; }
  int steps_without_improvement() const { return steps_without_improvement_; }

  /// Continues a training from a checkpoint's record of the rule.
  void restore(double best_loss, int best_step, int steps_without_improvement) {
    best_loss_ = best_loss;
    best_step_ = best_step;
    steps_without_improvement_ = steps_without_improvement;
  }

 private:
  int patience_;
  double min_delta_;
  double best_loss_ = std::numeric_limits<double>::infinity();
  int best_step_ = -1;
  int steps_without_improvement_ = 0;
};

}  // namespace cwola::core
