#include "physics/mass_windows.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

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

SlidingWindows SlidingWindows::cms_set(const std::string& set) {
  if (set == "A") return {{1350, 1650, 2017, 2465, 3013, 3682, 4500, 5500, 8000}};
  if (set == "B") return {{1492, 1824, 2230, 2725, 3331, 4071, 4975, 6081, 8000}};
  throw core::InputError("window set '" + set + "' is not known; use A, B or a list of edges");
}

std::size_t SlidingWindows::count() const { return edges.size() >= 4 ? edges.size() - 3 : 0; }

MassWindows SlidingWindows::window(std::size_t index) const {
  CWOLA_EXPECT(index >= first() && index <= last());
  return {{edges[index], edges[index + 1]},
          {{edges[index - 1], edges[index]}, {edges[index + 1], edges[index + 2]}}};
}

std::pair<double, double> SlidingWindows::span(std::size_t index) const {
  CWOLA_EXPECT(index >= first() && index <= last());
  return {edges[index - 1], edges[index + 2]};
}

void SlidingWindows::validate(const std::string& key) const {
  std::string text;
  for (double e : edges) text += (text.empty() ? "" : ", ") + core::format_double(e);
  if (edges.size() < 4) {
    throw core::InputError(key + " = " + text + " has " + std::to_string(edges.size()) +
                           " edges; a window needs a signal region and a sideband on each side: "
                           "give at least 4 edges (GeV)");
  }
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i]) || edges[i] < 0) {
      throw core::InputError(key + " = " + text + ": edge " + core::format_double(edges[i]) +
                             " is not a mass (GeV)");
    }
    if (i > 0 && !(edges[i] > edges[i - 1])) {
      throw core::InputError(key + " = " + text + ": edges must increase strictly (" +
                             core::format_double(edges[i - 1]) + " is followed by " +
                             core::format_double(edges[i]) + "); windows may not overlap");
    }
  }
}

}  // namespace cwola::physics
