#include "store/store_merge.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "core/ini_document.hpp"
#include "core/text.hpp"
#include "store/artifact_store.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

namespace {

/// One part store, opened read-only and checked.
struct PartStore {
  PartStore(std::string path_in, Hdf5File file_in)
      : path(std::move(path_in)), file(std::move(file_in)) {}
  std::string path;
  Hdf5File file;
  std::string hash;
  std::string job_text;
  std::size_t n_tasks = 0;
  std::vector<std::string> columns;
  std::vector<hsize_t> curve_shape;
  std::vector<hsize_t> roc_shape;
  std::vector<std::int8_t> status;
};

enum class RowType { kDouble, kInt64, kString };

struct RowDataset {
  std::string name;
  RowType type;
};

/// Every dataset with one row per task of the job, status excepted (it is written last);
/// artifacts, with a row per task of their stage, are merged apart (merge_artifact).
std::vector<RowDataset> row_datasets(const std::vector<std::string>& columns) {
  std::vector<RowDataset> datasets = {{"/results/failure_reason", RowType::kString},
                                      {"/results/device", RowType::kString},
                                      {"/results/rank", RowType::kInt64}};
  for (const auto& column : columns) datasets.push_back({"/results/" + column, RowType::kDouble});
  for (const char* curve : {"/curves/train_loss", "/curves/val_loss", "/curves/train_accuracy",
                            "/curves/val_accuracy", "/curves/roc_eps_s"}) {
    datasets.push_back({curve, RowType::kDouble});
  }
  return datasets;
}

PartStore open_part(const std::string& path) {
  if (access(path.c_str(), R_OK) != 0) {
    throw core::InputError("part store '" + path +
                           "' does not exist or is not readable (nothing to merge from it); "
                           "check the path");
  }
  PartStore part(path, Hdf5File(MPI_COMM_SELF, path, Hdf5File::Mode::kReadOnly));
  if (!part.file.exists("/job/hash")) {
    throw core::InputError("part store '" + path +
                           "' is not a cwola results store (no /job/hash); merge only stores "
                           "written by 'cwola run'");
  }
  std::string object = "/job/hash";
  try {
    part.hash = part.file.read_strings(object).at(0);
    object = "/job/text";
    part.job_text = part.file.read_strings(object).at(0);
    object = "/results (attribute columns)";
    part.columns = part.file.read_string_list_attribute("/results", "columns");
    object = "/results/status";
    part.status = part.file.read_int8s(object);
    part.n_tasks = part.status.size();
    object = "/curves/train_loss";
    part.curve_shape = part.file.shape(object);
    object = "/curves/roc_eps_s";
    part.roc_shape = part.file.shape(object);
    for (const auto& dataset : row_datasets(part.columns)) {
      object = dataset.name;
      const auto dims = part.file.shape(object);
      if (dims.empty() || dims[0] != part.n_tasks) {
        throw core::Error("has " + (dims.empty() ? std::string("no") : std::to_string(dims[0])) +
                          " rows, /results/status has " + std::to_string(part.n_tasks));
      }
    }
  } catch (const core::InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw core::InputError("part store '" + path + "' is damaged: dataset '" + object + "' " +
                           e.what() + "; rerun that part (with --resume if it started)");
  }
  for (std::size_t t = 0; t < part.status.size(); ++t) {
    if (part.status[t] < 0 || part.status[t] > 2) {
      throw core::InputError("part store '" + path + "' is damaged: /results/status[" +
                             std::to_string(t) + "] = " + std::to_string(part.status[t]) +
                             " (0 pending, 1 done, 2 failed); rerun that part");
    }
  }
  return part;
}

void check_same_layout(const PartStore& first, const PartStore& other) {
  if (other.hash != first.hash) {
    throw core::InputError("part store '" + other.path +
                           "' was made by a different job (job hash " + other.hash + "; '" +
                           first.path + "' has " + first.hash +
                           "); merging would mix two studies. Merge only the parts of one job");
  }
  auto differs = [&](const std::string& what) {
    return core::InputError("part store '" + other.path + "' has the job hash of '" + first.path +
                            "' but another " + what + " (the file was altered); rerun that part");
  };
  if (other.columns != first.columns) throw differs("list of result columns");
  if (other.n_tasks != first.n_tasks) throw differs("task count");
  if (other.curve_shape != first.curve_shape) throw differs("curve shape");
  if (other.roc_shape != first.roc_shape) throw differs("ROC grid");
}

/// Row sources: per task the index of the part whose row is kept, or -1 (pending).
std::vector<long> choose_rows(const std::vector<PartStore>& parts, MergeOutcome& outcome) {
  const std::size_t n = parts.front().n_tasks;
  std::vector<long> source(n, -1);
  const auto done = static_cast<std::int8_t>(1);
  const auto failed = static_cast<std::int8_t>(2);
  for (std::size_t t = 0; t < n; ++t) {
    std::size_t finished = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      const auto s = parts[p].status[t];
      if (s == done || s == failed) ++finished;
      // A done row wins over a failed one; otherwise the first part wins.
      if (s == done &&
          (source[t] < 0 || parts[static_cast<std::size_t>(source[t])].status[t] != done)) {
        source[t] = static_cast<long>(p);
      } else if (s == failed && source[t] < 0) {
        source[t] = static_cast<long>(p);
      }
    }
    if (finished > 1) ++outcome.duplicates;
    if (source[t] < 0) {
      ++outcome.pending;
      continue;
    }
    auto& contributed = outcome.parts[static_cast<std::size_t>(source[t])];
    if (parts[static_cast<std::size_t>(source[t])].status[t] == done) {
      ++outcome.done;
      ++contributed.done;
    } else {
      ++outcome.failed;
      ++contributed.failed;
    }
  }
  return source;
}

template <typename T, typename Read>
std::vector<T> gather_rows(const std::vector<PartStore>& parts, const std::vector<long>& source,
                           std::size_t row_size, const T& fill, Read read) {
  std::vector<T> merged(source.size() * row_size, fill);
  for (std::size_t p = 0; p < parts.size(); ++p) {
    bool used = false;
    for (long s : source) used = used || s == static_cast<long>(p);
    if (!used) continue;
    const std::vector<T> values = read(parts[p]);
    for (std::size_t t = 0; t < source.size(); ++t) {
      if (source[t] != static_cast<long>(p)) continue;
      std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(t * row_size), row_size,
                  merged.begin() + static_cast<std::ptrdiff_t>(t * row_size));
    }
  }
  return merged;
}

/// An artifact's rows (one per task of its stage) from the parts that ran those tasks; the
/// written flags last, as in a running store.
void merge_artifact(Hdf5File& merged, const std::vector<PartStore>& parts,
                    const std::vector<long>& source, const ArtifactLayout& artifact) {
  const auto first = source.begin() + static_cast<std::ptrdiff_t>(artifact.first_task);
  const std::vector<long> rows_source(first, first + static_cast<std::ptrdiff_t>(artifact.n_tasks));
  const std::string group = artifact_group(artifact.name);
  for (const auto& column : artifact.columns) {
    const std::string name = group + "/" + column;
    merged.write_floats(
        name, 0,
        gather_rows<float>(
            parts, rows_source, artifact.max_rows, std::numeric_limits<float>::quiet_NaN(),
            [&](const PartStore& p) { return p.file.read_float_rows(name, 0, artifact.n_tasks); }));
  }
  merged.write_int64s(group + "/rows", 0,
                      gather_rows<std::int64_t>(parts, rows_source, 1, 0, [&](const PartStore& p) {
                        return p.file.read_int64s(group + "/rows");
                      }));
  for (const char* name : {"/seed", "/events_id"}) {
    merged.write_uint64s(
        group + name, 0,
        gather_rows<std::uint64_t>(parts, rows_source, 1, 0, [&](const PartStore& p) {
          return p.file.read_uint64s(group + name);
        }));
  }
  merged.write_int8s(group + "/written", 0,
                     gather_rows<std::int8_t>(parts, rows_source, 1, 0, [&](const PartStore& p) {
                       return p.file.read_int8s(group + "/written");
                     }));
}

}  // namespace

std::string whole_study_job_text(const std::string& part_job_text) {
  std::istringstream lines(part_job_text);
  std::ostringstream out;
  std::string line;
  std::string current;
  while (std::getline(lines, line)) {
    const std::string trimmed = core::trim(line);
    if (!trimmed.empty() && trimmed.front() == '[' && trimmed.back() == ']') {
      current = trimmed.substr(1, trimmed.size() - 2);
    }
    const auto equals = trimmed.find('=');
    if (current == "run" && equals != std::string::npos &&
        core::trim(trimmed.substr(0, equals)) == "part") {
      line = "part = 1/1";
    }
    out << line << "\n";
  }
  std::string text = out.str();
  // getline drops the last newline only if there was none: keep the input's ending.
  if (!part_job_text.empty() && part_job_text.back() != '\n' && !text.empty()) text.pop_back();
  return text;
}

MergeOutcome merge_part_stores(const std::vector<std::string>& part_paths,
                               const std::string& staging) {
  if (part_paths.empty()) {
    throw core::InputError("cwola merge: no part stores given; name the part stores to join");
  }
  std::vector<PartStore> parts;
  for (const auto& path : part_paths) {
    parts.push_back(open_part(path));
    check_same_layout(parts.front(), parts.back());
  }

  MergeOutcome outcome;
  outcome.job_hash = parts.front().hash;
  outcome.n_tasks = parts.front().n_tasks;
  for (const auto& part : parts) {
    const std::string value =
        core::ini_value(part.job_text, "run", "part", part.path + ":/job/text");
    outcome.parts.push_back({part.path, value.empty() ? "1/1" : value, 0, 0});
  }
  const auto source = choose_rows(parts, outcome);

  // The first part's file carries the layout, /tasks and provenance of the study.
  std::error_code error;
  std::filesystem::copy_file(parts.front().path, staging,
                             std::filesystem::copy_options::overwrite_existing, error);
  if (error) {
    throw core::Error("cannot copy '" + parts.front().path + "' to '" + staging +
                      "': " + error.message() + " (is the output directory writable?)");
  }
  Hdf5File merged(MPI_COMM_SELF, staging, Hdf5File::Mode::kReadWrite);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& artifact : read_artifact_layouts(parts.front().file)) {
    merge_artifact(merged, parts, source, artifact);
  }
  for (const auto& dataset : row_datasets(parts.front().columns)) {
    const auto dims = merged.shape(dataset.name);
    std::size_t row_size = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) row_size *= dims[i];
    switch (dataset.type) {
      case RowType::kDouble:
        merged.write_doubles(
            dataset.name, 0,
            gather_rows<double>(parts, source, row_size, nan, [&](const PartStore& p) {
              return p.file.read_doubles(dataset.name);
            }));
        break;
      case RowType::kInt64:
        merged.write_int64s(
            dataset.name, 0,
            gather_rows<std::int64_t>(parts, source, row_size, 0, [&](const PartStore& p) {
              return p.file.read_int64s(dataset.name);
            }));
        break;
      case RowType::kString:
        merged.write_strings(dataset.name, 0,
                             gather_rows<std::string>(parts, source, row_size, std::string(),
                                                      [&](const PartStore& p) {
                                                        return p.file.read_strings(dataset.name);
                                                      }));
        break;
    }
  }
  merged.write_strings("/job/text", 0, {whole_study_job_text(parts.front().job_text)});
  // Last, as in every store: the status flags make the rows above count.
  merged.write_int8s(
      "/results/status", 0,
      gather_rows<std::int8_t>(parts, source, 1, 0, [](const PartStore& p) { return p.status; }));
  merged.flush();
  merged.close();
  return outcome;
}

}  // namespace cwola::store
