#include "training/adam_optimizer.hpp"

#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>

#include "core/error.hpp"

namespace cwola::training {

namespace {
std::string shape_of(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}
}  // namespace

AdamOptimizer::AdamOptimizer(std::vector<torch::Tensor> parameters, const TrainerConfig& config,
                             MemberAxis axis)
    : parameters_(std::move(parameters)), config_(config), axis_(axis) {
  for (const auto& p : parameters_) {
    exp_avg_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
    exp_avg_sq_.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
  }
}

void AdamOptimizer::zero_grad() {
  for (auto& p : parameters_) p.mutable_grad() = torch::Tensor();
}

void AdamOptimizer::clip_gradients(double max_norm) {
  torch::NoGradGuard no_grad;
  torch::Tensor squares;
  for (const auto& p : parameters_) {
    if (!p.grad().defined()) continue;
    const auto g = member_rows(p.grad());
    const auto s = g.to(torch::kFloat32).pow(2).flatten(1).sum(1);
    squares = squares.defined() ? squares + s : s;
  }
  if (!squares.defined()) return;
  const auto scale = (max_norm / (squares.sqrt() + 1e-6)).clamp_max(1.0);
  for (auto& p : parameters_) {
    if (!p.grad().defined()) continue;
    auto g = member_rows(p.grad());
    std::vector<std::int64_t> shape(static_cast<std::size_t>(g.dim()), 1);
    shape[0] = scale.size(0);
    g.mul_(scale.view(shape).to(g.dtype()));
  }
}

void AdamOptimizer::step() {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bias_correction1 = 1 - std::pow(kBeta1, static_cast<double>(step_));
  const double bias_correction2 = 1 - std::pow(kBeta2, static_cast<double>(step_));
  const double step_size = learning_rate_ / bias_correction1;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    auto& p = parameters_[i];
    const auto& grad = p.grad();
    if (!grad.defined()) continue;
    if (config_.weight_decay > 0) p.data().mul_(1 - learning_rate_ * config_.weight_decay);
    exp_avg_[i].mul_(kBeta1).add_(grad, 1 - kBeta1);
    exp_avg_sq_[i].mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
    const auto denom = (exp_avg_sq_[i].sqrt() / std::sqrt(bias_correction2)).add_(kEps);
    p.data().addcdiv_(exp_avg_[i], denom, -step_size);
  }
}

OptimizerState AdamOptimizer::state() const {
  OptimizerState out;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    out.exp_avg.push_back(exp_avg_[i].detach().clone());
    out.exp_avg_sq.push_back(exp_avg_sq_[i].detach().clone());
  }
  out.step = step_;
  return out;
}

void AdamOptimizer::restore(const OptimizerState& state) {
  if (state.exp_avg.size() != parameters_.size() || state.exp_avg_sq.size() != parameters_.size()) {
    throw core::InputError("the optimizer state to continue has " +
                           std::to_string(state.exp_avg.size()) + " moments but the model has " +
                           std::to_string(parameters_.size()) +
                           " parameters (a state of another network) continue only from a model "
                           "of the same architecture");
  }
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    for (const auto* moment : {&state.exp_avg[i], &state.exp_avg_sq[i]}) {
      if (moment->sizes() != parameters_[i].sizes()) {
        throw core::InputError("optimizer moment " + std::to_string(i) + " has shape " +
                               shape_of(*moment) + " but its parameter has " +
                               shape_of(parameters_[i]) +
                               " (a state of another network) continue only from a model of "
                               "the same architecture");
      }
    }
    exp_avg_[i].copy_(state.exp_avg[i]);
    exp_avg_sq_[i].copy_(state.exp_avg_sq[i]);
  }
  step_ = state.step;
}

void AdamOptimizer::compact(const torch::Tensor& keep) {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    exp_avg_[i] = exp_avg_[i].index_select(0, keep);
    exp_avg_sq_[i] = exp_avg_sq_[i].index_select(0, keep);
  }
}

torch::Tensor AdamOptimizer::member_rows(const torch::Tensor& t) const {
  return axis_ == MemberAxis::kSingle ? t.unsqueeze(0) : t;
}

}  // namespace cwola::training
