#include "models/member_layers.hpp"

#include <torch/torch.h>

#include <vector>

namespace cwola::models {

namespace {
constexpr double kMomentum = 0.1;
constexpr double kEpsilon = 1e-5;
constexpr std::int64_t kLow32 = 0xFFFFFFFFLL;

/// A 32-bit integer mixer (shift-xor-multiply rounds) on int64 tensors holding values below
/// 2^32; the multipliers are below 2^31, so no product leaves int64.
torch::Tensor mix32(torch::Tensor v) {
  v = v.bitwise_and(kLow32);
  v = v.bitwise_xor(torch::div(v, 1 << 16, "floor"));
  v = (v * std::int64_t{0x7feb352d}).bitwise_and(kLow32);
  v = v.bitwise_xor(torch::div(v, 1 << 15, "floor"));
  v = (v * std::int64_t{0x1b873593}).bitwise_and(kLow32);
  return v.bitwise_xor(torch::div(v, 1 << 16, "floor"));
}
}  // namespace

MemberBatchNormImpl::MemberBatchNormImpl(std::int64_t width)
    : MemberBatchNormImpl(torch::ones({width}), torch::zeros({width}), torch::zeros({width}),
                          torch::ones({width})) {}

MemberBatchNormImpl::MemberBatchNormImpl(torch::Tensor weight, torch::Tensor bias,
                                         torch::Tensor running_mean, torch::Tensor running_var) {
  weight_ = register_parameter("weight", std::move(weight));
  bias_ = register_parameter("bias", std::move(bias));
  running_mean_ = register_buffer("running_mean", std::move(running_mean));
  running_var_ = register_buffer("running_var", std::move(running_var));
}

torch::Tensor MemberBatchNormImpl::normalise(const torch::Tensor& x, std::int64_t member) {
  const auto pick = [member](const torch::Tensor& t) { return member < 0 ? t : t[member]; };
  const bool batch_statistics = is_training() && x.size(0) > 1;
  // The running statistics are views of the buffers: batch_norm updates them in place.
  return torch::batch_norm(x, pick(weight_), pick(bias_), pick(running_mean_),
                           pick(running_var_), batch_statistics, kMomentum, kEpsilon,
                           /*cudnn_enabled=*/false);
}

torch::Tensor MemberBatchNormImpl::forward(const torch::Tensor& x) {
  if (weight_.dim() == 1) return normalise(x, -1);
  // One call per member: the same kernel on the same [N, H] slice as the network alone.
  std::vector<torch::Tensor> members;
  members.reserve(static_cast<std::size_t>(x.size(0)));
  for (std::int64_t k = 0; k < x.size(0); ++k) members.push_back(normalise(x[k], k));
  return torch::stack(members);
}

torch::Tensor draw_dropout_seed() {
  // Below 2^24: the model store keeps tensors as float32 values, exact for such integers, so
  // a stored and reloaded network keeps its seed.
  return torch::randint(0, std::int64_t{1} << 24, {}, torch::kInt64);
}

torch::Tensor member_dropout(const torch::Tensor& x, double rate, const torch::Tensor& seed,
                             const torch::Tensor& step, std::int64_t layer) {
  if (rate <= 0.0) return x;
  const auto members = x.size(0);
  const auto events = x.size(1);
  const auto units = x.size(2);
  const torch::Tensor keep = [&] {
    torch::NoGradGuard no_grad;
    const auto s = seed.to(x.device()).view({members, 1, 1});
    const auto t = step.to(x.device()).view({members, 1, 1});
    const auto position =
        torch::arange(events * units, torch::TensorOptions(torch::kInt64).device(x.device()))
            .view({1, events, units});
    auto h = mix32(s.bitwise_xor(mix32(torch::div(s, std::int64_t{1} << 32, "floor"))));
    h = mix32(h + mix32(t));
    h = mix32(h + layer * std::int64_t{0x3c6ef372});
    h = mix32(h + position);
    const auto uniform = h.to(torch::kFloat64) * (1.0 / 4294967296.0);
    return uniform.ge(rate).to(x.scalar_type()) * (1.0 / (1.0 - rate));
  }();
  return x * keep;
}

}  // namespace cwola::models
