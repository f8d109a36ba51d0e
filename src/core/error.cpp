#include "core/error.hpp"

#include <sstream>

namespace cwola::core {

namespace {
std::string format_input_error(const std::string& where, const std::string& key,
                               const std::string& value, const std::string& problem) {
  std::ostringstream out;
  out << where << ": key '" << key << "' = '" << value << "': " << problem;
  return out.str();
}
}  // namespace

InputError::InputError(const std::string& where, const std::string& key,
                       const std::string& value, const std::string& problem)
    : Error(format_input_error(where, key, value, problem)) {}

void contract_failed(const char* condition, const char* file, int line) {
  std::ostringstream out;
  out << "internal contract violated: " << condition << " at " << file << ":" << line
      << " (a bug in cwola; please report it with the job file)";
  throw Error(out.str());
}

}  // namespace cwola::core
