#pragma once
/// Histogram data sets of the bump-hunt network (docs/bump_hunt_network.md): histograms of
/// different lengths stored as flat, concatenated per-bin arrays with per-histogram offsets.
/// HDF5 layout (H histograms, B bins in all):
///   /histograms/n_bins          int64 [H]    bins of histogram h
///   /histograms/offset          int64 [H]    its first bin in the /bins arrays; its n_bins + 1
///                                             edges start at offset + h in /edges
///   /histograms/family          int8 [H]     background family (attribute `names`: the names
///                                             by value)
///   /histograms/binning         int8 [H]     0 uniform, 1 variable (width ∝ mass)
///   /histograms/y_max, y_min    float64 [H]  expected entries in the first and last bin
///   /histograms/shape_parameter float64 [H]  k of power_free, c of half_cosh (0 otherwise)
///   /histograms/stretch_cut     float64 [H]  fraction of the range kept by the stretch (1: none)
///   /histograms/mass_scale_gev  float64 [H]  GeV of mass-axis value 1 (dijet; 0 otherwise)
///   /histograms/dijet_theta1, dijet_theta3  float64 [H]  the dijet shape's drawn θ1, θ3
///                                             (θ0, θ2 follow from y_max, y_min; 0 otherwise)
///   /histograms/has_signal      int8 [H]     1 with an injected bump
///   /histograms/signal_width    int64 [H]    W (bins), 0 without a signal
///   /histograms/centre_bin      int64 [H]    bin of the bump's centre, −1 without a signal
///   /histograms/mu              float64 [H]  injected yield (entries)
///   /histograms/z_want          float64 [H]  wanted Asimov significance
///   /histograms/seed            uint64 [H]   seed of the histogram's shape stream
///   /bins/counts                float64 [B]  observed entries
///   /bins/background            float64 [B]  true expected background entries
///   /bins/signal                float64 [B]  injected template (Σ = 1 per histogram, or 0)
///   /bins/z_w<W>                float64 [B]  target z for the fixed width W (e.g. z_w1..z_w4)
///   /bins/z_mixed               float64 [B]  mixed-width target (max over the widths)
///   /edges                      float64 [B+H] bin edges (mass axis, first edge 1)
///   /generator/card (string), /generator/seed uint64 [1], /generator/target_widths int64 [K]
/// The per-bin and per-histogram arrays are chunked (64 Ki elements) and deflate-compressed
/// (with byte shuffle). Writing is collective: every rank passes its histograms (ranks in
/// order, each a contiguous range of the global order), so the content is identical for any
/// rank count.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cwola::store {

/// Histograms as flat columns (the layout above, without the offsets, which the writer
/// computes over all ranks).
struct HistogramSetData {
  std::vector<int> target_widths;  ///< W of the rows of z (the same on every rank)
  std::vector<std::int64_t> n_bins;
  std::vector<double> edges;                       ///< Σ (n_bins + 1)
  std::vector<double> counts, background, signal;  ///< Σ n_bins each
  std::vector<std::vector<double>> z;              ///< [width][Σ n_bins]
  std::vector<double> z_mixed;                     ///< Σ n_bins
  std::vector<std::int8_t> family, binning, has_signal;
  std::vector<double> y_max, y_min, shape_parameter, stretch_cut, mass_scale_gev, mu, z_want;
  std::vector<double> dijet_theta1, dijet_theta3;
  std::vector<std::int64_t> signal_width, centre_bin;
  std::vector<std::uint64_t> seed;

  std::size_t histograms() const { return n_bins.size(); }
  std::size_t total_bins() const;
  /// core::Error (a bug in the producer) unless every column has its length.
  void check_consistent() const;
};

/// File-level information, the same on every rank.
struct HistogramFileInfo {
  std::string card;                       ///< effective generator settings (INI)
  std::uint64_t seed = 0;                 ///< master seed
  std::vector<std::string> family_names;  ///< by family value
};

/// Collective over `comm`: writes `local` (this rank's histograms) after those of lower ranks
/// into `path` (through "<path>.partial", renamed when complete). A rank may have none.
void write_histogram_file(MPI_Comm comm, const std::string& path, const HistogramSetData& local,
                          const HistogramFileInfo& info);

/// Number of histograms in a file written by write_histogram_file (core::InputError naming the
/// file if it is not one).
std::size_t count_histograms(const std::string& path);

/// Histograms [first, first + count) of a file written by write_histogram_file (serial,
/// independent HDF5 reads: each rank reads only its range). Every column is filled, with its
/// offsets made relative to the range. `info` (optional) receives the generator card, seed and
/// family names. Input is checked, since a training on a broken file would silently learn it:
/// core::InputError (exit 2) naming the file, the dataset (with the element) and the value for
/// a missing dataset, columns of mismatched lengths, offsets that are not the running sum of
/// n_bins, a histogram with fewer than 2 bins, a negative or non-finite count, a background
/// that is not positive and finite, or a non-finite target; also for a range beyond the file.
HistogramSetData read_histogram_file(const std::string& path, std::size_t first, std::size_t count,
                                     HistogramFileInfo* info = nullptr);

}  // namespace cwola::store
