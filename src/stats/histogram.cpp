#include "stats/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::stats {

double Histogram::total() const {
  double sum = 0.0;
  for (double c : counts) sum += c;
  return sum;
}

void Histogram::validate(const std::string& origin) const {
  if (counts.empty()) {
    throw core::InputError(origin, "bins", "0", "the spectrum has no bins; give at least one");
  }
  if (edges.size() != counts.size() + 1) {
    throw core::InputError(origin, "edges", std::to_string(edges.size()),
                           "need bins + 1 = " + std::to_string(counts.size() + 1) + " edges");
  }
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i])) {
      throw core::InputError(origin, "edges[" + std::to_string(i) + "]",
                             core::format_double(edges[i]), "edges must be finite");
    }
    if (i > 0 && !(edges[i] > edges[i - 1])) {
      throw core::InputError(origin, "edges[" + std::to_string(i) + "]",
                             core::format_double(edges[i]),
                             "edges must increase strictly (previous edge " +
                                 core::format_double(edges[i - 1]) + "); fix the binning");
    }
  }
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (!std::isfinite(counts[i]) || counts[i] < 0.0) {
      throw core::InputError(origin, "counts[" + std::to_string(i) + "]",
                             core::format_double(counts[i]),
                             "counts must be finite and >= 0 (a Poisson count)");
    }
  }
}

namespace {
double parse_number(const std::string& path, std::size_t line, const std::string& key,
                    const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    throw core::InputError(path + ":" + std::to_string(line), key, text, "not a number");
  }
}
}  // namespace

Histogram read_csv_spectrum(const std::string& path, const CsvSpectrumOptions& options) {
  std::ifstream in(path);
  if (!in) {
    throw core::InputError(path, "file", path, "cannot open the CSV spectrum; check the path");
  }
  if (options.counts_from == CountsFrom::kScale && !(options.scale > 0.0)) {
    throw core::InputError("--scale", "scale", core::format_double(options.scale),
                           "the scale (luminosity × unit) must be > 0");
  }
  static const std::vector<std::string> kNeeded = {"mass_center", "value", "err_up", "err_down",
                                                   "bin_width"};
  std::map<std::string, std::size_t> column;
  std::vector<double> centres;
  std::vector<double> widths;
  std::vector<double> counts;
  std::vector<std::size_t> lines;
  std::string text;
  std::size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    const std::string row = core::trim(text);
    if (row.empty() || row[0] == '#') continue;
    const auto cells = core::split(row, ',');
    if (column.empty()) {
      for (std::size_t c = 0; c < cells.size(); ++c) column[cells[c]] = c;
      for (const auto& name : kNeeded) {
        if (column.count(name) == 0) {
          throw core::InputError(path + ":" + std::to_string(line), "header", row,
                                 "column '" + name + "' is missing; a spectrum needs " +
                                     core::join(kNeeded, ","));
        }
      }
      continue;
    }
    if (cells.size() < column.size()) {
      throw core::InputError(path + ":" + std::to_string(line), "row", row,
                             "has " + std::to_string(cells.size()) + " cells, the header " +
                                 std::to_string(column.size()));
    }
    auto get = [&](const std::string& name) {
      return parse_number(path, line, name, cells[column.at(name)]);
    };
    const double centre = get("mass_center");
    const double value = get("value");
    const double err_up = get("err_up");
    const double err_down = get("err_down");
    const double width = get("bin_width");
    const std::string where = path + ":" + std::to_string(line);
    if (!std::isfinite(value) || value < 0.0) {
      throw core::InputError(where, "value", cells[column.at("value")],
                             "must be finite and >= 0 (a count or a rate per bin)");
    }
    if (!std::isfinite(width) || width <= 0.0) {
      throw core::InputError(where, "bin_width", cells[column.at("bin_width")], "must be > 0");
    }
    if (options.min_mass_gev > 0.0 && centre < options.min_mass_gev) continue;
    if (options.max_mass_gev > 0.0 && centre > options.max_mass_gev) continue;
    double count = value;
    if (options.counts_from == CountsFrom::kScale) {
      count = value * options.scale * width;
    } else if (options.counts_from == CountsFrom::kErrors) {
      const double error = 0.5 * (err_up + err_down);
      if (value > 0.0 && !(error > 0.0)) {
        throw core::InputError(where, "err_up/err_down", cells[column.at("err_up")],
                               "a non-empty bin needs a positive error to give (value/error)²");
      }
      count = value > 0.0 ? (value / error) * (value / error) : 0.0;
    }
    centres.push_back(centre);
    widths.push_back(width);
    counts.push_back(count);
    lines.push_back(line);
  }
  if (column.empty()) {
    throw core::InputError(path, "header", "(none)",
                           "no header line; a spectrum needs " + core::join(kNeeded, ","));
  }
  Histogram histogram;
  histogram.counts = counts;
  const std::size_t n = centres.size();
  if (n == 0) {
    throw core::InputError(path, "rows", "0", "no bins in the spectrum (after the mass cuts)");
  }
  if (options.edges_from == EdgesFrom::kWidths) {
    histogram.edges.push_back(centres[0] - 0.5 * widths[0]);
    for (std::size_t i = 0; i < n; ++i) {
      const double low = centres[i] - 0.5 * widths[i];
      const double previous_high = histogram.edges.back();
      // HEPData rounds centres to 0.5 GeV: tolerate 1 % of the width.
      if (i > 0 && std::fabs(low - previous_high) > 0.01 * widths[i]) {
        throw core::InputError(
            path + ":" + std::to_string(lines[i]), "mass_center",
            core::format_double(centres[i]),
            "this bin starts at " + core::format_double(low) + " GeV but the previous one ends at " +
                core::format_double(previous_high) +
                " GeV (bins overlap or leave a gap); use --edges midpoints");
      }
      histogram.edges.push_back(centres[i] + 0.5 * widths[i]);
    }
  } else {
    if (n < 2) {
      throw core::InputError(path, "rows", "1", "--edges midpoints needs at least two bins");
    }
    histogram.edges.push_back(centres[0] - 0.5 * (centres[1] - centres[0]));
    for (std::size_t i = 0; i + 1 < n; ++i) {
      histogram.edges.push_back(0.5 * (centres[i] + centres[i + 1]));
    }
    histogram.edges.push_back(centres[n - 1] + 0.5 * (centres[n - 1] - centres[n - 2]));
  }
  for (std::size_t i = 1; i < histogram.edges.size(); ++i) {
    if (!(histogram.edges[i] > histogram.edges[i - 1])) {
      throw core::InputError(path + ":" + std::to_string(lines[i - 1]), "mass_center",
                             core::format_double(centres[i - 1]),
                             "bin centres must increase strictly down the file");
    }
  }
  histogram.validate(path);
  return histogram;
}

Histogram fill_histogram(const std::vector<double>& edges, const std::vector<double>& values) {
  Histogram histogram;
  histogram.edges = edges;
  histogram.counts.assign(edges.size() > 1 ? edges.size() - 1 : 0, 0.0);
  for (double v : values) {
    if (!(v >= edges.front()) || !(v < edges.back())) continue;
    const auto it = std::upper_bound(edges.begin(), edges.end(), v);
    histogram.counts[static_cast<std::size_t>(it - edges.begin()) - 1] += 1.0;
  }
  return histogram;
}

std::vector<std::size_t> merge_groups(const std::vector<double>& counts, double min_count) {
  std::vector<std::size_t> starts;
  if (min_count <= 0.0) {
    for (std::size_t i = 0; i < counts.size(); ++i) starts.push_back(i);
    return starts;
  }
  // Walk down from the high-mass end, where the counts are small.
  double sum = 0.0;
  std::size_t i = counts.size();
  while (i > 0) {
    --i;
    sum += counts[i];
    if (sum >= min_count) {
      starts.push_back(i);
      sum = 0.0;
    }
  }
  // Leftover low-mass bins (fewer than min_count events) join the lowest full group.
  if (starts.empty()) {
    starts.push_back(0);
  } else {
    starts.back() = 0;
  }
  std::reverse(starts.begin(), starts.end());
  return starts;
}

}  // namespace cwola::stats
