#pragma once
/// Models read back from a results store (docs/stages.md "Models in the store"): a stored
/// model loaded into a network, with a clear error when its shape does not fit, and CATHODE's
/// flow rebuilt from the settings stored with it (docs/cathode.md "The flows as stored models").
#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/model_tensors.hpp"
#include "models/conditional_flow.hpp"
#include "store/results_store.hpp"

namespace cwola::studies {

/// The name under which a CATHODE task stores its flow (/models/<stage>/flow).
inline const std::string kFlowModelName = "flow";

/// A flow's configuration as the settings stored with it (core::NamedModelLayout::settings).
std::vector<std::pair<std::string, std::string>> flow_settings(
    const models::ConditionalFlowConfig& config);
/// The configuration back from stored settings; core::InputError naming `where` and the key
/// when one is missing or not a number.
models::ConditionalFlowConfig flow_config_from(
    const std::vector<std::pair<std::string, std::string>>& settings, const std::string& where);

/// Loads the named model `name` of `task` from `store` into `module` (parameters and buffers).
/// core::InputError naming the store, the dataset (key) and the stored and expected shapes
/// (value) when the stored model does not fit `module`, or when the task's stage stores no
/// such model or the task is not done.
void load_named_model(const store::ResultsStore& store, std::uint64_t task, const std::string& name,
                      torch::nn::Module& module);

/// The flow stored as `name` by `task` (hunt.method = cathode with job.models = all), rebuilt
/// from its stored settings and loaded: the same log-density and samples as the trained one.
models::ConditionalFlow load_stored_flow(const store::ResultsStore& store, std::uint64_t task,
                                         const std::string& name = kFlowModelName);

}  // namespace cwola::studies
