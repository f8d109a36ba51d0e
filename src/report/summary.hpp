#pragma once
/// Per-scan-point statistics of every result column, computed from the store
/// (so a resumed study summarises the tasks of all its runs), and the table
/// printed at the end of a study.
#include <string>

#include "store/results_store.hpp"

namespace cwola::report {

/// Mean, std, median, 16/84% quantiles and count of each result column over the
/// done tasks of each point; failed tasks are counted apart and never averaged.
store::SummaryColumns summarize(const store::ResultsStore& store);

/// Fixed-width text table: scan-axis values, tasks done/failed, AUC and best
/// accuracy as mean ± std, and the study's reference columns when it has them.
std::string format_summary_table(const store::ResultsStore& store,
                                 const store::SummaryColumns& summary);

}  // namespace cwola::report
