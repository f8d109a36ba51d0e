/// `cwola generate` for the dijet processes (physics/dijet_generator.hpp), written as a jet
/// event file (store/jet_event_file.hpp):
///  - process = hidden_valley: QCD dijets or Z_V → dark showers, with jet constituents
///    (anti-kT R = 0.8, the note's §4.3 selection);
///  - process = lhco: the LHC Olympics 2020 R&D-like benchmark, QCD dijets over the full mass
///    range or W′ → X Y → (q q̄)(q q̄), anti-kT R = 1.0, |η| < 2.5, a 1.2 TeV leading-jet trigger,
///    with the per-event table of features/dijet_table.hpp (constituents only on request).
/// Both read the same card sections with their own defaults. Event blocks are spread over the
/// ranks in contiguous ranges and seeded from (generator.seed, block id), so the file is
/// identical for any rank count.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "app/generators.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "features/dijet_table.hpp"
#include "physics/dijet_generator.hpp"
#include "store/jet_event_file.hpp"

namespace cwola::app {

namespace {

std::string compact(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::array<double, 2> read_window(core::JobConfig& card, const std::string& key,
                                  std::array<double, 2> fallback) {
  const auto v = card.get_doubles(key, {fallback[0], fallback[1]}, 0.0, 1e6);
  if (v.size() != 2 || !(v[0] < v[1]))
    card.fail(key, "must be two masses lo, hi (GeV) with lo < hi");
  return {v[0], v[1]};
}

enum class DijetFamily { kHiddenValley, kLhco };

struct DijetCard {
  DijetFamily family = DijetFamily::kHiddenValley;
  physics::DijetGeneratorConfig generator;
  physics::DijetSelectionConfig selection;
  std::uint64_t seed = 0;
  std::size_t events = 0;
  std::size_t block_size = 0;
  bool store_constituents = true;
  bool store_table = false;
};

/// The family's defaults where they differ: hidden valley = the note's §4.3; LHCO = the R&D
/// sample (anti-kT R = 1.0, |η| < 2.5, leading jet p_T > 1.2 TeV, m_jj 1.5–8 TeV).
DijetCard family_defaults(DijetFamily family) {
  DijetCard c;
  c.family = family;
  if (family == DijetFamily::kLhco) {
    c.generator = physics::lhco_generator_config(physics::DijetProcess::kQcd);
    c.selection = physics::lhco_selection_config();
    c.store_constituents = false;
    c.store_table = true;
  }
  return c;
}

void read_hidden_valley_signal(core::JobConfig& card, physics::HiddenValleySignalConfig& s) {
  s.zv_mass = card.get_double("signal.zv_mass", 5500.0, 1.0, 1e6);
  s.zv_width = card.get_double("signal.zv_width", 0.01 * s.zv_mass, 0.0, 1e6);
  s.rapidity_sigma = card.get_double("signal.rapidity_sigma", 0.5, 0.0, 10.0);
  const std::string mode = card.get_choice("signal.decay_mode", "direct", {"direct", "indirect"});
  const double lambda = card.get_double("signal.lambda_d", 10.0, 1e-3, 1e4);
  s.dark = physics::DarkSectorConfig::benchmark(lambda, mode == "direct"
                                                            ? physics::DarkDecayMode::kDirect
                                                            : physics::DarkDecayMode::kIndirect);
  s.dark.pion_mass = card.get_double("signal.pion_mass", s.dark.pion_mass, 1e-3, 1e4);
  s.dark.rho_mass = card.get_double("signal.rho_mass", s.dark.rho_mass, 1e-3, 1e4);
  s.dark.quark_mass = card.get_double("signal.quark_mass", s.dark.quark_mass, 1e-3, 1e4);
  s.dark.colours = static_cast<int>(card.get_int("signal.colours", 3, 2, 100));
  s.dark.flavours = static_cast<int>(card.get_int("signal.flavours", 3, 1, 100));
  s.dark.vector_fraction = card.get_double("signal.vector_fraction", 0.75, 0.0, 1.0);
  s.dark.max_angle = card.get_double("signal.max_angle", 1.0, 1e-3, 1.5707963);
  s.dark.fragmentation_a = card.get_double("signal.fragmentation_a", 1.0, -0.99, 100.0);
  s.dark.sigma_pt_over_lambda = card.get_double("signal.sigma_pt_over_lambda", 1.0, 0.0, 100.0);
}

void read_shower_detector_selection(core::JobConfig& card, DijetCard& c) {
  auto& g = c.generator;
  g.sm_shower.cutoff = card.get_double("shower.cutoff", 1.0, 1e-3, 1e3);
  g.sm_shower.max_angle = card.get_double("shower.max_angle", 1.0, 1e-3, 1.5707963);
  g.sm_shower.coupling.alpha_max = card.get_double("shower.alpha_max", 0.5, 1e-3, 5.0);
  g.sm_fragmentation.a = card.get_double("shower.fragmentation_a", 1.0, -0.99, 100.0);
  g.sm_fragmentation.sigma_pt = card.get_double("shower.sigma_pt", 0.35, 0.0, 100.0);
  g.charged_fraction = card.get_double("shower.charged_fraction", 2.0 / 3.0, 0.0, 1.0);
  g.underlying_event.density = card.get_double("shower.ue_density", 1.0, 0.0, 1e4);
  g.underlying_event.mean_pt = card.get_double("shower.ue_mean_pt", 1.0, 1e-6, 1e3);

  auto& d = g.detector;
  d.smear = card.get_bool("detector.smear", true);
  d.cell_size = card.get_double("detector.cell_size", 0.0174, 1e-4, 0.99);
  d.cell_min_energy = card.get_double("detector.cell_min_energy", 1.0, 0.0, 1e4);
  d.track_min_pt = card.get_double("detector.track_min_pt", 0.5, 0.0, 1e4);
  d.tracker_max_eta = card.get_double("detector.tracker_max_eta", 2.5, 0.0, 10.0);
  d.calorimeter_max_eta = card.get_double("detector.calorimeter_max_eta", 3.0, 1e-3, 10.0);
  g.clustering.radius = card.get_double("jets.radius", g.clustering.radius, 0.01, 5.0);
  g.clustering.min_pt = card.get_double("jets.min_pt", 20.0, 0.0, 1e5);

  auto& sel = c.selection;
  sel.leading_min_pt = card.get_double("selection.leading_min_pt", sel.leading_min_pt, 0.0, 1e5);
  sel.min_pt = card.get_double("selection.min_pt", sel.min_pt, 0.0, 1e5);
  sel.max_abs_eta = card.get_double("selection.max_abs_eta", sel.max_abs_eta, 1e-3, 10.0);
  const auto stored =
      read_window(card, "selection.stored_window", {sel.store_min_mass, sel.store_max_mass});
  sel.store_min_mass = stored[0];
  sel.store_max_mass = stored[1];
  sel.signal_region = read_window(card, "selection.signal_region", sel.signal_region);
  const auto sb = card.get_doubles(
      "selection.sideband", {sel.sideband[0], sel.sideband[1], sel.sideband[2], sel.sideband[3]},
      0.0, 1e6);
  if (sb.size() != 4)
    card.fail("selection.sideband", "must be four masses lo1, hi1, lo2, hi2 (GeV)");
  sel.sideband = {sb[0], sb[1], sb[2], sb[3]};
  sel.max_constituents = static_cast<std::size_t>(card.get_int(
      "selection.max_constituents", static_cast<long long>(sel.max_constituents), 1, 100000));
}

DijetCard read_card(core::JobConfig& card, DijetFamily family) {
  DijetCard c = family_defaults(family);
  auto& g = c.generator;
  const bool lhco = family == DijetFamily::kLhco;
  const std::string sample =
      card.get_choice("generator.sample", "qcd", {"qcd", lhco ? "wprime" : "signal"});
  g.process = sample == "qcd"
                  ? physics::DijetProcess::kQcd
                  : (lhco ? physics::DijetProcess::kWprime : physics::DijetProcess::kHiddenValley);
  c.seed = card.get_uint64("generator.seed", 20240601);
  c.events = static_cast<std::size_t>(card.get_int("generator.events", 100000, 1, 1LL << 40));
  c.block_size = static_cast<std::size_t>(card.get_int("generator.block_size", 1000, 1, 1LL << 30));

  auto& q = g.qcd;
  q.shape.sqrt_s = card.get_double("qcd.sqrt_s", 13000.0, 1.0, 1e6);
  q.shape.p1 = card.get_double("qcd.p1", 8.156, -100, 100);
  q.shape.p2 = card.get_double("qcd.p2", 5.227, -100, 100);
  q.shape.p3 = card.get_double("qcd.p3", 0.0, -100, 100);
  const auto window = read_window(card, "qcd.mass_window", {q.m_min, q.m_max});
  q.m_min = window[0];
  q.m_max = window[1];
  q.chi_max = card.get_double("qcd.chi_max", 30.0, 1.0001, 1e6);
  q.boost_sigma = card.get_double("qcd.boost_sigma", 0.5, 0.0, 10.0);
  q.quark_fraction = card.get_double("qcd.quark_fraction", 0.6, 0.0, 1.0);
  q.reference_mass = card.get_double("qcd.reference_mass", 3000.0, 1.0, 1e6);
  q.reference_cross_section_fb =
      card.get_double("qcd.reference_cross_section_fb", 6837.0, 1e-12, 1e15);
  q.min_parton_pt = card.get_double("qcd.min_parton_pt", q.min_parton_pt, 0.0, 1e5);

  if (lhco) {
    auto& w = g.wprime;
    w.wprime_mass = card.get_double("wprime.mass", w.wprime_mass, 1.0, 1e6);
    w.wprime_width = card.get_double("wprime.width", 0.01 * w.wprime_mass, 0.0, 1e6);
    w.x_mass = card.get_double("wprime.x_mass", w.x_mass, 1e-3, 1e6);
    w.y_mass = card.get_double("wprime.y_mass", w.y_mass, 1e-3, 1e6);
    w.rapidity_sigma = card.get_double("wprime.rapidity_sigma", w.rapidity_sigma, 0.0, 10.0);
  } else {
    read_hidden_valley_signal(card, g.signal);
  }
  read_shower_detector_selection(card, c);
  c.store_constituents = card.get_bool("output.constituents", c.store_constituents);
  try {
    g.validate();
    c.selection.validate();
  } catch (const core::InputError& e) {
    throw core::InputError(card.source() + ": " + e.what());
  }
  return c;
}

void append(const physics::DijetEvent& event, const DijetCard& c, store::JetEventData& out) {
  const std::size_t width = out.max_constituents;
  for (int j = 0; j < (width > 0 ? 2 : 0); ++j) {
    const auto& jet = event.jets[j];
    for (std::size_t i = 0; i < width; ++i) {
      const bool real = i < jet.size();
      out.pt[j].push_back(real ? static_cast<float>(jet[i].pt) : 0.0F);
      out.eta[j].push_back(real ? static_cast<float>(jet[i].eta) : 0.0F);
      out.phi[j].push_back(real ? static_cast<float>(jet[i].phi) : 0.0F);
      out.mask[j].push_back(real ? 1 : 0);
    }
  }
  out.mjj.push_back(static_cast<float>(event.mjj));
  out.signal.push_back(event.signal ? 1 : 0);
  if (c.store_table) {
    const auto row = features::dijet_table_row(event, c.generator.clustering.radius);
    for (std::size_t k = 0; k < row.size(); ++k) out.table[k].push_back(row[k]);
  }
}

std::string process_text(const DijetCard& c) {
  const auto& g = c.generator;
  switch (g.process) {
    case physics::DijetProcess::kQcd:
      return "QCD dijets";
    case physics::DijetProcess::kHiddenValley:
      return "hidden-valley Z_V signal (" + physics::to_string(g.signal.dark.mode) +
             ", Λ_D = " + compact(g.signal.dark.lambda_d) + " GeV)";
    case physics::DijetProcess::kWprime:
      return "W′ (" + compact(g.wprime.wprime_mass) + " GeV) → X (" + compact(g.wprime.x_mass) +
             ") Y (" + compact(g.wprime.y_mass) + ") → qq̄ qq̄";
  }
  return "";
}

int generate_dijets(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                    const GenerateRequest& request, DijetFamily family) {
  const DijetCard c = read_card(card, family);
  card.reject_unread();
  if (access(request.output.c_str(), F_OK) == 0 && !request.overwrite) {
    throw core::InputError("event file '" + request.output +
                           "' already exists; use --overwrite to replace it or choose another "
                           "--output");
  }
  const physics::DijetGenerator generator(c.generator, c.selection);
  const std::size_t blocks = (c.events + c.block_size - 1) / c.block_size;
  const auto size = static_cast<std::size_t>(mpi.size());
  const auto rank = static_cast<std::size_t>(mpi.rank());
  const std::size_t first = blocks * rank / size;
  const std::size_t last = blocks * (rank + 1) / size;
  core::log_info("generate: " + process_text(c) + ", " + std::to_string(c.events) + " events in " +
                 std::to_string(blocks) + " blocks over " + std::to_string(size) + " ranks");

  store::JetEventData local;
  local.max_constituents = c.store_constituents ? c.selection.max_constituents : 0;
  if (c.store_table) {
    local.table_columns = features::dijet_table_columns();
    local.table.resize(local.table_columns.size());
  }
  std::vector<long long> cutflow(physics::cutflow::kSteps, 0);
  for (std::size_t b = first; b < last; ++b) {
    const std::size_t n = std::min(c.block_size, c.events - b * c.block_size);
    const auto block = generator.generate_block(c.seed, b, n);
    for (std::size_t s = 0; s < cutflow.size(); ++s) cutflow[s] += block.cutflow[s];
    for (const auto& event : block.events) append(event, c, local);
  }
  std::vector<long long> total(cutflow.size(), 0);
  MPI_Allreduce(cutflow.data(), total.data(), static_cast<int>(cutflow.size()), MPI_LONG_LONG,
                MPI_SUM, mpi.comm());

  store::JetEventFileInfo info;
  info.process =
      c.generator.process == physics::DijetProcess::kQcd
          ? "qcd"
          : (c.generator.process == physics::DijetProcess::kWprime ? "wprime" : "hidden_valley");
  info.card = card.canonical_text();
  info.seed = c.seed;
  info.cross_section_fb = c.generator.cross_section_fb();
  info.cutflow_steps = generator.cutflow_steps();
  info.cutflow_counts.assign(total.begin(), total.end());
  store::write_jet_event_file(mpi.comm(), request.output, local, info);

  std::ostringstream table;
  table << "cutflow of " << request.output << " (" << info.process << ")";
  if (info.cross_section_fb > 0) table << ", σ(generated) = " << info.cross_section_fb << " fb";
  table << ":\n";
  for (std::size_t s = 0; s < total.size(); ++s) {
    char line[128];
    std::snprintf(line, sizeof line, "  %-16s %10lld  %.4f\n", info.cutflow_steps[s].c_str(),
                  total[s], total[0] > 0 ? static_cast<double>(total[s]) / total[0] : 0.0);
    table << line;
  }
  core::log_info(table.str());
  return 0;
}
}  // namespace

// Referenced from generators.cpp.
int run_generate_hidden_valley(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                               const GenerateRequest& request) {
  return generate_dijets(mpi, card, request, DijetFamily::kHiddenValley);
}

int run_generate_lhco(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                      const GenerateRequest& request) {
  return generate_dijets(mpi, card, request, DijetFamily::kLhco);
}

}  // namespace cwola::app
