#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "features/spanet_columns.hpp"
#include "parallel/mpi_runtime.hpp"
#include "physics/hh_event_source.hpp"
#include "store/event_file.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola;

namespace {
template <typename T>
void check_equal(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  BOOST_TEST_INFO(what);
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  std::size_t differences = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool same = a[i] == b[i] || (std::isnan(static_cast<double>(a[i])) &&
                                       std::isnan(static_cast<double>(b[i])));
    differences += same ? 0 : 1;
  }
  BOOST_TEST(differences == 0U);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(event_file)

BOOST_AUTO_TEST_CASE(generated_file_is_the_same_for_any_rank_count) {
  // Small blocks so that the rounds, the truncation at `events` and uneven block
  // counts per rank are all exercised. Every rank count must give exactly the first
  // `events` accepted events of blocks 0, 1, 2, ... (the serial reference).
  for (bool signal : {true, false}) {
    physics::HhEventSourceConfig config;
    if (!signal) config.process = physics::QcdMultijetConfig{};
    config.block_size = 100;
    const physics::HhEventSource source(config);
    const std::uint64_t events = 57;
    const std::string path = std::string("test_event_file_") + (signal ? "s" : "b") + "_np" +
                             std::to_string(g_mpi->size()) + ".h5";
    store::EventFileInfo info;
    info.process = signal ? "dihiggs-signal" : "dihiggs-background";
    info.card = "[generator]\nprocess = dihiggs\n";
    info.cross_section_fb = 3.64;
    const auto generated = store::generate_event_file(g_mpi->comm(), path, source, 31, events, 8,
                                                      features::PairingConfig{}, info, true);
    const auto reference_events = source.generate_accepted(31, events);
    const auto reference =
        features::to_spanet_columns(reference_events.events, 8, features::PairingConfig{});
    store::EventFileInfo read_info;
    const auto read = store::read_event_file(path, {}, &read_info);
    BOOST_REQUIRE_EQUAL(read.size(), events);
    BOOST_TEST(read.max_jets == 8U);
    check_equal(read.pt, reference.pt, "pt");
    check_equal(read.eta, reference.eta, "eta");
    check_equal(read.phi, reference.phi, "phi");
    check_equal(read.mass, reference.mass, "mass");
    check_equal(read.btag, reference.btag, "btag");
    check_equal(read.mask, reference.mask, "MASK");
    check_equal(read.h1_b1, reference.h1_b1, "h1/b1");
    check_equal(read.h2_b2, reference.h2_b2, "h2/b2");
    check_equal(read.signal, reference.signal, "signal");
    check_equal(read.m_hh, reference.m_hh, "m_hh");
    check_equal(read.truth_mass, reference.truth_mass, "truth mass");
    check_equal(read.flavour, reference.flavour, "flavour");
    check_equal(read.event_id, reference.event_id, "event id");
    // The cutflow covers exactly the blocks the reference used.
    BOOST_TEST(read_info.cutflow_counts.front() ==
               static_cast<std::int64_t>(reference_events.cutflow.counts.front()));
    BOOST_TEST(read_info.cutflow_counts.back() ==
               static_cast<std::int64_t>(reference_events.cutflow.counts.back()));
    BOOST_TEST(read_info.blocks == generated.blocks_used);
    BOOST_TEST(read_info.seed == 31U);
    BOOST_TEST(read_info.process == info.process);
    BOOST_TEST(read_info.cross_section_fb == 3.64);
    if (signal) {
      // Signal targets point at b jets; a partial read returns the same rows.
      BOOST_TEST(read.h1_b1[0] >= 0);
      store::EventFileReadOptions slice;
      slice.first = 10;
      slice.count = 5;
      const auto part = store::read_event_file(path, slice);
      BOOST_REQUIRE_EQUAL(part.size(), 5U);
      BOOST_TEST(part.pt[0] == read.pt[10 * 8]);
      BOOST_TEST(part.event_id[4] == read.event_id[14]);
    }
    g_mpi->barrier();
  }
}

BOOST_AUTO_TEST_CASE(existing_file_is_refused_without_overwrite) {
  const std::string path = "test_event_file_exists_np" + std::to_string(g_mpi->size()) + ".h5";
  physics::HhEventSourceConfig config;
  config.block_size = 50;
  const physics::HhEventSource source(config);
  store::generate_event_file(g_mpi->comm(), path, source, 1, 3, 6, {}, {}, true);
  BOOST_CHECK_THROW(store::generate_event_file(g_mpi->comm(), path, source, 1, 3, 6, {}, {}, false),
                    core::InputError);
  g_mpi->barrier();
}

BOOST_AUTO_TEST_CASE(reader_accepts_spanet_example_files) {
  // SPANet's own examples: ttbar (INPUTS/Source with phi) and ttH (INPUTS/Momenta with
  // cos_phi/sin_phi, a classification). Skipped where the files are not present.
  const std::string ttbar = "/work/shared/data/spanet/full_hadronic_ttbar_example.h5";
  const std::string tth = "/work/shared/data/spanet/semi_leptonic_ttH_example.h5";
  if (access(ttbar.c_str(), R_OK) == 0) {
    const auto columns = store::read_event_file(ttbar);
    BOOST_TEST(columns.size() == 10000U);
    BOOST_TEST(columns.max_jets == 10U);
    BOOST_TEST(columns.signal[0] == -1);  // no classification in that file
    BOOST_TEST(columns.h1_b1[0] == -1);   // its targets are t1/t2, not h1/h2
    std::size_t with_m_hh = 0;
    for (double m : columns.m_hh) with_m_hh += std::isfinite(m) ? 1 : 0;
    BOOST_TEST_MESSAGE("ttbar example: " << with_m_hh
                                         << " of 10000 events have four b-tagged jets");
    BOOST_CHECK_THROW(store::read_event_file(tth), core::InputError);  // no INPUTS/Source
  } else {
    BOOST_TEST_MESSAGE("SPANet examples not present; skipped");
  }
  if (access(tth.c_str(), R_OK) == 0) {
    store::EventFileReadOptions options;
    options.source_group = "Momenta";
    const auto columns = store::read_event_file(tth, options);
    BOOST_TEST(columns.size() == 1000U);
    BOOST_TEST(columns.max_jets == 19U);
    BOOST_TEST((columns.signal[0] == 0 || columns.signal[0] == 1));
    for (std::size_t i = 0; i < columns.phi.size(); ++i) {
      BOOST_REQUIRE(std::abs(columns.phi[i]) <= 3.1416F);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
