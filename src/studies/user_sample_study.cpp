/// Study "user_samples" — CWoLa (or the "idealised anomaly detector": data vs a
/// perfect background template) on users' own files. Class 1 and class 0 are two
/// files, or one file split by a mass window (signal region = 1, sidebands = 0);
/// a network learns class 1 vs 0 and is evaluated on a labelled test file. Besides
/// the common columns (among them the exact maximum SIC above the [metrics] floor) it
/// reports ε_s at a chosen ε_b, read off the stored ROC grid (raise metrics.roc_points for a
/// finer one).
///
/// [user] format (table | spanet), mode (files | windows), class1_file, class0_file,
///        file, test_file, table (group of 1-D columns or 2-D dataset, default "/"),
///        features (column names; for spanet di-Higgs feature names or sets),
///        drop_features (spanet), label_column, mass_column (table files),
///        signal_region (low, high), sidebands (low1, high1, ...), source_group (spanet),
///        bad_rows (error | skip), max_events (per file, 0 = all),
///        (every *_file key takes one path or several, comma-separated, concatenated)
///        target_background_efficiency
/// Files are read while the job is validated (on every rank, before any work), so a
/// wrong path, column or shape is reported up front.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "data/dihiggs_mixing.hpp"
#include "features/dihiggs_features.hpp"
#include "features/spanet_columns.hpp"
#include "store/event_file.hpp"
#include "store/table_reader.hpp"
#include "studies/classifier_study.hpp"
#include "studies/classifier_task.hpp"
#include "studies/dihiggs_common.hpp"
#include "studies/dihiggs_studies.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

namespace {

/// Rows of one file: features, the mass (if asked) and the label (if asked).
struct LoadedRows {
  std::vector<float> features;  ///< row-major
  std::vector<double> mass;
  std::vector<double> label;
  std::size_t rows = 0;
  std::size_t skipped = 0;
};

struct UserSettings {
  std::string format = "table";
  std::string mode = "files";
  data::MassWindows windows;
  std::size_t features = 0;
  data::EventTable mixed;
  data::EventTable test;
  std::size_t skipped = 0;
  double target_background_efficiency = 0.01;
  ClassifierSettings classifier;
};

class FileLoader {
 public:
  explicit FileLoader(core::JobConfig& config) : config_(config) {
    format_ = config.get_choice("user.format", "table", {"table", "spanet"});
    table_ = config.get_string("user.table", "/");
    source_group_ = config.get_string("user.source_group", "Source");
    bad_rows_ = config.get_choice("user.bad_rows", "error", {"error", "skip"}) == "skip"
                    ? store::BadRows::kSkip
                    : store::BadRows::kError;
    max_events_ = static_cast<std::size_t>(config.get_int("user.max_events", 0, 0, 1LL << 40));
    if (format_ == "spanet") {
      selection_ = read_feature_selection(config, "user", "all");
      names_ = selection_.names;
    } else {
      names_ = core::split(config.get_string("user.features", ""), ',');
      if (names_.empty()) {
        config.fail("user.features", "is empty; name the feature columns of the table files");
      }
    }
  }
  const std::string& format() const { return format_; }
  std::size_t feature_count() const { return names_.size(); }

  /// Reads `key`'s file; `mass_column`/`label_column` empty when not needed.
  LoadedRows load(const std::string& key, const std::string& mass_column,
                  const std::string& label_column) {
    const auto paths = core::split(config_.get_string(key, ""), ',');
    if (paths.empty())
      config_.fail(key, "is missing: give the path of an HDF5 file (or several, comma-separated)");
    LoadedRows out;
    for (const auto& path : paths) {
      LoadedRows part;
      try {
        part = format_ == "table" ? load_table(path, key, mass_column, label_column)
                                  : load_spanet(path, label_column);
      } catch (const core::InputError& e) {
        config_.fail(key, e.what());
      }
      if (max_events_ > 0 && part.rows > max_events_) {
        part.rows = max_events_;
        part.features.resize(part.rows * names_.size());
        if (!part.mass.empty()) part.mass.resize(part.rows);
        if (!part.label.empty()) part.label.resize(part.rows);
      }
      if (part.rows == 0) config_.fail(key, "file '" + path + "' gives no usable events");
      check_labels(part, path);
      out.features.insert(out.features.end(), part.features.begin(), part.features.end());
      out.mass.insert(out.mass.end(), part.mass.begin(), part.mass.end());
      out.label.insert(out.label.end(), part.label.begin(), part.label.end());
      out.rows += part.rows;
      out.skipped += part.skipped;
    }
    return out;
  }

 private:
  /// Labels must be 0 or 1; a bad one is named with its file and row.
  void check_labels(const LoadedRows& part, const std::string& path) const {
    for (std::size_t i = 0; i < part.label.size(); ++i) {
      if (part.label[i] != 0 && part.label[i] != 1) {
        // fail() already quotes the key and its value (the column name).
        config_.fail("user.label_column", "row " + std::to_string(i) + " of file '" + path +
                                              "' has label " + core::format_double(part.label[i]) +
                                              "; labels must be 0 or 1");
      }
    }
  }

  LoadedRows load_table(const std::string& path, const std::string& key,
                        const std::string& mass_column, const std::string& label_column) {
    store::TableReadOptions options;
    options.table = table_;
    options.columns = names_;
    if (!mass_column.empty()) options.columns.push_back(mass_column);
    if (!label_column.empty()) options.columns.push_back(label_column);
    options.bad_rows = bad_rows_;
    options.origin = key;
    const auto table = store::read_table(path, options);
    LoadedRows out;
    out.rows = table.rows;
    out.skipped = table.skipped_rows;
    const std::size_t width = options.columns.size();
    for (std::size_t r = 0; r < table.rows; ++r) {
      for (std::size_t c = 0; c < names_.size(); ++c) {
        out.features.push_back(static_cast<float>(table.values[r * width + c]));
      }
      std::size_t c = names_.size();
      if (!mass_column.empty()) out.mass.push_back(table.values[r * width + c++]);
      if (!label_column.empty()) out.label.push_back(table.values[r * width + c]);
    }
    return out;
  }

  LoadedRows load_spanet(const std::string& path, const std::string& label_column) {
    store::EventFileReadOptions options;
    options.source_group = source_group_;
    const auto columns = store::read_event_file(path, options);
    const auto events = features::from_spanet_columns(columns);
    features::PairingConfig pairing;
    LoadedRows out;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto candidates = features::make_candidates(events[i], pairing);
      if (!candidates) {
        ++out.skipped;  // fewer than four b-tagged jets: no Higgs candidates
        continue;
      }
      const auto all = features::compute_dihiggs_features(*candidates);
      bool finite = true;
      for (double v : all) finite = finite && std::isfinite(v);
      if (!finite) {
        if (bad_rows_ == store::BadRows::kError) {
          throw core::InputError("event file '" + path + "': event " + std::to_string(i) +
                                 " has non-finite jet inputs; fix the file or set bad_rows = skip");
        }
        ++out.skipped;
        continue;
      }
      selection_.append(all, out.features);
      out.mass.push_back(columns.m_hh[i]);
      if (!label_column.empty()) {
        if (columns.signal[i] < 0) {
          throw core::InputError("event file '" + path +
                                 "' has no CLASSIFICATIONS/EVENT/signal; a test file needs the "
                                 "truth label of every event");
        }
        out.label.push_back(static_cast<double>(columns.signal[i]));
      }
      ++out.rows;
    }
    return out;
  }

  core::JobConfig& config_;
  std::string format_;
  std::string table_;
  std::string source_group_;
  store::BadRows bad_rows_ = store::BadRows::kError;
  std::size_t max_events_ = 0;
  features::FeatureSelection selection_;
  std::vector<std::string> names_;
};

void append_rows(data::EventTable& table, const LoadedRows& rows, std::size_t features,
                 const std::vector<std::size_t>& which, std::uint8_t label, std::uint8_t truth) {
  for (std::size_t r : which) {
    const auto begin = rows.features.begin() + static_cast<std::ptrdiff_t>(r * features);
    table.rows.insert(table.rows.end(), begin, begin + static_cast<std::ptrdiff_t>(features));
    table.label.push_back(label);
    table.is_signal.push_back(truth);
  }
}

std::vector<std::size_t> all_rows(const LoadedRows& rows) {
  std::vector<std::size_t> out(rows.rows);
  for (std::size_t i = 0; i < rows.rows; ++i) out[i] = i;
  return out;
}

/// Both classes read from one file are the same sample: allowed (a null test) but rarely
/// meant, so it is said.
void warn_same_files(core::JobConfig& config) {
  const auto one = core::split(config.get_string("user.class1_file", ""), ',');
  const auto zero = core::split(config.get_string("user.class0_file", ""), ',');
  for (const auto& a : one) {
    for (const auto& b : zero) {
      char* real_a = realpath(a.c_str(), nullptr);
      char* real_b = realpath(b.c_str(), nullptr);
      const bool same = a == b || (real_a != nullptr && real_b != nullptr &&
                                   std::string(real_a) == std::string(real_b));
      std::free(real_a);
      std::free(real_b);
      if (same) {
        core::log_warning("user.class1_file and user.class0_file both read '" + a +
                          "': the two classes are then the same sample and nothing can be "
                          "learned (fine for a null test; otherwise check the paths)");
      }
    }
  }
}

UserSettings read_settings(core::JobConfig& config) {
  UserSettings s;
  FileLoader loader(config);
  s.format = loader.format();
  s.features = loader.feature_count();
  s.mode = config.get_choice("user.mode", "files", {"files", "windows"});
  const bool table = s.format == "table";
  const std::string mass_column = table ? config.get_string("user.mass_column", "") : "";
  const std::string label_column =
      table ? config.get_string("user.label_column", "label") : "signal";
  s.mixed.features = s.features;
  s.test.features = s.features;
  if (s.mode == "files") {
    warn_same_files(config);
    const auto one = loader.load("user.class1_file", "", "");
    const auto zero = loader.load("user.class0_file", "", "");
    append_rows(s.mixed, one, s.features, all_rows(one), 1, 1);
    append_rows(s.mixed, zero, s.features, all_rows(zero), 0, 0);
    s.skipped += one.skipped + zero.skipped;
  } else {
    if (table && mass_column.empty()) {
      config.fail("user.mass_column", "is needed with user.mode = windows (the resonance mass)");
    }
    const auto sr = config.get_doubles("user.signal_region", {}, -1e12, 1e12);
    const auto sb = config.get_doubles("user.sidebands", {}, -1e12, 1e12);
    if (sr.size() != 2) config.fail("user.signal_region", "needs two values: low, high");
    if (sb.empty() || sb.size() % 2 != 0) config.fail("user.sidebands", "needs pairs low, high");
    s.windows.signal = {sr[0], sr[1]};
    for (std::size_t i = 0; i < sb.size(); i += 2)
      s.windows.sidebands.emplace_back(sb[i], sb[i + 1]);
    if (!s.windows.valid()) {
      config.fail("user.sidebands", "and user.signal_region must be non-overlapping intervals");
    }
    const auto rows = loader.load("user.file", table ? mass_column : "m_hh", "");
    std::vector<std::size_t> in_sr;
    std::vector<std::size_t> in_sb;
    for (std::size_t i = 0; i < rows.rows; ++i) {
      const auto region = s.windows.region(rows.mass[i]);
      if (region == data::MassRegion::kSignal) in_sr.push_back(i);
      if (region == data::MassRegion::kSideband) in_sb.push_back(i);
    }
    if (in_sr.empty() || in_sb.empty()) {
      config.fail("user.signal_region",
                  "selects " + std::to_string(in_sr.size()) + " events and the sidebands " +
                      std::to_string(in_sb.size()) +
                      "; both need events: check the windows and the mass column");
    }
    append_rows(s.mixed, rows, s.features, in_sr, 1, 1);
    append_rows(s.mixed, rows, s.features, in_sb, 0, 0);
    s.skipped += rows.skipped;
  }
  const auto test = loader.load("user.test_file", "", label_column);
  std::vector<std::size_t> signal_rows;
  std::vector<std::size_t> background_rows;
  for (std::size_t i = 0; i < test.rows; ++i) {
    const double label = test.label[i];
    if (label != 0 && label != 1) {
      config.fail("user.label_column", "row " + std::to_string(i) + " of the test file has label " +
                                           core::format_double(label) + "; labels must be 0 or 1");
    }
    (label == 1 ? signal_rows : background_rows).push_back(i);
  }
  if (signal_rows.empty() || background_rows.empty()) {
    config.fail("user.test_file",
                "needs both signal (label 1) and background (label 0) events; it has " +
                    std::to_string(signal_rows.size()) + " and " +
                    std::to_string(background_rows.size()));
  }
  append_rows(s.test, test, s.features, signal_rows, 1, 1);
  append_rows(s.test, test, s.features, background_rows, 0, 0);
  s.skipped += test.skipped;
  if (s.skipped > 0) {
    core::log_info("user samples: skipped " + std::to_string(s.skipped) +
                   " rows (non-finite values, or fewer than four b-tagged jets)");
  }
  s.target_background_efficiency =
      config.get_double("user.target_background_efficiency", 0.01, 1e-9, 1.0);
  if (config.has("user.sic_min_background_efficiency")) {
    config.fail("user.sic_min_background_efficiency",
                "has moved: the maximum SIC is a common column now, with its floor in [metrics] "
                "(sic_floor = background_efficiency, sic_floor_background_efficiency = value; "
                "docs/metrics.md)");
  }
  s.classifier = read_classifier_settings(config);
  std::size_t class1 = 0;
  for (auto label : s.mixed.label) class1 += label;
  check_folds(config, s.classifier, class1, s.mixed.size() - class1);
  return s;
}

/// ε_s at ε_b = target from the ROC grid (linear in log ε_b between grid points).
double efficiency_at(const std::vector<double>& grid, const std::vector<double>& eps_s,
                     double target) {
  if (eps_s.size() != grid.size() || grid.empty()) return std::nan("");
  if (target <= grid.front()) return eps_s.front();
  for (std::size_t i = 1; i < grid.size(); ++i) {
    if (grid[i] >= target) {
      const double t =
          (std::log(target) - std::log(grid[i - 1])) / (std::log(grid[i]) - std::log(grid[i - 1]));
      return eps_s[i - 1] + t * (eps_s[i] - eps_s[i - 1]);
    }
  }
  return eps_s.back();
}

class UserSampleStudy : public DenseClassifierStudyOf<UserSettings> {
 public:
  explicit UserSampleStudy(std::vector<UserSettings> points)
      : DenseClassifierStudyOf(
            std::move(points),
            {"n_class1", "n_class0", "skipped_rows", "eff_s_at_target_eb", "target_eb"}) {}

 protected:
  std::size_t model_inputs(std::size_t point) const override {
    return this->point(point).features;
  }

  ClassifierTaskData prepare_task(const TaskContext& context) const override {
    const UserSettings& s = point(context.point);
    auto mixed = s.mixed;
    ClassifierTaskData data;
    data.test = s.test;
    std::size_t n1 = 0;
    for (auto l : mixed.label) n1 += l;
    std::size_t n_signal_test = 0;
    for (auto l : data.test.is_signal) n_signal_test += l;
    const auto n_test = data.test.size();
    data.yields = {static_cast<double>(n_signal_test), static_cast<double>(n_test - n_signal_test)};
    data.study_columns = {static_cast<double>(n1), static_cast<double>(mixed.size() - n1),
                          static_cast<double>(s.skipped)};
    split_task(s.classifier, mixed, context, data);
    return data;
  }

  SampleSizes sample_sizes(std::size_t index) const override {
    const UserSettings& s = point(index);
    return {s.test.size(), s.mixed.size()};
  }

  /// ε_s at the target ε_b, from the task's ROC.
  void complete_columns(const TaskContext& context, const ClassifierTaskData& /*data*/,
                        TaskOutput& output) const override {
    const UserSettings& s = point(context.point);
    output.results.push_back(
        efficiency_at(ClassifierStudyBase::roc_grid(), output.roc, s.target_background_efficiency));
    output.results.push_back(s.target_background_efficiency);
  }
};
}  // namespace

std::unique_ptr<Study> make_user_sample_study(std::vector<core::JobConfig>& point_configs) {
  std::vector<UserSettings> points;
  for (auto& config : point_configs) points.push_back(read_settings(config));
  return std::make_unique<UserSampleStudy>(std::move(points));
}

}  // namespace cwola::studies
