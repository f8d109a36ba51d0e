#include "studies/dihiggs_common.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/seed.hpp"
#include "core/text.hpp"
#include "features/correlation_matrix.hpp"

namespace cwola::studies {

double DihiggsPhysics::heavy_mass() const {
  return std::get<physics::HhGeneratorConfig>(signal.process).heavy_mass;
}

DihiggsPhysics DihiggsPhysics::read(core::JobConfig& config) {
  DihiggsPhysics p;
  const auto detector = physics::DetectorConfig::read(config, "detector", "btagging");
  const auto selection = physics::FourTagConfig::read(config, "selection");
  try {
    selection.validate();
  } catch (const core::InputError& e) {
    config.fail("selection.tags", e.what());
  }
  const auto block_size =
      static_cast<std::uint64_t>(config.get_int("generator.block_size", 500, 1, 1 << 24));
  p.signal.process = physics::HhGeneratorConfig::read(config, "hh", "production");
  p.background.process = physics::QcdMultijetConfig::read(config, "qcd", "production");
  for (auto* source : {&p.signal, &p.background}) {
    source->detector = detector;
    source->selection = selection;
    source->block_size = block_size;
  }
  const auto jets = config.get_choice("pairing.jets", "btagged", {"btagged", "leading"});
  p.pairing.jets =
      jets == "btagged" ? features::PairingJets::kBTagged : features::PairingJets::kLeading;
  p.pairing.kinematics = selection;
  return p;
}

DihiggsMixtures DihiggsMixtures::read(core::JobConfig& config, double heavy_mass) {
  DihiggsMixtures m;
  m.f1 = config.get_double("dihiggs.f1", 0.7, 0.0, 1.0);
  const std::string f2_text = config.get_string("dihiggs.f2", "complement");
  m.f2 = f2_text == "complement" ? 1.0 - m.f1 : config.get_double("dihiggs.f2", 0.3, 0.0, 1.0);
  const bool allow_equal = config.get_bool("dihiggs.allow_equal_fractions", false);
  if (m.f1 == m.f2 && !allow_equal) {
    config.fail("dihiggs.f1", "equals dihiggs.f2 = " + core::format_double(m.f2) +
                                  " (identical mixtures: nothing to learn); choose f1 != f2 or set "
                                  "dihiggs.allow_equal_fractions = true for a null test");
  }
  m.events_per_mixture =
      static_cast<std::size_t>(config.get_int("dihiggs.events_per_mixture", 50000, 10, 1LL << 30));
  m.test_events =
      static_cast<std::size_t>(config.get_int("dihiggs.test_events", 5000, 10, 1LL << 30));
  m.luminosity = config.get_double("dihiggs.luminosity_fb", 139, 1e-6, 1e7);
  const auto note = data::note_cross_sections(heavy_mass);
  m.signal_cross_section = config.get_double("dihiggs.signal_cross_section_fb",
                                             note ? note->signal_four_tag : 1.0, 0, 1e12);
  m.background_cross_section = config.get_double(
      "dihiggs.background_cross_section_fb", note ? note->background_four_tag : 6030, 1e-12, 1e12);
  return m;
}

features::FeatureSelection read_feature_selection(core::JobConfig& config,
                                                  const std::string& section,
                                                  const std::string& fallback) {
  const std::string key = section + ".features";
  const std::string drop_key = section + ".drop_features";
  const auto split = [](const std::string& text) {
    std::vector<std::string> items;
    std::string current;
    for (char c : text + ",") {
      if (c == ',') {
        const auto begin = current.find_first_not_of(" \t");
        const auto end = current.find_last_not_of(" \t");
        if (begin != std::string::npos) items.push_back(current.substr(begin, end - begin + 1));
        current.clear();
      } else {
        current += c;
      }
    }
    return items;
  };
  const auto items = split(config.get_string(key, fallback));
  const auto drop = split(config.get_string(drop_key, ""));
  try {
    features::FeatureSelection::parse(items);
  } catch (const core::InputError& e) {
    config.fail(key, e.what());
  }
  try {
    return features::FeatureSelection::parse(items, drop);
  } catch (const core::InputError& e) {
    config.fail(drop_key, e.what());
  }
}

physics::FourTagCutflow generate_candidates(
    const physics::HhEventSource& source, const features::PairingConfig& pairing,
    std::uint64_t seed,
    const std::function<bool(const CandidateEvent&, const physics::JetEvent&)>& take,
    std::uint64_t max_blocks) {
  physics::FourTagCutflow cutflow;
  for (std::uint64_t block = 0; block < max_blocks; ++block) {
    const auto events = source.generate_block(seed, block);
    cutflow.add(events.cutflow);
    for (const auto& event : events.events) {
      const auto candidates = features::make_candidates(event, pairing);
      if (!candidates) continue;
      CandidateEvent out;
      out.candidates = *candidates;
      out.m_hh = candidates->hh().m();
      out.pairing_correct = event.signal && features::pairing_is_correct(event, *candidates);
      if (take(out, event)) return cutflow;
    }
  }
  throw core::Error("event generation did not fill the requested samples in " +
                    std::to_string(max_blocks) + " blocks of " +
                    std::to_string(source.config().block_size) +
                    " events (selection or windows too tight for the sizes asked); ask for "
                    "fewer events or wider windows");
}

physics::FourTagCutflow generate_candidates(const physics::HhEventSource& source,
                                            const features::PairingConfig& pairing,
                                            std::uint64_t seed,
                                            const std::function<bool(const CandidateEvent&)>& take,
                                            std::uint64_t max_blocks) {
  return generate_candidates(
      source, pairing, seed,
      [&take](const CandidateEvent& event, const physics::JetEvent&) { return take(event); },
      max_blocks);
}

std::vector<physics::JetEvent> generate_jet_events(const physics::HhEventSource& source,
                                                   const features::PairingConfig& pairing,
                                                   std::uint64_t seed, std::size_t n) {
  std::vector<physics::JetEvent> out;
  out.reserve(n);
  if (n == 0) return out;
  generate_candidates(source, pairing, seed,
                      [&out, n](const CandidateEvent&, const physics::JetEvent& event) {
                        out.push_back(event);
                        return out.size() >= n;
                      });
  return out;
}

std::vector<CandidateEvent> generate_n(const physics::HhEventSource& source,
                                       const features::PairingConfig& pairing, std::uint64_t seed,
                                       std::size_t n, physics::FourTagCutflow* cutflow) {
  std::vector<CandidateEvent> out;
  out.reserve(n);
  if (n == 0) return out;
  auto flow = generate_candidates(source, pairing, seed, [&out, n](const CandidateEvent& e) {
    out.push_back(e);
    return out.size() >= n;
  });
  if (cutflow != nullptr) *cutflow = flow;
  return out;
}

std::uint64_t sub_seed(const TaskContext& context, core::SeedPurpose purpose, std::uint64_t index) {
  return core::stream_seed(context.seed(purpose), index, purpose);
}

std::uint64_t test_sub_seed(const TaskContext& context, TestSet test_set, std::uint64_t index) {
  return core::stream_seed(context.test_seed(test_set), index, core::SeedPurpose::kTestSample);
}

std::vector<std::string> correlation_columns() {
  std::vector<std::string> out;
  const auto& names = features::dihiggs_feature_names();
  for (std::size_t a = 0; a < names.size(); ++a) {
    for (std::size_t b = a + 1; b < names.size(); ++b) {
      out.push_back("corr__" + names[a] + "__" + names[b]);
    }
  }
  return out;
}

std::vector<double> correlation_values(const std::vector<features::HiggsCandidates>& events) {
  const std::size_t n = features::kDihiggsFeatureCount;
  std::vector<float> rows;
  rows.reserve(events.size() * n);
  for (const auto& e : events) {
    for (double v : features::compute_dihiggs_features(e)) rows.push_back(static_cast<float>(v));
  }
  const auto matrix = features::correlation_matrix(rows, n);
  std::vector<double> out;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a + 1; b < n; ++b) out.push_back(matrix[a * n + b]);
  }
  return out;
}

double pairing_rate(const std::vector<CandidateEvent>& events) {
  if (events.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::size_t correct = 0;
  for (const auto& e : events) correct += e.pairing_correct ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(events.size());
}

}  // namespace cwola::studies
