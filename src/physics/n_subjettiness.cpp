#include "physics/n_subjettiness.hpp"

#include <algorithm>
#include <cmath>
#include <fastjet/ClusterSequence.hh>
#include <limits>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::physics {

void NSubjettinessConfig::validate() const {
  const std::string where = "N-subjettiness";
  if (max_n < 1 || max_n > 10)
    throw core::InputError(where, "max_n", std::to_string(max_n), "must be in [1, 10]");
  if (!(radius > 0))
    throw core::InputError(where, "radius", core::format_double(radius), "must be > 0");
  if (!(beta > 0)) throw core::InputError(where, "beta", core::format_double(beta), "must be > 0");
}

std::vector<double> n_subjettiness(const Constituents& jet, const NSubjettinessConfig& config) {
  config.validate();
  std::vector<double> tau(static_cast<std::size_t>(config.max_n), 0.0);
  double norm = 0;
  for (const auto& c : jet) norm += c.pt * std::pow(config.radius, config.beta);
  if (jet.empty() || !(norm > 0)) return tau;
  std::vector<fastjet::PseudoJet> inputs;
  inputs.reserve(jet.size());
  for (const auto& c : jet) {
    fastjet::PseudoJet p;
    p.reset_PtYPhiM(c.pt, c.eta, c.phi, 0.0);
    inputs.push_back(p);
  }
  // R only sets the beam distance, which exclusive_jets(N) never reaches at this size.
  const fastjet::JetDefinition kt(fastjet::kt_algorithm, fastjet::JetDefinition::max_allowable_R);
  const fastjet::ClusterSequence sequence(inputs, kt);
  for (int n = 1; n <= config.max_n; ++n) {
    if (static_cast<std::size_t>(n) >= jet.size()) break;  // τ_N = 0: every particle an axis
    const auto axes = sequence.exclusive_jets(n);
    double sum = 0;
    for (const auto& p : inputs) {
      double nearest = std::numeric_limits<double>::infinity();
      for (const auto& axis : axes) nearest = std::min(nearest, p.squared_distance(axis));
      sum += p.pt() * std::pow(std::sqrt(nearest), config.beta);
    }
    tau[static_cast<std::size_t>(n - 1)] = sum / norm;
  }
  return tau;
}

double tau_ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

}  // namespace cwola::physics
