#include "store/fit_output.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/text.hpp"

namespace cwola::store {

namespace {
constexpr std::size_t kNoteLength = 160;
constexpr std::size_t kGlobalEntries = 8;

void create_ftest(Hdf5File& file, const std::string& group, std::size_t rows) {
  file.create_group(group);
  const hsize_t r = rows;
  file.create_dataset(group + "/family", ColumnType::kString, {r}, 16);
  file.create_dataset(group + "/n_params", ColumnType::kInt64, {r});
  file.create_dataset(group + "/converged", ColumnType::kInt8, {r});
  for (const char* name :
       {"pearson_chi2", "deviance", "f_statistic", "p_value", "fractional_uncertainty"}) {
    file.create_dataset(group + "/" + name, ColumnType::kFloat64, {r});
  }
  file.create_dataset(group + "/ndf", ColumnType::kInt64, {r});
  file.create_dataset(group + "/chosen", ColumnType::kInt8, {r});
  file.create_dataset(group + "/note", ColumnType::kString, {r}, kNoteLength);
  file.create_dataset(group + "/signal_mass", ColumnType::kFloat64, {1});
}

void create_fit(Hdf5File& file, const std::string& group, std::size_t params, std::size_t bins) {
  file.create_group(group);
  file.create_dataset(group + "/family", ColumnType::kString, {1}, 16);
  file.create_dataset(group + "/converged", ColumnType::kInt8, {1});
  file.create_dataset(group + "/failure", ColumnType::kString, {1}, kNoteLength);
  file.create_dataset(group + "/theta", ColumnType::kFloat64, {params});
  file.create_dataset(group + "/covariance", ColumnType::kFloat64, {params, params});
  file.create_dataset(group + "/background", ColumnType::kFloat64, {bins});
  file.create_dataset(group + "/pearson_chi2", ColumnType::kFloat64, {1});
  file.create_dataset(group + "/deviance", ColumnType::kFloat64, {1});
  file.create_dataset(group + "/ndf", ColumnType::kInt64, {1});
}

std::string clip(const std::string& text) { return text.substr(0, kNoteLength - 1); }
}  // namespace

FitOutput FitOutput::create(MPI_Comm comm, const std::string& path, const FitOutputLayout& layout,
                            const std::string& config) {
  Hdf5File file(comm, path, Hdf5File::Mode::kCreate);
  const hsize_t B = layout.bins;
  const hsize_t S = std::max<std::size_t>(layout.scan_points, 1);
  const hsize_t N = std::max<std::size_t>(layout.toys, 1);
  file.create_group("/meta");
  file.create_dataset("/meta/config", ColumnType::kString, {1}, config.size() + 1);
  file.create_dataset("/meta/config_hash", ColumnType::kString, {1}, 17);
  file.create_dataset("/meta/complete", ColumnType::kInt8, {1});
  file.create_dataset("/meta/layout", ColumnType::kInt64, {7});
  file.create_group("/spectrum");
  file.create_dataset("/spectrum/edges", ColumnType::kFloat64, {B + 1});
  file.create_dataset("/spectrum/counts", ColumnType::kFloat64, {B});
  create_fit(file, "/fit", layout.params, B);
  create_ftest(file, "/ftest", layout.ftest_rows);
  if (layout.alternative_params > 0) {
    create_fit(file, "/alternative", layout.alternative_params, B);
    create_ftest(file, "/ftest_alternative", layout.alternative_ftest_rows);
  }
  file.create_group("/scan");
  for (const char* name :
       {"mass", "sigma", "yield", "yield_error", "q0", "z_signed", "p_local", "asimov_z"}) {
    file.create_dataset(std::string("/scan/") + name, ColumnType::kFloat64, {S});
  }
  file.create_dataset("/scan/failure", ColumnType::kString, {S}, kNoteLength);
  file.create_group("/limits");
  file.create_dataset("/limits/observed", ColumnType::kFloat64, {S});
  file.create_dataset("/limits/expected", ColumnType::kFloat64, {S, 5});
  file.create_dataset("/limits/toy_observed", ColumnType::kFloat64, {S});
  file.create_dataset("/limits/failure", ColumnType::kString, {S}, kNoteLength);
  file.create_group("/toys");
  file.create_dataset("/toys/z_max", ColumnType::kFloat64, {N});
  file.create_dataset("/toys/arg_max", ColumnType::kInt64, {N});
  file.create_dataset("/toys/z_scan", ColumnType::kFloat64, {N, S});
  file.create_dataset("/toys/status", ColumnType::kInt8, {N});
  file.create_group("/global");
  file.create_dataset("/global/name", ColumnType::kString, {kGlobalEntries}, 32);
  file.create_dataset("/global/value", ColumnType::kFloat64, {kGlobalEntries});
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    file.write_strings("/meta/config", 0, {config});
    file.write_strings("/meta/config_hash", 0, {core::hash_hex(config)});
    file.write_int64s(
        "/meta/layout", 0,
        {static_cast<std::int64_t>(layout.bins), static_cast<std::int64_t>(layout.params),
         static_cast<std::int64_t>(layout.alternative_params),
         static_cast<std::int64_t>(layout.ftest_rows),
         static_cast<std::int64_t>(layout.alternative_ftest_rows),
         static_cast<std::int64_t>(layout.scan_points), static_cast<std::int64_t>(layout.toys)});
  }
  file.flush();
  return FitOutput(std::move(file));
}

FitOutput FitOutput::resume(MPI_Comm comm, const std::string& path, const FitOutputLayout& layout,
                            const std::string& config) {
  Hdf5File file(comm, path, Hdf5File::Mode::kReadWrite);
  if (!file.exists("/meta/config_hash") || !file.exists("/meta/layout")) {
    throw core::InputError(path, "/meta/config_hash", "(missing)",
                           "not a file written by cwola fit; run without --resume");
  }
  const auto stored = file.read_strings("/meta/config_hash");
  const std::string wanted = core::hash_hex(config);
  if (stored.empty() || stored[0] != wanted) {
    throw core::InputError(path, "/meta/config_hash", stored.empty() ? "" : stored[0],
                           "the file was written with other inputs or options (this run's hash "
                           "is " +
                               wanted + "); resume with the same command, or use --overwrite");
  }
  const auto sizes = file.read_int64s("/meta/layout");
  const std::vector<std::int64_t> expected = {
      static_cast<std::int64_t>(layout.bins),
      static_cast<std::int64_t>(layout.params),
      static_cast<std::int64_t>(layout.alternative_params),
      static_cast<std::int64_t>(layout.ftest_rows),
      static_cast<std::int64_t>(layout.alternative_ftest_rows),
      static_cast<std::int64_t>(layout.scan_points),
      static_cast<std::int64_t>(layout.toys)};
  if (sizes != expected) {
    throw core::InputError(path, "/meta/layout", "(differs)",
                           "the same options gave another layout (fits chose differently?); "
                           "use --overwrite");
  }
  return FitOutput(std::move(file));
}

void FitOutput::write_spectrum(const std::vector<double>& edges,
                               const std::vector<double>& counts) {
  file_.write_doubles("/spectrum/edges", 0, edges);
  file_.write_doubles("/spectrum/counts", 0, counts);
}

void FitOutput::write_fit(const std::string& group, const FitRecord& fit) {
  file_.write_strings(group + "/family", 0, {fit.family});
  file_.write_int8s(group + "/converged", 0, {static_cast<std::int8_t>(fit.converged ? 1 : 0)});
  file_.write_strings(group + "/failure", 0, {clip(fit.failure)});
  file_.write_doubles(group + "/theta", 0, fit.theta);
  if (!fit.covariance.empty()) file_.write_doubles(group + "/covariance", 0, fit.covariance);
  file_.write_doubles(group + "/background", 0, fit.background);
  file_.write_doubles(group + "/pearson_chi2", 0, {fit.pearson_chi2});
  file_.write_doubles(group + "/deviance", 0, {fit.deviance});
  file_.write_int64s(group + "/ndf", 0, {fit.ndf});
}

void FitOutput::write_ftest(const std::string& group, const FtestTable& t, double signal_mass_gev) {
  file_.write_strings(group + "/family", 0, t.family);
  file_.write_int64s(group + "/n_params", 0, t.n_params);
  file_.write_int8s(group + "/converged", 0, t.converged);
  file_.write_doubles(group + "/pearson_chi2", 0, t.pearson_chi2);
  file_.write_doubles(group + "/deviance", 0, t.deviance);
  file_.write_int64s(group + "/ndf", 0, t.ndf);
  file_.write_doubles(group + "/f_statistic", 0, t.f_statistic);
  file_.write_doubles(group + "/p_value", 0, t.p_value);
  file_.write_doubles(group + "/fractional_uncertainty", 0, t.fractional_uncertainty);
  file_.write_int8s(group + "/chosen", 0, t.chosen);
  std::vector<std::string> notes;
  for (const auto& note : t.note) notes.push_back(clip(note));
  file_.write_strings(group + "/note", 0, notes);
  file_.write_doubles(group + "/signal_mass", 0, {signal_mass_gev});
}

void FitOutput::write_scan(const std::vector<double>& mass, const std::vector<double>& sigma,
                           const std::vector<double>& yield, const std::vector<double>& yield_error,
                           const std::vector<double>& q0, const std::vector<double>& z_signed,
                           const std::vector<double>& p_local, const std::vector<double>& asimov_z,
                           const std::vector<std::string>& failure) {
  if (mass.empty()) return;
  file_.write_doubles("/scan/mass", 0, mass);
  file_.write_doubles("/scan/sigma", 0, sigma);
  file_.write_doubles("/scan/yield", 0, yield);
  file_.write_doubles("/scan/yield_error", 0, yield_error);
  file_.write_doubles("/scan/q0", 0, q0);
  file_.write_doubles("/scan/z_signed", 0, z_signed);
  file_.write_doubles("/scan/p_local", 0, p_local);
  file_.write_doubles("/scan/asimov_z", 0, asimov_z);
  std::vector<std::string> notes;
  for (const auto& note : failure) notes.push_back(clip(note));
  file_.write_strings("/scan/failure", 0, notes);
}

void FitOutput::write_limits(const std::vector<double>& observed,
                             const std::vector<double>& expected,
                             const std::vector<std::string>& failure) {
  if (observed.empty()) return;
  file_.write_doubles("/limits/observed", 0, observed);
  file_.write_doubles("/limits/expected", 0, expected);
  std::vector<std::string> notes;
  for (const auto& note : failure) notes.push_back(clip(note));
  file_.write_strings("/limits/failure", 0, notes);
}

void FitOutput::write_toy_limit(std::size_t point, double observed) {
  file_.write_doubles("/limits/toy_observed", point, {observed});
}

void FitOutput::write_toy(std::size_t toy, double z_max, std::int64_t arg_max,
                          const std::vector<double>& z_scan) {
  file_.write_doubles("/toys/z_max", toy, {z_max});
  file_.write_int64s("/toys/arg_max", toy, {arg_max});
  file_.write_doubles("/toys/z_scan", toy, z_scan);
}

void FitOutput::write_toy_status(std::size_t toy, std::int8_t status) {
  file_.write_int8s("/toys/status", toy, {status});
}

std::vector<std::int8_t> FitOutput::read_toy_status() const {
  return file_.read_int8s("/toys/status");
}
std::vector<double> FitOutput::read_toy_z_max() const { return file_.read_doubles("/toys/z_max"); }

void FitOutput::write_global(const std::vector<std::string>& names,
                             const std::vector<double>& values) {
  std::vector<std::string> n(names);
  std::vector<double> v(values);
  n.resize(kGlobalEntries);
  v.resize(kGlobalEntries, 0.0);
  file_.write_strings("/global/name", 0, n);
  file_.write_doubles("/global/value", 0, v);
}

void FitOutput::write_complete(bool complete) {
  file_.write_int8s("/meta/complete", 0, {static_cast<std::int8_t>(complete ? 1 : 0)});
}

}  // namespace cwola::store
