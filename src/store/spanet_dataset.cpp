#include "store/spanet_dataset.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "store/table_reader.hpp"

namespace cwola::store {

namespace {

std::string event_text(std::uint64_t row, std::int64_t value) {
  return "event " + std::to_string(row) + ": " + std::to_string(value);
}

}  // namespace

SpanetDataset read_spanet_dataset(const std::string& path, const SpanetEventSpec& spec,
                                  const SpanetDatasetOptions& options) {
  if (spec.sequential.empty()) {
    throw core::InputError(path, "INPUTS/SEQUENTIAL", "empty", "the event spec names no jet group");
  }
  Hdf5Reader file(path, "SPANet data file");
  const auto& group = spec.sequential.front();
  const std::string base = "/INPUTS/" + group.name + "/";
  const auto require = [&](const std::string& name) {
    if (!file.exists(name)) {
      throw core::InputError(path, name, "missing",
                             "is named by the event spec but not in the file (check the spec "
                             "or the file)");
    }
  };
  require(base + "MASK");
  const auto dims = file.shape(base + "MASK");
  if (dims.size() != 2) {
    throw core::InputError(path, base + "MASK", shape_text(dims), "must be [events, jets]");
  }
  const std::uint64_t rows = dims[0];
  const std::uint64_t slots = dims[1];
  if (options.first > rows) {
    throw core::InputError(path, "first event", std::to_string(options.first),
                           "is beyond the file's " + std::to_string(rows) + " events");
  }
  const std::uint64_t n =
      options.count == 0 ? rows - options.first : std::min(options.count, rows - options.first);
  const RowRange range{options.first, n};

  SpanetDataset out;
  out.events = n;
  out.features = group.features;
  const auto raw_mask = file.read_numeric(base + "MASK", range);
  for (std::uint64_t e = 0; e < n; ++e) {
    std::uint64_t real = 0;
    for (std::uint64_t j = 0; j < slots; ++j) {
      const bool on = raw_mask[e * slots + j] != 0;
      if (on && real != j) {
        throw core::InputError(path, base + "MASK",
                               "event " + std::to_string(options.first + e) + ": jet " +
                                   std::to_string(j) + " real after padding",
                               "must be prefix-shaped (real jets first, then padding)");
      }
      if (on) ++real;
    }
    if (real > options.max_jets) {
      throw core::InputError(
          path, base + "MASK",
          event_text(options.first + e, static_cast<std::int64_t>(real)) + " real jets",
          "exceeds the configured maximum of " + std::to_string(options.max_jets) +
              " jets (raise max_jets)");
    }
  }
  const std::uint64_t kept = std::min(slots, options.max_jets);
  out.jet_slots = kept;
  out.mask.resize(n * kept);
  for (std::uint64_t e = 0; e < n; ++e) {
    for (std::uint64_t j = 0; j < kept; ++j) {
      out.mask[e * kept + j] = raw_mask[e * slots + j] != 0 ? 1 : 0;
    }
  }

  const std::uint64_t f_count = group.features.size();
  out.jets.assign(n * kept * f_count, 0.0F);
  for (std::uint64_t f = 0; f < f_count; ++f) {
    const auto name = base + group.features[f].name;
    require(name);
    if (file.shape(name) != dims) {
      throw core::InputError(path, name, shape_text(file.shape(name)),
                             "must have the MASK's shape " + shape_text(dims));
    }
    const auto values = file.read_numeric(name, range);
    for (std::uint64_t e = 0; e < n; ++e) {
      for (std::uint64_t j = 0; j < kept; ++j) {
        const double v = values[e * slots + j];
        if (out.mask[e * kept + j] != 0 && !std::isfinite(v)) {
          throw core::InputError(path, name,
                                 "event " + std::to_string(options.first + e) + ", jet " +
                                     std::to_string(j) + ": " + std::to_string(v),
                                 "real jets need finite inputs");
        }
        out.jets[(e * kept + j) * f_count + f] =
            out.mask[e * kept + j] != 0 ? static_cast<float>(v) : 0.0F;  // padding carries nothing
      }
    }
  }

  for (const auto& p : spec.particles) {
    out.particles.push_back(p.name);
    out.daughters = std::max<std::uint64_t>(out.daughters, p.daughters.size());
  }
  const std::uint64_t k_count = out.daughters;
  const std::uint64_t p_count = spec.particles.size();
  out.targets.assign(n * p_count * k_count, -1);
  for (std::uint64_t p = 0; p < p_count; ++p) {
    const auto& particle = spec.particles[p];
    for (std::uint64_t k = 0; k < particle.daughters.size(); ++k) {
      const auto name = "/TARGETS/" + particle.name + "/" + particle.daughters[k];
      require(name);
      const auto values = file.read_numeric(name, range);
      if (values.size() != n) {
        throw core::InputError(path, name, shape_text(file.shape(name)),
                               "must hold one jet index per event");
      }
      for (std::uint64_t e = 0; e < n; ++e) {
        const auto t = static_cast<std::int64_t>(values[e]);
        const bool on_real = t >= 0 && static_cast<std::uint64_t>(t) < kept &&
                             out.mask[e * kept + static_cast<std::uint64_t>(t)] != 0;
        if (t != -1 && !on_real) {
          throw core::InputError(path, name, event_text(options.first + e, t),
                                 "must be -1 or the index of a real jet of the event");
        }
        out.targets[(e * p_count + p) * k_count + k] = t;
      }
    }
  }
  for (std::uint64_t e = 0; e < n; ++e) {
    std::vector<std::int64_t> seen;
    for (std::uint64_t i = 0; i < p_count * k_count; ++i) {
      const auto t = out.targets[e * p_count * k_count + i];
      if (t < 0) continue;
      if (std::find(seen.begin(), seen.end(), t) != seen.end()) {
        throw core::InputError(path, "/TARGETS", event_text(options.first + e, t),
                               "jet is the target of two daughters; each jet has one parent");
      }
      seen.push_back(t);
    }
  }

  for (const auto& name : spec.classifications) {
    const auto dataset = "/CLASSIFICATIONS/EVENT/" + name;
    require(dataset);
    const auto values = file.read_numeric(dataset, range);
    out.classification_names.push_back(name);
    out.classifications.emplace_back(values.begin(), values.end());
  }
  return out;
}

}  // namespace cwola::store
