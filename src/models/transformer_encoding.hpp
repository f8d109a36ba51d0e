#pragma once
/// A faster forward pass through LibTorch's TransformerEncoder (post-norm layers), with the same
/// modules, weights and results. Used by the attention network
/// (docs/attention.md, "Speed").
#include <torch/nn/modules/transformercoder.h>
#include <torch/types.h>

namespace cwola::models {

/// torch::bmm(a, b) for a [B, M, K], b [B, K, N], differentiable, with identical values and
/// gradients. LibTorch's CPU path without MKL calls the BLAS once per matrix through three
/// new tensors and their checks, which for attention's many small matrices (events x heads,
/// 11 x 16) costs more than the arithmetic; this makes the same BLAS calls directly.
torch::Tensor small_batched_matmul(const torch::Tensor& a, const torch::Tensor& b);

/// encoder->forward(src, {}, key_padding_mask) with the same operations in the same order,
/// except that the attention weights averaged over heads (which LibTorch's encoder layer
/// computes and throws away) are not made, and the attention's products go through
/// small_batched_matmul. src [S, N, D]; key_padding_mask bool [N, S], true = ignored key.
torch::Tensor encode(torch::nn::TransformerEncoder& encoder, const torch::Tensor& src,
                     const torch::Tensor& key_padding_mask);

}  // namespace cwola::models
