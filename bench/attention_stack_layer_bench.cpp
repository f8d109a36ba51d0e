// The C++ side of bench/attention_stack_bench.py (issue 15): one training step (forward and
// backward) of the attention network's transformer encoder layers, K layers alone
// (torch::nn::TransformerEncoderLayer, as models/attention_network.cpp uses them) against one
// layer whose weights carry a member axis [K, ...] (linear layers as baddbmm, attention with the
// members folded into the batch, layer norm per member, post-norm ReLU, dropout 0). The encoder
// layers are where the network spends its time; checks that member k computes what layer k
// alone computes and prints events/s and the ratio for K = 1, 2, 4, 8. Not built by CMake:
//
//   g++ -O2 -std=c++17 bench/attention_stack_layer_bench.cpp -o /tmp/attention_stack_layer_bench
//     -isystem /usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10   (one line)
//   OPENBLAS_NUM_THREADS=1 /tmp/attention_stack_layer_bench [D] [layers] [seconds] [broadcast]
//
// D = 32 with 3 layers (2 central + 1 branch) is jobs/dihiggs_attention.ini's per-branch path;
// D = 64 with 6 layers the defaults'. Batch 128 events, 11 sequence slots (10 jets + token),
// 4 heads.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace {

using torch::Tensor;

struct StackedLinear {
  Tensor w, b;                                // [K, out, in], [K, out]
  Tensor operator()(const Tensor& x) const {  // [K, M, in]
    return torch::baddbmm(b.unsqueeze(1), x, w.transpose(1, 2));
  }
};

struct StackedNorm {
  Tensor w, b;                                // [K, D]
  Tensor operator()(const Tensor& x) const {  // [K, M, D]
    const auto d = x.size(-1);
    return torch::layer_norm(x, {d}) * w.unsqueeze(1) + b.unsqueeze(1);
  }
};

Tensor stacked(const std::vector<Tensor>& parts) {
  std::vector<Tensor> detached;
  for (const auto& p : parts) detached.push_back(p.detach());
  return torch::stack(detached).requires_grad_(true);
}

struct StackedLayer {
  StackedLinear in_proj, out_proj, linear1, linear2;
  StackedNorm norm1, norm2;
  int64_t heads;
  bool broadcast;  // attention products as broadcast multiply-and-sum instead of bmm

  StackedLayer(std::vector<torch::nn::TransformerEncoderLayer>& layers, int64_t h,
               bool by_broadcast)
      : heads(h), broadcast(by_broadcast) {
    // One parameter of every layer, stacked along the member axis.
    auto member_stack = [&layers](const std::string& name) {
      std::vector<Tensor> members;
      for (auto& layer : layers) members.push_back(layer->named_parameters()[name]);
      return stacked(members);
    };
    auto weight_and_bias = [&member_stack](const std::string& prefix, auto& out) {
      out = {member_stack(prefix + "weight"), member_stack(prefix + "bias")};
    };
    weight_and_bias("self_attn.in_proj_", in_proj);
    weight_and_bias("self_attn.out_proj.", out_proj);
    weight_and_bias("linear1.", linear1);
    weight_and_bias("linear2.", linear2);
    weight_and_bias("norm1.", norm1);
    weight_and_bias("norm2.", norm2);
  }

  // x [K, N, S, D], padding [N, S] (true = masked key).
  Tensor forward(const Tensor& x, const Tensor& padding) const {
    const auto k = x.size(0), n = x.size(1), s = x.size(2), d = x.size(3), hd = d / heads;
    const auto flat = x.reshape({k, n * s, d});
    const auto qkv = in_proj(flat).view({k, n, s, 3, heads, hd}).permute({3, 0, 1, 4, 2, 5});
    const auto q = qkv[0].reshape({k * n * heads, s, hd}) / std::sqrt(static_cast<double>(hd));
    const auto key = qkv[1].reshape({k * n * heads, s, hd});
    const auto value = qkv[2].reshape({k * n * heads, s, hd});
    const auto bias = torch::zeros({n, s})
                          .masked_fill(padding, -std::numeric_limits<float>::infinity())
                          .view({1, n, 1, 1, s})
                          .expand({k, n, heads, 1, s})
                          .reshape({k * n * heads, 1, s});
    Tensor att;
    if (broadcast) {
      const auto scores = (q.unsqueeze(2) * key.unsqueeze(1)).sum(-1) + bias;
      att = (torch::softmax(scores, -1).unsqueeze(-1) * value.unsqueeze(1)).sum(2);
    } else {
      att = torch::bmm(torch::softmax(torch::baddbmm(bias, q, key.transpose(1, 2)), -1), value);
    }
    att = att.view({k, n, heads, s, hd}).transpose(2, 3).reshape({k, n * s, d});
    const auto h = norm1(flat + out_proj(att));
    return norm2(h + linear2(torch::relu(linear1(h)))).view({k, n, s, d});
  }
};

double seconds_per(const std::function<void()>& step, double budget) {
  step();  // warm up
  auto start = std::chrono::steady_clock::now();
  step();
  const double one =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int repeat = std::max(2, static_cast<int>(budget / std::max(one, 1e-4)));
  double best = std::numeric_limits<double>::infinity();
  for (int t = 0; t < 2; ++t) {
    start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeat; ++r) step();
    best = std::min(
        best,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeat);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t d = argc > 1 ? std::atoi(argv[1]) : 32;
  const int depth = argc > 2 ? std::atoi(argv[2]) : 3;
  const double budget = argc > 3 ? std::atof(argv[3]) : 1.0;
  const bool broadcast = argc > 4 && std::string(argv[4]) == "broadcast";
  const int64_t n = 128, s = 11, heads = 4;
  torch::set_num_threads(1);
  torch::manual_seed(1);
  const auto lengths = torch::randint(5, s + 1, {n});
  const auto padding = torch::arange(s).view({1, s}).ge(lengths.view({n, 1}));
  std::printf("D = %ld, %d encoder layers, %ld heads, batch %ld, sequence %ld, attention by %s\n",
              d, depth, heads, n, s, broadcast ? "broadcast" : "bmm");
  // alone: LibTorch's layers, K networks one after the other; one-member: the stacked form with
  // K = 1, K times (stacking's own gain is stacked / one-member).
  std::printf("%3s %11s %12s %13s %14s %14s %10s\n", "K", "alone ev/s", "1-member ev/s",
              "stacked ev/s", "stacked/alone", "stacked/1-mem", "max|diff|");
  for (const int64_t k : {1, 2, 4, 8}) {
    // [member][layer]
    std::vector<std::vector<torch::nn::TransformerEncoderLayer>> nets(k);
    for (auto& net : nets) {
      for (int l = 0; l < depth; ++l) {
        net.emplace_back(
            torch::nn::TransformerEncoderLayerOptions(d, heads).dim_feedforward(2 * d).dropout(
                0.0));
      }
    }
    std::vector<StackedLayer> stack;
    for (int l = 0; l < depth; ++l) {
      std::vector<torch::nn::TransformerEncoderLayer> column;
      for (auto& net : nets) column.push_back(net[static_cast<std::size_t>(l)]);
      stack.emplace_back(column, heads, broadcast);
    }
    std::vector<std::vector<StackedLayer>> singles(static_cast<std::size_t>(k));
    for (std::size_t m = 0; m < singles.size(); ++m) {
      for (auto& layer : nets[m]) {
        std::vector<torch::nn::TransformerEncoderLayer> one = {layer};
        singles[m].emplace_back(one, heads, broadcast);
      }
    }
    const auto x = torch::randn({n, s, d});
    const auto run_alone = [&](std::vector<torch::nn::TransformerEncoderLayer>& net) {
      auto h = x.transpose(0, 1);  // [S, N, D]
      for (auto& layer : net) h = layer->forward(h, {}, padding);
      return h.transpose(0, 1);
    };
    const auto run_stacked = [&] {
      auto h = x.unsqueeze(0).expand({k, n, s, d}).contiguous();
      for (const auto& layer : stack) h = layer.forward(h, padding);
      return h;
    };
    const auto run_single = [&](const std::vector<StackedLayer>& layers) {
      auto h = x.unsqueeze(0);
      for (const auto& layer : layers) h = layer.forward(h, padding);
      return h;
    };
    double diff = 0.0;
    {
      torch::NoGradGuard no_grad;
      const auto together = run_stacked();
      for (int64_t m = 0; m < k; ++m) {
        diff = std::max(diff, (together[m] - run_alone(nets[static_cast<std::size_t>(m)]))
                                  .abs()
                                  .max()
                                  .item<double>());
      }
    }
    const double alone = seconds_per(
        [&] {
          for (auto& net : nets) run_alone(net).square().sum().backward();
        },
        budget);
    const double single = seconds_per(
        [&] {
          for (const auto& layers : singles) run_single(layers).square().sum().backward();
        },
        budget);
    const double together = seconds_per([&] { run_stacked().square().sum().backward(); }, budget);
    const double events = static_cast<double>(k * n);
    std::printf("%3ld %11.0f %12.0f %13.0f %14.2f %14.2f %10.1e\n", k, events / alone,
                events / single, events / together, alone / together, single / together, diff);
    std::fflush(stdout);
  }
  return 0;
}
