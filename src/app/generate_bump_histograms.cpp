/// `cwola generate` for process = bump_histograms: training histograms of the bump-hunt
/// network (stats/histogram_generator.hpp) with their profile-likelihood targets
/// (stats/bump_targets.hpp), written as a histogram file (store/histogram_file.hpp); and for
/// process = bump_spectra: bumps injected into the fitted backgrounds of measured spectra
/// (stats/spectrum_histograms.hpp), in the same file layout. Blocks of
/// histograms are spread over the ranks in contiguous ranges; every histogram is seeded from
/// (generator.seed, histogram index), so the file is identical for any rank count.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "app/generators.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "stats/bump_targets.hpp"
#include "stats/histogram.hpp"
#include "stats/histogram_generator.hpp"
#include "stats/spectrum_histograms.hpp"
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

/// The injection and target settings, shared by both processes.
void read_injection(core::JobConfig& card, BumpCard& c) {
  auto& g = c.generator;
  g.signal_widths = read_widths(card, "bump.signal_widths");
  g.z_range = read_pair(card, "bump.z_range", {0.0, 10.0}, 0.0, 100.0);
  g.no_signal_fraction = card.get_double("bump.no_signal_fraction", 0.1, 0.0, 1.0);
  c.target_widths = read_widths(card, "bump.target_widths");
}

/// A histogram file is never replaced without --overwrite.
void refuse_existing_output(const GenerateRequest& request) {
  if (access(request.output.c_str(), F_OK) == 0 && !request.overwrite) {
    throw core::InputError("histogram file '" + request.output +
                           "' already exists; use --overwrite to replace it or choose another "
                           "--output");
  }
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
  read_injection(card, c);
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
  refuse_existing_output(request);
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
/// A measured spectrum of process bump_spectra and how its CSV is read (as by cwola fit).
struct SpectrumSource {
  std::string path;
  stats::CsvSpectrumOptions csv;
};

struct SpectraCard {
  BumpCard bump;  ///< seed, injection and target settings (the generator's shape keys unused)
  std::vector<SpectrumSource> spectra;
  std::size_t per_spectrum = 0;
  int min_bins = 30;
  int max_bins = 99;
  stats::EntryRange entries;
};

SpectraCard read_spectra_card(core::JobConfig& card) {
  SpectraCard c;
  c.bump.seed = card.get_uint64("generator.seed", 20261202);
  c.per_spectrum =
      static_cast<std::size_t>(card.get_int("generator.histograms_per_spectrum", 200, 1, 1LL << 30));
  read_injection(card, c.bump);
  c.min_bins = static_cast<int>(card.get_int("spectra.min_bins", 30, 2, 100000));
  c.max_bins = static_cast<int>(card.get_int("spectra.max_bins", 99, 2, 100000));
  if (c.max_bins < c.min_bins) {
    card.fail("spectra.max_bins", "must be >= spectra.min_bins = " + std::to_string(c.min_bins));
  }
  c.entries.min_entries = card.get_double("spectra.min_entries", 10.0, 0.0, 1e12);
  c.entries.max_entries = card.get_double("spectra.max_entries", 1e5, 1e-6, 1e12);
  if (!(c.entries.max_entries > c.entries.min_entries)) {
    card.fail("spectra.max_entries", "must be > spectra.min_entries = " +
                                         core::format_double(c.entries.min_entries));
  }
  const auto files = core::split(card.get_string("spectra.files", ""), ',');
  if (files.empty()) card.fail("spectra.files", "must list at least one CSV spectrum");
  const auto counts = core::split(card.get_string("spectra.counts", ""), ',');
  const auto edges = core::split(card.get_string("spectra.edges", ""), ',');
  const auto scales = card.get_doubles("spectra.scale", {}, 1e-12, 1e12);
  const auto check_length = [&](const std::string& key, std::size_t n) {
    if (n != files.size()) {
      card.fail(key, "lists " + std::to_string(n) + " values for " +
                         std::to_string(files.size()) + " spectra.files (one each)");
    }
  };
  check_length("spectra.counts", counts.size());
  check_length("spectra.edges", edges.size());
  check_length("spectra.scale", scales.size());
  for (std::size_t k = 0; k < files.size(); ++k) {
    SpectrumSource source;
    source.path = files[k];
    if (counts[k] == "value") {
      source.csv.counts_from = stats::CountsFrom::kValue;
    } else if (counts[k] == "scale") {
      source.csv.counts_from = stats::CountsFrom::kScale;
    } else if (counts[k] == "errors") {
      source.csv.counts_from = stats::CountsFrom::kErrors;
    } else {
      card.fail("spectra.counts", "names '" + counts[k] + "', not value, scale or errors");
    }
    if (edges[k] != "widths" && edges[k] != "midpoints") {
      card.fail("spectra.edges", "names '" + edges[k] + "', not widths or midpoints");
    }
    source.csv.edges_from =
        edges[k] == "widths" ? stats::EdgesFrom::kWidths : stats::EdgesFrom::kMidpoints;
    source.csv.scale = scales[k];
    c.spectra.push_back(source);
  }
  return c;
}

int generate_bump_spectra(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                          const GenerateRequest& request) {
  const SpectraCard c = read_spectra_card(card);
  card.reject_unread();
  refuse_existing_output(request);
  // Every rank fits every spectrum (deterministic, milliseconds) and injects its own range.
  std::vector<stats::SpectrumBackground> backgrounds;
  for (const auto& source : c.spectra) {
    const auto spectrum = stats::read_csv_spectrum(source.path, source.csv);
    backgrounds.push_back(stats::fit_spectrum_background(
        std::filesystem::path(source.path).stem().string(), spectrum, stats::FtestOptions{},
        c.min_bins, c.max_bins, c.entries));
    const auto& b = backgrounds.back();
    const auto [low, high] = std::minmax_element(b.expected.begin(), b.expected.end());
    core::log_info("generate: " + b.name + ": " + std::to_string(b.kept_bins) + " of " +
                   std::to_string(spectrum.bins()) + " measured bins kept -> " +
                   std::to_string(b.expected.size()) + " (merged " +
                   std::to_string(b.bins.merged) + ", split " + std::to_string(b.bins.split) +
                   "), fit " + b.fit.family + ", " + core::format_double(b.measured_events) +
                   " events x scale " + core::format_double(b.scale) +
                   ", expected per bin " + core::format_double(*low) + " - " +
                   core::format_double(*high));
  }
  const std::size_t total = backgrounds.size() * c.per_spectrum;
  const auto size = static_cast<std::size_t>(mpi.size());
  const auto rank = static_cast<std::size_t>(mpi.rank());
  store::HistogramSetData local;
  local.target_widths = c.bump.target_widths;
  local.z.resize(c.bump.target_widths.size());
  for (std::size_t index = total * rank / size; index < total * (rank + 1) / size; ++index) {
    const std::size_t s = index / c.per_spectrum;
    const auto& b = backgrounds[s];
    stats::GeneratedHistogram h;
    // The mass axis in units of the first edge, as the generated dijet shapes.
    const double first_edge = b.bins.edges.front();
    for (double e : b.bins.edges) h.edges.push_back(e / first_edge);
    h.background = b.expected;
    h.seed = core::stream_seed(c.bump.seed, index, core::SeedPurpose::kBumpShape);
    double narrowest = h.edges[1] - h.edges[0];
    double widest = narrowest;
    for (std::size_t i = 1; i + 1 < h.edges.size(); ++i) {
      narrowest = std::min(narrowest, h.edges[i + 1] - h.edges[i]);
      widest = std::max(widest, h.edges[i + 1] - h.edges[i]);
    }
    h.binning = widest <= narrowest * (1.0 + 1e-6) ? stats::BumpBinning::kUniform
                                                   : stats::BumpBinning::kVariable;
    h.shape.y_max = h.background.front();
    h.shape.y_min = h.background.back();
    h.shape.mass_scale_gev = first_edge;
    stats::inject_bump(c.bump.generator, c.bump.seed, index, h);
    append(h, stats::compute_bump_targets(h.counts, h.background, c.bump.target_widths), local);
    // The family column names the spectrum; the fit's θ1 and θ3 (0 when not fitted) and its
    // parameter count describe the shape.
    local.family.back() = static_cast<std::int8_t>(s);
    local.shape_parameter.back() = b.fit.n_params;
    local.dijet_theta1.back() = b.fit.theta.size() > 1 ? b.fit.theta[1] : 0.0;
    local.dijet_theta3.back() = b.fit.theta.size() > 3 ? b.fit.theta[3] : 0.0;
  }
  store::HistogramFileInfo info;
  info.card = card.canonical_text();
  info.seed = c.bump.seed;
  for (const auto& b : backgrounds) info.family_names.push_back(b.name);
  store::write_histogram_file(mpi.comm(), request.output, local, info);
  core::log_info("generate: " + std::to_string(total) + " histograms (" +
                 std::to_string(c.per_spectrum) + " per spectrum) written to " + request.output);
  return 0;
}

}  // namespace

// Referenced from generators.cpp.
int run_generate_bump_histograms(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                                 const GenerateRequest& request) {
  return generate_bump_histograms(mpi, card, request);
}

// Referenced from generators.cpp.
int run_generate_bump_spectra(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                              const GenerateRequest& request) {
  return generate_bump_spectra(mpi, card, request);
}

}  // namespace cwola::app
