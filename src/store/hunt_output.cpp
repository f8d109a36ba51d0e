#include "store/hunt_output.hpp"

#include <cstdio>
#include <memory>

#include "core/error.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

namespace {
constexpr std::size_t kFailureLength = 160;
constexpr std::size_t kTextLength = 1 << 16;

void expect(std::size_t have, std::size_t want, const char* column) {
  if (have != want) {
    throw core::Error(std::string("hunt output: column ") + column + " has " +
                      std::to_string(have) + " values, expected " + std::to_string(want) +
                      " (a bug in the producer)");
  }
}
}  // namespace

void HuntOutput::check_consistent() const {
  const std::size_t s = samples();
  const std::size_t e = efficiencies.size();
  for (const auto* c : {&stage, &seed, &window, &injected, &injected_in_signal_region, &events})
    expect(c->size(), s, "per sample");
  expect(complete.size(), s, "complete");
  for (const auto* c : {&signal_region_low, &signal_region_high, &span_low, &span_high})
    expect(c->size(), s, "per sample window");
  for (const auto* c : {&threshold, &selected, &selected_signal_region, &signal_efficiency, &z_max,
                        &mass_at_max, &yield, &yield_error})
    expect(c->size(), s * e, "per selection");
  expect(background_params.size(), s * e, "background_params");
  for (const auto* c : {&z_at_signal_mass, &excluded_yield, &selected_injected})
    expect(c->size(), s * e, "per selection at the signal mass");
  for (const auto* c : {&limit_injected, &crossing_3sigma, &crossing_5sigma})
    expect(c->size(), summary_window.size() * e, "per window");
  expect(summary_stage.size(), summary_window.size(), "summary_stage");
  expect(null_z_max.size(), null_seed.size() * e, "null_z_max");
  expect(null_stage.size(), null_seed.size(), "null_stage");
  for (const auto* c : {&stage, &summary_stage, &null_stage}) {
    for (const auto k : *c) {
      if (k < 0 || static_cast<std::size_t>(k) >= stage_names.size())
        throw core::Error("hunt output: a stage index " + std::to_string(k) + " past the " +
                          std::to_string(stage_names.size()) + " stage names");
    }
  }
  expect(failure.size(), s * e, "failure");
  expect(edges.size(), s * (bins + 1), "edges");
  expect(counts.size(), s * e * bins, "counts");
  expect(background.size(), s * e * bins, "background");
  expect(scan_mass.size(), s * scan_points, "scan_mass");
  expect(scan_z.size(), s * e * scan_points, "scan_z");
}

void write_hunt_output(const std::string& path, const HuntOutput& o) {
  o.check_consistent();
  const std::string partial = path + ".partial";
  const hsize_t s = o.samples();
  const hsize_t e = o.efficiencies.size();
  const hsize_t b = o.bins;
  const hsize_t p = o.scan_points;
  {
    std::unique_ptr<Hdf5File> file;
    try {
      file = std::make_unique<Hdf5File>(MPI_COMM_SELF, partial, Hdf5File::Mode::kCreate);
    } catch (const std::exception& error) {
      throw core::InputError("cannot create the hunt output '" + partial + "' (" + error.what() +
                             "); choose another --output");
    }
    auto& f = *file;
    f.create_dataset("/meta/config", ColumnType::kString, {1}, kTextLength);
    f.create_dataset("/meta/source_store", ColumnType::kString, {1}, kTextLength);
    f.write_strings("/meta/config", 0, {o.config});
    f.write_strings("/meta/source_store", 0, {o.source_store});
    f.create_dataset("/meta/stages", ColumnType::kString, {o.stage_names.size()}, kTextLength);
    f.write_strings("/meta/stages", 0, o.stage_names);
    f.create_dataset("/efficiency", ColumnType::kFloat64, {e});
    f.write_doubles("/efficiency", 0, o.efficiencies);

    const std::pair<const char*, const std::vector<std::int64_t>*> ints[] = {
        {"point", &o.point},
        {"stage", &o.stage},
        {"seed", &o.seed},
        {"window", &o.window},
        {"injected", &o.injected},
        {"injected_in_signal_region", &o.injected_in_signal_region},
        {"events", &o.events}};
    for (const auto& [name, values] : ints) {
      f.create_dataset(std::string("/samples/") + name, ColumnType::kInt64, {s});
      f.write_int64s(std::string("/samples/") + name, 0, *values);
    }
    f.create_dataset("/samples/complete", ColumnType::kInt8, {s});
    f.write_int8s("/samples/complete", 0, o.complete);
    const std::pair<const char*, const std::vector<double>*> windows[] = {
        {"signal_region_low", &o.signal_region_low},
        {"signal_region_high", &o.signal_region_high},
        {"span_low", &o.span_low},
        {"span_high", &o.span_high}};
    for (const auto& [name, values] : windows) {
      f.create_dataset(std::string("/samples/") + name, ColumnType::kFloat64, {s});
      f.write_doubles(std::string("/samples/") + name, 0, *values);
    }

    const std::pair<const char*, const std::vector<double>*> selection[] = {
        {"threshold", &o.threshold},
        {"selected", &o.selected},
        {"selected_signal_region", &o.selected_signal_region},
        {"signal_efficiency", &o.signal_efficiency},
        {"z_max", &o.z_max},
        {"mass_at_max", &o.mass_at_max},
        {"yield", &o.yield},
        {"yield_error", &o.yield_error},
        {"z_at_signal_mass", &o.z_at_signal_mass},
        {"excluded_yield", &o.excluded_yield},
        {"selected_injected", &o.selected_injected}};
    for (const auto& [name, values] : selection) {
      f.create_dataset(std::string("/selection/") + name, ColumnType::kFloat64, {s, e});
      f.write_doubles(std::string("/selection/") + name, 0, *values);
    }
    f.create_dataset("/selection/background_params", ColumnType::kInt64, {s, e});
    f.write_int64s("/selection/background_params", 0, o.background_params);
    f.create_dataset("/selection/failure", ColumnType::kString, {s * e}, kFailureLength);
    f.write_strings("/selection/failure", 0, o.failure);

    f.create_dataset("/meta/signal_mass", ColumnType::kFloat64, {1});
    f.write_doubles("/meta/signal_mass", 0, {o.signal_mass});
    const hsize_t w = o.summary_window.size();
    f.create_dataset("/windows/stage", ColumnType::kInt64, {w});
    f.write_int64s("/windows/stage", 0, o.summary_stage);
    f.create_dataset("/windows/window", ColumnType::kInt64, {w});
    f.write_int64s("/windows/window", 0, o.summary_window);
    const std::pair<const char*, const std::vector<double>*> per_window[] = {
        {"limit_injected", &o.limit_injected},
        {"crossing_3sigma", &o.crossing_3sigma},
        {"crossing_5sigma", &o.crossing_5sigma}};
    for (const auto& [name, values] : per_window) {
      f.create_dataset(std::string("/windows/") + name, ColumnType::kFloat64, {w, e});
      f.write_doubles(std::string("/windows/") + name, 0, *values);
    }
    const hsize_t n = o.null_seed.size();
    f.create_dataset("/null/stage", ColumnType::kInt64, {n});
    f.write_int64s("/null/stage", 0, o.null_stage);
    f.create_dataset("/null/seed", ColumnType::kInt64, {n});
    f.write_int64s("/null/seed", 0, o.null_seed);
    f.create_dataset("/null/z_max", ColumnType::kFloat64, {n, e});
    f.write_doubles("/null/z_max", 0, o.null_z_max);

    f.create_dataset("/spectra/edges", ColumnType::kFloat64, {s, b + 1});
    f.write_doubles("/spectra/edges", 0, o.edges);
    f.create_dataset("/spectra/counts", ColumnType::kFloat64, {s, e, b});
    f.write_doubles("/spectra/counts", 0, o.counts);
    f.create_dataset("/spectra/background", ColumnType::kFloat64, {s, e, b});
    f.write_doubles("/spectra/background", 0, o.background);
    f.create_dataset("/scan/mass", ColumnType::kFloat64, {s, p});
    f.write_doubles("/scan/mass", 0, o.scan_mass);
    f.create_dataset("/scan/z", ColumnType::kFloat64, {s, e, p});
    f.write_doubles("/scan/z", 0, o.scan_z);
    f.close();
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    throw core::Error("hunt output: renaming the finished '" + partial + "' to '" + path +
                      "' failed");
  }
}

}  // namespace cwola::store
