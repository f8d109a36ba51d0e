#pragma once
/// The HDF5 file of `cwola fit`: spectrum, fits, F-test tables, local-z scan,
/// limits and toys. Every dataset is allocated when the file is created (sizes
/// follow from the inputs), so later writes never touch metadata; a toy's row is
/// written and flushed before its status flag, so a killed run never leaves a toy
/// that looks complete but is not, and `--resume` runs only toys whose flag is 0.
///
///   /meta/config, /meta/config_hash, /meta/complete      what was run; 1 when finished
///   /spectrum/edges [B+1], /spectrum/counts [B]           GeV, events
///   /fit/...  /alternative/...                            chosen fit of each family
///   /ftest/..., /ftest_alternative/...                    one row per candidate
///   /scan/mass, sigma, yield, yield_error, q0, z_signed, p_local, asimov_z, failure  [S]
///   /limits/observed [S], expected [S×5], toy_observed [S], failure [S]
///   /toys/z_max [N], arg_max [N], z_scan [N×S], status [N] (0 pending, 1 done, 2 fits failed)
///   /global/...                                           look-elsewhere summary
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/hdf5_file.hpp"

namespace cwola::store {

/// Sizes of the file's datasets.
struct FitOutputLayout {
  std::size_t bins = 0;
  std::size_t params = 0;              ///< of the chosen primary fit
  std::size_t alternative_params = 0;  ///< 0: no alternative fit
  std::size_t ftest_rows = 0;
  std::size_t alternative_ftest_rows = 0;
  std::size_t scan_points = 0;
  std::size_t toys = 0;
};

/// One fitted background, as plain numbers.
struct FitRecord {
  std::string family;
  bool converged = false;
  std::string failure;
  std::vector<double> theta;
  std::vector<double> covariance;  ///< [P×P]
  std::vector<double> background;  ///< [B]
  double pearson_chi2 = 0.0;
  double deviance = 0.0;
  std::int64_t ndf = 0;
};

/// The F-test table as columns.
struct FtestTable {
  std::vector<std::string> family;
  std::vector<std::int64_t> n_params;
  std::vector<std::int8_t> converged;
  std::vector<double> pearson_chi2;
  std::vector<double> deviance;
  std::vector<std::int64_t> ndf;
  std::vector<double> f_statistic;
  std::vector<double> p_value;
  std::vector<double> fractional_uncertainty;
  std::vector<std::int8_t> chosen;
  std::vector<std::string> note;
};

class FitOutput {
 public:
  /// Collective. Creates (truncating) `path` with every dataset of `layout`.
  static FitOutput create(MPI_Comm comm, const std::string& path, const FitOutputLayout& layout,
                          const std::string& config);
  /// Collective. Opens a file for --resume; InputError unless it was written by the
  /// same configuration (hash of `config`) with the same layout.
  static FitOutput resume(MPI_Comm comm, const std::string& path, const FitOutputLayout& layout,
                          const std::string& config);

  /// Rank 0 only (independent writes).
  void write_spectrum(const std::vector<double>& edges, const std::vector<double>& counts);
  void write_fit(const std::string& group, const FitRecord& fit);
  void write_ftest(const std::string& group, const FtestTable& table, double signal_mass_gev);
  void write_scan(const std::vector<double>& mass, const std::vector<double>& sigma,
                  const std::vector<double>& yield, const std::vector<double>& yield_error,
                  const std::vector<double>& q0, const std::vector<double>& z_signed,
                  const std::vector<double>& p_local, const std::vector<double>& asimov_z,
                  const std::vector<std::string>& failure);
  void write_limits(const std::vector<double>& observed, const std::vector<double>& expected,
                    const std::vector<std::string>& failure);
  /// Any rank: toy-CLs limit of one scan point.
  void write_toy_limit(std::size_t point, double observed);
  /// Any rank: a toy's results (its status stays 0 until write_toy_status).
  void write_toy(std::size_t toy, double z_max, std::int64_t arg_max,
                 const std::vector<double>& z_scan);
  /// Any rank: status 1 (done) or 2 (done, fits failed), after a flush of its row.
  void write_toy_status(std::size_t toy, std::int8_t status);
  std::vector<std::int8_t> read_toy_status() const;
  std::vector<double> read_toy_z_max() const;
  /// Rank 0: the look-elsewhere summary (names and values) and the completion flag.
  void write_global(const std::vector<std::string>& names, const std::vector<double>& values);
  void write_complete(bool complete);
  /// Collective.
  void flush() { file_.flush(); }
  void close() { file_.close(); }
  const std::string& path() const { return file_.path(); }

 private:
  explicit FitOutput(Hdf5File file) : file_(std::move(file)) {}
  Hdf5File file_;
};

}  // namespace cwola::store
