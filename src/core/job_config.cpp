#include "core/job_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::core {

namespace {
bool parse_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && errno == 0 && std::isfinite(out);
}

bool parse_int(const std::string& text, std::int64_t& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  out = v;
  return end == text.c_str() + text.size() && errno == 0;
}

std::string range_text(double min, double max) {
  return "[" + format_double(min) + ", " + format_double(max) + "]";
}
}  // namespace

JobConfig JobConfig::from_file(const std::string& path) {
  JobConfig config;
  config.source_ = path;
  for (auto& entry : read_ini_file(path)) config.set(entry.key, entry.value, entry.origin);
  return config;
}

JobConfig JobConfig::from_text(const std::string& text, const std::string& source) {
  JobConfig config;
  config.source_ = source;
  for (auto& entry : parse_ini(text, source)) config.set(entry.key, entry.value, entry.origin);
  return config;
}

void JobConfig::apply_override(const std::string& assignment) {
  const auto equals = assignment.find('=');
  const std::string key = trim(assignment.substr(0, equals));
  if (equals == std::string::npos || key.find('.') == std::string::npos) {
    throw InputError("--set", assignment, "",
                     "is not 'section.key=value' (cannot tell what to set); e.g. "
                     "--set job.repeats=3");
  }
  set(key, trim(assignment.substr(equals + 1)), "--set " + key);
}

void JobConfig::set(const std::string& key, const std::string& value, const std::string& origin) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    order_.push_back(key);
    entries_.emplace(key, IniEntry{key, value, origin});
  } else {
    it->second.value = value;
    it->second.origin = origin;
  }
}

bool JobConfig::has(const std::string& key) const { return entries_.count(key) != 0; }

const std::string& JobConfig::raw(const std::string& key) const { return entries_.at(key).value; }

const std::string& JobConfig::origin(const std::string& key) const {
  static const std::string kDefault = "default";
  auto it = entries_.find(key);
  return it == entries_.end() ? kDefault : it->second.origin;
}

void JobConfig::fail(const std::string& key, const std::string& problem) const {
  const std::string where = has(key) ? origin(key) : (source_.empty() ? "job" : source_);
  throw InputError(where, key, has(key) ? raw(key) : "", problem);
}

std::string JobConfig::value_or_default(const std::string& key, const std::string& fallback) {
  read_.insert(key);
  if (!has(key)) set(key, fallback, "default");
  return raw(key);
}

std::string JobConfig::get_string(const std::string& key, const std::string& fallback) {
  return value_or_default(key, fallback);
}

std::string JobConfig::get_choice(const std::string& key, const std::string& fallback,
                                  const std::vector<std::string>& allowed) {
  std::string value = value_or_default(key, fallback);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    fail(key, "is not one of {" + join(allowed, ", ") + "}");
  }
  return value;
}

double JobConfig::get_double(const std::string& key, double fallback, double min, double max) {
  const std::string text = value_or_default(key, format_double(fallback));
  double value = 0;
  if (!parse_double(text, value)) fail(key, "is not a finite number");
  if (value < min || value > max) fail(key, "is outside the allowed range " + range_text(min, max));
  return value;
}

std::int64_t JobConfig::get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                                std::int64_t max) {
  const std::string text = value_or_default(key, std::to_string(fallback));
  std::int64_t value = 0;
  if (!parse_int(text, value)) fail(key, "is not an integer");
  if (value < min || value > max) {
    fail(key, "is outside the allowed range [" + std::to_string(min) + ", " +
                  std::to_string(max) + "]");
  }
  return value;
}

std::uint64_t JobConfig::get_uint64(const std::string& key, std::uint64_t fallback) {
  const std::string text = value_or_default(key, std::to_string(fallback));
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    fail(key, "is not a non-negative integer");
  }
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (errno != 0) fail(key, "does not fit in 64 bits");
  return value;
}

bool JobConfig::get_bool(const std::string& key, bool fallback) {
  const std::string text = value_or_default(key, fallback ? "true" : "false");
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  fail(key, "is not a boolean (true/false)");
}

std::vector<double> JobConfig::get_doubles(const std::string& key,
                                           const std::vector<double>& fallback, double min,
                                           double max) {
  std::vector<std::string> defaults;
  for (double v : fallback) defaults.push_back(format_double(v));
  const std::string text = value_or_default(key, join(defaults, ", "));
  std::vector<double> values;
  for (const auto& piece : split(text, ',')) {
    double value = 0;
    if (!parse_double(piece, value)) fail(key, "element '" + piece + "' is not a finite number");
    if (value < min || value > max) {
      fail(key, "element '" + piece + "' is outside the allowed range " + range_text(min, max));
    }
    values.push_back(value);
  }
  return values;
}

std::vector<std::int64_t> JobConfig::get_ints(const std::string& key,
                                              const std::vector<std::int64_t>& fallback,
                                              std::int64_t min, std::int64_t max) {
  std::vector<std::string> defaults;
  for (auto v : fallback) defaults.push_back(std::to_string(v));
  const std::string text = value_or_default(key, join(defaults, ", "));
  std::vector<std::int64_t> values;
  for (const auto& piece : split(text, ',')) {
    std::int64_t value = 0;
    if (!parse_int(piece, value)) fail(key, "element '" + piece + "' is not an integer");
    if (value < min || value > max) {
      fail(key, "element '" + piece + "' is outside the allowed range [" + std::to_string(min) +
                    ", " + std::to_string(max) + "]");
    }
    values.push_back(value);
  }
  return values;
}

std::vector<IniEntry> JobConfig::section(const std::string& name) const {
  std::vector<IniEntry> out;
  const std::string prefix = name + ".";
  for (const auto& key : order_) {
    if (key.compare(0, prefix.size(), prefix) == 0) {
      IniEntry entry = entries_.at(key);
      entry.key = key.substr(prefix.size());
      out.push_back(entry);
    }
  }
  return out;
}

void JobConfig::reject_unread(const std::set<std::string>& also_read) const {
  for (const auto& key : order_) {
    if (read_.count(key) == 0 && also_read.count(key) == 0) {
      const auto& entry = entries_.at(key);
      const auto axis = entries_.find("scan." + key);
      if (axis != entries_.end()) {
        // Typically a setting moved into [scan] with its old line left behind.
        throw InputError(entry.origin, key, entry.value,
                         "is also a scan axis ([scan] " + key + " = " + axis->second.value +
                             " at " + axis->second.origin +
                             "), which gives it its values; remove one of the two");
      }
      throw InputError(entry.origin, key, entry.value,
                       "is not a setting of this study (a typo or a key from another study?); "
                       "see 'cwola run --job FILE --dump-config' for the accepted keys");
    }
  }
}

std::string JobConfig::canonical_text(const std::set<std::string>& exclude) const {
  std::map<std::string, std::map<std::string, std::string>> sections;
  for (const auto& [key, entry] : entries_) {
    // [stage.NAME] sections keep their two-part name, so the text reads back as the same job.
    const auto dot = key.find('.', key.rfind("stage.", 0) == 0 ? std::string("stage.").size() : 0);
    const std::string section_name = key.substr(0, dot);
    if (exclude.count(section_name) != 0) continue;
    sections[section_name][key.substr(dot + 1)] = entry.value;
  }
  std::ostringstream out;
  bool first = true;
  for (const auto& [name, keys] : sections) {
    if (!first) out << "\n";
    first = false;
    out << "[" << name << "]\n";
    for (const auto& [key, value] : keys) out << key << " = " << value << "\n";
  }
  return out.str();
}

}  // namespace cwola::core
