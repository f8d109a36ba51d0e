/// `cwola generate` for process = bump_histograms: training histograms of the bump-hunt
/// network (stats/histogram_generator.hpp) with their profile-likelihood targets
/// (stats/bump_targets.hpp), written as a histogram file (store/histogram_file.hpp). Blocks of
/// histograms are spread over the ranks in contiguous ranges; every histogram is seeded from
/// (generator.seed, histogram index), so the file is identical for any rank count.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "app/generators.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "stats/bump_targets.hpp"
#include "stats/histogram_generator.hpp"
#include "store/histogram_file.hpp"

namespace cwola::app {

namespace {

struct BumpCard {
  stats::HistogramGeneratorConfig generator;
  std::vector<int> target_widths;
  std::uint64_t seed = 0;
  std::size_t histograms = 0;
  std::size_t block_size = 0;
};

std::array<double, 2> read_pair(core::JobConfig& card, const std::string& key,
                                std::array<double, 2> fallback, double min, double max) {
  const auto v = card.get_doubles(key, {fallback[0], fallback[1]}, min, max);
  if (v.size() != 2 || !(v[0] <= v[1])) card.fail(key, "must be two numbers lo, hi with lo <= hi");
  return {v[0], v[1]};
}

std::vector<int> read_widths(core::JobConfig& card, const std::string& key) {
  const auto v = card.get_ints(key, {1, 2, 3, 4}, 1, 20);
  if (v.empty()) card.fail(key, "must list at least one width (bins)");
  return {v.begin(), v.end()};
}

BumpCard read_card(core::JobConfig& card) {
  BumpCard c;
  c.seed = card.get_uint64("generator.seed", 20250101);
  c.histograms =
      static_cast<std::size_t>(card.get_int("generator.histograms", 10000, 1, 1LL << 40));
  c.block_size = static_cast<std::size_t>(card.get_int("generator.block_size", 1000, 1, 1LL << 30));
  auto& g = c.generator;
  g.min_bins = static_cast<int>(card.get_int("bump.min_bins", 30, 2, 100000));
  g.max_bins = static_cast<int>(card.get_int("bump.max_bins", 99, 2, 100000));
  if (g.max_bins < g.min_bins) {
    card.fail("bump.max_bins", "must be >= bump.min_bins = " + std::to_string(g.min_bins));
  }
  g.variable_fraction = card.get_double("bump.variable_fraction", 0.5, 0.0, 1.0);
  g.mass_range = read_pair(card, "bump.mass_range", {1.5, 5.5}, 1.0 + 1e-6, 1e6);
  g.min_entries = card.get_double("bump.min_entries", 10.0, 1e-6, 1e12);
  g.max_entries = card.get_double("bump.max_entries", 1e5, 1e-6, 1e12);
  if (!(g.max_entries > g.min_entries)) {
    card.fail("bump.max_entries",
              "must be > bump.min_entries = " + core::format_double(g.min_entries));
  }
  std::string all;
  for (auto family : stats::all_bump_families()) {
    all += (all.empty() ? "" : ", ") + stats::bump_family_name(family);
  }
  const std::string families = card.get_string("bump.families", all);
  g.families.clear();
  for (const auto& name : core::split(families, ',')) {
    try {
      g.families.push_back(stats::parse_bump_family(name, "bump.families"));
    } catch (const core::InputError&) {
      card.fail("bump.families", "names an unknown family '" + name + "' (known: " + all + ")");
    }
  }
  if (g.families.empty()) card.fail("bump.families", "must name at least one family");
  g.stretched_fraction = card.get_double("bump.stretched_fraction", 0.5, 0.0, 1.0);
  g.min_cut = card.get_double("bump.min_cut", 0.2, 1e-3, 1.0);
  g.power_range = read_pair(card, "bump.power_range", {0.01, 10.0}, 1e-6, 100.0);
  g.cosh_range = read_pair(card, "bump.cosh_range", {0.5, 5.0}, 1e-6, 100.0);
  g.dijet_spread = card.get_double("bump.dijet_spread", 5.0, 0.0, 100.0);
  g.signal_widths = read_widths(card, "bump.signal_widths");
  g.z_range = read_pair(card, "bump.z_range", {0.0, 10.0}, 0.0, 100.0);
  g.no_signal_fraction = card.get_double("bump.no_signal_fraction", 0.1, 0.0, 1.0);
  c.target_widths = read_widths(card, "bump.target_widths");
  try {
    g.validate();
  } catch (const core::InputError& e) {
    throw core::InputError(card.source() + ": " + e.what());
  }
  return c;
}

void append(const stats::GeneratedHistogram& h, const stats::BumpTargets& t,
            store::HistogramSetData& out) {
  out.n_bins.push_back(static_cast<std::int64_t>(h.bins()));
  out.edges.insert(out.edges.end(), h.edges.begin(), h.edges.end());
  out.counts.insert(out.counts.end(), h.counts.begin(), h.counts.end());
  out.background.insert(out.background.end(), h.background.begin(), h.background.end());
  out.signal.insert(out.signal.end(), h.signal.begin(), h.signal.end());
  for (std::size_t k = 0; k < t.z.size(); ++k) {
    out.z[k].insert(out.z[k].end(), t.z[k].begin(), t.z[k].end());
  }
  out.z_mixed.insert(out.z_mixed.end(), t.mixed.begin(), t.mixed.end());
  out.family.push_back(static_cast<std::int8_t>(h.shape.family));
  out.binning.push_back(static_cast<std::int8_t>(h.binning));
  out.has_signal.push_back(h.has_signal ? 1 : 0);
  out.y_max.push_back(h.shape.y_max);
  out.y_min.push_back(h.shape.y_min);
  out.shape_parameter.push_back(h.shape.parameter);
  out.stretch_cut.push_back(h.shape.cut);
  out.mass_scale_gev.push_back(h.shape.mass_scale_gev);
  const bool dijet = h.shape.family == stats::BumpFamily::kDijet;
  out.dijet_theta1.push_back(dijet ? h.shape.dijet_theta1 : 0.0);
  out.dijet_theta3.push_back(dijet ? h.shape.dijet_theta3 : 0.0);
  out.mu.push_back(h.mu);
  out.z_want.push_back(h.z_want);
  out.signal_width.push_back(h.signal_width);
  out.centre_bin.push_back(h.centre_bin);
  out.seed.push_back(h.seed);
}

int generate_bump_histograms(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                             const GenerateRequest& request) {
  const BumpCard c = read_card(card);
  card.reject_unread();
  if (access(request.output.c_str(), F_OK) == 0 && !request.overwrite) {
    throw core::InputError("histogram file '" + request.output +
                           "' already exists; use --overwrite to replace it or choose another "
                           "--output");
  }
  const stats::HistogramGenerator generator(c.generator);
  const std::size_t blocks = (c.histograms + c.block_size - 1) / c.block_size;
  const auto size = static_cast<std::size_t>(mpi.size());
  const auto rank = static_cast<std::size_t>(mpi.rank());
  const std::size_t first = std::min(c.histograms, blocks * rank / size * c.block_size);
  const std::size_t last = std::min(c.histograms, blocks * (rank + 1) / size * c.block_size);
  core::log_info("generate: " + std::to_string(c.histograms) + " bump-hunt histograms in " +
                 std::to_string(blocks) + " blocks over " + std::to_string(size) +
                 " ranks, targets for widths " +
                 [&] {
                   std::vector<std::string> w;
                   for (int v : c.target_widths) w.push_back(std::to_string(v));
                   return core::join(w, ", ");
                 }() +
                 " and mixed");

  const auto start = std::chrono::steady_clock::now();
  store::HistogramSetData local;
  local.target_widths = c.target_widths;
  local.z.resize(c.target_widths.size());
  for (std::size_t index = first; index < last; ++index) {
    const auto h = generator.generate(c.seed, index);
    append(h, stats::compute_bump_targets(h.counts, h.background, c.target_widths), local);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double slowest = 0.0;
  MPI_Allreduce(&seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, mpi.comm());

  store::HistogramFileInfo info;
  info.card = card.canonical_text();
  info.seed = c.seed;
  for (auto family : stats::all_bump_families()) {
    info.family_names.push_back(stats::bump_family_name(family));
  }
  const auto write_start = std::chrono::steady_clock::now();
  store::write_histogram_file(mpi.comm(), request.output, local, info);
  const double write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();

  char line[256];
  std::snprintf(
      line, sizeof line,
      "generate: %zu histograms generated with targets in %.3f s on the slowest rank "
      "(%.1f histograms/s per rank); file written in %.3f s",
      c.histograms, slowest,
      slowest > 0 ? static_cast<double>(c.histograms) / static_cast<double>(size) / slowest : 0.0,
      write_seconds);
  core::log_info(line);
  return 0;
}
}  // namespace

// Referenced from generators.cpp.
int run_generate_bump_histograms(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                                 const GenerateRequest& request) {
  return generate_bump_histograms(mpi, card, request);
}

}  // namespace cwola::app
