#pragma once
/// The select → fit step of a hunt (report/hunt_analysis.hpp) on a finished store: run by
/// `cwola hunt` and, right after the training, by `cwola run` for a hunt job.
#include <string>

#include "stats/hunt_fit_settings.hpp"

namespace cwola::app {

/// Rank 0 only (serial): analyses `store_path`, writes `output`, prints the table and, with
/// `plots`, makes the plots beside `output`.
void fit_hunt_store(const std::string& store_path, const std::string& output,
                    const stats::HuntFitSettings& settings, bool plots);

/// Where `cwola run` writes a hunt job's fit: "<store without .h5>_hunt.h5".
std::string hunt_fit_path(const std::string& store_path);

}  // namespace cwola::app
