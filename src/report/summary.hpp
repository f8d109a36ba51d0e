#pragma once
/// Per-scan-point statistics of every result column, computed from the store
/// (so a resumed study summarises the tasks of all its runs), and the table
/// printed at the end of a study.
#include <string>
#include <vector>

#include "store/results_store.hpp"

namespace cwola::report {

/// Mean, std, median, 16/84% quantiles and count of each result column over the
/// done tasks of each point; failed tasks are counted apart and never averaged.
store::SummaryColumns summarize(const store::ResultsStore& store);

/// Fixed-width text table: scan-axis values, tasks done/failed, then as mean ± std the AUC,
/// the accuracy at the validation-chosen threshold, the best accuracy (threshold tuned on the
/// test set, so labelled so), the maximum SIC and the SIC at eps_b = 1e-3, and the study's
/// reference columns when it has them. A metric column absent from the store is left out.
/// A value that rests on fewer than metrics::kFewBackgroundEvents test background events in
/// any repeat (its few_bkg_* column) is marked "*", explained under the table.
std::string format_summary_table(const store::ResultsStore& store,
                                 const store::SummaryColumns& summary);

/// format_summary_table's text from the scan axes, each point's axis values and the summary.
std::string format_summary_table(const std::vector<std::string>& axes,
                                 const std::vector<std::vector<std::string>>& point_values,
                                 const store::SummaryColumns& summary);

}  // namespace cwola::report
