#pragma once
/// Background generator: QCD multi-jet production with (at least) four hard jets.
/// The four-jet mass m4j follows the smooth, falling form used for dijet spectra,
///   p(m4j) ∝ (1 − x)^a / x^b,  x = m4j/√s  (above mass_min),
/// and the four partons share the mass by flat (RAMBO) four-body phase space in
/// the system's rest frame, so no jet pair is resonant. Flavours are drawn from a
/// configurable composition (4b-tagged QCD is mostly b b̄ b b̄ with some b b̄ c c̄ and
/// mistagged light jets). ISR and FSR as for the signal.
#include <array>
#include <string>

#include "core/job_config.hpp"
#include "core/random_stream.hpp"
#include "physics/jet_event.hpp"
#include "physics/production_model.hpp"

namespace cwola::physics {

struct QcdMultijetConfig {
  /// Lower end of the generated m4j spectrum (GeV); below ~4 × 40 GeV the four-tag
  /// cut removes everything, so 150 GeV wastes little.
  double mass_min = 220;
  /// Exponents a and b of the spectrum. The defaults are tuned so that, after the
  /// four-tag cut, the fractions of events in the note's m_hh windows (Table 2)
  /// come out near those of its Table 3 (see docs/dihiggs.md, "Background shape").
  double power_high = 16;  ///< a: fall-off towards x → 1
  double power_low = 3.5;  ///< b: fall-off with mass (must exceed 1)
  /// Flavour composition of the four hard partons (fractions, normalised to their sum).
  double fraction_bbbb = 0.85;
  double fraction_bbcc = 0.10;
  double fraction_bbjj = 0.05;
  double b_mass = 4.8;  ///< GeV
  double c_mass = 1.5;  ///< GeV
  ProductionConfig production;

  static QcdMultijetConfig read(core::JobConfig& card, const std::string& section,
                                const std::string& production_section);
  void validate() const;
};

/// n-body phase space: `masses.size()` momenta of the given masses (GeV) in the rest
/// frame of a system of mass `total_mass`, flat in phase space for massless
/// particles (RAMBO: Kleiss, Stirling, Ellis, CPC 40 (1986) 359), rescaled to the
/// masses (nearly flat for masses ≪ total_mass).
std::vector<FourVector> rambo(double total_mass, const std::vector<double>& masses,
                              core::RandomStream& stream);

class QcdMultijetGenerator {
 public:
  explicit QcdMultijetGenerator(QcdMultijetConfig config);
  /// One parton-level event: four hard jets (origin kOther) plus FSR and ISR jets;
  /// `truth_mass` is the four-parton mass.
  JetEvent generate(core::RandomStream& stream) const;
  const QcdMultijetConfig& config() const { return config_; }

 private:
  double sample_mass(core::RandomStream& stream) const;
  QcdMultijetConfig config_;
};

}  // namespace cwola::physics
