#pragma once
/// The contract shared by ensemble-stacked ("member-batched") models: K networks of one shape
/// held as one module whose every parameter and buffer has the member axis as dimension 0
/// (size K), and whose forward maps x [K, N, ...] to logits [K, N], member k seeing only x[k]
/// and only its own slice of every tensor. The ensemble trainer relies on nothing else, so
/// dense, convolutional and other stacked networks share it (training/ensemble_trainer.hpp).
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwola::models {

/// Arithmetic of the matrix products and convolutions of a stacked model. Parameters, their
/// gradients and the optimizer state always stay float32 (master weights).
enum class ComputePrecision {
  kFloat32,   ///< the default: everything float32
  kBFloat16,  ///< inputs and weights cast to bfloat16 for the products (GPU tensor cores),
              ///< results back to float32; changes results beyond rounding (see docs)
};

/// Parses "float32" or "bf16" (exactly); anything else throws core::InputError.
ComputePrecision parse_compute_precision(const std::string& text);
/// "float32" or "bf16".
std::string to_string(ComputePrecision precision);

/// Stacks K same-shape tensors (one per member) along a new leading axis, detached and
/// contiguous: the parameter of a stacked model from its members' parameters. Throws
/// core::InputError if the list is empty or the shapes differ.
torch::Tensor stack_members(const std::vector<torch::Tensor>& member_tensors,
                            const std::string& name);

/// Number of members of a stacked module (dimension 0 of its first parameter); throws
/// core::Error if the module breaks the contract (no parameters, or tensors whose leading
/// dimensions differ).
std::int64_t count_members(const torch::nn::Module& module);

}  // namespace cwola::models
