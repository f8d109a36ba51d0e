#include "models/attention_network.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "core/error.hpp"
#include "models/transformer_encoding.hpp"

namespace cwola::models {

namespace {

void require_positive(int value, const char* key) {
  if (value <= 0) {
    throw core::InputError("attention network", key, std::to_string(value),
                           "must be positive (see docs/attention.md for the defaults)");
  }
}

/// x -> LayerNorm(x + GLU(W2 ELU(W1 x))): SPANet's gated residual embedding block. The gate lets
/// a block start near the identity, which keeps deep embeddings trainable.
class GatedResidualBlockImpl : public torch::nn::Module {
 public:
  explicit GatedResidualBlockImpl(std::int64_t width)
      : first_(register_module("first", torch::nn::Linear(width, width))),
        gated_(register_module("gated", torch::nn::Linear(width, 2 * width))),
        norm_(register_module("norm",
                              torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    const auto update = torch::glu(gated_->forward(torch::elu(first_->forward(x))), -1);
    return norm_->forward(x + update);
  }

 private:
  torch::nn::Linear first_;
  torch::nn::Linear gated_;
  torch::nn::LayerNorm norm_;
};
TORCH_MODULE(GatedResidualBlock);

torch::nn::TransformerEncoder make_encoder(const AttentionNetworkConfig& c, int layers) {
  auto layer = torch::nn::TransformerEncoderLayerOptions(c.hidden, c.heads)
                   .dim_feedforward(static_cast<std::int64_t>(c.feedforward_factor) * c.hidden)
                   .dropout(c.dropout);
  return torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(layer, layers));
}

/// Prepends `token` [D] to every event of `jets` [N, J, D], runs `encoder` with the padding
/// masked out of the keys, and returns [N, J + 1, D] (token first). The token is never masked,
/// so every query has at least one key.
torch::Tensor encode_with_token(torch::nn::TransformerEncoder& encoder, const torch::Tensor& token,
                                const torch::Tensor& jets, const torch::Tensor& mask) {
  const auto n = jets.size(0);
  auto sequence = torch::cat({token.view({1, 1, -1}).expand({n, 1, jets.size(2)}), jets}, 1);
  const auto padding =
      torch::cat({torch::zeros({n, 1}, mask.options().dtype(torch::kBool)), mask.logical_not()}, 1);
  // LibTorch's encoder takes [sequence, batch, feature]; encode() is its forward, faster.
  return encode(encoder, sequence.transpose(0, 1), padding).transpose(0, 1);
}

}  // namespace

void AttentionNetworkConfig::validate() const {
  require_positive(jet_features, "jet_features");
  require_positive(max_jets, "max_jets");
  require_positive(hidden, "hidden");
  require_positive(heads, "heads");
  require_positive(encoder_layers, "encoder_layers");
  require_positive(branch_layers, "branch_layers");
  require_positive(feedforward_factor, "feedforward_factor");
  require_positive(particles, "particles");
  if (embedding_blocks < 0) {
    throw core::InputError("attention network", "embedding_blocks",
                           std::to_string(embedding_blocks), "must be zero or positive");
  }
  if (hidden % heads != 0) {
    throw core::InputError("attention network", "heads", std::to_string(heads),
                           "must divide hidden = " + std::to_string(hidden) +
                               " (each head gets hidden / heads dimensions)");
  }
  if (!(dropout >= 0.0 && dropout < 1.0)) {
    throw core::InputError("attention network", "dropout", std::to_string(dropout),
                           "must be in [0, 1)");
  }
  if (daughters != 2 && daughters != 3) {
    throw core::InputError("attention network", "daughters", std::to_string(daughters),
                           "must be 2 (pairs) or 3 (triplets): the heads built are L[i, j] and "
                           "L[i, j, k]");
  }
  if (max_jets < daughters * particles) {
    throw core::InputError("attention network", "max_jets", std::to_string(max_jets),
                           "must be at least daughters x particles = " +
                               std::to_string(daughters * particles) +
                               " (each particle takes distinct jets)");
  }
  std::vector<bool> seen(static_cast<std::size_t>(daughters), false);
  for (const auto& set : symmetric_daughters) {
    for (const int d : set) {
      if (d < 0 || d >= daughters || seen[static_cast<std::size_t>(d)]) {
        throw core::InputError("attention network", "symmetric_daughters", std::to_string(d),
                               "each entry must be a daughter slot in [0, daughters) listed at "
                               "most once");
      }
      seen[static_cast<std::size_t>(d)] = true;
    }
  }
  if (!normalize_features.empty() &&
      static_cast<int>(normalize_features.size()) != jet_features) {
    throw core::InputError("attention network", "normalize_features",
                           std::to_string(normalize_features.size()) + " entries",
                           "needs one entry per jet feature (" + std::to_string(jet_features) +
                               ") or none");
  }
  if (!log_features.empty() && static_cast<int>(log_features.size()) != jet_features) {
    throw core::InputError("attention network", "log_features",
                           std::to_string(log_features.size()) + " entries",
                           "needs one entry per jet feature (" + std::to_string(jet_features) +
                               ") or none");
  }
}

AttentionNetworkImpl::AttentionNetworkImpl(const AttentionNetworkConfig& config)
    : config_(config) {
  config_.validate();
  const std::int64_t d = config_.hidden;
  feature_mean_ = register_buffer("feature_mean", torch::zeros({config_.jet_features}));
  feature_std_ = register_buffer("feature_std", torch::ones({config_.jet_features}));
  auto log_mask = torch::zeros({config_.jet_features}, torch::kBool);
  for (std::size_t f = 0; f < config_.log_features.size(); ++f) {
    log_mask[static_cast<std::int64_t>(f)] = static_cast<bool>(config_.log_features[f]);
  }
  log_mask_ = register_buffer("log_mask", log_mask);
  auto normalize_mask = torch::ones({config_.jet_features}, torch::kBool);
  for (std::size_t f = 0; f < config_.normalize_features.size(); ++f) {
    normalize_mask[static_cast<std::int64_t>(f)] = static_cast<bool>(config_.normalize_features[f]);
  }
  normalize_mask_ = register_buffer("normalize_mask", normalize_mask);

  input_ = register_module("input", torch::nn::Linear(config_.jet_features, d));
  embedding_blocks_ = register_module("embedding", torch::nn::ModuleList());
  for (int b = 0; b < config_.embedding_blocks; ++b) {
    embedding_blocks_->push_back(GatedResidualBlock(d));
  }
  event_token_ = register_parameter("event_token", torch::randn({d}) * 0.02);
  central_ = register_module("central", make_encoder(config_, config_.encoder_layers));
  for (int p = 0; p < config_.particles; ++p) {
    const auto tag = std::to_string(p);
    branch_tokens_.push_back(
        register_parameter("branch" + tag + "_token", torch::randn({d}) * 0.02));
    branches_.push_back(
        register_module("branch" + tag, make_encoder(config_, config_.branch_layers)));
    projections_.emplace_back();
    for (int k = 0; k < config_.daughters; ++k) {
      projections_.back().push_back(register_module(
          "assign" + tag + "_daughter" + std::to_string(k), torch::nn::Linear(d, d)));
    }
  }
  // Daughter-axis permutations that only move slots within a symmetric set.
  std::vector<int> set_of(static_cast<std::size_t>(config_.daughters), -1);
  for (std::size_t s = 0; s < config_.symmetric_daughters.size(); ++s) {
    for (const int k : config_.symmetric_daughters[s]) set_of[static_cast<std::size_t>(k)] = static_cast<int>(s);
  }
  std::vector<std::int64_t> perm(static_cast<std::size_t>(config_.daughters));
  std::iota(perm.begin(), perm.end(), 0);
  do {
    bool allowed = true;
    for (std::size_t k = 0; k < perm.size(); ++k) {
      const auto moved = static_cast<std::size_t>(perm[k]);
      allowed = allowed && (moved == k || (set_of[k] >= 0 && set_of[k] == set_of[moved]));
    }
    if (allowed) symmetry_group_.push_back(perm);
  } while (std::next_permutation(perm.begin(), perm.end()));
  class_hidden_ = register_module("class_hidden", torch::nn::Linear(d, d));
  class_output_ = register_module("class_output", torch::nn::Linear(d, 1));
  for (int p = 0; p < config_.particles; ++p) {
    const auto tag = std::to_string(p);
    detection_hidden_.push_back(
        register_module("detect" + tag + "_hidden", torch::nn::Linear(d, d)));
    detection_output_.push_back(
        register_module("detect" + tag + "_output", torch::nn::Linear(d, 1)));
  }
}

torch::Tensor AttentionNetworkImpl::normalize(torch::Tensor jets) const {
  const auto logged = torch::log1p(torch::clamp_min(jets, 0.0));
  jets = torch::where(log_mask_, logged, jets);
  return (jets - feature_mean_) / feature_std_;
}

void AttentionNetworkImpl::fit_normalization(const torch::Tensor& jets, const torch::Tensor& mask) {
  torch::NoGradGuard no_grad;
  const auto raw = jets.to(torch::kFloat32);
  const auto logged = torch::where(log_mask_, torch::log1p(torch::clamp_min(raw, 0.0)), raw);
  const auto real = logged.index({mask.to(torch::kBool)});  // [real jets, F]
  if (real.size(0) < 2) {
    throw core::InputError("attention network", "fit_normalization",
                           std::to_string(real.size(0)) + " real jets",
                           "needs at least 2 real jets to estimate a mean and spread");
  }
  // A constant feature (e.g. no b-tags in a sample) keeps unit scale instead of dividing by 0;
  // features marked `none` keep mean 0 and scale 1.
  const auto spread = real.std(0, /*unbiased=*/false);
  const auto scaled = normalize_mask_.logical_and(spread > 1e-6);
  feature_mean_.copy_(torch::where(normalize_mask_, real.mean(0), torch::zeros_like(spread)));
  feature_std_.copy_(torch::where(scaled, spread, torch::ones_like(spread)));
}

AttentionOutput AttentionNetworkImpl::forward(torch::Tensor jets, torch::Tensor mask) {
  const auto n = jets.size(0);
  const auto j = jets.size(1);
  mask = mask.to(torch::kBool);
  const auto d = static_cast<double>(config_.hidden);

  auto h = input_->forward(normalize(jets));
  for (const auto& block : *embedding_blocks_) {
    h = block->as<GatedResidualBlock>()->forward(h);
  }
  h = h * mask.unsqueeze(-1).to(h.dtype());  // padding carries nothing

  const auto central = encode_with_token(central_, event_token_, h, mask);
  const auto event_vector = central.select(1, 0);
  const auto encoded_jets = central.narrow(1, 1, j);

  // Allowed tuples: every index a real jet, no index repeated. Shape [N, J, ..., J].
  const auto k_daughters = static_cast<std::int64_t>(config_.daughters);
  std::vector<std::int64_t> shape(static_cast<std::size_t>(k_daughters + 1), 1);
  shape[0] = n;
  auto allowed = torch::ones({1}, mask.options().dtype(torch::kBool));
  const auto index = torch::arange(j, mask.options().dtype(torch::kInt64));
  std::vector<torch::Tensor> axis_index;
  for (std::int64_t a = 0; a < k_daughters; ++a) {
    auto view = shape;
    view[static_cast<std::size_t>(a + 1)] = j;
    allowed = allowed.logical_and(mask.view(view));
    view[0] = 1;
    axis_index.push_back(index.view(view));
  }
  for (std::int64_t a = 0; a < k_daughters; ++a) {
    for (std::int64_t b = a + 1; b < k_daughters; ++b) {
      allowed = allowed.logical_and(axis_index[static_cast<std::size_t>(a)].ne(
          axis_index[static_cast<std::size_t>(b)]));
    }
  }
  const auto forbidden = allowed.logical_not();
  const char* contraction = k_daughters == 2 ? "nid,njd->nij" : "nid,njd,nkd->nijk";
  const auto tuples = static_cast<std::int64_t>(std::pow(j, k_daughters));

  AttentionOutput out;
  out.group_size = static_cast<int>(symmetry_group_.size());
  for (int p = 0; p < config_.particles; ++p) {
    const auto encoded = encode_with_token(branches_[static_cast<std::size_t>(p)],
                                           branch_tokens_[static_cast<std::size_t>(p)],
                                           encoded_jets, mask);
    const auto branch = encoded.narrow(1, 1, j);
    // The branch token has attended to every real jet: it says whether the particle's
    // daughters are all there.
    out.detection_logits.push_back(
        detection_output_[static_cast<std::size_t>(p)]
            ->forward(torch::relu(
                detection_hidden_[static_cast<std::size_t>(p)]->forward(encoded.select(1, 0))))
            .squeeze(-1));
    std::vector<torch::Tensor> projected;
    for (auto& layer : projections_[static_cast<std::size_t>(p)]) {
      projected.push_back(layer->forward(branch));
    }
    const auto raw = torch::einsum(contraction, projected) / d;
    // Average over the daughter symmetries, so P is exactly invariant under them.
    auto logits = torch::zeros_like(raw);
    for (const auto& perm : symmetry_group_) {
      std::vector<std::int64_t> axes = {0};
      for (const auto k : perm) axes.push_back(k + 1);
      logits = logits + raw.permute(axes);
    }
    logits = logits / static_cast<double>(symmetry_group_.size());
    logits = logits.masked_fill(forbidden, -std::numeric_limits<float>::infinity());
    out.assignment_log_probs.push_back(
        torch::log_softmax(logits.reshape({n, tuples}), 1).view(raw.sizes()));
  }
  out.class_logits =
      class_output_->forward(torch::relu(class_hidden_->forward(event_vector))).squeeze(-1);
  return out;
}

std::vector<torch::nn::Linear> AttentionNetworkImpl::detection_outputs() const {
  return detection_output_;
}

std::vector<torch::nn::Linear> AttentionNetworkImpl::pairing_projections() const {
  std::vector<torch::nn::Linear> layers;
  for (const auto& particle : projections_) {
    layers.insert(layers.end(), particle.begin(), particle.end());
  }
  return layers;
}

torch::Tensor reconstructable(const torch::Tensor& targets) { return targets.ge(0).all(2); }

AttentionLoss attention_loss(const AttentionOutput& output, const torch::Tensor& targets,
                             const torch::Tensor& labels, const AttentionLossWeights& weights) {
  if (weights.assignment == 0.0 && weights.classification == 0.0 && weights.detection == 0.0) {
    throw core::InputError("attention network", "loss weights", "0, 0 and 0",
                           "at least one of assignment_loss_scale, classification_loss_scale and "
                           "detection_loss_scale must be non-zero (nothing would be trained)");
  }
  const bool detects = !output.detection_logits.empty();
  if (weights.detection != 0.0 && !detects) {
    throw core::Error("attention_loss: detection_loss_scale = " +
                      std::to_string(weights.detection) +
                      " but the output has no detection logits (a bug in the caller)");
  }
  const auto particles = static_cast<std::int64_t>(output.assignment_log_probs.size());
  const auto n = output.class_logits.size(0);
  const auto& first_head = output.assignment_log_probs.at(0);
  const auto j = first_head.size(1);
  const auto daughters = first_head.dim() - 1;
  const auto event_index = torch::arange(n, targets.options());
  const double log_group = std::log(static_cast<double>(output.group_size));

  // cost[a][b] [n]: -log of the probability that branch a decays to target b's jets. Missing
  // targets cost 0 and are marked unknown.
  std::vector<std::vector<torch::Tensor>> cost(static_cast<std::size_t>(particles));
  std::vector<torch::Tensor> known(static_cast<std::size_t>(particles));
  const auto complete = reconstructable(targets);
  for (std::int64_t b = 0; b < particles; ++b) {
    const auto t = targets.select(1, b);  // [n, daughters]
    known[static_cast<std::size_t>(b)] = complete.select(1, b);
    auto flat = torch::zeros({n}, targets.options());
    for (std::int64_t k = 0; k < daughters; ++k) flat = flat * j + t.select(1, k).clamp_min(0);
    for (std::int64_t a = 0; a < particles; ++a) {
      const auto log_p = output.assignment_log_probs[static_cast<std::size_t>(a)].reshape({n, -1});
      const auto picked = log_p.index({event_index, flat});
      cost[static_cast<std::size_t>(a)].push_back(torch::where(
          known[static_cast<std::size_t>(b)], -(picked + log_group), torch::zeros_like(picked)));
    }
  }
  // detection_cost[a][b] [n]: binary cross-entropy of branch a's detection logit against
  // "target b is complete".
  std::vector<std::vector<torch::Tensor>> detection_cost(static_cast<std::size_t>(particles));
  if (detects) {
    for (std::int64_t a = 0; a < particles; ++a) {
      const auto& logit = output.detection_logits.at(static_cast<std::size_t>(a));
      for (std::int64_t b = 0; b < particles; ++b) {
        detection_cost[static_cast<std::size_t>(a)].push_back(
            torch::binary_cross_entropy_with_logits(
                logit, known[static_cast<std::size_t>(b)].to(logit.dtype()), {}, {},
                torch::Reduction::None));
      }
    }
  }

  // The minimum over all particle permutations, per event (SPANet's symmetric loss).
  std::vector<std::int64_t> order(static_cast<std::size_t>(particles));
  std::iota(order.begin(), order.end(), 0);
  std::vector<torch::Tensor> totals;                         // [perm] -> [n]
  std::vector<std::vector<torch::Tensor>> per_branch;        // [perm][a] -> [n]
  std::vector<std::vector<torch::Tensor>> branch_known;      // [perm][a] -> [n]
  std::vector<std::vector<torch::Tensor>> branch_detection;  // [perm][a] -> [n]
  do {
    std::vector<torch::Tensor> costs;
    std::vector<torch::Tensor> knowns;
    std::vector<torch::Tensor> detections;
    auto total = torch::zeros({n}, output.class_logits.options());
    for (std::int64_t a = 0; a < particles; ++a) {
      const auto b = static_cast<std::size_t>(order[static_cast<std::size_t>(a)]);
      costs.push_back(cost[static_cast<std::size_t>(a)][b]);
      knowns.push_back(known[b]);
      if (detects) detections.push_back(detection_cost[static_cast<std::size_t>(a)][b]);
      // With a detection term the permutation minimises both weighted costs, as SPANet's;
      // without, the assignment costs alone (exactly the loss before the detection head).
      total = weights.detection == 0.0 ? total + costs.back()
                                       : total + (weights.assignment * costs.back() +
                                                  weights.detection * detections.back());
    }
    totals.push_back(total);
    per_branch.push_back(costs);
    branch_known.push_back(knowns);
    branch_detection.push_back(detections);
  } while (std::next_permutation(order.begin(), order.end()));
  const auto best = torch::stack(totals, 0).argmin(0, /*keepdim=*/true);  // [1, n]

  AttentionLoss loss;
  std::vector<torch::Tensor> terms;
  for (std::int64_t a = 0; a < particles; ++a) {
    std::vector<torch::Tensor> c;
    std::vector<torch::Tensor> k;
    for (std::size_t s = 0; s < per_branch.size(); ++s) {
      c.push_back(per_branch[s][static_cast<std::size_t>(a)]);
      k.push_back(branch_known[s][static_cast<std::size_t>(a)]);
    }
    const auto chosen = torch::stack(c, 0).gather(0, best).squeeze(0);
    const auto counted = torch::stack(k, 0).gather(0, best).squeeze(0).to(chosen.dtype());
    loss.assignment.push_back(chosen.sum() / counted.sum().clamp_min(1.0));
    if (weights.assignment != 0.0) {
      terms.push_back(weights.assignment * loss.assignment.back());
    }
  }
  for (std::int64_t a = 0; detects && a < particles; ++a) {
    std::vector<torch::Tensor> d;
    for (const auto& detections : branch_detection) {
      d.push_back(detections[static_cast<std::size_t>(a)]);
    }
    loss.detection.push_back(torch::stack(d, 0).gather(0, best).squeeze(0).mean());
    if (weights.detection != 0.0) terms.push_back(weights.detection * loss.detection.back());
  }
  loss.classification = torch::binary_cross_entropy_with_logits(
      output.class_logits, labels.to(output.class_logits.dtype()));
  if (weights.classification != 0.0) {
    terms.push_back(weights.classification * loss.classification);
  }
  loss.total = torch::stack(terms).mean();
  return loss;
}

torch::Tensor detection_probabilities(const AttentionOutput& output) {
  if (output.detection_logits.empty()) {
    throw core::Error("detection_probabilities: the output has no detection logits (a bug in "
                      "the caller)");
  }
  torch::NoGradGuard no_grad;
  return torch::sigmoid(torch::stack(output.detection_logits, 1))
      .to(torch::kCPU, torch::kFloat32)
      .contiguous();
}

torch::Tensor decode_assignments(const AttentionOutput& output, const torch::Tensor& mask,
                                 torch::Tensor* probs) {
  torch::NoGradGuard no_grad;
  const auto particles = static_cast<std::int64_t>(output.assignment_log_probs.size());
  const auto n = output.class_logits.size(0);
  const auto j = output.assignment_log_probs.at(0).size(1);
  const auto daughters = output.assignment_log_probs.at(0).dim() - 1;
  // [N, P, J^daughters] probabilities of each ordered tuple.
  const auto all = torch::stack(output.assignment_log_probs, 1)
                       .reshape({n, particles, -1})
                       .exp()
                       .mul(static_cast<double>(output.group_size))
                       .to(torch::kCPU, torch::kFloat32)
                       .contiguous();
  const auto real = mask.to(torch::kCPU).to(torch::kBool).contiguous();
  auto assigned_jets = torch::full({n, particles, daughters}, -1, torch::kInt64);
  auto chosen = torch::zeros({n, particles}, torch::kFloat32);
  const auto p = all.accessor<float, 3>();
  const auto m = real.accessor<bool, 2>();
  auto out = assigned_jets.accessor<std::int64_t, 3>();
  auto out_p = chosen.accessor<float, 2>();
  const auto tuples = all.size(2);
  std::vector<std::int64_t> digits(static_cast<std::size_t>(daughters));
  std::vector<bool> used(static_cast<std::size_t>(j));
  std::vector<bool> done(static_cast<std::size_t>(particles));
  for (std::int64_t e = 0; e < n; ++e) {
    std::fill(used.begin(), used.end(), false);
    std::fill(done.begin(), done.end(), false);
    for (std::int64_t step = 0; step < particles; ++step) {
      float best = 0.0F;  // only tuples with P > 0: real, distinct jets
      std::int64_t best_a = -1;
      std::int64_t best_t = -1;
      for (std::int64_t a = 0; a < particles; ++a) {
        if (done[static_cast<std::size_t>(a)]) continue;
        for (std::int64_t t = 0; t < tuples; ++t) {
          // P is 0 on padding and repeated indices, so only jet reuse needs checking.
          if (p[e][a][t] <= best) continue;
          bool free = true;
          for (std::int64_t rest = t, k = daughters - 1; k >= 0; --k, rest /= j) {
            free = free && m[e][rest % j] && !used[static_cast<std::size_t>(rest % j)];
          }
          if (!free) continue;
          best = p[e][a][t];
          best_a = a;
          best_t = t;
        }
      }
      if (best_a < 0) break;  // no free jets left
      done[static_cast<std::size_t>(best_a)] = true;
      for (std::int64_t rest = best_t, k = daughters - 1; k >= 0; --k, rest /= j) {
        out[e][best_a][k] = rest % j;
        used[static_cast<std::size_t>(rest % j)] = true;
      }
      out_p[e][best_a] = best;
    }
  }
  if (probs != nullptr) *probs = chosen;
  return assigned_jets;
}

}  // namespace cwola::models
