#include "models/transformer_encoding.hpp"

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace cwola::models {

namespace {

/// The BLAS's sgemm_ (Fortran interface), the function LibTorch's CPU matrix products call;
/// looked up in the process rather than linked, as training::set_compute_threads does.
using Sgemm = void (*)(const char* transa, const char* transb, const int* m, const int* n,
                       const int* k, const float* alpha, const float* a, const int* lda,
                       const float* b, const int* ldb, const float* beta, float* c, const int* ldc);

Sgemm blas_sgemm() {
  static const auto function = reinterpret_cast<Sgemm>(dlsym(RTLD_DEFAULT, "sgemm_"));
  return function;
}

/// One operand of the BLAS calls for all matrices of a batch, in the layout addmm_impl_cpu_
/// picks: unit stride along a row ('N') or a column ('T') with a large enough leading
/// dimension, else a contiguous copy.
struct Operand {
  torch::Tensor data;  // keeps a copy alive
  char trans = 'N';
  int ld = 0;
};

Operand blas_operand(const torch::Tensor& t, std::int64_t cols_bound, std::int64_t rows_bound) {
  // t [B, rows, cols]: unit stride along cols is BLAS's column-major 'N', ld = stride(1).
  if (t.stride(2) == 1 && t.stride(1) >= std::max<std::int64_t>(1, cols_bound)) {
    return {t, 'N', static_cast<int>(t.stride(1))};
  }
  if (t.stride(1) == 1 && t.stride(2) >= std::max<std::int64_t>(1, rows_bound)) {
    return {t, 'T', static_cast<int>(t.stride(2))};
  }
  const auto copy = t.contiguous();
  return {copy, 'N', static_cast<int>(copy.stride(1))};
}

/// a [B, M, K] x b [B, K, N] without autograd. Where torch::bmm would split the batch and call
/// sgemm_ once per matrix (LibTorch without MKL, float32 on the CPU, M, N, K > 1 and
/// M N K >= 400), this makes the same calls with the same arguments, so the values are
/// identical, without building three tensors and checking them per matrix (for attention's
/// events x heads matrices of 11 x 16 that costs more than the arithmetic). Else torch::bmm.
torch::Tensor matmul_values(const torch::Tensor& a, const torch::Tensor& b) {
  const auto batch = a.size(0);
  const auto m = a.size(1);
  const auto k = a.size(2);
  const auto n = b.size(2);
  const auto sgemm = blas_sgemm();
  const bool same_calls = sgemm != nullptr && !at::hasMKL() && a.device().is_cpu() &&
                          b.device().is_cpu() && a.scalar_type() == torch::kFloat32 &&
                          b.scalar_type() == torch::kFloat32 && !a.is_conj() && !b.is_conj() &&
                          m > 1 && n > 1 && k > 1 && m * n * k >= 400 &&
                          m * n * k <= std::numeric_limits<int>::max();
  if (!same_calls) return torch::bmm(a, b);
  // The result is row-major, so LibTorch computes its transpose, C^T = b^T a^T: b plays
  // BLAS's A (n x k) and a plays BLAS's B (k x m).
  const auto first = blas_operand(b, n, k);
  const auto second = blas_operand(a, k, m);
  auto out = torch::empty({batch, m, n}, a.options());
  const int bm = static_cast<int>(n);
  const int bn = static_cast<int>(m);
  const int bk = static_cast<int>(k);
  const int ldc = static_cast<int>(n);
  const float one = 1.0F;
  const float zero = 0.0F;
  const float* pa = first.data.data_ptr<float>();
  const float* pb = second.data.data_ptr<float>();
  float* pc = out.data_ptr<float>();
  for (std::int64_t s = 0; s < batch; ++s) {
    sgemm(&first.trans, &second.trans, &bm, &bn, &bk, &one, pa + s * first.data.stride(0),
          &first.ld, pb + s * second.data.stride(0), &second.ld, &zero, pc + s * m * n, &ldc);
  }
  return out;
}

/// Autograd for matmul_values: the gradients are the products torch::bmm's backward forms
/// (grad b^T and a^T grad), by matmul_values.
struct SmallBatchedMatmul : public torch::autograd::Function<SmallBatchedMatmul> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& b) {
    ctx->save_for_backward({a, b});
    return matmul_values(a, b);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& grad = grads.at(0);
    torch::Tensor grad_a;
    torch::Tensor grad_b;
    if (ctx->needs_input_grad(0)) grad_a = matmul_values(grad, saved[1].transpose(1, 2));
    if (ctx->needs_input_grad(1)) grad_b = matmul_values(saved[0].transpose(1, 2), grad);
    return {grad_a, grad_b};
  }
};

/// LibTorch's multi_head_attention_forward for self-attention with a key padding mask, no
/// attention mask, bias_k/v or zero attention, and need_weights = false.
torch::Tensor self_attention(torch::nn::MultiheadAttentionImpl& attention, const torch::Tensor& x,
                             const torch::Tensor& key_padding_mask) {
  namespace F = torch::nn::functional;
  const auto& options = attention.options;
  const auto tgt_len = x.size(0);
  const auto bsz = x.size(1);
  const auto embed_dim = x.size(2);
  const auto heads = options.num_heads();
  const auto head_dim = embed_dim / heads;
  const auto scaling = 1 / std::sqrt(head_dim);
  const auto chunks = F::linear(x, attention.in_proj_weight, attention.in_proj_bias).chunk(3, -1);
  const auto q =
      (chunks[0] * scaling).contiguous().view({tgt_len, bsz * heads, head_dim}).transpose(0, 1);
  const auto k = chunks[1].contiguous().view({-1, bsz * heads, head_dim}).transpose(0, 1);
  const auto v = chunks[2].contiguous().view({-1, bsz * heads, head_dim}).transpose(0, 1);
  const auto src_len = k.size(1);
  auto weights = SmallBatchedMatmul::apply(q, k.transpose(1, 2));
  weights = weights.view({bsz, heads, tgt_len, src_len})
                .masked_fill(key_padding_mask.unsqueeze(1).unsqueeze(2),
                             -std::numeric_limits<float>::infinity())
                .view({bsz * heads, tgt_len, src_len});
  weights = F::softmax(weights, -1);
  weights = F::dropout(
      weights, F::DropoutFuncOptions().p(options.dropout()).training(attention.is_training()));
  const auto out = SmallBatchedMatmul::apply(weights, v);
  return F::linear(out.transpose(0, 1).contiguous().view({tgt_len, bsz, embed_dim}),
                   attention.out_proj->weight, attention.out_proj->bias);
}

/// TransformerEncoderLayerImpl::forward (post-norm) with self_attention above.
torch::Tensor encoder_layer(torch::nn::TransformerEncoderLayerImpl& layer, const torch::Tensor& src,
                            const torch::Tensor& key_padding_mask) {
  namespace F = torch::nn::functional;
  const auto attended = self_attention(*layer.self_attn, src, key_padding_mask);
  const auto ret = layer.norm1(src + layer.dropout1(attended));
  // The variant's index, not get_if: it is c10::variant in LibTorch 1.13, std::variant in 2.x,
  // both <kReLU, kGELU, function> (make_encoder's layers take the default, ReLU).
  const auto activation = layer.options.activation().index();
  torch::Tensor hidden = layer.linear1(ret);
  if (activation == 0) {
    hidden = F::relu(hidden);
  } else if (activation == 1) {
    hidden = F::gelu(hidden);
  } else {
    throw core::Error(
        "models::encode: a custom activation (a bug in the caller: the attention "
        "network's layers use ReLU)");
  }
  return layer.norm2(ret + layer.dropout2(layer.linear2(layer.dropout(hidden))));
}

}  // namespace

torch::Tensor small_batched_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  return SmallBatchedMatmul::apply(a, b);
}

torch::Tensor encode(torch::nn::TransformerEncoder& encoder, const torch::Tensor& src,
                     const torch::Tensor& key_padding_mask) {
  const auto& attention = *encoder->layers->at<torch::nn::TransformerEncoderLayerImpl>(0).self_attn;
  if (!attention._qkv_same_embed_dim || attention.bias_k.defined() ||
      attention.options.add_zero_attn()) {
    throw core::Error(
        "models::encode: an encoder layer with separate q/k/v weights, bias_k or "
        "zero attention (a bug in the caller: the attention network builds none)");
  }
  auto output = src;
  for (std::size_t i = 0; i < encoder->layers->size(); ++i) {
    output = encoder_layer(encoder->layers->at<torch::nn::TransformerEncoderLayerImpl>(i), output,
                           key_padding_mask);
  }
  if (!encoder->norm.is_empty()) output = encoder->norm.forward<torch::Tensor>(output);
  return output;
}

}  // namespace cwola::models
