#include "features/spanet_columns.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace cwola::features {

namespace {
template <typename T>
void append_to(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}
}  // namespace

void SpanetColumns::append(const SpanetColumns& other) {
  CWOLA_EXPECT(other.max_jets == max_jets);
  for (auto [to, from] :
       {std::pair{&pt, &other.pt}, std::pair{&eta, &other.eta}, std::pair{&phi, &other.phi},
        std::pair{&mass, &other.mass}, std::pair{&btag, &other.btag}}) {
    append_to(*to, *from);
  }
  append_to(mask, other.mask);
  for (auto [to, from] : {std::pair{&h1_b1, &other.h1_b1}, std::pair{&h1_b2, &other.h1_b2},
                          std::pair{&h2_b1, &other.h2_b1}, std::pair{&h2_b2, &other.h2_b2},
                          std::pair{&signal, &other.signal}}) {
    append_to(*to, *from);
  }
  append_to(m_hh, other.m_hh);
  append_to(truth_mass, other.truth_mass);
  append_to(flavour, other.flavour);
  append_to(event_id, other.event_id);
}

void SpanetColumns::resize(std::size_t events) {
  const std::size_t cells = events * max_jets;
  for (auto* column : {&pt, &eta, &phi, &mass, &btag}) column->resize(cells, 0.0F);
  mask.resize(cells, 0);
  flavour.resize(cells, -1);
  for (auto* column : {&h1_b1, &h1_b2, &h2_b1, &h2_b2, &signal}) column->resize(events, -1);
  m_hh.resize(events, std::numeric_limits<double>::quiet_NaN());
  truth_mass.resize(events, std::numeric_limits<double>::quiet_NaN());
  event_id.resize(events, 0);
}

SpanetColumns to_spanet_columns(const std::vector<physics::JetEvent>& events, std::size_t max_jets,
                                const PairingConfig& pairing) {
  SpanetColumns out;
  out.max_jets = max_jets;
  out.resize(events.size());
  for (std::size_t e = 0; e < events.size(); ++e) {
    const auto& event = events[e];
    std::int64_t* targets[2][2] = {{&out.h1_b1[e], &out.h1_b2[e]}, {&out.h2_b1[e], &out.h2_b2[e]}};
    const std::size_t n = std::min(max_jets, event.jets.size());
    for (std::size_t j = 0; j < n; ++j) {
      const auto& jet = event.jets[j];
      const std::size_t cell = e * max_jets + j;
      out.pt[cell] = static_cast<float>(jet.p4.pt());
      out.eta[cell] = static_cast<float>(jet.p4.eta());
      out.phi[cell] = static_cast<float>(jet.p4.phi());
      out.mass[cell] = static_cast<float>(std::max(jet.p4.m(), 0.0));
      out.btag[cell] = jet.btag ? 1.0F : 0.0F;
      out.mask[cell] = 1;
      out.flavour[cell] = static_cast<std::int8_t>(jet.flavour);
      if (jet.origin != physics::JetOrigin::kOther && jet.daughter >= 0) {
        *targets[static_cast<int>(jet.origin)][jet.daughter] = static_cast<std::int64_t>(j);
      }
    }
    out.signal[e] = event.signal ? 1 : 0;
    out.m_hh[e] = four_jet_mass(event, pairing);
    out.truth_mass[e] = event.truth_mass;
    out.event_id[e] = event.id;
  }
  return out;
}

std::vector<physics::JetEvent> from_spanet_columns(const SpanetColumns& columns) {
  std::vector<physics::JetEvent> events(columns.size());
  const std::size_t width = columns.max_jets;
  const bool has_flavour = columns.flavour.size() == columns.size() * width;
  for (std::size_t e = 0; e < events.size(); ++e) {
    auto& event = events[e];
    event.signal = columns.signal[e] == 1;
    event.truth_mass = e < columns.truth_mass.size() ? columns.truth_mass[e] : 0.0;
    event.id = e < columns.event_id.size() ? columns.event_id[e] : e;
    std::vector<int> slot_of(width, -1);
    for (std::size_t j = 0; j < width; ++j) {
      const std::size_t cell = e * width + j;
      if (columns.mask[cell] == 0) continue;
      physics::Jet jet;
      jet.p4 = physics::FourVector::from_pt_eta_phi_m(columns.pt[cell], columns.eta[cell],
                                                      columns.phi[cell], columns.mass[cell]);
      jet.btag = columns.btag[cell] > 0.5F;
      if (has_flavour && columns.flavour[cell] >= 0) {
        jet.flavour = static_cast<physics::Flavour>(columns.flavour[cell]);
      }
      slot_of[j] = static_cast<int>(event.jets.size());
      event.jets.push_back(jet);
    }
    const std::int64_t targets[2][2] = {{columns.h1_b1[e], columns.h1_b2[e]},
                                        {columns.h2_b1[e], columns.h2_b2[e]}};
    for (int h = 0; h < 2; ++h) {
      for (int d = 0; d < 2; ++d) {
        const std::int64_t j = targets[h][d];
        if (j < 0 || static_cast<std::size_t>(j) >= width) continue;
        const int slot = slot_of[static_cast<std::size_t>(j)];
        if (slot < 0) continue;
        auto& jet = event.jets[static_cast<std::size_t>(slot)];
        jet.origin = h == 0 ? physics::JetOrigin::kHiggs1 : physics::JetOrigin::kHiggs2;
        jet.daughter = static_cast<std::int8_t>(d);
      }
    }
  }
  return events;
}

}  // namespace cwola::features
