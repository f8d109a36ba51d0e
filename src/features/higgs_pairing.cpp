#include "features/higgs_pairing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace cwola::features {

std::optional<std::array<int, 4>> pairing_jets(const physics::JetEvent& event,
                                               const PairingConfig& config) {
  std::array<int, 4> chosen{};
  int n = 0;
  for (std::size_t i = 0; i < event.jets.size() && n < 4; ++i) {
    const auto& jet = event.jets[i];
    if (!config.kinematics.selects(jet)) continue;
    if (config.jets == PairingJets::kBTagged && !jet.btag) continue;
    chosen[static_cast<std::size_t>(n++)] = static_cast<int>(i);
  }
  if (n < 4) return std::nullopt;
  // Jets arrive sorted by pT, but a file may not be: order them here.
  std::sort(chosen.begin(), chosen.end(), [&event](int a, int b) {
    return event.jets[static_cast<std::size_t>(a)].p4.pt() >
           event.jets[static_cast<std::size_t>(b)].p4.pt();
  });
  return chosen;
}

namespace {
double jets_delta_r(const physics::JetEvent& event, int a, int b) {
  const auto& pa = event.jets[static_cast<std::size_t>(a)].p4;
  const auto& pb = event.jets[static_cast<std::size_t>(b)].p4;
  return physics::delta_r(pa.eta(), pa.phi(), pb.eta(), pb.phi());
}

physics::FourVector pair_sum(const physics::JetEvent& event, int a, int b) {
  return event.jets[static_cast<std::size_t>(a)].p4 + event.jets[static_cast<std::size_t>(b)].p4;
}
}  // namespace

HiggsCandidates pair_min_delta_r(const physics::JetEvent& event, const std::array<int, 4>& jets) {
  static constexpr int kPairings[3][4] = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2}};
  double best = std::numeric_limits<double>::infinity();
  HiggsCandidates out;
  for (const auto& pairing : kPairings) {
    int a1 = jets[static_cast<std::size_t>(pairing[0])];
    int a2 = jets[static_cast<std::size_t>(pairing[1])];
    int b1 = jets[static_cast<std::size_t>(pairing[2])];
    int b2 = jets[static_cast<std::size_t>(pairing[3])];
    auto a = pair_sum(event, a1, a2);
    auto b = pair_sum(event, b1, b2);
    if (b.pt() > a.pt()) {
      std::swap(a, b);
      std::swap(a1, b1);
      std::swap(a2, b2);
    }
    const double leading_dr = jets_delta_r(event, a1, a2);
    if (leading_dr < best) {
      best = leading_dr;
      out.h1 = a;
      out.h2 = b;
      out.h1_delta_r = leading_dr;
      out.h2_delta_r = jets_delta_r(event, b1, b2);
      // Within a pair, the higher-pT jet first (jets arrive in decreasing pT).
      const auto ordered = [&event](int x, int y) {
        return event.jets[static_cast<std::size_t>(x)].p4.pt() >=
                       event.jets[static_cast<std::size_t>(y)].p4.pt()
                   ? std::pair{x, y}
                   : std::pair{y, x};
      };
      const auto [h1a, h1b] = ordered(a1, a2);
      const auto [h2a, h2b] = ordered(b1, b2);
      out.jet_index = {h1a, h1b, h2a, h2b};
    }
  }
  for (std::size_t k = 0; k < 4; ++k) {
    out.btag[k] = event.jets[static_cast<std::size_t>(out.jet_index[k])].btag;
  }
  return out;
}

std::optional<HiggsCandidates> make_candidates(const physics::JetEvent& event,
                                               const PairingConfig& config) {
  const auto jets = pairing_jets(event, config);
  if (!jets) return std::nullopt;
  return pair_min_delta_r(event, *jets);
}

bool pairing_is_correct(const physics::JetEvent& event, const HiggsCandidates& candidates) {
  const auto origin = [&](std::size_t slot) {
    return event.jets[static_cast<std::size_t>(candidates.jet_index[slot])].origin;
  };
  const auto first = origin(0);
  const auto second = origin(2);
  return first != physics::JetOrigin::kOther && second != physics::JetOrigin::kOther &&
         first != second && origin(1) == first && origin(3) == second;
}

bool jets_are_higgs_daughters(const physics::JetEvent& event, const HiggsCandidates& candidates) {
  int count[2] = {0, 0};
  for (int index : candidates.jet_index) {
    const auto origin = event.jets[static_cast<std::size_t>(index)].origin;
    if (origin == physics::JetOrigin::kOther) return false;
    ++count[static_cast<int>(origin)];
  }
  return count[0] == 2 && count[1] == 2;
}

double four_jet_mass(const physics::JetEvent& event, const PairingConfig& config) {
  const auto jets = pairing_jets(event, config);
  if (!jets) return std::numeric_limits<double>::quiet_NaN();
  physics::FourVector sum;
  for (int index : *jets) sum += event.jets[static_cast<std::size_t>(index)].p4;
  return sum.m();
}

}  // namespace cwola::features
