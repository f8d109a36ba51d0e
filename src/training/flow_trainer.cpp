#include "training/flow_trainer.hpp"

#include <torch/torch.h>

#include <string>

#include "core/error.hpp"
#include "training/training_loop.hpp"

namespace cwola::training {

namespace {

void check_sample(const FlowSample& sample, const models::ConditionalFlowConfig& config,
                  const char* what) {
  const auto fail = [what](const std::string& why) {
    throw core::InputError(std::string("flow training: the ") + what + " events " + why);
  };
  if (!sample.x.defined() || sample.x.dim() != 2 || sample.x.size(1) != config.features) {
    fail("need features of shape [N, " + std::to_string(config.features) + "]");
  }
  if (config.context > 0 &&
      (!sample.context.defined() || sample.context.dim() != 2 ||
       sample.context.size(1) != config.context || sample.context.size(0) != sample.x.size(0))) {
    fail("need one context row of " + std::to_string(config.context) + " values per event");
  }
  if (sample.x.size(0) == 0) fail("are none (the flow has nothing to learn from or validate on)");
  if (!torch::isfinite(sample.x).all().item<bool>() ||
      (config.context > 0 && !torch::isfinite(sample.context).all().item<bool>())) {
    fail("hold NaN or inf values (a density cannot be fitted to them) remove or repair them");
  }
}

torch::Tensor context_or_empty(const FlowSample& sample) {
  return sample.context.defined() ? sample.context : torch::zeros({sample.x.size(0), 0});
}

}  // namespace

TrainOutcome train_flow(models::ConditionalFlow& flow, const FlowSample& train,
                        const FlowSample& validation, const TrainerConfig& config,
                        std::uint64_t shuffle_seed, torch::Device device,
                        const KeepGoing& keep_going) {
  config.validate();
  check_sample(train, flow->config(), "training");
  check_sample(validation, flow->config(), "validation");
  flow->fit_scaling(train.x, context_or_empty(train));
  // Validation events outside the training range (widened by the margin) have no meaningful
  // density under the flow (its clamp keeps them finite only); one such event could decide
  // early stopping, so they are left out of the validation NLL.
  FlowSample checked = validation;
  {
    torch::NoGradGuard no_grad;
    const auto inside = flow->inside_range(validation.x.to(torch::kFloat32)).nonzero().squeeze(1);
    if (inside.size(0) == 0) {
      throw core::InputError(
          "flow training: no validation event lies inside the training events' range (the "
          "two sets come from different regions) draw both from the same events");
    }
    checked.x = validation.x.index_select(0, inside);
    if (validation.context.defined()) checked.context = validation.context.index_select(0, inside);
  }

  // A stack of one: the loop hands over [1, b, ...]; the flow sees [b, ...]. The
  // preprocessing is fixed once fitted, so the events go in preprocessed, with their
  // preprocessing log-Jacobian as an extra column: the loss is the same NLL in the original
  // units, without redoing the logits every minibatch. The labels are unused ones and the
  // "logits" zeros, so the loop's accuracy reads 0 (a density has none).
  const auto impl = flow.ptr();
  StackView view{impl, {}, MemberAxis::kSingle, {}};
  view.loss = [impl](const Batch& batch) {
    const auto nll = -(impl->latent_log_prob(batch.x.select(0, 0), batch.extra.at(0).select(0, 0)) +
                       batch.extra.at(1).select(0, 0));
    StackLoss out;
    out.objective = nll.mean();
    out.loss = out.objective.detach().unsqueeze(0);
    out.logits = torch::zeros_like(batch.y);
    return out;
  };
  const auto as_batch = [&impl](const FlowSample& sample) {
    torch::NoGradGuard no_grad;
    const auto n = sample.x.size(0);
    const auto where = impl->parameters().front().device();
    auto log_det = torch::zeros({n}, torch::TensorOptions().device(where));
    const auto y = impl->preprocess(sample.x.to(where, torch::kFloat32), log_det);
    return Batch{y.cpu(),
                 torch::ones({n}),
                 {},
                 {context_or_empty(sample).to(torch::kFloat32), log_det.cpu()}};
  };
  StackKeepGoing poll;
  if (keep_going) poll = keep_going;
  // Preprocessed where the flow is; the loop moves the data to `device`.
  EnsembleMember member{as_batch(train), as_batch(checked), shuffle_seed};
  flow->to(device);
  return train_stack(view, {member}, config, device, poll).front();
}

double mean_negative_log_likelihood(models::ConditionalFlow& flow, const FlowSample& sample,
                                    int batch_size) {
  check_sample(sample, flow->config(), "evaluation");
  torch::NoGradGuard no_grad;
  flow->eval();
  const auto context = context_or_empty(sample);
  const auto device = flow->parameters().front().device();
  double sum = 0;
  const auto n = sample.x.size(0);
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const auto count = std::min<std::int64_t>(batch_size, n - start);
    sum -= flow->log_prob(sample.x.narrow(0, start, count).to(device, torch::kFloat32),
                          context.narrow(0, start, count).to(device, torch::kFloat32))
               .to(torch::kFloat64)
               .sum()
               .item<double>();
  }
  return sum / static_cast<double>(n);
}

}  // namespace cwola::training
