#pragma once
/// Signal generator: gg → H → hh → b b̄ b b̄ for a heavy CP-even scalar H of the
/// two-Higgs-doublet model (the note's §1–3 signal), at parton level plus the
/// ISR/FSR jets of production_model.hpp. The detector runs afterwards.
#include "core/job_config.hpp"
#include "core/random_stream.hpp"
#include "physics/jet_event.hpp"
#include "physics/production_model.hpp"

namespace cwola::physics {

struct HhGeneratorConfig {
  /// Heavy scalar mass m_H (GeV); the note uses 300–1200, its studies 500 and 1000.
  double heavy_mass = 500;
  /// Γ_H / m_H. In the 2HDM (type II, near alignment, tan β ~ 1–5) the heavy H is
  /// narrow: widths of a few per mille to a few per cent for m_H ≤ 1.2 TeV; 1% here.
  double relative_width = 0.01;
  /// The Breit–Wigner (Cauchy, fine for Γ/m of a per cent) is cut at ± this many widths.
  double width_cutoff = 10;
  /// SM-like Higgs mass (GeV); its 4 MeV width is negligible next to jet resolution.
  double higgs_mass = 125;
  /// b-quark mass (GeV, pole mass ≈ 4.8): the jets of b quarks carry it.
  double b_mass = 4.8;
  ProductionConfig production;

  /// Reads [section] (heavy_mass, relative_width, width_cutoff, higgs_mass, b_mass)
  /// and production settings from [production_section].
  static HhGeneratorConfig read(core::JobConfig& card, const std::string& section,
                                const std::string& production_section);
  void validate() const;
};

class HhGenerator {
 public:
  explicit HhGenerator(HhGeneratorConfig config);
  /// One parton-level event: four b jets (origin h1/h2, h1 the higher-pT Higgs)
  /// plus FSR and ISR jets; `truth_mass` is the sampled H mass.
  JetEvent generate(core::RandomStream& stream) const;
  const HhGeneratorConfig& config() const { return config_; }

 private:
  double sample_mass(core::RandomStream& stream) const;
  HhGeneratorConfig config_;
};

}  // namespace cwola::physics
