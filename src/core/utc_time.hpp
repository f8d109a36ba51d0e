#pragma once
/// Wall-clock timestamps for stores and logs, in UTC (ISO 8601, second resolution).
#include <ctime>
#include <string>

namespace cwola::core {

/// `time` as "YYYY-MM-DDTHH:MM:SSZ" (UTC).
std::string format_utc(std::time_t time);
/// The current time as format_utc gives it.
std::string utc_now();

}  // namespace cwola::core
