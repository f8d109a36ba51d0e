#include <mpi.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"
#include "store/jet_event_file.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;

using namespace cwola::store;

namespace {
/// Event e of a deterministic global sample (the same whatever rank builds it).
void append_event(std::size_t e, JetEventData& data) {
  for (int j = 0; j < 2; ++j) {
    for (std::size_t i = 0; i < data.max_constituents; ++i) {
      const bool real = i < (e % data.max_constituents) + 1;
      data.pt[j].push_back(real ? static_cast<float>(100.0 * (j + 1) + e + 0.5 * i) : 0.0F);
      data.eta[j].push_back(real ? static_cast<float>(0.01 * e - 0.1 * i) : 0.0F);
      data.phi[j].push_back(real ? static_cast<float>(0.02 * i - 0.001 * e) : 0.0F);
      data.mask[j].push_back(real ? 1 : 0);
    }
  }
  data.mjj.push_back(static_cast<float>(4000.0 + e));
  data.signal.push_back(static_cast<std::int8_t>(e % 3 == 0));
}

JetEventFileInfo info() {
  JetEventFileInfo i;
  i.process = "qcd";
  i.card = "[generator]\nprocess = hidden_valley\n";
  i.seed = 42;
  i.cross_section_fb = 719.5;
  i.cutflow_steps = {"generated", "stored_window"};
  i.cutflow_counts = {1000, 17};
  return i;
}

std::string temp_path(const std::string& name) {
  return "/tmp/cwola_test_jet_event_file_" + std::to_string(getpid()) + "_" + name + ".h5";
}

/// The same name on every rank (rank 0's pid).
std::string shared_path(const std::string& name) {
  int pid = getpid();
  MPI_Bcast(&pid, 1, MPI_INT, 0, g_mpi->comm());
  return "/tmp/cwola_test_jet_event_file_" + std::to_string(pid) + "_" + name + ".h5";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(jet_event_file)

BOOST_AUTO_TEST_CASE(collective_write_is_identical_to_a_serial_one) {
  const int rank = g_mpi->rank();
  const int size = g_mpi->size();
  const std::size_t total = 17;
  // Uneven shares; with 2 ranks rank 1 gets the last 5 events, rank 0 the first 12.
  const std::size_t first = rank == 0 ? 0 : total - 5 * static_cast<std::size_t>(size - rank);
  const std::size_t last =
      rank == size - 1 ? total : total - 5 * static_cast<std::size_t>(size - rank - 1);
  JetEventData local;
  local.max_constituents = 4;
  for (std::size_t e = first; e < last; ++e) append_event(e, local);
  const std::string parallel_path = shared_path("parallel");
  write_jet_event_file(g_mpi->comm(), parallel_path, local, info());

  JetEventData all;
  all.max_constituents = 4;
  for (std::size_t e = 0; e < total; ++e) append_event(e, all);
  if (rank == 0) {
    const std::string serial_path = temp_path("serial");
    write_jet_event_file(MPI_COMM_SELF, serial_path, all, info());
    JetEventFileInfo read_info;
    const auto a = read_jet_event_file(parallel_path, &read_info);
    const auto b = read_jet_event_file(serial_path);
    BOOST_TEST(a.mjj == all.mjj);
    BOOST_TEST(a.signal == all.signal);
    for (int j = 0; j < 2; ++j) {
      BOOST_TEST(a.pt[j] == all.pt[j]);
      BOOST_TEST(a.eta[j] == all.eta[j]);
      BOOST_TEST(a.phi[j] == all.phi[j]);
      BOOST_TEST(a.mask[j] == all.mask[j]);
      BOOST_TEST(b.pt[j] == a.pt[j]);
    }
    BOOST_TEST(read_info.process == "qcd");
    BOOST_TEST(read_info.seed == 42u);
    BOOST_TEST(read_info.cross_section_fb == 719.5);
    BOOST_TEST(read_info.count("stored_window") == 17);
    BOOST_CHECK_THROW(read_info.count("nonexistent"), cwola::core::InputError);
    // Byte-identical files: nothing depends on the rank count (no time stamps).
    std::FILE* fa = std::fopen(parallel_path.c_str(), "rb");
    std::FILE* fb = std::fopen(serial_path.c_str(), "rb");
    BOOST_REQUIRE(fa != nullptr);
    BOOST_REQUIRE(fb != nullptr);
    int ca = 0;
    int cb = 0;
    bool same = true;
    do {
      ca = std::fgetc(fa);
      cb = std::fgetc(fb);
      same = same && ca == cb;
    } while (ca != EOF && cb != EOF);
    std::fclose(fa);
    std::fclose(fb);
    BOOST_TEST(same);
    std::remove(serial_path.c_str());
  }
  g_mpi->barrier();
  if (rank == 0) std::remove(parallel_path.c_str());
}

BOOST_AUTO_TEST_CASE(a_rank_without_events_takes_part) {
  JetEventData local;
  local.max_constituents = 3;
  if (g_mpi->rank() == 0) {
    for (std::size_t e = 0; e < 4; ++e) append_event(e, local);
  }
  const std::string path = shared_path("empty_rank");
  write_jet_event_file(g_mpi->comm(), path, local, JetEventFileInfo{});
  if (g_mpi->rank() == 0) {
    JetEventFileInfo read_info;
    const auto data = read_jet_event_file(path, &read_info);
    BOOST_TEST(data.size() == 4u);
    BOOST_TEST(!read_info.has_cutflow());
    std::remove(path.c_str());
  }
  g_mpi->barrier();
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_input_error) {
  BOOST_CHECK_THROW(read_jet_event_file("/nonexistent/events.h5"), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
