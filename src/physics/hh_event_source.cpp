#include "physics/hh_event_source.hpp"

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "core/seed.hpp"

namespace cwola::physics {

void HhEventSourceConfig::validate() const {
  if (block_size == 0) {
    throw core::InputError("event source", "block_size", "0", "must be at least 1 event");
  }
  detector.validate();
  selection.validate();
}

HhEventSource::HhEventSource(HhEventSourceConfig config)
    : config_(std::move(config)), detector_(config_.detector) {
  config_.validate();
  if (const auto* hh = std::get_if<HhGeneratorConfig>(&config_.process)) {
    signal_ = std::make_unique<HhGenerator>(*hh);
  } else {
    background_ =
        std::make_unique<QcdMultijetGenerator>(std::get<QcdMultijetConfig>(config_.process));
  }
}

bool HhEventSource::is_signal() const { return signal_ != nullptr; }

HhEventBlock HhEventSource::generate_block(std::uint64_t seed, std::uint64_t block) const {
  HhEventBlock out;
  out.block = block;
  core::RandomStream stream(core::stream_seed(seed, block, core::SeedPurpose::kEventBlock));
  for (std::uint64_t i = 0; i < config_.block_size; ++i) {
    JetEvent event = signal_ ? signal_->generate(stream) : background_->generate(stream);
    event.id = block * config_.block_size + i;
    detector_.apply(event, stream);
    const bool pass = passes_four_tag(event, config_.selection, out.cutflow);
    if (pass || !config_.require_four_tag) out.events.push_back(std::move(event));
  }
  return out;
}

HhEventBlock HhEventSource::generate_accepted(std::uint64_t seed, std::size_t n,
                                              std::uint64_t max_blocks) const {
  HhEventBlock out;
  std::uint64_t block = 0;
  while (out.events.size() < n) {
    if (block >= max_blocks) {
      throw core::Error("only " + std::to_string(out.events.size()) + " of " + std::to_string(n) +
                        " events passed the selection in " + std::to_string(max_blocks) +
                        " blocks (efficiency too low for this request); loosen the selection "
                        "or ask for fewer events");
    }
    auto next = generate_block(seed, block++);
    out.cutflow.add(next.cutflow);
    for (auto& event : next.events) {
      if (out.events.size() == n) break;
      out.events.push_back(std::move(event));
    }
  }
  out.block = block;  // number of blocks used
  return out;
}

}  // namespace cwola::physics
