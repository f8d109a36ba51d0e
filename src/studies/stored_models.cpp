#include "studies/stored_models.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"
#include "models/module_tensors.hpp"
#include "store/model_store.hpp"

namespace cwola::studies {

namespace {
std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

const std::string& setting(const std::vector<std::pair<std::string, std::string>>& settings,
                           const std::string& key, const std::string& where) {
  for (const auto& [k, v] : settings) {
    if (k == key) return v;
  }
  throw core::InputError(where + ": the stored flow has no setting '" + key +
                         "' (not a flow stored by cwola)");
}

double number(const std::vector<std::pair<std::string, std::string>>& settings,
              const std::string& key, const std::string& where) {
  const auto& text = setting(settings, key, where);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') {
    throw core::InputError(where + ": the stored flow's setting '" + key + "' = '" + text +
                           "' is not a number");
  }
  return value;
}
/// The stored layout of `task`'s named model `name`; InputError naming the store otherwise.
const core::NamedModelLayout& stored_layout(const store::ResultsStore& store, std::uint64_t task,
                                            const std::string& name) {
  const std::string where = "store '" + store.path() + "'";
  if (store.stages().empty() || task >= store.n_tasks()) {
    throw core::InputError(where + ": task " + std::to_string(task) +
                           " has no stored models (keep them with job.models = all)");
  }
  const auto& stage = store.stage_of(task);
  for (const auto& model : stage.named_models) {
    if (model.name == name) return model;
  }
  throw core::InputError(where + ": stage '" + stage.name + "' stores no model named '" + name +
                         "' (keep the named models with job.models = all)");
}
}  // namespace

std::vector<std::pair<std::string, std::string>> flow_settings(
    const models::ConditionalFlowConfig& config) {
  char margin[32];
  std::snprintf(margin, sizeof margin, "%.17g", config.logit_margin);  // exact round trip
  return {{"features", std::to_string(config.features)},
          {"context", std::to_string(config.context)},
          {"blocks", std::to_string(config.blocks)},
          {"hidden", std::to_string(config.hidden)},
          {"hidden_layers", std::to_string(config.hidden_layers)},
          {"logit_margin", margin}};
}

models::ConditionalFlowConfig flow_config_from(
    const std::vector<std::pair<std::string, std::string>>& settings, const std::string& where) {
  models::ConditionalFlowConfig config;
  config.features = static_cast<int>(number(settings, "features", where));
  config.context = static_cast<int>(number(settings, "context", where));
  config.blocks = static_cast<int>(number(settings, "blocks", where));
  config.hidden = static_cast<int>(number(settings, "hidden", where));
  config.hidden_layers = static_cast<int>(number(settings, "hidden_layers", where));
  config.logit_margin = number(settings, "logit_margin", where);
  return config;
}

void load_named_model(const store::ResultsStore& store, std::uint64_t task, const std::string& name,
                      torch::nn::Module& module) {
  const std::string where = "store '" + store.path() + "'";
  const auto& stored = stored_layout(store, task, name).layout;
  const auto& stage = store.stage_of(task);
  if (store.read_status().at(task) != store::TaskStatus::kDone) {
    throw core::InputError(where + ": task " + std::to_string(task) +
                           " is not done, so its model '" + name + "' was never written");
  }
  // The shapes first, so that the error names the dataset, not just the module's tensor.
  const auto expected = models::layout_of(module, "");
  for (std::size_t i = 0; i < std::max(stored.tensors.size(), expected.tensors.size()); ++i) {
    const bool has_stored = i < stored.tensors.size();
    const bool has_expected = i < expected.tensors.size();
    if (has_stored && has_expected && stored.tensors[i] == expected.tensors[i]) continue;
    const std::string key = store::named_model_dataset(
        stage, name, has_stored ? stored.tensors[i].name : expected.tensors[i].name);
    throw core::InputError(where + ": " + key + " = " +
                           (has_stored ? "tensor '" + stored.tensors[i].name + "' " +
                                             shape_text(stored.tensors[i].shape)
                                       : std::string("missing")) +
                           " does not fit the network loading it (" +
                           (has_expected ? "'" + expected.tensors[i].name + "' " +
                                               shape_text(expected.tensors[i].shape)
                                         : std::string("no such tensor")) +
                           "; stored model: " + stored.description + ")");
  }
  models::import_tensors(module, store.read_named_model(task, name));
}

models::ConditionalFlow load_stored_flow(const store::ResultsStore& store, std::uint64_t task,
                                         const std::string& name) {
  const auto& stored = stored_layout(store, task, name);
  const auto config = flow_config_from(
      stored.settings,
      "store '" + store.path() + "' " + store::named_model_dataset(store.stage_of(task), name, ""));
  models::ConditionalFlow flow(config);
  load_named_model(store, task, name, *flow);
  flow->eval();
  return flow;
}

}  // namespace cwola::studies
