#pragma once
/// Typed access to a job's settings. Each read records the effective value
/// (defaults included) so the dumped job is exactly what ran; keys never read
/// are reported as unknown.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/ini_document.hpp"

namespace cwola::core {

class JobConfig {
 public:
  JobConfig() = default;
  /// Reads an INI job file (InputError if missing or malformed).
  static JobConfig from_file(const std::string& path);
  static JobConfig from_text(const std::string& text, const std::string& source);

  /// Applies "section.key=value" from the command line (replaces or adds).
  void apply_override(const std::string& assignment);
  void set(const std::string& key, const std::string& value, const std::string& origin);

  bool has(const std::string& key) const;
  const std::string& raw(const std::string& key) const;
  const std::string& origin(const std::string& key) const;
  /// The file the job came from ("" for text).
  const std::string& source() const { return source_; }

  std::string get_string(const std::string& key, const std::string& fallback);
  std::string get_choice(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& allowed);
  double get_double(const std::string& key, double fallback, double min, double max);
  std::int64_t get_int(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  std::uint64_t get_uint64(const std::string& key, std::uint64_t fallback);
  bool get_bool(const std::string& key, bool fallback);
  std::vector<double> get_doubles(const std::string& key, const std::vector<double>& fallback,
                                  double min, double max);
  std::vector<std::int64_t> get_ints(const std::string& key,
                                     const std::vector<std::int64_t>& fallback, std::int64_t min,
                                     std::int64_t max);

  /// Entries of one section ("scan" → its keys without the prefix), in file order.
  std::vector<IniEntry> section(const std::string& name) const;
  /// Throws InputError for the first key that no reader asked for.
  void reject_unread(const std::set<std::string>& also_read = {}) const;
  const std::set<std::string>& read_keys() const { return read_; }

  /// Effective settings as INI text, sections and keys sorted; sections in
  /// `exclude` are left out (runtime-only settings do not change results).
  std::string canonical_text(const std::set<std::string>& exclude = {}) const;

  /// Error for a value the caller found invalid (names origin, key and value).
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

 private:
  std::string value_or_default(const std::string& key, const std::string& fallback);

  std::string source_;
  std::vector<std::string> order_;  // insertion order, for section()
  std::map<std::string, IniEntry> entries_;
  std::set<std::string> read_;
};

}  // namespace cwola::core
