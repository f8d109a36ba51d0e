/// `cwola generate` for process = dihiggs: gg → H → hh → 4b signal or QCD multi-jet
/// background (physics/hh_event_source.hpp), detector, four-tag cut, written in the
/// SPANet layout (store/event_file.hpp). Blocks are generated in rounds — block
/// round × ranks + rank on each rank — from (generator.seed, block id); the file
/// holds the first `events` accepted events in block order, so it is identical for
/// any rank count. Rank 0 prints the cutflow, the efficiencies and, with the
/// four-tag cross section and luminosity, the expected yields in the note's windows.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <sstream>

#include "app/generators.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "data/dihiggs_mixing.hpp"
#include "features/spanet_columns.hpp"
#include "physics/hh_event_source.hpp"
#include "store/event_file.hpp"
#include "studies/dihiggs_common.hpp"

namespace cwola::app {

namespace {

struct DihiggsCard {
  physics::HhEventSourceConfig source;
  features::PairingConfig pairing;
  std::string kind;
  double heavy_mass = 500;
  std::uint64_t seed = 1;
  std::uint64_t events = 10000;
  std::size_t max_jets = 10;
  double cross_section_fb = 0;
  double luminosity_fb = 139;
  std::uint64_t max_blocks = 1000000;
};

DihiggsCard read_card(core::JobConfig& card) {
  DihiggsCard c;
  c.kind = card.get_choice("generator.kind", "signal", {"signal", "background"});
  const auto physics = studies::DihiggsPhysics::read(card);
  c.source = c.kind == "signal" ? physics.signal : physics.background;
  c.heavy_mass = physics.heavy_mass();
  c.pairing = physics.pairing;
  c.source.require_four_tag = !card.get_bool("generator.keep_all", false);
  c.seed = card.get_uint64("generator.seed", 1);
  c.events = static_cast<std::uint64_t>(card.get_int("generator.events", 10000, 1, 1LL << 40));
  c.max_jets = static_cast<std::size_t>(card.get_int("generator.max_jets", 10, 4, 100));
  c.max_blocks =
      static_cast<std::uint64_t>(card.get_int("generator.max_blocks", 1000000, 1, 1LL << 40));
  const auto note = data::note_cross_sections(c.heavy_mass);
  const double fallback = c.kind == "signal" ? (note ? note->signal_four_tag : 0.0) : 6.03e3;
  c.cross_section_fb = card.get_double("generator.cross_section_fb", fallback, 0, 1e15);
  c.luminosity_fb = card.get_double("generator.luminosity_fb", 139, 0, 1e7);
  return c;
}

}  // namespace

int run_generate_dihiggs(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                         const GenerateRequest& request) {
  const DihiggsCard c = read_card(card);
  card.reject_unread();
  const physics::HhEventSource source(c.source);
  const auto ranks = static_cast<std::uint64_t>(mpi.size());
  core::log_info(
      "generate: di-Higgs " + c.kind +
      (c.kind == "signal"
           ? ", m_H = " + std::to_string(static_cast<int>(std::lround(c.heavy_mass))) + " GeV"
           : std::string()) +
      ", " + std::to_string(c.events) + " events after the " +
      (c.source.require_four_tag ? "four-tag cut" : "generation") + ", blocks of " +
      std::to_string(c.source.block_size) + " on " + std::to_string(ranks) + " rank(s), seed " +
      std::to_string(c.seed));

  store::EventFileInfo info;
  info.process = "dihiggs-" + c.kind;
  info.card = card.canonical_text();
  info.cross_section_fb = c.cross_section_fb;
  const auto generated =
      store::generate_event_file(mpi.comm(), request.output, source, c.seed, c.events, c.max_jets,
                                 c.pairing, info, request.overwrite, c.max_blocks);
  const auto& cutflow = generated.cutflow;
  const auto& columns = generated.local;
  const auto blocks_used = generated.blocks_used;

  // Fractions of the written events in the note's m_hh windows.
  std::vector<std::uint64_t> window_counts(4, 0);
  for (double m : columns.m_hh) {
    for (int w = 0; w < 2; ++w) {
      const auto windows = data::note_windows(w == 0 ? 500 : 1000);
      const auto region = windows->region(m);
      if (region == data::MassRegion::kSignal) ++window_counts[2 * w];
      if (region == data::MassRegion::kSideband) ++window_counts[2 * w + 1];
    }
  }
  std::vector<std::uint64_t> totals(4, 0);
  MPI_Allreduce(window_counts.data(), totals.data(), 4, MPI_UINT64_T, MPI_SUM, mpi.comm());

  std::ostringstream table;
  table << "cutflow (" << info.process << ", " << blocks_used << " blocks):\n";
  char line[200];
  for (std::size_t i = 0; i < cutflow.names.size(); ++i) {
    std::snprintf(line, sizeof line, "  %-26s %12llu  %8.5f of generated\n",
                  cutflow.names[i].c_str(), static_cast<unsigned long long>(cutflow.counts[i]),
                  static_cast<double>(cutflow.counts[i]) / static_cast<double>(cutflow.counts[0]));
    table << line;
  }
  const double n = static_cast<double>(c.events);
  const char* names[4] = {"SR  m_H=500 [350,550]", "SB  m_H=500", "SR m_H=1000 [800,1050]",
                          "SB m_H=1000"};
  table << "  fraction of written events in the note's windows, and N = sigma(4 tag) x fraction x L"
        << " (sigma = " << core::format_double(c.cross_section_fb)
        << " fb, L = " << core::format_double(c.luminosity_fb) << " fb^-1):\n";
  for (int w = 0; w < 4; ++w) {
    const double f = static_cast<double>(totals[static_cast<std::size_t>(w)]) / n;
    std::snprintf(line, sizeof line, "  %-26s %8.4f  N = %.4g\n", names[w], f,
                  c.cross_section_fb * f * c.luminosity_fb);
    table << line;
  }
  table << "wrote " << request.output;
  core::log_info(table.str());
  return static_cast<int>(core::ExitCode::kSuccess);
}

}  // namespace cwola::app
