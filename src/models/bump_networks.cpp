#include "models/bump_networks.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace cwola::models {

namespace {
void require(bool ok, const std::string& key, const std::string& value, const std::string& why) {
  if (!ok) throw core::InputError("network config", key, value, why);
}

torch::nn::Conv1d same_conv(int in, int out, int kernel) {
  return torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).padding(kernel / 2));
}

/// Runs a per-bin MLP (1-wide convolutions, ReLU between) on [N, C, L] -> [N, L].
torch::Tensor run_head(std::vector<torch::nn::Conv1d>& head, torch::Tensor h) {
  for (std::size_t i = 0; i < head.size(); ++i) {
    h = head[i]->forward(h);
    if (i + 1 < head.size()) h = torch::relu(h);
  }
  return h.squeeze(1);
}

torch::Tensor range_buffer(double value) { return torch::full({1}, value, torch::kFloat32); }

void check_inputs(const torch::Tensor& counts, const torch::Tensor& mask) {
  if (counts.dim() != 2 || mask.sizes() != counts.sizes()) {
    throw core::Error(
        "a bump network needs counts [N, L] and a mask of the same shape (a bug in "
        "the caller)");
  }
}
}  // namespace

void ZnetConfig::validate() const {
  require(bins >= 2, "bins", std::to_string(bins), "must be >= 2");
  require(dense_width == bins, "dense_width", std::to_string(dense_width),
          "must equal bins (the dense layer's output is read as one value per bin)");
  require(channels >= 1, "channels", std::to_string(channels), "must be >= 1");
  require(kernel >= 1 && kernel % 2 == 1, "kernel", std::to_string(kernel),
          "must be odd and >= 1 ('same' padding)");
  require(convolutions >= 2, "convolutions", std::to_string(convolutions), "must be >= 2");
}

std::int64_t ZnetConfig::parameter_count() const {
  const std::int64_t k = kernel;
  const std::int64_t c = channels;
  const std::int64_t dense = std::int64_t{bins} * dense_width + dense_width;
  const std::int64_t first = k * c + c;
  const std::int64_t middle = (convolutions - 2) * (k * c * c + c);
  const std::int64_t last = k * c + 1;
  return dense + first + middle + last;
}

namespace {
/// Both networks' input scaling: the training set's range of `variable` into the buffers.
void fill_input_range(torch::Tensor& low_buffer, torch::Tensor& high_buffer, double low,
                      double high, const char* variable) {
  if (!(high > low)) {
    throw core::InputError("training set", variable,
                           std::to_string(low) + ".." + std::to_string(high),
                           "has no spread to scale (all bins equal)");
  }
  torch::NoGradGuard no_grad;
  low_buffer.fill_(low);
  high_buffer.fill_(high);
}
}  // namespace

ZnetImpl::ZnetImpl(const ZnetConfig& config) : config_(config) {
  config_.validate();
  dense_ = register_module("dense", torch::nn::Linear(config_.bins, config_.dense_width));
  for (int i = 0; i < config_.convolutions; ++i) {
    const int in = i == 0 ? 1 : config_.channels;
    const int out = i + 1 == config_.convolutions ? 1 : config_.channels;
    convolutions_.push_back(
        register_module("conv" + std::to_string(i), same_conv(in, out, config_.kernel)));
  }
  input_low_ = register_buffer("input_low", range_buffer(0));
  input_high_ = register_buffer("input_high", range_buffer(1));
}

void ZnetImpl::set_input_range(double low, double high) {
  fill_input_range(input_low_, input_high_, low, high, "counts");
}

torch::Tensor ZnetImpl::scale_counts(const torch::Tensor& counts, const torch::Tensor& mask) const {
  return (counts - input_low_) / (input_high_ - input_low_) * mask;
}

BumpPrediction ZnetImpl::forward(const torch::Tensor& counts, const torch::Tensor& mask) {
  check_inputs(counts, mask);
  const std::int64_t length = counts.size(1);
  if (length > config_.bins) {
    throw core::InputError("Znet input", "bins", std::to_string(length),
                           "exceeds the network's fixed " + std::to_string(config_.bins) +
                               " bins (Znet is not fully convolutional) use Znet3");
  }
  auto x = scale_counts(counts, mask);
  auto full_mask = mask;
  if (length < config_.bins) {
    x = torch::constant_pad_nd(x, {0, config_.bins - length});
    full_mask = torch::constant_pad_nd(mask, {0, config_.bins - length});
  }
  auto h = torch::relu(dense_->forward(x)).unsqueeze(1);
  for (std::size_t i = 0; i < convolutions_.size(); ++i) {
    h = convolutions_[i]->forward(h);
    if (i + 1 < convolutions_.size()) h = torch::relu(h);
  }
  BumpPrediction out;
  out.z = (h.squeeze(1) * full_mask).slice(1, 0, length);
  return out;
}

void Znet3Config::validate() const {
  require(!kernels.empty(), "kernels", "(none)", "needs at least one branch");
  for (int k : kernels) {
    require(k >= 1 && k % 2 == 1, "kernels", std::to_string(k),
            "must be odd and >= 1 ('same' padding)");
  }
  require(branch_depth >= 1, "branch_depth", std::to_string(branch_depth), "must be >= 1");
  require(channels >= 1, "channels", std::to_string(channels), "must be >= 1");
  for (int h : head_hidden) require(h >= 1, "head_hidden", std::to_string(h), "must be >= 1");
}

std::int64_t Znet3Config::parameter_count() const {
  const std::int64_t c = channels;
  std::int64_t total = 0;
  for (int kernel : kernels) {
    const std::int64_t k = kernel;
    total += k * c + c;                             // 1 input channel -> c
    total += (branch_depth - 1) * (k * c * c + c);  // c -> c
  }
  std::int64_t head = 0;
  std::int64_t in = 1 + static_cast<std::int64_t>(kernels.size()) * c;  // input + branches
  for (int h : head_hidden) {
    head += in * h + h;
    in = h;
  }
  head += in + 1;
  return total + 2 * head;
}

Znet3Impl::Znet3Impl(const Znet3Config& config) : config_(config) {
  config_.validate();
  for (std::size_t b = 0; b < config_.kernels.size(); ++b) {
    std::vector<torch::nn::Conv1d> branch;
    for (int d = 0; d < config_.branch_depth; ++d) {
      branch.push_back(register_module(
          "branch" + std::to_string(b) + "_conv" + std::to_string(d),
          same_conv(d == 0 ? 1 : config_.channels, config_.channels, config_.kernels[b])));
    }
    branches_.push_back(std::move(branch));
  }
  const int concatenated = 1 + static_cast<int>(config_.kernels.size()) * config_.channels;
  for (auto* head : {&z_head_, &background_head_}) {
    const std::string name = head == &z_head_ ? "z_head" : "background_head";
    int in = concatenated;
    for (std::size_t i = 0; i <= config_.head_hidden.size(); ++i) {
      const int out = i < config_.head_hidden.size() ? config_.head_hidden[i] : 1;
      head->push_back(register_module(name + std::to_string(i), same_conv(in, out, 1)));
      in = out;
    }
  }
  input_low_ = register_buffer("input_low", range_buffer(0));
  input_high_ = register_buffer("input_high", range_buffer(1));
}

void Znet3Impl::set_input_range(double low, double high) {
  fill_input_range(input_low_, input_high_, low, high, "sqrt(counts)");
}

torch::Tensor Znet3Impl::scale_counts(const torch::Tensor& counts,
                                      const torch::Tensor& mask) const {
  return (torch::sqrt(counts.clamp_min(0)) - input_low_) / (input_high_ - input_low_) * mask;
}

BumpPrediction Znet3Impl::forward(const torch::Tensor& counts, const torch::Tensor& mask) {
  check_inputs(counts, mask);
  const auto keep = mask.unsqueeze(1);  // [N, 1, L]
  const auto x = scale_counts(counts, mask).unsqueeze(1);
  std::vector<torch::Tensor> parts = {x};
  for (auto& branch : branches_) {
    auto h = x;
    // Zeroing past the end after every layer makes the next layer see what 'same' padding
    // of the unpadded histogram shows it: zeros.
    for (auto& conv : branch) h = torch::relu(conv->forward(h)) * keep;
    parts.push_back(h);
  }
  const auto features = torch::cat(parts, 1);
  BumpPrediction out;
  out.z = run_head(z_head_, features) * mask;
  out.background = run_head(background_head_, features) * mask;
  return out;
}

BumpArchitecture parse_bump_architecture(const std::string& name, const std::string& key) {
  if (name == "znet") return BumpArchitecture::kZnet;
  if (name == "znet3") return BumpArchitecture::kZnet3;
  throw core::InputError("network config", key, name, "is not a bump network (znet or znet3)");
}

std::string to_string(BumpArchitecture architecture) {
  return architecture == BumpArchitecture::kZnet ? "znet" : "znet3";
}

namespace {
/// The calls every bump network answers, bound to one network's module.
template <typename Impl>
void bind(BumpNetwork& out, const std::shared_ptr<Impl>& impl) {
  out.module = impl;
  out.forward = [impl](const torch::Tensor& c, const torch::Tensor& m) {
    return impl->forward(c, m);
  };
  out.scale_counts = [impl](const torch::Tensor& c, const torch::Tensor& m) {
    return impl->scale_counts(c, m);
  };
  out.set_input_range = [impl](double low, double high) { impl->set_input_range(low, high); };
}
}  // namespace

BumpNetwork make_bump_network(BumpArchitecture architecture, const ZnetConfig& znet,
                              const Znet3Config& znet3) {
  BumpNetwork out;
  out.architecture = architecture;
  if (architecture == BumpArchitecture::kZnet) {
    bind(out, Znet(znet).ptr());
    out.scaling_variable = [](double n) { return n; };
    out.predicts_background = false;
    return out;
  }
  bind(out, Znet3(znet3).ptr());
  out.scaling_variable = [](double n) { return std::sqrt(std::max(n, 0.0)); };
  out.predicts_background = true;
  return out;
}

}  // namespace cwola::models
