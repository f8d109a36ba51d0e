#pragma once
/// Factories of the di-Higgs → 4b studies (the note's §1–3) and of the study on
/// users' own samples; see each study's .cpp for its settings.
#include <memory>
#include <vector>

#include "core/job_config.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

std::unique_ptr<Study> make_dihiggs_fraction_study(std::vector<core::JobConfig>& point_configs);
std::unique_ptr<Study> make_dihiggs_attention_study(std::vector<core::JobConfig>& point_configs);
std::unique_ptr<Study> make_dihiggs_hunting_study(std::vector<core::JobConfig>& point_configs);
std::unique_ptr<Study> make_dihiggs_augmentation_study(std::vector<core::JobConfig>& point_configs);
std::unique_ptr<Study> make_user_sample_study(std::vector<core::JobConfig>& point_configs);

}  // namespace cwola::studies
