#pragma once
/// Event generators behind `cwola generate --card FILE --output EVENTS.h5`: the
/// card's `generator.process` names one of these. Each writes its event file
/// collectively over all ranks, event blocks seeded from (seed, block id) so the
/// file is identical for any rank count.
#include <string>
#include <vector>

#include "core/job_config.hpp"
#include "parallel/mpi_runtime.hpp"

namespace cwola::app {

struct GenerateRequest {
  std::string output;  ///< event file to write
  bool overwrite = false;
};

/// Reads its settings from `card` (every key it accepts must be read, so unknown
/// ones are rejected afterwards), generates and writes; returns an ExitCode.
using GeneratorHandler = int (*)(const parallel::MpiRuntime& mpi, core::JobConfig& card,
                                 const GenerateRequest& request);

struct Generator {
  const char* process;  ///< value of generator.process in a card
  const char* summary;
  GeneratorHandler handler;
};

const std::vector<Generator>& generators();

}  // namespace cwola::app
