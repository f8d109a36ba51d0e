#pragma once
/// Maximum-likelihood training of a conditional flow (models/conditional_flow.hpp) through the
/// one training loop (training_loop.hpp): a stack of one, the negative log-likelihood as the
/// loss hook, the context as an extra per-event tensor, early stopping on the validation
/// events' NLL. A loss that becomes non-finite ends the training as kDiverged with the loop's
/// reason; the caller turns that into a failed task (never a NaN score).
#include <cstdint>

#include "models/conditional_flow.hpp"
#include "training/trainer.hpp"

namespace cwola::training {

/// Events for a conditional density: x [N, features] and the context c [N, context]
/// (float32, on the CPU; e.g. substructure features and m_jj in GeV).
struct FlowSample {
  torch::Tensor x;
  torch::Tensor context;
};

/// Fits the flow's scaling on `train` (flow->fit_scaling), then trains it on `train` with
/// mean NLL per event as the loss, validated on `validation` (early stopping with
/// config.patience, on the validation events inside the training range widened by the flow's
/// margin (ConditionalFlowImpl::inside_range); the flow ends with the best epoch's weights, in eval
/// mode on `device`). The epoch order comes from std::mt19937_64(shuffle_seed). TrainOutcome's loss
/// fields are NLLs in nats per event in the original units of x; its accuracies have no meaning for
/// a density (the loop reports 0). Throws core::InputError for NaN/inf or malformed events in
/// either set, or too few events.
TrainOutcome train_flow(models::ConditionalFlow& flow, const FlowSample& train,
                        const FlowSample& validation, const TrainerConfig& config,
                        std::uint64_t shuffle_seed, torch::Device device,
                        const KeepGoing& keep_going = {});

/// Mean NLL per event of `sample` under the flow (evaluation mode, no gradients), in batches;
/// events outside the flow's range (inside_range) count like any other (filter them first).
double mean_negative_log_likelihood(models::ConditionalFlow& flow, const FlowSample& sample,
                                    int batch_size = 4096);

}  // namespace cwola::training
