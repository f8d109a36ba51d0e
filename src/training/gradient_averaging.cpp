#include "training/gradient_averaging.hpp"

#include <torch/torch.h>

#include <vector>

namespace cwola::training {

std::function<void()> gradient_averaging_hook(torch::nn::Module& module, AverageInPlace average) {
  std::vector<torch::Tensor> parameters = module.parameters();
  std::int64_t total = 0;
  for (const auto& p : parameters) total += p.numel();
  // One buffer for the whole model: one reduction per step, not one per tensor.
  auto buffer = std::make_shared<torch::Tensor>(torch::zeros({total}, torch::kFloat32));
  return [parameters, buffer, average = std::move(average)]() {
    torch::NoGradGuard no_grad;
    std::int64_t at = 0;
    for (const auto& p : parameters) {
      auto slot = buffer->slice(0, at, at + p.numel());
      if (p.grad().defined()) {
        slot.copy_(p.grad().detach().reshape({-1}).to(torch::kCPU, torch::kFloat32));
      } else {
        slot.zero_();
      }
      at += p.numel();
    }
    average(buffer->data_ptr<float>(), static_cast<std::size_t>(buffer->numel()));
    at = 0;
    for (auto p : parameters) {
      const auto slot = buffer->slice(0, at, at + p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(slot);
      } else {
        p.mutable_grad() = slot.to(p.device(), p.scalar_type()).clone();
      }
      at += p.numel();
    }
  };
}

}  // namespace cwola::training
