#pragma once
/// The note's "four-tag cut": at least four b-tagged anti-kT R = 0.4 jets with
/// pT > 40 GeV and |η| < 2.5, with a cutflow.
#include <cstdint>
#include <string>
#include <vector>

#include "core/job_config.hpp"
#include "physics/jet_event.hpp"

namespace cwola::physics {

struct FourTagConfig {
  double pt_min = 40;  ///< GeV
  double eta_max = 2.5;
  int tags = 4;  ///< required b-tagged jets among the selected ones

  static FourTagConfig read(core::JobConfig& card, const std::string& section);
  void validate() const;
  /// Whether a jet counts for the selection (pT and η; the tag is checked apart).
  bool selects(const Jet& jet) const;
};

/// Named event counts after each cut, in order (the first is "generated").
struct FourTagCutflow {
  std::vector<std::string> names = {"generated", "4 jets pT>40 |eta|<2.5", "4 b-tags"};
  std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(3, 0);
  void add(const FourTagCutflow& other);
};

/// Index of the last cut the event passes: 0 generated only, 1 kinematics, 2 four-tag.
int selection_stage(const JetEvent& event, const FourTagConfig& config);
/// Counts the event into `cutflow`; true if it passes every cut.
bool passes_four_tag(const JetEvent& event, const FourTagConfig& config, FourTagCutflow& cutflow);

}  // namespace cwola::physics
