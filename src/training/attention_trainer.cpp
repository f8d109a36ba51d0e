#include "training/attention_trainer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>

#include "core/error.hpp"
#include "training/trainer.hpp"

namespace cwola::training {

AttentionSample AttentionSample::select(const torch::Tensor& index) const {
  return {jets.index_select(0, index), mask.index_select(0, index),
          targets.index_select(0, index), labels.index_select(0, index)};
}

void AttentionTrainerConfig::validate() const {
  auto reject = [](const char* key, double value, const char* why) {
    throw core::InputError("attention training", key, std::to_string(value), why);
  };
  if (epochs < 1) reject("epochs", epochs, "must be at least 1");
  if (batch_size < 1) reject("batch_size", batch_size, "must be at least 1");
  if (!(learning_rate > 0 && std::isfinite(learning_rate))) {
    reject("learning_rate", learning_rate, "must be positive and finite");
  }
  if (!(weight_decay >= 0)) reject("weight_decay", weight_decay, "must be zero or positive");
  if (!(gradient_clip > 0)) reject("gradient_clip", gradient_clip, "must be positive");
  if (!(loss_weights.assignment >= 0)) {
    reject("assignment_loss_scale", loss_weights.assignment, "must be zero or positive");
  }
  if (!(loss_weights.classification >= 0)) {
    reject("classification_loss_scale", loss_weights.classification, "must be zero or positive");
  }
}

std::vector<AttentionEpoch> train_attention(models::AttentionNetwork& net,
                                            const AttentionSample& train,
                                            const AttentionTrainerConfig& config,
                                            std::uint64_t shuffle_seed) {
  config.validate();
  net->fit_normalization(train.jets, train.mask);
  net->train();
  torch::optim::AdamW optimizer(
      net->parameters(),
      torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay));
  std::mt19937_64 rng(shuffle_seed);
  std::vector<std::int64_t> order(static_cast<std::size_t>(train.size()));
  std::vector<AttentionEpoch> history;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    draw_epoch_order(order, rng);
    const auto order_tensor = torch::tensor(order, torch::kInt64);
    AttentionEpoch record;
    std::int64_t batches = 0;
    for (std::int64_t start = 0; start < train.size(); start += config.batch_size) {
      const auto count = std::min<std::int64_t>(config.batch_size, train.size() - start);
      const auto batch = train.select(order_tensor.narrow(0, start, count));
      optimizer.zero_grad();
      const auto output = net->forward(batch.jets, batch.mask);
      const auto loss =
          models::attention_loss(output, batch.targets, batch.labels, config.loss_weights);
      const double total = loss.total.item<double>();
      if (!std::isfinite(total)) {
        throw core::Error("attention training: non-finite loss at epoch " +
                          std::to_string(epoch) + " (lower learning_rate or check the inputs)");
      }
      loss.total.backward();
      torch::nn::utils::clip_grad_norm_(net->parameters(), config.gradient_clip);
      optimizer.step();
      record.total += total;
      double assignment = 0;
      for (const auto& term : loss.assignment) assignment += term.item<double>();
      record.assignment += assignment / static_cast<double>(loss.assignment.size());
      record.classification += loss.classification.item<double>();
      ++batches;
    }
    record.total /= static_cast<double>(batches);
    record.assignment /= static_cast<double>(batches);
    record.classification /= static_cast<double>(batches);
    history.push_back(record);
  }
  net->eval();
  return history;
}

AttentionPrediction predict_attention(models::AttentionNetwork& net, const torch::Tensor& jets,
                                      const torch::Tensor& mask, int batch_size) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<torch::Tensor> pairs;
  std::vector<torch::Tensor> pair_probs;
  std::vector<torch::Tensor> class_probs;
  for (std::int64_t start = 0; start < jets.size(0); start += batch_size) {
    const auto count = std::min<std::int64_t>(batch_size, jets.size(0) - start);
    const auto m = mask.narrow(0, start, count);
    const auto output = net->forward(jets.narrow(0, start, count), m);
    torch::Tensor probs;
    pairs.push_back(models::decode_assignments(output, m, &probs));
    pair_probs.push_back(probs);
    class_probs.push_back(torch::sigmoid(output.class_logits));
  }
  return {torch::cat(pairs), torch::cat(pair_probs), torch::cat(class_probs)};
}

std::pair<double, std::int64_t> event_purity(
    const torch::Tensor& predicted, const torch::Tensor& targets,
    const std::vector<std::vector<int>>& symmetric_daughters) {
  const auto pred = predicted.to(torch::kCPU).contiguous();
  const auto truth = targets.to(torch::kCPU).contiguous();
  const auto p = pred.accessor<std::int64_t, 3>();
  const auto t = truth.accessor<std::int64_t, 3>();
  const auto daughters = truth.size(2);
  // One particle's jets with each symmetric set's slots sorted: equal iff same assignment.
  auto canonical = [&](const auto& rows, std::int64_t e, std::int64_t a) {
    std::vector<std::int64_t> jets(static_cast<std::size_t>(daughters));
    for (std::int64_t k = 0; k < daughters; ++k) jets[static_cast<std::size_t>(k)] = rows[e][a][k];
    for (const auto& set : symmetric_daughters) {
      std::vector<std::int64_t> values;
      for (const int k : set) values.push_back(jets[static_cast<std::size_t>(k)]);
      std::sort(values.begin(), values.end());
      for (std::size_t i = 0; i < set.size(); ++i) jets[static_cast<std::size_t>(set[i])] = values[i];
    }
    return jets;
  };
  std::int64_t counted = 0;
  std::int64_t correct = 0;
  for (std::int64_t e = 0; e < truth.size(0); ++e) {
    std::multiset<std::vector<std::int64_t>> want;
    std::multiset<std::vector<std::int64_t>> got;
    bool complete = true;
    for (std::int64_t a = 0; a < truth.size(1); ++a) {
      for (std::int64_t k = 0; k < daughters; ++k) complete = complete && t[e][a][k] >= 0;
      want.insert(canonical(t, e, a));
      got.insert(canonical(p, e, a));
    }
    if (!complete) continue;
    ++counted;
    if (want == got) ++correct;
  }
  return {counted == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(counted),
          counted};
}

}  // namespace cwola::training
