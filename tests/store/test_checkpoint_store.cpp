// Per-epoch checkpoints in the store: two slots per task and a flag written last, so the
// checkpoint the flag names is whole whenever a write is cut short.
#include "store/checkpoint_store.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "parallel/mpi_runtime.hpp"
#include "store/results_store.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;
using namespace cwola::store;

namespace {
/// Six tasks of one point; tasks 1, 3 and 4 keep checkpoints of a 2-tensor layout.
StoreLayout checkpointed_layout() {
  StoreLayout layout;
  layout.study = "gaussian";
  layout.job_name = "checkpoints";
  layout.job_text = "[job]\nname = checkpoints\n";
  layout.job_hash = "h";
  layout.point_axis_values = {{}};
  for (std::uint64_t t = 0; t < 6; ++t) {
    layout.task_point.push_back(0);
    layout.task_repeat.push_back(t);
    layout.task_seed.push_back(t);
  }
  layout.result_columns = {"auc"};
  layout.max_epochs = 3;
  layout.roc_grid = {0.1, 1.0};
  CheckpointGroup group;
  group.name = "main";
  group.tasks = {1, 3, 4};
  group.layout.tensors.tensors = {{"weights.w", {2, 3}}, {"weights.b", {2}}};
  group.layout.numbers = 3;
  group.layout.bytes = 5;
  layout.checkpoints = {group};
  return layout;
}

/// A checkpoint of `task` after `epochs` epochs with values no float64 round trip would keep.
core::Checkpoint checkpoint_of(std::uint64_t task, std::int64_t epochs) {
  core::Checkpoint c;
  c.epochs_done = epochs;
  const auto t = static_cast<float>(task);
  const auto e = static_cast<float>(epochs);
  c.tensors = {{0.1F * e, -0.2F, 1e-7F, t, -4.5F, 1.0F / 3.0F}, {e, 2.5F + t}};
  c.numbers = {static_cast<double>(epochs), std::numeric_limits<double>::infinity(),
               0.1 + static_cast<double>(task)};
  c.bytes = {0, 127, 128, 255, static_cast<std::uint8_t>(epochs)};
  return c;
}

void check_equal(const core::Checkpoint& read, const core::Checkpoint& expected) {
  BOOST_TEST(read.epochs_done == expected.epochs_done);
  BOOST_TEST(read.tensors == expected.tensors);
  BOOST_TEST(read.numbers == expected.numbers);
  BOOST_TEST(read.bytes == expected.bytes);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint_store)

BOOST_AUTO_TEST_CASE(the_flag_names_a_whole_checkpoint_whenever_a_write_is_cut_short) {
  const std::string path = "checkpoint_store_np" + std::to_string(g_mpi->size()) + ".h5";
  if (g_mpi->rank() == 0) unlink(path.c_str());
  g_mpi->barrier();
  auto store =
      ResultsStore::create(g_mpi->comm(), path, checkpointed_layout(), Provenance{}, false);
  BOOST_TEST(store.keeps_checkpoints(3));
  BOOST_TEST(!store.keeps_checkpoints(2));
  BOOST_TEST(!store.read_checkpoint(4).has_value());  // none yet
  BOOST_TEST(!store.read_checkpoint(0).has_value());  // no slots
  g_mpi->barrier();

  // Task 3 on the last rank, task 4 on rank 0 (as the queue might hand them out).
  const bool mine3 = g_mpi->rank() == g_mpi->size() - 1;
  const bool mine4 = g_mpi->rank() == 0;
  if (mine3) {
    store.write_checkpoint(3, checkpoint_of(3, 1));
    // Epoch 2 goes to the other slot: until its flag, epoch 1 is what a reader gets.
    store.write_checkpoint(3, checkpoint_of(3, 2),
                           [&] { check_equal(*store.read_checkpoint(3), checkpoint_of(3, 1)); });
    check_equal(*store.read_checkpoint(3), checkpoint_of(3, 2));
    // Epoch 3 overwrites epoch 1's slot and is "killed" before its flag: epoch 2 stays whole.
    BOOST_CHECK_THROW(store.write_checkpoint(3, checkpoint_of(3, 3),
                                             [] { throw std::runtime_error("killed"); }),
                      std::runtime_error);
  }
  if (mine4) store.write_checkpoint(4, checkpoint_of(4, 5));
  g_mpi->barrier();
  check_equal(*store.read_checkpoint(3), checkpoint_of(3, 2));
  check_equal(*store.read_checkpoint(4), checkpoint_of(4, 5));
  BOOST_TEST(!store.read_checkpoint(1).has_value());
  store.close();
  g_mpi->barrier();

  // The groups read back from the file, and so do the checkpoints.
  auto reopened = ResultsStore::open_read_only(g_mpi->comm(), path);
  BOOST_REQUIRE(reopened.checkpoint_groups().size() == 1U);
  const auto& group = reopened.checkpoint_groups().front();
  BOOST_TEST(group.name == "main");
  BOOST_TEST((group.tasks == std::vector<std::uint64_t>{1, 3, 4}));
  BOOST_TEST((group.layout == checkpointed_layout().checkpoints.front().layout));
  BOOST_TEST(group.row_of(4) == 2U);
  check_equal(*reopened.read_checkpoint(3), checkpoint_of(3, 2));
  // Two slots of 8 floats, 3 numbers and 5 bytes, and the flag.
  BOOST_TEST(checkpoint_bytes(group.layout) == 2U * (8U * 4U + 3U * 8U + 5U) + 8U);
  reopened.close();
  g_mpi->barrier();
  if (g_mpi->rank() == 0) unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
