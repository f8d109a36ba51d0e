#include "models/ensemble_conv.hpp"

#include <torch/torch.h>

#include <string>

#include "core/error.hpp"

namespace cwola::models {

torch::Tensor members_to_channels(const torch::Tensor& x) {
  if (x.dim() != 5) {
    throw core::InputError("stacked images must be [K, N, C, H, W], got " +
                           std::to_string(x.dim()) +
                           " dimensions (one image stack per member) check how the ensemble "
                           "input was built");
  }
  const auto k = x.size(0);
  const auto n = x.size(1);
  return x.transpose(0, 1).reshape({n, k * x.size(2), x.size(3), x.size(4)});
}

torch::Tensor channels_to_members(const torch::Tensor& y, std::int64_t members) {
  const auto n = y.size(0);
  return y.reshape({n, members, y.size(1) / members, y.size(2), y.size(3)}).transpose(0, 1);
}

torch::nn::Conv2dOptions EnsembleConv2dConfig::conv_options() const {
  return torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
      .stride(stride)
      .padding(padding)
      .bias(true);
}

void EnsembleConv2dConfig::validate() const {
  const auto check = [](const char* key, std::int64_t value, std::int64_t minimum) {
    if (value < minimum) {
      throw core::InputError("ensemble convolution", key, std::to_string(value),
                             "must be at least " + std::to_string(minimum));
    }
  };
  check("in_channels", in_channels, 1);
  check("out_channels", out_channels, 1);
  check("kernel", kernel, 1);
  check("stride", stride, 1);
  check("padding", padding, 0);
}

EnsembleConv2dImpl::EnsembleConv2dImpl(const EnsembleConv2dConfig& config,
                                       const std::vector<torch::nn::Conv2d>& members,
                                       ComputePrecision precision)
    : config_(config), precision_(precision) {
  config_.validate();
  if (members.empty()) {
    throw core::InputError("an ensemble convolution needs at least one member (got none) pass "
                           "the Conv2d layers to stack");
  }
  const std::vector<std::int64_t> shape = {config_.out_channels, config_.in_channels,
                                           config_.kernel, config_.kernel};
  std::vector<torch::Tensor> weights;
  std::vector<torch::Tensor> biases;
  for (const auto& member : members) {
    if (member->weight.sizes() != torch::IntArrayRef(shape) || !member->bias.defined()) {
      throw core::InputError("an ensemble convolution member does not match the configuration "
                             "(stacked members must share one shape and have a bias) build "
                             "each member with EnsembleConv2dConfig::conv_options()");
    }
    weights.push_back(member->weight);
    biases.push_back(member->bias);
  }
  weight_ = register_parameter("weight", stack_members(weights, "weight"));
  bias_ = register_parameter("bias", stack_members(biases, "bias"));
}

torch::Tensor EnsembleConv2dImpl::forward(const torch::Tensor& x) {
  return channels_to_members(forward_folded(members_to_channels(x)), members());
}

torch::Tensor EnsembleConv2dImpl::forward_folded(const torch::Tensor& folded) {
  // Group k of the grouped convolution sees channels [k*in, (k+1)*in) and owns filters
  // [k*out, (k+1)*out): exactly member k's convolution of its own images.
  const auto k = members();
  const auto w = weight_.reshape(
      {k * config_.out_channels, config_.in_channels, config_.kernel, config_.kernel});
  const auto b = bias_.reshape({k * config_.out_channels});
  if (precision_ == ComputePrecision::kBFloat16) {
    return torch::conv2d(folded.to(torch::kBFloat16), w.to(torch::kBFloat16),
                         b.to(torch::kBFloat16), config_.stride, config_.padding, 1, k)
        .to(torch::kFloat32);
  }
  return torch::conv2d(folded, w, b, config_.stride, config_.padding, 1, k);
}

}  // namespace cwola::models
