#pragma once
/// A binned mass spectrum (edges in GeV, event counts per bin) and the ways one is
/// read from text: the CSV spectra of HEPData (centre, value, errors, width).
#include <string>
#include <vector>

namespace cwola::stats {

/// Bin edges (GeV, strictly increasing, n + 1 of them) and counts (events, >= 0).
/// Counts may be non-integer (scaled cross sections); the Poisson likelihood
/// uses n ln(n/λ) and is defined for them.
struct Histogram {
  std::vector<double> edges;
  std::vector<double> counts;
  std::size_t bins() const { return counts.size(); }
  double low(std::size_t i) const { return edges[i]; }
  double high(std::size_t i) const { return edges[i + 1]; }
  double centre(std::size_t i) const { return 0.5 * (edges[i] + edges[i + 1]); }
  double width(std::size_t i) const { return edges[i + 1] - edges[i]; }
  double total() const;
  /// Always-on check (InputError naming `origin`, the bin and the value): at least
  /// one bin, n + 1 finite strictly increasing edges, finite counts >= 0.
  void validate(const std::string& origin) const;
};

/// How the CSV "value" column becomes events per bin.
enum class CountsFrom {
  kValue,   ///< the value is the count (trijet, dimuon files)
  kScale,   ///< count = value × scale × width (scale = luminosity × unit, e.g. pb⁻¹/1000 per GeV)
  kErrors,  ///< effective count = (value / symmetric error)² (Poisson-equivalent events)
};

/// How bin edges follow from the CSV centres and widths.
enum class EdgesFrom {
  kWidths,     ///< centre ± width/2; neighbouring bins must meet (gaps/overlaps are errors)
  kMidpoints,  ///< midpoints between neighbouring centres (for files whose widths overlap)
};

struct CsvSpectrumOptions {
  CountsFrom counts_from = CountsFrom::kValue;
  double scale = 1.0;  ///< used with CountsFrom::kScale
  EdgesFrom edges_from = EdgesFrom::kWidths;
  double min_mass_gev = 0.0;  ///< drop bins whose centre is below
  double max_mass_gev = 0.0;  ///< drop bins whose centre is above (0 = no cut)
};

/// Reads a CSV spectrum with a header naming `mass_center`, `value`, `err_up`,
/// `err_down`, `bin_width` (order free; '#' lines are comments). Errors name the
/// file, the row (line number) and the value.
Histogram read_csv_spectrum(const std::string& path, const CsvSpectrumOptions& options);

/// Fills a histogram with `values` between `edges` (values outside are dropped).
Histogram fill_histogram(const std::vector<double>& edges, const std::vector<double>& values);

/// Groups of adjacent bins, merged from the high-mass end until each group holds at
/// least `min_count` observed events (the last incomplete group joins its
/// neighbour). Each entry is the first bin of a group; min_count <= 0 → one group per bin.
std::vector<std::size_t> merge_groups(const std::vector<double>& counts, double min_count);

}  // namespace cwola::stats
