#include "app/generators.hpp"

namespace cwola::app {

// One handler per process, each in its own app/generate_<process>.cpp.
int run_generate_dihiggs(const parallel::MpiRuntime&, core::JobConfig&, const GenerateRequest&);
int run_generate_hidden_valley(const parallel::MpiRuntime&, core::JobConfig&, const GenerateRequest&);

const std::vector<Generator>& generators() {
  static const std::vector<Generator> kGenerators = {
      {"dihiggs", "gg -> H -> hh -> 4b signal or QCD multi-jet background, SPANet layout",
       run_generate_dihiggs},
      {"hidden_valley", "QCD dijets or Z_V -> dark showers, jet constituents (anti-kT R = 0.8)",
       run_generate_hidden_valley},
  };
  return kGenerators;
}

}  // namespace cwola::app
