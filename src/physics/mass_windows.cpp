#include "physics/mass_windows.hpp"

namespace cwola::physics {

bool MassWindows::in_signal_region(double mass) const {
  return mass >= signal.first && mass < signal.second;
}

bool MassWindows::in_sideband(double mass) const {
  for (const auto& [low, high] : sidebands) {
    if (mass >= low && mass < high) return true;
  }
  return false;
}

MassRegion MassWindows::region(double mass) const {
  if (in_signal_region(mass)) return MassRegion::kSignal;
  return in_sideband(mass) ? MassRegion::kSideband : MassRegion::kOutside;
}

bool MassWindows::valid() const {
  if (!(signal.first < signal.second) || sidebands.empty()) return false;
  for (const auto& [low, high] : sidebands) {
    if (!(low < high)) return false;
    if (low < signal.second && high > signal.first) return false;  // overlaps the signal region
  }
  return true;
}

}  // namespace cwola::physics
