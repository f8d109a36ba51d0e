/// `cwola fit`: fits a smooth background to a mass spectrum, chooses its number of
/// parameters by the F-test, scans the local significance of a resonance, sets
/// CLs limits and runs background-only toys for the look-elsewhere effect (farmed
/// over MPI ranks, resumable). Everything goes into one HDF5 file (store/fit_output),
/// the plots are made from that file. Exit codes: 0 done, 2 input rejected,
/// 3 toys left for --resume (--toys-this-run), 4 done but a fit failed.
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <unistd.h>

#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/seed.hpp"
#include "core/text.hpp"
#include "report/plot_runner.hpp"
#include "stats/ftest.hpp"
#include "stats/limits.hpp"
#include "stats/significance.hpp"
#include "stats/toys.hpp"
#include "store/fit_output.hpp"
#include "store/table_reader.hpp"

namespace cwola::app {

namespace {
namespace po = boost::program_options;
/// Toy-CLs streams use task ids above any look-elsewhere toy id (distinct streams).
constexpr std::uint64_t kToyClsTaskOffset = 1ULL << 40U;

struct FitCommandOptions {
  std::string csv;
  std::string histogram;
  std::string events;
  std::string output;
  // CSV reading
  std::string counts_from = "value";
  double scale = 1.0;
  std::string edges_from = "widths";
  double min_mass = 0.0;
  double max_mass = 0.0;
  // HDF5 histogram / event table
  std::string group = "/";
  std::string mass_column;
  std::vector<std::string> selections;
  std::string binning;
  // background
  std::string family = "dijet";
  std::string alternative = "ua2";
  double sqrt_s = 13000.0;
  int params = 0;  // 0 = F-test
  std::string chi2 = "deviance";
  double min_count = 0.0;
  double signal_mass = 0.0;
  int starts = 3;
  // signal
  std::string signal = "gaussian";
  std::string widths = "0.05";
  std::string crystal_ball = "1.0,2.0,2.0,2.0";
  std::string template_path;
  std::string masses;
  double inject_yield = 0.0;
  // limits and toys
  bool no_limits = false;
  double cl = 0.95;
  int toy_cls = 0;
  int toys = 0;
  int toys_this_run = 0;
  std::uint64_t seed = 1;
  bool resume = false;
  bool overwrite = false;
  bool no_plots = false;
};

std::vector<double> parse_list(const std::string& text, const std::string& key) {
  std::vector<double> values;
  for (const auto& piece : core::split(text, ',')) {
    try {
      std::size_t used = 0;
      values.push_back(std::stod(piece, &used));
      if (used != piece.size()) throw std::invalid_argument(piece);
    } catch (const std::exception&) {
      throw core::InputError("--" + key, key, text, "expected comma-separated numbers");
    }
  }
  return values;
}

/// LO:HI:N → N + 1 uniform edges (or N points when `points`).
std::vector<double> parse_range(const std::string& text, const std::string& key, bool points) {
  const auto parts = core::split(text, ':');
  if (parts.size() != 3) throw core::InputError("--" + key, key, text, "expected LO:HI:N");
  const auto lo_hi = parse_list(parts[0] + "," + parts[1], key);
  int n = 0;
  try {
    n = std::stoi(parts[2]);
  } catch (const std::exception&) {
    n = 0;
  }
  if (n < 1 || !(lo_hi[1] > lo_hi[0])) {
    throw core::InputError("--" + key, key, text, "need LO < HI and N >= 1");
  }
  std::vector<double> out;
  const int count = points ? n : n + 1;
  for (int i = 0; i < count; ++i) {
    out.push_back(count == 1 ? lo_hi[0] : lo_hi[0] + (lo_hi[1] - lo_hi[0]) * i / (count - 1));
  }
  return out;
}

stats::Histogram read_input(const FitCommandOptions& o) {
  const int sources = !o.csv.empty() + !o.histogram.empty() + !o.events.empty();
  if (sources != 1) {
    throw core::InputError("cwola fit", "input", std::to_string(sources) + " given",
                           "give exactly one of --csv, --histogram, --events");
  }
  if (!o.csv.empty()) {
    stats::CsvSpectrumOptions csv;
    if (o.counts_from == "value") {
      csv.counts_from = stats::CountsFrom::kValue;
    } else if (o.counts_from == "scale") {
      csv.counts_from = stats::CountsFrom::kScale;
    } else if (o.counts_from == "errors") {
      csv.counts_from = stats::CountsFrom::kErrors;
    } else {
      throw core::InputError("--counts", "counts", o.counts_from, "use value, scale or errors");
    }
    csv.scale = o.scale;
    if (o.edges_from != "widths" && o.edges_from != "midpoints") {
      throw core::InputError("--edges", "edges", o.edges_from, "use widths or midpoints");
    }
    csv.edges_from = o.edges_from == "widths" ? stats::EdgesFrom::kWidths : stats::EdgesFrom::kMidpoints;
    csv.min_mass_gev = o.min_mass;
    csv.max_mass_gev = o.max_mass;
    return stats::read_csv_spectrum(o.csv, csv);
  }
  if (!o.histogram.empty()) {
    store::Hdf5Reader file(o.histogram, "histogram");
    const std::string prefix = o.group == "/" ? "/" : o.group + "/";
    stats::Histogram h;
    h.edges = file.read_numeric(prefix + "edges");
    h.counts = file.read_numeric(prefix + "counts");
    h.validate(o.histogram);
    return h;
  }
  if (o.mass_column.empty() || o.binning.empty()) {
    throw core::InputError("--events", "mass-column/binning", o.mass_column,
                           "an event table needs --mass-column and --binning LO:HI:N");
  }
  store::TableReadOptions table;
  table.table = o.group;
  table.columns = {o.mass_column};
  struct Cut {
    std::string column;
    double low;
    double high;
  };
  std::vector<Cut> cuts;
  for (const auto& selection : o.selections) {
    const auto parts = core::split(selection, ':');
    if (parts.size() != 3) {
      throw core::InputError("--select", "select", selection, "expected COLUMN:LOW:HIGH");
    }
    const auto bounds = parse_list(parts[1] + "," + parts[2], "select");
    cuts.push_back({parts[0], bounds[0], bounds[1]});
    table.columns.push_back(parts[0]);
  }
  table.bad_rows = store::BadRows::kError;
  table.origin = "--events";
  const auto t = store::read_table(o.events, table);
  const std::size_t width = t.columns.size();
  std::vector<double> masses;
  for (std::size_t r = 0; r < t.rows; ++r) {
    bool keep = true;
    for (std::size_t c = 0; c < cuts.size(); ++c) {
      const double v = t.values[r * width + 1 + c];
      keep = keep && v >= cuts[c].low && v < cuts[c].high;
    }
    if (keep) masses.push_back(t.values[r * width]);
  }
  auto h = stats::fill_histogram(parse_range(o.binning, "binning", false), masses);
  h.validate(o.events);
  core::log_info("event table " + o.events + ": " + std::to_string(t.rows) + " rows, " +
                 std::to_string(masses.size()) + " pass the selection, " +
                 core::format_double(h.total()) + " inside the binning");
  return h;
}

store::FitRecord record_of(const stats::FitResult& fit, const stats::GoodnessOfFit& gof) {
  store::FitRecord r;
  r.family = fit.family;
  r.converged = fit.converged;
  r.failure = fit.failure_reason;
  r.theta = fit.theta;
  r.covariance = fit.covariance;
  r.background = fit.background;
  r.pearson_chi2 = gof.pearson_chi2;
  r.deviance = gof.deviance;
  r.ndf = gof.ndf;
  return r;
}

store::FtestTable table_of(const stats::FtestResult& result) {
  store::FtestTable t;
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    const auto& row = result.rows[i];
    t.family.push_back(row.fit.family);
    t.n_params.push_back(row.n_params);
    t.converged.push_back(row.fit.converged ? 1 : 0);
    t.pearson_chi2.push_back(row.goodness.pearson_chi2);
    t.deviance.push_back(row.goodness.deviance);
    t.ndf.push_back(row.goodness.ndf);
    t.f_statistic.push_back(row.f_statistic);
    t.p_value.push_back(row.p_value);
    t.fractional_uncertainty.push_back(row.fractional_uncertainty);
    t.chosen.push_back(result.chosen_params > 0 && i == result.chosen_row ? 1 : 0);
    t.note.push_back(row.note);
  }
  return t;
}

/// F-test over the candidates, or a single candidate when --params is fixed.
stats::FtestResult choose_fit(const stats::Histogram& h, stats::FamilyKind kind,
                              const FitCommandOptions& o, const stats::FitOptions& fit_options) {
  stats::FtestOptions f;
  f.kind = kind;
  f.sqrt_s_gev = o.sqrt_s;
  if (o.params != 0) {
    if (o.params + 1 > static_cast<int>(h.bins())) {
      throw core::InputError("spectrum", "bins", std::to_string(h.bins()),
                             "fewer bins than --params " + std::to_string(o.params) +
                                 " + 1 (nothing left to test the fit); use fewer parameters");
    }
    f.min_params = o.params;
    f.max_params = o.params;
  }
  f.max_params = std::min<int>(f.max_params, static_cast<int>(h.bins()) - 1);
  f.min_params = std::min(f.min_params, f.max_params);
  if (f.max_params < 2) {
    throw core::InputError("spectrum", "bins", std::to_string(h.bins()),
                           "fewer bins than parameters: a fit needs at least 3 bins");
  }
  f.min_count = o.min_count;
  f.signal_mass_gev = o.signal_mass;
  f.chi2 = o.chi2 == "deviance" ? stats::FtestChi2::kDeviance : stats::FtestChi2::kPearson;
  return stats::run_ftest(h, f, fit_options);
}

std::string config_text(const FitCommandOptions& o, const stats::Histogram& h) {
  std::ostringstream text;
  std::ostringstream data;
  for (double e : h.edges) data << core::format_double(e) << ",";
  data << ";";
  for (double c : h.counts) data << core::format_double(c) << ",";
  text << "spectrum_hash=" << core::hash_hex(data.str()) << "\nfamily=" << o.family
       << "\nalternative=" << o.alternative << "\nsqrt_s=" << o.sqrt_s << "\nparams=" << o.params
       << "\nchi2=" << o.chi2 << "\nmin_count=" << o.min_count << "\nsignal_mass=" << o.signal_mass
       << "\nstarts=" << o.starts << "\nsignal=" << o.signal << "\nwidths=" << o.widths
       << "\ncrystal_ball=" << o.crystal_ball << "\ntemplate=" << o.template_path
       << "\nmasses=" << o.masses << "\ninject_yield=" << o.inject_yield
       << "\nlimits=" << !o.no_limits << "\ncl=" << o.cl << "\ntoy_cls=" << o.toy_cls
       << "\ntoys=" << o.toys << "\nseed=" << o.seed << "\n";
  return text.str();
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}
}  // namespace

int fit_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  FitCommandOptions o;
  po::options_description options(
      "Usage: cwola fit (--csv FILE | --histogram FILE | --events FILE) --output FIT.h5 [options]\n"
      "Background fit + F-test, local significance scan, CLs limits, look-elsewhere toys");
  options.add_options()("help,h", "show this help")
      ("csv", po::value(&o.csv), "CSV spectrum: mass_center,value,err_up,err_down,bin_width")
      ("histogram", po::value(&o.histogram), "HDF5 histogram: datasets edges [B+1] and counts [B] (in --group)")
      ("events", po::value(&o.events), "HDF5 event table (store/table_reader layout, in --group)")
      ("output,o", po::value(&o.output), "output HDF5 file")
      ("counts", po::value(&o.counts_from)->default_value("value"),
       "CSV value → events: value (counts given), scale (value × --scale × width), errors ((value/error)²)")
      ("scale", po::value(&o.scale)->default_value(1.0), "events per (value × GeV of bin width), e.g. 137 for pb/TeV at 137 fb⁻¹")
      ("edges", po::value(&o.edges_from)->default_value("widths"), "CSV bin edges: widths (centre ± width/2) or midpoints")
      ("min-mass", po::value(&o.min_mass)->default_value(0.0), "drop CSV bins with centre below (GeV)")
      ("max-mass", po::value(&o.max_mass)->default_value(0.0), "drop CSV bins with centre above (GeV; 0 = none)")
      ("group", po::value(&o.group)->default_value("/"), "group of the histogram or event table")
      ("mass-column", po::value(&o.mass_column), "event table: the mass column (GeV)")
      ("select", po::value(&o.selections)->composing(), "event table: keep COLUMN in [LOW, HIGH) (repeatable)")
      ("binning", po::value(&o.binning), "event table: LO:HI:N uniform bins (GeV)")
      ("family", po::value(&o.family)->default_value("dijet"), "background family: dijet or ua2")
      ("alternative", po::value(&o.alternative)->default_value("ua2"), "family for the bias check (none to skip)")
      ("sqrt-s", po::value(&o.sqrt_s)->default_value(13000.0), "√s in GeV (x = m/√s)")
      ("params", po::value(&o.params)->default_value(0), "fix the number of parameters (2-5); 0 = F-test")
      ("chi2", po::value(&o.chi2)->default_value("deviance"), "χ² of the F-test: deviance or pearson")
      ("min-count", po::value(&o.min_count)->default_value(0.0), "merge bins to >= this many events for χ² (0: all bins)")
      ("signal-mass", po::value(&o.signal_mass)->default_value(0.0), "mass of the F-test's uncertainty check (GeV; 0 = geometric mid-range)")
      ("starts", po::value(&o.starts)->default_value(3), "starting points per fit")
      ("signal", po::value(&o.signal)->default_value("gaussian"), "signal shape: gaussian, crystal_ball, template")
      ("widths", po::value(&o.widths)->default_value("0.05"), "signal σ as fractions of the mass (comma list)")
      ("crystal-ball", po::value(&o.crystal_ball)->default_value("1.0,2.0,2.0,2.0"), "alpha_low,n_low,alpha_high,n_high")
      ("template", po::value(&o.template_path), "signal template HDF5 (edges, counts)")
      ("masses", po::value(&o.masses), "scan masses LO:HI:N (GeV); default every bin centre but the outer two each side")
      ("inject-yield", po::value(&o.inject_yield)->default_value(0.0), "also store the Asimov z of this many signal events")
      ("no-limits", po::bool_switch(&o.no_limits), "skip the CLs limits")
      ("cl", po::value(&o.cl)->default_value(0.95), "confidence level of the limits")
      ("toy-cls", po::value(&o.toy_cls)->default_value(0), "also toy CLs limits with this many toys per mass (background fixed)")
      ("toys", po::value(&o.toys)->default_value(0), "background-only toys for the look-elsewhere effect")
      ("toys-this-run", po::value(&o.toys_this_run)->default_value(0), "stop after this many new toys (exit 3; finish with --resume)")
      ("seed", po::value(&o.seed)->default_value(1), "master seed of the toys")
      ("resume", po::bool_switch(&o.resume), "continue the toys of an existing output")
      ("overwrite", po::bool_switch(&o.overwrite), "replace an existing output")
      ("no-plots", po::bool_switch(&o.no_plots), "do not make the plots");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(arguments).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw core::InputError(std::string("cwola fit: ") + e.what() + " (see 'cwola fit --help')");
  }
  if (vm.count("help") != 0) {
    if (mpi.rank() == 0) std::cout << options;
    return 0;
  }
  if (o.output.empty()) throw core::InputError("cwola fit: --output FILE.h5 is missing");
  if (o.resume && o.overwrite) {
    throw core::InputError("cwola fit", "--resume/--overwrite", "both", "choose one");
  }
  if (!o.resume && !o.overwrite && access(o.output.c_str(), F_OK) == 0) {
    throw core::InputError(o.output, "--output", o.output,
                           "exists; use --resume to finish its toys or --overwrite to replace it");
  }
  if (o.resume && access(o.output.c_str(), F_OK) != 0) {
    throw core::InputError(o.output, "--resume", o.output, "no such output to resume");
  }
  if (o.toys < 0 || o.toy_cls < 0 || o.toys_this_run < 0) {
    throw core::InputError("cwola fit", "--toys", std::to_string(o.toys), "counts must be >= 0");
  }
  if (!(o.cl > 0.0 && o.cl < 1.0)) {
    throw core::InputError("--cl", "cl", core::format_double(o.cl), "must lie in (0, 1)");
  }
  if (o.chi2 != "pearson" && o.chi2 != "deviance") {
    throw core::InputError("--chi2", "chi2", o.chi2, "use pearson or deviance");
  }

  // Every rank reads and fits (deterministic, cheap): the toys need the nominal fit.
  const stats::Histogram histogram = read_input(o);
  const auto kind = stats::parse_family(o.family, "--family");
  stats::FitOptions fit_options;
  fit_options.starts = o.starts;
  const auto ftest = choose_fit(histogram, kind, o, fit_options);
  if (mpi.rank() == 0) {
    std::cout << "\nF-test, " << o.family << " family (χ² = " << o.chi2 << " over "
              << (o.min_count > 0 ? "bins merged to >= " + core::format_double(o.min_count) + " events" : "all bins")
              << "; parameters counted with the normalisation)\n"
              << stats::format_ftest_table(ftest) << std::flush;
  }
  if (ftest.chosen_params == 0) {
    throw core::InputError(histogram.bins() > 0 ? "spectrum" : "", "fit", "no candidate converged",
                           "every background fit failed (see the table); check the spectrum");
  }
  const auto& chosen_row = ftest.rows[ftest.chosen_row];
  const stats::FitResult& background_fit = chosen_row.fit;
  stats::BinnedFitter fitter(histogram, {kind, ftest.chosen_params, o.sqrt_s}, fit_options);

  stats::FtestResult alternative;
  const bool has_alternative = o.alternative != "none";
  if (has_alternative) {
    alternative = choose_fit(histogram, stats::parse_family(o.alternative, "--alternative"), o, fit_options);
    if (mpi.rank() == 0) {
      std::cout << "\nF-test, " << o.alternative << " family (bias check)\n"
                << stats::format_ftest_table(alternative) << std::flush;
    }
  }

  // Signal hypotheses.
  stats::SignalShape prototype;
  prototype.kind = stats::parse_shape(o.signal, "--signal");
  std::vector<stats::ScanPoint> points;
  if (prototype.kind == stats::ShapeKind::kTemplate) {
    if (o.template_path.empty()) throw core::InputError("--template", "template", "", "the template signal needs --template FILE");
    store::Hdf5Reader file(o.template_path, "signal template");
    prototype.template_edges = file.read_numeric("edges");
    prototype.template_counts = file.read_numeric("counts");
    prototype.validate(o.template_path);
    double sum = 0.0;
    double sum_m = 0.0;
    for (std::size_t i = 0; i < prototype.template_counts.size(); ++i) {
      const double m = 0.5 * (prototype.template_edges[i] + prototype.template_edges[i + 1]);
      sum += prototype.template_counts[i];
      sum_m += prototype.template_counts[i] * m;
    }
    points.push_back({sum_m / sum, 0.0});
  } else {
    const auto tails = parse_list(o.crystal_ball, "crystal-ball");
    if (tails.size() != 4) throw core::InputError("--crystal-ball", "crystal-ball", o.crystal_ball, "need 4 numbers");
    prototype.tails = {tails[0], tails[1], tails[2], tails[3]};
    const auto widths = parse_list(o.widths, "widths");
    std::vector<double> masses;
    if (!o.masses.empty()) {
      masses = parse_range(o.masses, "masses", true);
    } else {
      for (std::size_t i = 2; i + 2 < histogram.bins(); ++i) masses.push_back(histogram.centre(i));
    }
    for (double w : widths) {
      if (!(w > 0.0)) throw core::InputError("--widths", "widths", o.widths, "widths must be > 0");
      for (double m : masses) {
        points.push_back({m, w * m});
        stats::shape_at(prototype, points.back()).validate("--signal at " + core::format_double(m) + " GeV");
      }
    }
  }

  store::FitOutputLayout layout;
  layout.bins = histogram.bins();
  layout.params = static_cast<std::size_t>(ftest.chosen_params);
  layout.alternative_params = has_alternative ? static_cast<std::size_t>(alternative.chosen_params) : 0;
  layout.ftest_rows = ftest.rows.size();
  layout.alternative_ftest_rows = has_alternative ? alternative.rows.size() : 0;
  layout.scan_points = points.size();
  layout.toys = static_cast<std::size_t>(o.toys);
  const std::string config = config_text(o, histogram);
  auto output = o.resume ? store::FitOutput::resume(mpi.comm(), o.output, layout, config)
                         : store::FitOutput::create(mpi.comm(), o.output, layout, config);

  // Rank 0: observed scan and limits (every rank could; one writes).
  bool any_failed = false;
  stats::LocalScan scan;
  if (mpi.rank() == 0) {
    output.write_complete(false);
    output.write_spectrum(histogram.edges, histogram.counts);
    output.write_fit("/fit", record_of(background_fit, chosen_row.goodness));
    output.write_ftest("/ftest", table_of(ftest), ftest.signal_mass_gev);
    if (has_alternative && alternative.chosen_params > 0) {
      const auto& row = alternative.rows[alternative.chosen_row];
      output.write_fit("/alternative", record_of(row.fit, row.goodness));
      output.write_ftest("/ftest_alternative", table_of(alternative), alternative.signal_mass_gev);
      double worst = 0.0;
      std::size_t at = 0;
      for (std::size_t i = 0; i < histogram.bins(); ++i) {
        const double pull = std::fabs(row.fit.background[i] - background_fit.background[i]) /
                            std::sqrt(std::max(background_fit.background[i], 1.0));
        if (pull > worst) {
          worst = pull;
          at = i;
        }
      }
      std::cout << "bias check: " << row.fit.family << " vs " << background_fit.family
                << ": largest difference " << std::setprecision(3) << worst
                << " statistical σ, at " << histogram.centre(at) << " GeV\n";
    }
    scan = stats::scan_local_significance(fitter, background_fit, prototype, points);
    std::vector<double> mass;
    std::vector<double> sigma;
    std::vector<double> asimov(points.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t p = 0; p < points.size(); ++p) {
      mass.push_back(points[p].mass_gev);
      sigma.push_back(points[p].sigma_gev);
      if (!scan.failure[p].empty()) any_failed = true;
      if (o.inject_yield > 0.0) {
        const auto s = stats::shape_at(prototype, points[p]).bin_fractions(histogram.edges);
        std::vector<double> data(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) data[i] = background_fit.background[i] + o.inject_yield * s[i];
        stats::BinnedFitter asimov_fitter = fitter;
        asimov_fitter.set_counts(data);
        const auto b_fit = asimov_fitter.fit_background(background_fit.theta);
        const auto a_scan = stats::scan_local_significance(asimov_fitter, b_fit, prototype, {points[p]});
        asimov[p] = a_scan.z_signed[0];
      }
    }
    output.write_scan(mass, sigma, scan.yield, scan.yield_error, scan.q0, scan.z_signed,
                      scan.p_local, asimov, scan.failure);
    if (!o.no_limits) {
      std::vector<double> observed;
      std::vector<double> expected;
      std::vector<std::string> failure;
      for (const auto& point : points) {
        const auto s = stats::shape_at(prototype, point).bin_fractions(histogram.edges);
        const auto limit = stats::asymptotic_cls_limit(fitter, background_fit, s, 1.0 - o.cl);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        observed.push_back(limit.ok ? limit.observed : nan);
        for (double e : limit.expected) expected.push_back(limit.ok ? e : nan);
        failure.push_back(limit.failure);
        any_failed = any_failed || !limit.ok;
      }
      output.write_limits(observed, expected, failure);
    }
    std::size_t best = 0;
    for (std::size_t p = 0; p < points.size(); ++p) {
      if (scan.z_signed[p] > scan.z_signed[best] || std::isnan(scan.z_signed[best])) best = p;
    }
    if (!points.empty()) {
      std::cout << "local scan: " << points.size() << " hypotheses; largest excess z = "
                << std::setprecision(3) << scan.z_signed[best] << " (p = " << scan.p_local[best]
                << ") at " << std::setprecision(5) << points[best].mass_gev << " GeV, σ = "
                << points[best].sigma_gev << " GeV\n" << std::flush;
    }
  }
  output.flush();

  // Toy CLs: scan points farmed over ranks (background held at the fit).
  if (o.toy_cls > 0 && !o.no_limits) {
    for (std::size_t p = static_cast<std::size_t>(mpi.rank()); p < points.size(); p += static_cast<std::size_t>(mpi.size())) {
      const auto s = stats::shape_at(prototype, points[p]).bin_fractions(histogram.edges);
      const auto limit = stats::toy_cls_limit(histogram.counts, background_fit.background, s, o.toy_cls,
                                              core::stream_seed(o.seed, kToyClsTaskOffset + p, core::SeedPurpose::kPseudoExperiment), 1.0 - o.cl);
      output.write_toy_limit(p, limit.ok ? limit.observed : std::numeric_limits<double>::quiet_NaN());
    }
    output.flush();
  }

  // Look-elsewhere toys: pending ids in blocks over ranks; row → flush → status → flush.
  bool toys_complete = true;
  if (o.toys > 0 && !points.empty()) {
    auto status = output.read_toy_status();
    std::vector<std::size_t> pending;
    for (std::size_t t = 0; t < status.size(); ++t) {
      if (status[t] == 0) pending.push_back(t);
    }
    const std::size_t already = static_cast<std::size_t>(o.toys) - pending.size();
    if (o.toys_this_run > 0 && pending.size() > static_cast<std::size_t>(o.toys_this_run)) {
      pending.resize(static_cast<std::size_t>(o.toys_this_run));
    }
    core::log_info("toys: " + std::to_string(already) + " of " + std::to_string(o.toys) +
                   " done before, running " + std::to_string(pending.size()) + " on " +
                   std::to_string(mpi.size()) + " rank(s)");
    const std::size_t block = 8;
    const std::size_t per_round = block * static_cast<std::size_t>(mpi.size());
    stats::FitOptions toy_options = fit_options;
    toy_options.starts = 1;
    stats::BinnedFitter toy_fitter(histogram, {kind, ftest.chosen_params, o.sqrt_s}, toy_options);
    const auto started = std::chrono::steady_clock::now();
    auto last_log = started;
    for (std::size_t first = 0; first < pending.size(); first += per_round) {
      std::vector<std::pair<std::size_t, std::int8_t>> mine;
      const std::size_t begin = first + block * static_cast<std::size_t>(mpi.rank());
      for (std::size_t k = begin; k < std::min(begin + block, pending.size()); ++k) {
        const std::size_t id = pending[k];
        const auto toy = stats::run_background_toy(toy_fitter, background_fit.background, background_fit.theta,
                                                   prototype, points, stats::toy_seed(o.seed, id));
        output.write_toy(id, toy.z_max, static_cast<std::int64_t>(toy.arg_max), toy.z_signed);
        mine.emplace_back(id, toy.ok ? 1 : 2);
      }
      output.flush();
      for (const auto& [id, flag] : mine) output.write_toy_status(id, flag);
      output.flush();
      const auto now = std::chrono::steady_clock::now();
      const std::size_t done = std::min(first + per_round, pending.size());
      if (std::chrono::duration<double>(now - last_log).count() > 10.0 || done == pending.size()) {
        const double seconds = std::chrono::duration<double>(now - started).count();
        const double rate = static_cast<double>(done) / std::max(seconds, 1e-9);
        std::ostringstream line;
        line << "toys: " << already + done << "/" << o.toys << " done (" << std::setprecision(3) << rate
             << " toys/s on " << mpi.size() << " rank(s)), ETA "
             << std::setprecision(3) << static_cast<double>(pending.size() - done) / rate << " s";
        core::log_info(line.str());
        last_log = now;
      }
    }
    status = output.read_toy_status();
    std::size_t failed_toys = 0;
    for (auto s : status) {
      toys_complete = toys_complete && s != 0;
      failed_toys += s == 2 ? 1 : 0;
    }
    if (toys_complete && mpi.rank() == 0) {
      const auto z_max = output.read_toy_z_max();
      std::vector<double> usable;
      for (std::size_t t = 0; t < z_max.size(); ++t) {
        if (status[t] == 1) usable.push_back(z_max[t]);
      }
      double observed = -std::numeric_limits<double>::infinity();
      for (double z : scan.z_signed) {
        if (!std::isnan(z)) observed = std::max(observed, z);
      }
      const auto g = stats::global_significance(observed, usable);
      output.write_global({"toys", "failed_toys", "exceeding", "z_local", "p_local", "p_global",
                           "p_global_error", "z_global"},
                          {static_cast<double>(g.toys), static_cast<double>(failed_toys),
                           static_cast<double>(g.exceeding), g.z_local, g.p_local, g.p_global,
                           g.p_global_error, g.z_global});
      std::cout << "look-elsewhere: " << g.exceeding << " of " << g.toys
                << " background-only toys have a larger excess (" << failed_toys
                << " toys with failed fits excluded): p_global = " << std::setprecision(4) << g.p_global
                << " ± " << g.p_global_error << ", z_global = " << g.z_global
                << ", trials factor = " << g.trials_factor << "\n" << std::flush;
    }
  }
  if (mpi.rank() == 0) output.write_complete(toys_complete);
  output.flush();
  output.close();
  if (!toys_complete) {
    core::log_warning("toys unfinished; run the same command with --resume to finish them");
    return static_cast<int>(core::ExitCode::kInterrupted);
  }
  if (mpi.rank() == 0 && !o.no_plots) {
    const std::string out_dir = directory_of(o.output);
    const int plot_status = report::make_fit_plots(o.output, out_dir);
    if (plot_status != 0) {
      core::log_warning("plot script failed (exit " + std::to_string(plot_status) +
                        "); retry with: " + report::fit_plot_command(o.output, out_dir));
    }
  }
  if (any_failed) {
    core::log_warning("some fits failed (see /scan/failure, /limits/failure)");
    return static_cast<int>(core::ExitCode::kTasksFailed);
  }
  return 0;
}

}  // namespace cwola::app
