#pragma once
/// The per-event table of the LHC Olympics 2020 R&D sample, made from a generated dijet event:
/// the two leading (by p_T) large-R jets, then ordered by mass — j1 the heavier, as in
/// inputs/make_lhco_table.py (CATHODE's files order the other way, m_j1 the lighter; only the
/// naming differs). All masses and momenta in GeV (the R&D files' processed copies use TeV;
/// a hunt reads either, see docs/hunt.md).
///
/// Columns, in order (dijet_table_columns()):
///   mjj                         dijet invariant mass of the two leading jets
///   mj1, mj2, delta_mj          jet masses (mj1 >= mj2) and delta_mj = mj1 − mj2 >= 0
///   ptj1, etaj1, ptj2, etaj2    jet p_T (GeV) and η
///   tau1j1, tau2j1, tau3j1      N-subjettiness of j1 (β = 1, R0 = jet radius, exclusive-kT axes)
///   tau21j1, tau32j1            τ2/τ1 and τ3/τ2 of j1 (0 when the denominator is 0)
///   nconstj1                    constituents of j1 (the whole jet, before any storage cap)
///   the same six for j2, then
///   label                       1 for a generated signal event, 0 for background
#include <string>
#include <vector>

#include "physics/dijet_generator.hpp"

namespace cwola::features {

/// Column names of dijet_table_row, in order.
const std::vector<std::string>& dijet_table_columns();

/// The table row of one event; `jet_radius` is R0 of the N-subjettiness.
std::vector<double> dijet_table_row(const physics::DijetEvent& event, double jet_radius);

}  // namespace cwola::features
