#include "store/model_store.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/results_store.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;
using namespace cwola::store;

namespace {
/// Two stages: "pretrain" (tasks 0-1, keeps a 2-tensor model) and "finetune" (tasks 2-5).
StoreLayout staged_layout() {
  StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "stages";
  layout.job_text = "[job]\nname = stages\n";
  layout.job_hash = "h";
  layout.axes = {"gaussian.f1"};
  layout.point_axis_values = {{"1.0"}, {"0.6"}, {"0.7"}};
  for (std::uint64_t t = 0; t < 6; ++t) {
    const bool pretrain = t < 2;
    layout.task_point.push_back(pretrain ? 0 : 1 + (t - 2) % 2);
    layout.task_repeat.push_back(0);
    layout.task_seed.push_back(t);
    layout.task_stage.push_back(pretrain ? 0 : 1);
    layout.task_upstream.push_back(pretrain ? -1 : static_cast<std::int64_t>((t - 2) / 2));
  }
  layout.result_columns = {"auc"};
  layout.max_epochs = 2;
  layout.roc_grid = {0.1, 1.0};
  StageLayout pretrain;
  pretrain.name = "pretrain";
  pretrain.n_tasks = 2;
  pretrain.keep_models = true;
  pretrain.model.description = "dense 3-2-1";
  pretrain.model.tensors = {{"hidden0.weight", {2, 3}}, {"hidden0.bias", {2}}};
  StageLayout finetune;
  finetune.name = "finetune";
  finetune.first_task = 2;
  finetune.n_tasks = 4;
  finetune.reads = "pretrain";
  finetune.per_task = true;
  layout.stages = {pretrain, finetune};
  return layout;
}

core::ModelTensors model_of(std::uint64_t task) {
  core::ModelTensors model;
  // Float32 values that a float64 column must return bit for bit.
  model.values = {{0.1F, -0.2F, 1e-7F, 3.0F, -4.5F, 1.0F / 3.0F}, {static_cast<float>(task), 2.5F}};
  model.best_epoch = static_cast<std::int64_t>(task);
  model.epochs = 7;
  return model;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(model_store)

BOOST_AUTO_TEST_CASE(a_model_written_by_one_rank_reads_back_exactly_on_every_rank) {
  const std::string path = "model_store_np" + std::to_string(g_mpi->size()) + ".h5";
  if (g_mpi->rank() == 0) unlink(path.c_str());
  g_mpi->barrier();
  auto store = ResultsStore::create(g_mpi->comm(), path, staged_layout(), Provenance{}, false);
  BOOST_REQUIRE(store.stages().size() == 2U);
  BOOST_TEST(store.stages()[0].model.tensors.size() == 2U);
  BOOST_TEST((store.stages()[0].model.tensors[0].shape == std::vector<std::int64_t>{2, 3}));
  BOOST_TEST(store.stages()[0].model.description == "dense 3-2-1");
  BOOST_TEST(store.stages()[1].reads == "pretrain");
  BOOST_TEST(!store.stages()[1].keep_models);
  BOOST_TEST(store.stage_of(4).name == "finetune");

  // Task t's model is written by rank t % size (as the queue might hand it out).
  for (std::uint64_t task = 0; task < 2; ++task) {
    if (static_cast<int>(task) % g_mpi->size() == g_mpi->rank()) {
      store.write_model(task, model_of(task));
    }
  }
  g_mpi->barrier();
  for (std::uint64_t task = 0; task < 2; ++task) {
    const auto read = store.read_model(task);
    const auto expected = model_of(task);
    BOOST_TEST(read.values == expected.values);
    BOOST_TEST(read.best_epoch == expected.best_epoch);
    BOOST_TEST(read.epochs == 7);
  }
  store.close();
  g_mpi->barrier();
  // The layout reads back from the file.
  auto reopened = ResultsStore::open_read_only(g_mpi->comm(), path);
  BOOST_TEST(reopened.stages().size() == 2U);
  BOOST_TEST(reopened.stages()[1].first_task == 2U);
  BOOST_TEST(reopened.stages()[1].per_task);
  BOOST_TEST(reopened.file().read_int64s("/tasks/upstream")[5] == 1);
  BOOST_TEST(model_bytes(reopened.stages()[0].model) == 8U * 8U + 16U);
  reopened.close();
  g_mpi->barrier();
  if (g_mpi->rank() == 0) unlink(path.c_str());
}

BOOST_AUTO_TEST_CASE(named_models_next_to_the_model_read_back_with_their_settings) {
  // Stage "finetune" keeps no model of its own but a named "flow"; "pretrain" keeps both.
  auto layout = staged_layout();
  core::NamedModelLayout flow;
  flow.name = "flow";
  flow.layout.description = "conditional MAF";
  flow.layout.tensors = {{"block0.input.weight", {3, 2}}, {"feature_min", {2}}};
  flow.settings = {{"blocks", "1"}, {"logit_margin", "0.050000000000000003"}};
  layout.stages[0].named_models = {flow};
  layout.stages[1].named_models = {flow};
  const std::string path = "named_models_np" + std::to_string(g_mpi->size()) + ".h5";
  if (g_mpi->rank() == 0) unlink(path.c_str());
  g_mpi->barrier();
  auto store = ResultsStore::create(g_mpi->comm(), path, layout, Provenance{}, false);
  const auto flow_of = [](std::uint64_t task) {
    core::ModelTensors model;
    model.values = {{0.5F, -1e-8F, 2.0F, 1.0F / 7.0F, -3.0F, static_cast<float>(task)},
                    {-1.0F, static_cast<float>(task) / 3.0F}};
    model.best_epoch = static_cast<std::int64_t>(task) % 3;
    model.epochs = static_cast<std::int64_t>(task) + 4;
    return model;
  };
  for (std::uint64_t task = 0; task < 6; ++task) {
    if (static_cast<int>(task) % g_mpi->size() != g_mpi->rank()) continue;
    if (task < 2) store.write_model(task, model_of(task));
    store.write_named_model(task, "flow", flow_of(task));
  }
  g_mpi->barrier();
  store.close();
  g_mpi->barrier();
  auto reopened = ResultsStore::open_read_only(g_mpi->comm(), path);
  for (const auto& stage : reopened.stages()) {
    BOOST_REQUIRE(stage.named_models.size() == 1U);
    BOOST_TEST((stage.named_models[0] == flow));  // name, tensors and settings
    BOOST_TEST(stage.named_models[0].layout.description == "conditional MAF");
  }
  BOOST_TEST(reopened.stages()[0].keep_models);
  BOOST_TEST(!reopened.stages()[1].keep_models);
  for (std::uint64_t task = 0; task < 6; ++task) {
    const auto read = reopened.read_named_model(task, "flow");
    BOOST_TEST(read.values == flow_of(task).values);
    BOOST_TEST(read.best_epoch == flow_of(task).best_epoch);
    BOOST_TEST(read.epochs == flow_of(task).epochs);
    if (task < 2) BOOST_TEST(reopened.read_model(task).values == model_of(task).values);
  }
  BOOST_TEST(reopened.file().exists("/models/finetune/flow/block0.input.weight"));
  BOOST_TEST(named_model_dataset(reopened.stages()[1], "flow", "feature_min") ==
             "/models/finetune/flow/feature_min");
  BOOST_CHECK_THROW(reopened.read_named_model(0, "vae"), core::Error);
  reopened.close();
  g_mpi->barrier();
  if (g_mpi->rank() == 0) unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
