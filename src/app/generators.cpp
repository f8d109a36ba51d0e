#include "app/generators.hpp"

namespace cwola::app {

// One handler per process, each in its own app/generate_<process>.cpp.

const std::vector<Generator>& generators() {
  static const std::vector<Generator> kGenerators = {
  };
  return kGenerators;
}

}  // namespace cwola::app
