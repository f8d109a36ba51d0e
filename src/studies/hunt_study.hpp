#pragma once
/// Study "hunt" — the sliding-window CWoLa hunt of the CMS dijet anomaly search (docs/hunt.md).
///
/// A point is (window, injected signal); the job's repeats are the injection seeds; k-fold
/// cross-training (training.folds × training.inner_folds, 5 × 4 by default) makes a task one
/// (window, injection, seed, fold, inner fold) model. Each task trains signal region (label 1)
/// against the window's two sidebands (label 0) on the data table — background plus the
/// injected signal events — with the CWoLa-hunting class weights, and scores its held-out fold
/// into /artifacts/scores with each event's m_jj (/artifacts/scores/mass), so that the selection and the fits
/// (`cwola hunt`, report/hunt_analysis) need no training.
///
/// [hunt] data_file, signal_file (tables: `format = table` files, e.g. `cwola generate` lhco
///        files with table = /TABLE, or the LHCO R&D files), table, features, mass_column,
///        mass_unit (GeV | TeV: the mass column's unit; features are used as they are),
///        label_column (the data file's truth, optional: "" when it has none),
///        labels (cwola: signal region against sidebands; supervised: the single-window
///        supervised reference, signal-region events with their truth labels, no fit step),
///        edges (A | B | a list in GeV), window (scan it: 1 … edges − 3),
///        injected_signal (events drawn from signal_file over the whole spectrum; scan it),
///        signal_test_events (signal events kept apart to measure the classifier on truth),
///        max_events (per file, 0 = all),
///        pseudo_datasets (n: the data dealt into n disjoint pseudo-datasets, event i into
///        i mod n; injection seed r uses pseudo-dataset r mod n, so a null's seeds are
///        independent data; 1 = every seed sees all the data);
///        the select → fit step that `cwola run` does right after the training (into
///        <store>_hunt.h5; `cwola hunt` redoes it): efficiencies, fit_bins, scan_points,
///        signal_width, max_params, signal_mass (stats/hunt_fit_settings.hpp)
#include <memory>
#include <vector>

#include "core/job_config.hpp"
#include "stats/hunt_fit_settings.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

std::unique_ptr<Study> make_hunt_study(std::vector<core::JobConfig>& point_configs);

/// The select → fit settings of a hunt study; nullptr for any other study.
const stats::HuntFitSettings* hunt_fit_settings(const Study& study);

}  // namespace cwola::studies
