#pragma once
/// ClusteredJet clustering with FastJet (Cacciari, Salam, Soyez, EPJC 72 (2012) 1896): anti-kT
/// (JHEP 04 (2008) 063), E-scheme recombination, massless inputs. FastJet is used only inside
/// this module's sources.
#include <cstddef>
#include <vector>

#include "physics/four_vector.hpp"
#include "physics/particle.hpp"

namespace cwola::physics {

enum class ClusteringAlgorithm { kAntiKt, kCambridgeAachen, kKt };

struct ClusteringConfig {
  ClusteringAlgorithm algorithm = ClusteringAlgorithm::kAntiKt;
  double radius = 0.8;   ///< R
  double min_pt = 20.0;  ///< GeV, jets below are dropped
  void validate() const;
};

/// A clustered jet: its four-momentum and the indices of its constituents in the input, ordered
/// by decreasing constituent pT.
struct ClusteredJet {
  FourVector p;
  std::vector<std::size_t> constituents;
};

/// Jets of `inputs` (massless: pT, η, φ) sorted by decreasing pT.
std::vector<ClusteredJet> cluster_jets(const Constituents& inputs,
                                       const ClusteringConfig& definition);

}  // namespace cwola::physics
