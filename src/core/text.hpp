#pragma once
/// Small string utilities shared by the config reader and the report.
#include <string>
#include <vector>

namespace cwola::core {

std::string trim(const std::string& text);
/// Splits on `separator`, trimming each piece; an empty input gives no pieces.
std::vector<std::string> split(const std::string& text, char separator);
std::string join(const std::vector<std::string>& pieces, const std::string& separator);
/// Shortest text that reads back as the same double ("0.1", "1e-05").
std::string format_double(double value);
/// FNV-1a 64-bit hash as 16 hex digits (job identity; not cryptographic).
std::string hash_hex(const std::string& text);

}  // namespace cwola::core
