#include "store/spanet_predictions.hpp"

#include "core/error.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

void write_spanet_predictions(MPI_Comm comm, const std::string& path, const SpanetEventSpec& spec,
                              const SpanetDataset& data, std::uint64_t total_events,
                              const SpanetPredictionRows& rows, DetectionOutput with_detection) {
  const std::string inputs = "/INPUTS/" + spec.sequential.at(0).name + "/";
  const auto slots = data.jet_slots;
  const auto features = data.features.size();
  const auto daughters = data.daughters;
  const bool classifies = !spec.classifications.empty();
  const bool detects = with_detection == DetectionOutput::kWrite;
  Hdf5File file(comm, path, Hdf5File::Mode::kCreate);
  // Collective: every dataset, full size, before any rank writes its rows.
  for (const auto& feature : data.features) {
    file.create_dataset(inputs + feature.name, ColumnType::kFloat32, {total_events, slots});
  }
  file.create_dataset(inputs + "MASK", ColumnType::kInt8, {total_events, slots});
  for (const auto& particle : spec.particles) {
    for (const auto& daughter : particle.daughters) {
      file.create_dataset("/TARGETS/" + particle.name + "/" + daughter, ColumnType::kInt64,
                          {total_events});
    }
    file.create_dataset("/TARGETS/" + particle.name + "/assignment_probability",
                        ColumnType::kFloat32, {total_events});
    if (detects) {
      for (const char* name : {"/detection_probability", "/marginal_probability"}) {
        file.create_dataset("/TARGETS/" + particle.name + name, ColumnType::kFloat32,
                            {total_events});
      }
    }
  }
  if (classifies) {
    file.create_dataset("/CLASSIFICATIONS/EVENT/" + spec.classifications.front(),
                        ColumnType::kFloat32, {total_events});
  }
  // Independent: this rank's rows, one column at a time.
  const auto n = rows.events;
  if (n > 0) {
    for (std::size_t f = 0; f < features; ++f) {
      std::vector<float> column(n * slots);
      for (std::size_t i = 0; i < n * slots; ++i) column[i] = rows.jets[i * features + f];
      file.write_floats(inputs + data.features[f].name, rows.first_event, column);
    }
    file.write_int8s(inputs + "MASK", rows.first_event,
                     std::vector<std::int8_t>(rows.mask.begin(), rows.mask.end()));
    const auto particles = spec.particles.size();
    for (std::size_t p = 0; p < particles; ++p) {
      const auto& particle = spec.particles[p];
      for (std::size_t d = 0; d < particle.daughters.size(); ++d) {
        std::vector<std::int64_t> column(n);
        for (std::size_t e = 0; e < n; ++e) {
          column[e] = rows.assignments[(e * particles + p) * daughters + d];
        }
        file.write_int64s("/TARGETS/" + particle.name + "/" + particle.daughters[d],
                          rows.first_event, column);
      }
      std::vector<float> probability(n);
      for (std::size_t e = 0; e < n; ++e) {
        probability[e] = rows.assignment_probability[e * particles + p];
      }
      file.write_floats("/TARGETS/" + particle.name + "/assignment_probability", rows.first_event,
                        probability);
      if (detects) {
        std::vector<float> detection(n);
        std::vector<float> marginal(n);
        for (std::size_t e = 0; e < n; ++e) {
          detection[e] = rows.detection_probability.at(e * particles + p);
          marginal[e] = detection[e] * probability[e];
        }
        file.write_floats("/TARGETS/" + particle.name + "/detection_probability", rows.first_event,
                          detection);
        file.write_floats("/TARGETS/" + particle.name + "/marginal_probability", rows.first_event,
                          marginal);
      }
    }
    if (classifies) {
      file.write_floats("/CLASSIFICATIONS/EVENT/" + spec.classifications.front(), rows.first_event,
                        rows.class_probability);
    }
  }
  file.close();
}

}  // namespace cwola::store
