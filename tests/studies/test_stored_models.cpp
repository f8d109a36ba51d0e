#include <torch/torch.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "models/module_tensors.hpp"
#include "parallel/mpi_runtime.hpp"
#include "studies/stored_models.hpp"
#include "training/trainer.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;

namespace {

models::ConditionalFlowConfig small_flow() {
  models::ConditionalFlowConfig config;
  config.features = 3;
  config.context = 1;
  config.blocks = 2;
  config.hidden = 8;
  config.hidden_layers = 2;
  return config;
}

/// A store of one stage "main" with 2 tasks that keep the named model "flow" of `stored`'s
/// layout under the settings `settings`; task 1's row holds `flow`, task 0 stays pending.
store::ResultsStore store_with(const std::string& path, models::ConditionalFlow& flow,
                               const std::vector<std::pair<std::string, std::string>>& settings) {
  store::StoreLayout layout;
  layout.study = "hunt";
  layout.job_name = "flows";
  layout.job_text = "[job]\n";
  layout.job_hash = "h";
  layout.point_axis_values = {{}};
  for (std::uint64_t t = 0; t < 2; ++t) {
    layout.task_point.push_back(0);
    layout.task_repeat.push_back(t);
    layout.task_seed.push_back(t);
    layout.task_stage.push_back(0);
    layout.task_upstream.push_back(-1);
  }
  layout.result_columns = {"auc"};
  layout.max_epochs = 1;
  layout.roc_grid = {1.0};
  store::StageLayout stage;
  stage.name = "main";
  stage.n_tasks = 2;
  core::NamedModelLayout named;
  named.name = studies::kFlowModelName;
  named.layout = models::layout_of(*flow, "test flow");
  named.settings = settings;
  stage.named_models = {named};
  layout.stages = {stage};
  if (g_mpi->rank() == 0) unlink(path.c_str());
  auto results =
      store::ResultsStore::create(MPI_COMM_SELF, path, layout, store::Provenance{}, false);
  auto kept = models::export_tensors(*flow);
  kept.best_epoch = 3;
  kept.epochs = 9;
  results.write_named_model(1, studies::kFlowModelName, kept);
  store::TaskRecord record;
  record.task = 1;
  record.results = {0.5};
  record.train_loss = record.val_loss = record.train_accuracy = record.val_accuracy = {0.0};
  record.roc = {1.0};
  record.device = "cpu";
  results.write_task(record);
  return results;
}

/// A flow with random weights and a fitted scaling (what a trained flow holds).
models::ConditionalFlow fitted_flow(const models::ConditionalFlowConfig& config) {
  training::seed_weight_init(11);
  models::ConditionalFlow flow(config);
  torch::manual_seed(5);
  const auto x = torch::randn({200, config.features}) * 3.0 + 1.0;
  const auto c = torch::rand({200, 1}) * 1000.0 + 3000.0;
  flow->fit_scaling(x, c);
  flow->eval();
  return flow;
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stored_models)

BOOST_AUTO_TEST_CASE(a_stored_flow_reloads_with_bit_identical_densities_and_samples) {
  if (g_mpi->rank() != 0) return;
  const std::string path = "stored_flow.h5";
  auto flow = fitted_flow(small_flow());
  auto results = store_with(path, flow, studies::flow_settings(small_flow()));
  auto loaded = studies::load_stored_flow(results, 1);
  BOOST_TEST(loaded->config().blocks == 2);
  BOOST_TEST(loaded->config().hidden == 8);
  BOOST_TEST(loaded->config().logit_margin == small_flow().logit_margin);
  torch::manual_seed(9);
  const auto x = torch::randn({64, 3}) * 3.0 + 1.0;
  const auto c = torch::rand({64, 1}) * 1000.0 + 3000.0;
  torch::NoGradGuard no_grad;
  const auto expected = flow->log_prob(x, c);
  BOOST_TEST(torch::equal(loaded->log_prob(x, c), expected));
  BOOST_TEST(torch::isfinite(expected).all().item<bool>());
  BOOST_TEST(torch::equal(loaded->sample(c, 77), flow->sample(c, 77)));
  // The stored outcome rows come back too.
  const auto row = results.read_named_model(1, studies::kFlowModelName);
  BOOST_TEST(row.best_epoch == 3);
  BOOST_TEST(row.epochs == 9);
  // A pending task's flow was never written: refused, naming the store.
  const auto pending = message_of([&] { studies::load_stored_flow(results, 0); });
  BOOST_TEST(pending.find(path) != std::string::npos);
  BOOST_TEST(pending.find("not done") != std::string::npos);
  results.close();
  unlink(path.c_str());
}

BOOST_AUTO_TEST_CASE(
    a_stored_flow_that_does_not_fit_the_network_is_refused_naming_store_key_value) {
  if (g_mpi->rank() != 0) return;
  const std::string path = "stored_flow_misfit.h5";
  auto flow = fitted_flow(small_flow());
  // The settings claim 16 hidden units, the stored tensors have 8.
  auto wider = small_flow();
  wider.hidden = 16;
  auto results = store_with(path, flow, studies::flow_settings(wider));
  const auto message = message_of([&] { studies::load_stored_flow(results, 1); });
  BOOST_TEST_MESSAGE(message);
  BOOST_TEST(message.find("store '" + path + "'") != std::string::npos);
  BOOST_TEST(message.find("/models/main/flow/") != std::string::npos);
  BOOST_TEST(message.find("[8, 3]") != std::string::npos);   // the stored value
  BOOST_TEST(message.find("[16, 3]") != std::string::npos);  // what the network needs
  // Loading into a network of another shape directly: the same error.
  auto other = fitted_flow(wider);
  const auto direct =
      message_of([&] { studies::load_named_model(results, 1, studies::kFlowModelName, *other); });
  BOOST_TEST(direct == message);
  // No such named model; a setting that is not a number.
  const auto missing = message_of([&] { studies::load_named_model(results, 1, "vae", *other); });
  BOOST_TEST(missing.find("no model named 'vae'") != std::string::npos);
  auto settings = studies::flow_settings(small_flow());
  settings[2].second = "four";
  BOOST_TEST(message_of([&] {
               studies::flow_config_from(settings, "here");
             }).find("'blocks' = 'four'") != std::string::npos);
  results.close();
  unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
