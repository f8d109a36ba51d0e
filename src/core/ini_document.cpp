#include "core/ini_document.hpp"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::core {

namespace {
constexpr long long kMaxJobFileBytes = 1 << 20;  // 1 MiB: hundreds of times a real job
constexpr const char* kUtf8Bom = "\xEF\xBB\xBF";

std::string strip_comment(const std::string& line) {
  // A comment starts at '#' or ';' at the line start or after whitespace, so
  // values such as "a#b" stay intact.
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == '#' || line[i] == ';') && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}
}  // namespace

std::vector<IniEntry> parse_ini(const std::string& text, const std::string& source) {
  std::vector<IniEntry> entries;
  std::set<std::string> seen;
  std::string section;
  std::istringstream in(text);
  std::string raw;
  int line_number = 0;
  while (std::getline(in, raw)) {
    ++line_number;
    // Editors on Windows start UTF-8 files with a byte-order mark: not part of the text.
    if (line_number == 1 && raw.compare(0, 3, kUtf8Bom) == 0) raw.erase(0, 3);
    const std::string origin = source + ":" + std::to_string(line_number);
    const std::string line = trim(strip_comment(raw));
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        throw InputError(origin + ": section header '" + line +
                         "' has no closing ']' (cannot tell which section follows); write [name]");
      }
      section = trim(line.substr(1, line.size() - 2));
      // A stage of the job is [stage.NAME] (docs/stages.md).
      const bool stage_section =
          section.rfind("stage.", 0) == 0 && valid_name(section.substr(std::string("stage.").size()));
      if (!valid_name(section) && !stage_section) {
        throw InputError(origin + ": section name '" + section +
                         "' is not valid (letters, digits, '_' and '-' only; a stage is "
                         "[stage.NAME])");
      }
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string::npos) {
      throw InputError(origin + ": line '" + line +
                       "' is not 'key = value' (cannot be read as a setting); fix or comment it out");
    }
    const std::string name = trim(line.substr(0, equals));
    const std::string value = trim(line.substr(equals + 1));
    if (section.empty()) {
      throw InputError(origin, name, value,
                       "appears before any [section] (every key belongs to a section); add a header");
    }
    // Keys in [scan] name other settings ("section.key"), so they may contain one dot.
    const bool scan_key = section == "scan" || section.rfind("stage.", 0) == 0;
    if (!(valid_name(name) || (scan_key && name.find('.') != std::string::npos))) {
      throw InputError(origin, name, value, "key name is not valid (letters, digits, '_', '-')");
    }
    const std::string key = section + "." + name;
    if (!seen.insert(key).second) {
      throw InputError(origin, key, value,
                       "is set twice in the file (which one is meant is ambiguous); keep one");
    }
    entries.push_back({key, value, origin});
  }
  return entries;
}

std::vector<IniEntry> read_ini_file(const std::string& path) {
  struct stat info {};
  // An ifstream opens a directory and reads nothing: without this check a directory
  // would pass as an empty job and run the default study.
  if (stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    throw InputError("job file '" + path + "' is a directory, not a file; check the --job path");
  }
  // A FIFO blocks the read forever and /dev/zero never ends: only regular files, of a
  // size a job file can have.
  if (stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    throw InputError("job file '" + path + "' is not a regular file (a pipe, device or socket " +
                     "cannot be read as a job); give the path of an INI file with --job");
  }
  if (stat(path.c_str(), &info) == 0 && info.st_size > kMaxJobFileBytes) {
    throw InputError("job file '" + path + "' has " + std::to_string(info.st_size) +
                     " bytes, more than a job file's limit of " +
                     std::to_string(kMaxJobFileBytes) +
                     " (a job is a few kB of settings; is this a data file?); check the --job "
                     "path");
  }
  std::ifstream in(path);
  if (!in) {
    throw InputError("job file '" + path +
                     "' cannot be opened (missing or unreadable); check the --job path");
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto entries = parse_ini(text.str(), path);
  if (entries.empty()) {
    throw InputError("job file '" + path +
                     "' has no settings (empty or only comments; a truncated copy?); a job "
                     "needs at least [job] study = ...");
  }
  return entries;
}

std::string ini_value(const std::string& text, const std::string& section, const std::string& key,
                      const std::string& source) {
  for (const auto& entry : parse_ini(text, source)) {
    if (entry.key == section + "." + key) return entry.value;
  }
  return "";
}

}  // namespace cwola::core
