#pragma once
/// CWoLa hunting with CNNs on dijet jet images (note §4): for an injected significance S/√B
/// (or Z), the signal-region (SR, label 1) and sideband (SB, label 0) mixed samples are drawn
/// from pre-generated event files (cwola generate, process hidden_valley) with
/// data::significance_mixing_counts; the mixed sample is split 80/20 into train/validation,
/// only the training split is augmented (none / smear "+n" / copy "+n"); both jets are
/// pixelated (features::make_dijet_images); a two-channel or two-image CNN (models::CnnJetNetwork,
/// optionally with jet mass and Les Houches angularity in a multiplied dense branch) is trained
/// with the generic trainer and evaluated on a pure, labelled SR test set that is shared by all
/// tasks of the job and disjoint from every mixed sample.
///
/// Random streams (never the rank): the shared test set from (master seed, 2^64 − 1, test);
/// each task's mixed-sample draw, split, augmentation, weight initialisation and epoch order
/// from (master seed, task id, purpose).
#include <memory>
#include <vector>

#include "core/job_config.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

std::unique_ptr<Study> make_hidden_valley_study(std::vector<core::JobConfig>& point_configs);

}  // namespace cwola::studies
