#include "physics/jet_clustering.hpp"

#include <algorithm>
#include <fastjet/ClusterSequence.hh>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

void ClusteringConfig::validate() const {
  if (!(radius > 0 && radius < 10)) {
    throw core::InputError("jet definition", "radius", core::format_double(radius),
                           "the jet radius must be in (0, 10)");
  }
  if (!(min_pt >= 0)) {
    throw core::InputError("jet definition", "min_pt", core::format_double(min_pt),
                           "the minimum jet pT must be >= 0 GeV");
  }
}

std::vector<ClusteredJet> cluster_jets(const Constituents& inputs,
                                       const ClusteringConfig& definition) {
  definition.validate();
  // FastJet prints a banner to stdout at first use; our stdout carries results only (the
  // citation is in docs/hidden_valley.md).
  static const bool quiet = [] {
    fastjet::ClusterSequence::set_fastjet_banner_stream(nullptr);
    return true;
  }();
  (void)quiet;
  std::vector<fastjet::PseudoJet> particles;
  particles.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& c = inputs[i];
    fastjet::PseudoJet p;
    p.reset_PtYPhiM(c.pt, c.eta, c.phi, 0.0);  // massless: rapidity = η
    p.set_user_index(static_cast<int>(i));
    particles.push_back(p);
  }
  const fastjet::JetAlgorithm algorithm =
      definition.algorithm == ClusteringAlgorithm::kAntiKt
          ? fastjet::antikt_algorithm
          : (definition.algorithm == ClusteringAlgorithm::kKt ? fastjet::kt_algorithm
                                                              : fastjet::cambridge_algorithm);
  const fastjet::JetDefinition jet_definition(algorithm, definition.radius);
  fastjet::ClusterSequence sequence(particles, jet_definition);
  const auto jets = fastjet::sorted_by_pt(sequence.inclusive_jets(definition.min_pt));
  std::vector<ClusteredJet> out;
  out.reserve(jets.size());
  for (const auto& jet : jets) {
    ClusteredJet j;
    j.p.px = jet.px();
    j.p.py = jet.py();
    j.p.pz = jet.pz();
    j.p.e = jet.e();
    for (const auto& c : jet.constituents())
      j.constituents.push_back(static_cast<std::size_t>(c.user_index()));
    std::sort(j.constituents.begin(), j.constituents.end(),
              [&inputs](std::size_t a, std::size_t b) {
                return inputs[a].pt != inputs[b].pt ? inputs[a].pt > inputs[b].pt : a < b;
              });
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace cwola::physics
