// The checkpoints of `cwola bumpnet` (store/bump_checkpoint_file.hpp): written by rank 0,
// read back collectively on every rank; a cut write leaves the last whole checkpoint; a file
// of another run is refused naming the differing card key, the data file or the rank count.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/bump_checkpoint_file.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;
using namespace cwola::store;

namespace {
/// Two networks, the first with members (tasks) 0 and 2, the second with 1 and 3.
std::vector<CheckpointGroup> groups() {
  CheckpointGroup a;
  a.name = "znet3";
  a.tasks = {0, 2};
  a.layout.tensors.tensors = {{"weights.w", {2, 2}}};
  a.layout.numbers = 2;
  CheckpointGroup b = a;
  b.name = "znet";
  b.tasks = {1, 3};
  b.layout.tensors.tensors = {{"weights.v", {3}}};
  return {a, b};
}

core::Checkpoint checkpoint(float value, std::int64_t epochs, std::size_t floats) {
  core::Checkpoint c;
  c.epochs_done = epochs;
  c.tensors = {std::vector<float>(floats, value)};
  c.numbers = {static_cast<double>(epochs), 1.0 / 3.0};
  return c;
}

BumpRunIdentity identity() {
  BumpRunIdentity id;
  id.card = "[bumpnet]\nepochs = 4\nseed = 7\n";
  id.data = "/data/bump.h5";
  id.histograms = 120;
  id.ranks = g_mpi->size();
  return id;
}

/// The message of the InputError that reading with `changed` throws ("" if none).
std::string refusal(const std::string& path, const BumpRunIdentity& changed) {
  try {
    read_bump_checkpoints(g_mpi->comm(), path, changed, groups());
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(bump_checkpoint_file)

BOOST_AUTO_TEST_CASE(checkpoints_read_back_and_other_runs_are_refused) {
  const std::string output = "bump_checkpoints_np" + std::to_string(g_mpi->size()) + ".h5";
  const std::string path = bump_checkpoint_path(output);
  BOOST_TEST(path == output + ".checkpoints.h5");
  if (g_mpi->rank() == 0) {
    auto file = BumpCheckpointFile::create(path, identity(), groups());
    file.write("znet3", 2, checkpoint(1.5F, 1, 4));
    file.write("znet3", 2, checkpoint(2.5F, 2, 4));
    file.write("znet", 1, checkpoint(-1.0F, 4, 3));
    // Epoch 3 of task 2 cut short between its slot and its flag: epoch 2 stays.
    BOOST_CHECK_THROW(
        file.write("znet3", 2, checkpoint(9.0F, 3, 4), [] { throw std::runtime_error("killed"); }),
        std::runtime_error);
    file.close();
  }
  g_mpi->barrier();
  const auto stored = read_bump_checkpoints(g_mpi->comm(), path, identity(), groups());
  BOOST_TEST(stored.size() == 2U);  // tasks 0 and 3 have none
  BOOST_TEST(stored.at(2).epochs_done == 2);
  BOOST_TEST(stored.at(2).tensors == checkpoint(2.5F, 2, 4).tensors);
  BOOST_TEST(stored.at(2).numbers == checkpoint(2.5F, 2, 4).numbers);
  BOOST_TEST(stored.at(1).tensors == checkpoint(-1.0F, 4, 3).tensors);

  auto other = identity();
  other.card = "[bumpnet]\nepochs = 5\nseed = 7\n";
  auto text = refusal(path, other);
  BOOST_TEST(text.find("bumpnet.epochs") != std::string::npos, text);
  BOOST_TEST(text.find(path) != std::string::npos, text);
  other.card = "[bumpnet]\nensemble = 2\nepochs = 4\nseed = 7\n";  // a key only one side has
  text = refusal(path, other);
  BOOST_TEST(text.find("bumpnet.ensemble") != std::string::npos, text);
  other = identity();
  other.data = "/data/other.h5";
  text = refusal(path, other);
  BOOST_TEST(text.find("--data") != std::string::npos, text);
  other = identity();
  other.histograms = 121;
  BOOST_TEST(refusal(path, other).find("/run/histograms") != std::string::npos);
  other = identity();
  other.ranks = g_mpi->size() + 1;
  BOOST_TEST(refusal(path, other).find("ranks") != std::string::npos);
  auto reshaped = groups();
  reshaped[1].layout.tensors.tensors[0].shape = {4};
  BOOST_CHECK_THROW(read_bump_checkpoints(g_mpi->comm(), path, identity(), reshaped),
                    core::InputError);
  g_mpi->barrier();
  if (g_mpi->rank() == 0) unlink(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
