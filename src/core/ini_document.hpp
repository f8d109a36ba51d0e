#pragma once
/// A minimal INI reader: `[section]` headers, `key = value` lines, `#`/`;` comments.
/// Every entry remembers where it came from so errors can name file and line.
#include <string>
#include <vector>

namespace cwola::core {

struct IniEntry {
  std::string key;     ///< "section.key"
  std::string value;   ///< trimmed, comments removed
  std::string origin;  ///< "file:line" or "--set"
};

/// Parses INI text; throws InputError naming `source` and the line on syntax
/// errors, duplicate keys or keys outside a section.
std::vector<IniEntry> parse_ini(const std::string& text, const std::string& source);
/// Reads and parses a file; a missing or unreadable file is an InputError.
std::vector<IniEntry> read_ini_file(const std::string& path);
/// Value of `key` in section [`section`] of INI text ("" if absent), parsed as a job file
/// (comments, quoting and whitespace as there); `source` names the text in errors.
std::string ini_value(const std::string& text, const std::string& section, const std::string& key,
                      const std::string& source);

}  // namespace cwola::core
