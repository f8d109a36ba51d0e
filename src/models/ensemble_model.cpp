#include "models/ensemble_model.hpp"

#include <torch/torch.h>

#include <sstream>

#include "core/error.hpp"

namespace cwola::models {

ComputePrecision parse_compute_precision(const std::string& text) {
  if (text == "float32") {
    return ComputePrecision::kFloat32;
  }
  if (text == "bf16") {
    return ComputePrecision::kBFloat16;
  }
  throw core::InputError("precision '" + text +
                         "' is not known (it sets the arithmetic of batched training) use "
                         "float32 or bf16");
}

std::string to_string(ComputePrecision precision) {
  return precision == ComputePrecision::kBFloat16 ? "bf16" : "float32";
}

torch::Tensor stack_members(const std::vector<torch::Tensor>& member_tensors,
                            const std::string& name) {
  if (member_tensors.empty()) {
    throw core::InputError("cannot stack '" + name +
                           "' of zero members (an ensemble needs at least one) pass one "
                           "tensor per member");
  }
  for (const auto& t : member_tensors) {
    if (t.sizes() != member_tensors.front().sizes()) {
      std::ostringstream out;
      out << "cannot stack '" << name << "': member shapes " << member_tensors.front().sizes()
          << " and " << t.sizes()
          << " differ (stacked members must have one shape) group only networks of the "
             "same configuration";
      throw core::InputError(out.str());
    }
  }
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> detached;
  detached.reserve(member_tensors.size());
  for (const auto& t : member_tensors) {
    detached.push_back(t.detach());
  }
  return torch::stack(detached).contiguous();
}

std::int64_t count_members(const torch::nn::Module& module) {
  std::int64_t members = -1;
  auto check = [&members](const torch::Tensor& t, const std::string& name) {
    if (t.dim() < 1 || (members >= 0 && t.size(0) != members)) {
      throw core::Error("stacked module tensor '" + name +
                        "' does not have the member axis first (a bug in the model: every "
                        "parameter and buffer must be [K, ...])");
    }
    members = t.size(0);
  };
  for (const auto& item : module.named_parameters()) {
    check(item.value(), item.key());
  }
  for (const auto& item : module.named_buffers()) {
    check(item.value(), item.key());
  }
  if (members < 0) {
    throw core::Error("stacked module has no parameters (a bug in the model)");
  }
  return members;
}

}  // namespace cwola::models
