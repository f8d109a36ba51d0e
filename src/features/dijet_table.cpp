#include "features/dijet_table.hpp"

#include <utility>

#include "physics/n_subjettiness.hpp"

namespace cwola::features {

const std::vector<std::string>& dijet_table_columns() {
  static const std::vector<std::string> kColumns = {
      "mjj",    "mj1",    "mj2",    "delta_mj", "ptj1",    "etaj1",    "ptj2",
      "etaj2",  "tau1j1", "tau2j1", "tau3j1",   "tau21j1", "tau32j1",  "nconstj1",
      "tau1j2", "tau2j2", "tau3j2", "tau21j2",  "tau32j2", "nconstj2", "label"};
  return kColumns;
}

std::vector<double> dijet_table_row(const physics::DijetEvent& event, double jet_radius) {
  // j1 = the heavier of the two leading jets.
  std::size_t heavy = 0;
  std::size_t light = 1;
  if (event.jet_momenta[1].m() > event.jet_momenta[0].m()) std::swap(heavy, light);
  physics::NSubjettinessConfig nsub;
  nsub.max_n = 3;
  nsub.radius = jet_radius;
  nsub.beta = 1.0;
  const double m1 = event.jet_momenta[heavy].m();
  const double m2 = event.jet_momenta[light].m();
  std::vector<double> row = {event.mjj,
                             m1,
                             m2,
                             m1 - m2,
                             event.jet_momenta[heavy].pt(),
                             event.jet_momenta[heavy].eta(),
                             event.jet_momenta[light].pt(),
                             event.jet_momenta[light].eta()};
  for (const std::size_t j : {heavy, light}) {
    const auto tau = physics::n_subjettiness(event.jets[j], nsub);
    row.insert(row.end(), {tau[0], tau[1], tau[2], physics::tau_ratio(tau[1], tau[0]),
                           physics::tau_ratio(tau[2], tau[1]),
                           static_cast<double>(event.constituent_counts[j])});
  }
  row.push_back(event.signal ? 1.0 : 0.0);
  return row;
}

}  // namespace cwola::features
