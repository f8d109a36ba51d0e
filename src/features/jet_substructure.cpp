#include "features/jet_substructure.hpp"

#include <cmath>

#include "physics/four_vector.hpp"

namespace cwola::features {

namespace {
physics::FourVector jet_momentum(const ConstituentView& jet) {
  physics::FourVector sum;
  for (std::size_t i = 0; i < jet.size; ++i) {
    if (jet.pt[i] <= 0) continue;
    sum += physics::FourVector::from_pt_eta_phi_m(jet.pt[i], jet.eta[i], jet.phi[i], 0.0);
  }
  return sum;
}
}  // namespace

double jet_mass(const ConstituentView& jet) { return std::max(0.0, jet_momentum(jet).m()); }

double jet_angularity(const ConstituentView& jet, double radius, double kappa, double beta) {
  const auto axis = jet_momentum(jet);
  double total = 0;
  for (std::size_t i = 0; i < jet.size; ++i) total += jet.pt[i] > 0 ? jet.pt[i] : 0.0F;
  if (total <= 0) return 0.0;
  const double axis_eta = axis.eta();
  const double axis_phi = axis.phi();
  double lambda = 0;
  for (std::size_t i = 0; i < jet.size; ++i) {
    if (jet.pt[i] <= 0) continue;
    const double dr = physics::delta_r(jet.eta[i], jet.phi[i], axis_eta, axis_phi);
    lambda += std::pow(jet.pt[i] / total, kappa) * std::pow(dr / radius, beta);
  }
  return lambda;
}

}  // namespace cwola::features
