#include "physics/jet_event.hpp"

#include <algorithm>

namespace cwola::physics {

void sort_by_pt(std::vector<Jet>& jets) {
  std::stable_sort(jets.begin(), jets.end(),
                   [](const Jet& a, const Jet& b) { return a.p4.pt() > b.p4.pt(); });
}

}  // namespace cwola::physics
