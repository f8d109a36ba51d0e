#include "app/generators.hpp"

namespace cwola::app {

// One handler per process, in app/generate_<family>.cpp (the dijet processes share
// generate_dijets.cpp: one card reader with per-process defaults).
int run_generate_dihiggs(const parallel::MpiRuntime&, core::JobConfig&, const GenerateRequest&);
int run_generate_hidden_valley(const parallel::MpiRuntime&, core::JobConfig&, const GenerateRequest&);
int run_generate_lhco(const parallel::MpiRuntime&, core::JobConfig&, const GenerateRequest&);
int run_generate_bump_histograms(const parallel::MpiRuntime&, core::JobConfig&,
                                 const GenerateRequest&);
int run_generate_bump_spectra(const parallel::MpiRuntime&, core::JobConfig&,
                              const GenerateRequest&);

const std::vector<Generator>& generators() {
  static const std::vector<Generator> kGenerators = {
      {"dihiggs", "gg -> H -> hh -> 4b signal or QCD multi-jet background, SPANet layout",
       run_generate_dihiggs},
      {"hidden_valley", "QCD dijets or Z_V -> dark showers, jet constituents (anti-kT R = 0.8)",
       run_generate_hidden_valley},
      {"lhco", "LHCO R&D-like: QCD dijets 1.5-8 TeV or W' -> X Y -> 4q, jet-substructure table",
       run_generate_lhco},
      {"bump_histograms", "bump-hunt network training histograms with profile-likelihood z targets",
       run_generate_bump_histograms},
      {"bump_spectra", "bumps injected into fitted measured spectra (CSV), the same file layout",
       run_generate_bump_spectra},
  };
  return kGenerators;
}

}  // namespace cwola::app
