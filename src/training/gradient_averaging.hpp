#pragma once
/// The gradient side of data-parallel training, without MPI: gather a module's gradients into
/// one contiguous float32 buffer, let a reduction (parallel/gradient_average.hpp over the
/// ranks) average it in place, and put the averages back. Used as StackView::after_backward.
#include <torch/nn/module.h>

#include <cstddef>
#include <functional>

namespace cwola::training {

/// Averages `count` floats in place across the participants (e.g. MPI ranks).
using AverageInPlace = std::function<void(float* values, std::size_t count)>;

/// A StackView::after_backward hook: every parameter's gradient (zeros where a parameter got
/// none) is replaced by `average` of it over the participants, in one call per step. With
/// equally many histograms per participant and a loss that is a mean over them, the result is
/// the gradient of the loss over the union of their minibatches.
std::function<void()> gradient_averaging_hook(torch::nn::Module& module, AverageInPlace average);

}  // namespace cwola::training
