#include "training/attention_trainer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <string>

#include "core/error.hpp"
#include "metrics/roc.hpp"
#include "training/trainer.hpp"
#include "training/training_loop.hpp"

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
  if (patience < 0) reject("patience", patience, "must be zero (no early stopping) or positive");
  if (!(loss_weights.assignment >= 0)) {
    reject("assignment_loss_scale", loss_weights.assignment, "must be zero or positive");
  }
  if (!(loss_weights.classification >= 0)) {
    reject("classification_loss_scale", loss_weights.classification, "must be zero or positive");
  }
  if (!(loss_weights.detection >= 0 && std::isfinite(loss_weights.detection))) {
    reject("detection_loss_scale", loss_weights.detection, "must be zero or positive");
  }
}

AttentionTraining train_attention(models::AttentionNetwork& net, const AttentionSample& train,
                                  const AttentionTrainerConfig& config, std::uint64_t shuffle_seed,
                                  const AttentionSample* validation,
                                  const StackKeepGoing& keep_going) {
  config.validate();
  net->fit_normalization(train.jets, train.mask);
  TrainerConfig loop;
  loop.max_epochs = config.epochs;
  loop.batch_size = config.batch_size;
  loop.learning_rate = config.learning_rate;
  loop.weight_decay = config.weight_decay;
  loop.gradient_clip = config.gradient_clip;
  loop.patience = config.patience > 0 ? config.patience : config.epochs;

  // A stack of one: the loop hands over [1, b, ...] tensors; the network sees [b, ...].
  const auto impl = net.ptr();
  StackView view{impl, {}, MemberAxis::kSingle, {}};
  view.loss = [impl, weights = config.loss_weights](const Batch& batch) {
    const auto output = impl->forward(batch.x.select(0, 0), batch.extra.at(0).select(0, 0));
    const auto loss = models::attention_loss(output, batch.extra.at(1).select(0, 0),
                                             batch.y.select(0, 0), weights);
    StackLoss out;
    out.objective = loss.total;
    out.loss = loss.total.detach().unsqueeze(0);
    out.logits = output.class_logits.unsqueeze(0);
    out.terms = {torch::stack(loss.assignment).detach().mean().unsqueeze(0),
                 loss.classification.detach().unsqueeze(0),
                 torch::stack(loss.detection).detach().mean().unsqueeze(0)};
    return out;
  };
  const auto as_batch = [](const AttentionSample& sample) {
    return Batch{sample.jets, sample.labels, {}, {sample.mask, sample.targets}};
  };
  const EnsembleMember member{as_batch(train), validation ? as_batch(*validation) : Batch{},
                              shuffle_seed};
  auto outcome = train_stack(view, {member}, loop, torch::kCPU, keep_going).front();
  AttentionTraining training;
  training.best_epoch = outcome.best_epoch;
  for (const auto& record : outcome.history) {
    training.epochs.push_back({record.train_loss, record.train_terms.at(0),
                               record.train_terms.at(1), record.train_terms.at(2),
                               record.val_loss});
  }
  training.outcome = std::move(outcome);
  return training;
}

AttentionPrediction predict_attention(models::AttentionNetwork& net, const torch::Tensor& jets,
                                      const torch::Tensor& mask, int batch_size) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<torch::Tensor> pairs;
  std::vector<torch::Tensor> pair_probs;
  std::vector<torch::Tensor> class_probs;
  std::vector<torch::Tensor> detection_probs;
  for (std::int64_t start = 0; start < jets.size(0); start += batch_size) {
    const auto count = std::min<std::int64_t>(batch_size, jets.size(0) - start);
    const auto m = mask.narrow(0, start, count);
    const auto output = net->forward(jets.narrow(0, start, count), m);
    torch::Tensor probs;
    pairs.push_back(models::decode_assignments(output, m, &probs));
    pair_probs.push_back(probs);
    class_probs.push_back(torch::sigmoid(output.class_logits));
    detection_probs.push_back(models::detection_probabilities(output));
  }
  return {torch::cat(pairs), torch::cat(pair_probs), torch::cat(class_probs),
          torch::cat(detection_probs)};
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

DetectionQuality detection_quality(const torch::Tensor& detection_probs,
                                   const torch::Tensor& targets,
                                   const torch::Tensor& reference_targets) {
  const auto sorted_truth = [](const torch::Tensor& t) {
    return std::get<0>(
        models::reconstructable(t.to(torch::kCPU)).to(torch::kFloat64).sort(1, true));
  };
  const auto probs = std::get<0>(detection_probs.to(torch::kCPU, torch::kFloat64).sort(1, true));
  const auto truth = sorted_truth(targets);
  DetectionQuality q;
  q.events = probs.size(0);
  const auto rates = sorted_truth(reference_targets).mean(0);
  for (std::int64_t k = 0; k < rates.size(0); ++k) q.null_rates.push_back(rates[k].item<double>());
  if (q.events == 0) return q;
  const auto cross_entropy = [&truth](const torch::Tensor& p) {
    const auto clamped = p.clamp(1e-7, 1 - 1e-7);
    return -(truth * clamped.log() + (1 - truth) * (1 - clamped).log()).mean().item<double>();
  };
  q.loss = cross_entropy(probs);
  q.null_loss = cross_entropy(rates.unsqueeze(0).expand_as(probs));
  const auto complete = truth.all(1);
  q.complete_events = complete.sum().item<std::int64_t>();
  if (q.complete_events == 0 || q.complete_events == q.events) {
    q.complete_auc = std::numeric_limits<double>::quiet_NaN();
    return q;
  }
  const auto score = probs.prod(1).to(torch::kFloat32).contiguous();
  const auto labels = complete.to(torch::kUInt8).contiguous();
  q.complete_auc = metrics::auc(
      std::vector<float>(score.data_ptr<float>(), score.data_ptr<float>() + score.numel()),
      std::vector<std::uint8_t>(labels.data_ptr<std::uint8_t>(),
                                labels.data_ptr<std::uint8_t>() + labels.numel()));
  return q;
}

}  // namespace cwola::training
