#pragma once
/// Detector-level events of the di-Higgs → 4b analysis, signal or QCD background,
/// in reproducible blocks: block b of a sample is generated from its own random
/// stream seeded with (seed, b, kEventBlock), so any set of blocks — on any rank,
/// in any order — gives the same events, and a sample of N accepted events is the
/// first N accepted events of blocks 0, 1, 2, ... whatever the rank count.
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "physics/detector.hpp"
#include "physics/four_tag_selection.hpp"
#include "physics/hh_generator.hpp"
#include "physics/jet_event.hpp"
#include "physics/qcd_multijet_generator.hpp"

namespace cwola::physics {

/// Signal (hh) or background (QCD multi-jet) generator.
using HhProcess = std::variant<HhGeneratorConfig, QcdMultijetConfig>;

struct HhEventSourceConfig {
  HhProcess process = HhGeneratorConfig{};
  DetectorConfig detector;
  FourTagConfig selection;
  /// When false every generated event is kept (for acceptance studies); the cutflow
  /// is counted either way.
  bool require_four_tag = true;
  /// Events generated per block (the unit of work and of seeding).
  std::uint64_t block_size = 1000;
  void validate() const;
};

struct HhEventBlock {
  std::uint64_t block = 0;
  std::vector<JetEvent> events;  ///< accepted, in generation order; ids = block × size + i
  FourTagCutflow cutflow;        ///< over all events generated in the block
};

class HhEventSource {
 public:
  explicit HhEventSource(HhEventSourceConfig config);
  /// One block from its own stream (seed, block, kEventBlock).
  HhEventBlock generate_block(std::uint64_t seed, std::uint64_t block) const;
  /// The first `n` accepted events of blocks 0, 1, ...; the cutflow covers every
  /// block used, in full. `max_blocks` guards against a selection that never passes.
  HhEventBlock generate_accepted(std::uint64_t seed, std::size_t n,
                                 std::uint64_t max_blocks = 1000000) const;
  bool is_signal() const;
  const HhEventSourceConfig& config() const { return config_; }

 private:
  HhEventSourceConfig config_;
  std::unique_ptr<HhGenerator> signal_;
  std::unique_ptr<QcdMultijetGenerator> background_;
  Detector detector_;
};

}  // namespace cwola::physics
