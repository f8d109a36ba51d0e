// cwola inspect STORE [--json]: stages, task states, models, per-epoch checkpoints, artifacts and
// their sizes of a results store, as a table for people or as JSON for scripts (docs/stages.md).
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "app/subcommands.hpp"
#include "core/error.hpp"
#include "store/artifact_store.hpp"
#include "store/results_store.hpp"

namespace cwola::app {

namespace {
struct StageCounts {
  store::StageLayout layout;
  std::size_t done = 0, failed = 0, upstream_failed = 0, pending = 0;
};

/// A checkpoint group ([run] checkpoint = epoch) and each of its tasks' epochs done (0: none).
struct CheckpointCounts {
  store::CheckpointGroup group;
  std::vector<std::int64_t> epochs_done;
  std::size_t with_checkpoint() const {
    std::size_t n = 0;
    for (auto e : epochs_done) n += e > 0 ? 1 : 0;
    return n;
  }
};

/// A named artifact (store/artifact_store.hpp) and how many of its tasks wrote their rows.
struct ArtifactCounts {
  store::ArtifactLayout layout;
  std::size_t written = 0;
  std::int64_t rows = 0;  ///< events written, over all tasks
};

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string shape_text(const std::vector<std::int64_t>& shape, std::size_t rows) {
  std::string text = "[" + std::to_string(rows);
  for (auto d : shape) text += ", " + std::to_string(d);
  return text + "]";
}

std::string bytes_text(double bytes) {
  char buffer[32];
  if (bytes >= 1e9) {
    std::snprintf(buffer, sizeof buffer, "%.2f GB", bytes / 1e9);
  } else if (bytes >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2f MB", bytes / 1e6);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f kB", bytes / 1e3);
  }
  return buffer;
}

void print_table(const std::string& path, const std::string& study, bool complete,
                 std::size_t n_tasks, const std::vector<StageCounts>& stages,
                 const std::vector<CheckpointCounts>& checkpoints,
                 const std::vector<ArtifactCounts>& artifacts, double file_bytes) {
  std::cout << "store " << path << ": study " << study << ", " << n_tasks << " tasks, "
            << (complete ? "complete" : "not complete") << ", " << bytes_text(file_bytes)
            << " on disk\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %8s %8s %8s %9s %8s  %-20s %s\n", "stage", "tasks",
                "done", "failed", "upstream", "pending", "reads", "models");
  std::cout << line;
  double model_total = 0;
  for (const auto& s : stages) {
    std::string models = "-";
    if (s.layout.keep_models) {
      const double each = static_cast<double>(store::model_bytes(s.layout.model));
      model_total += each * static_cast<double>(s.layout.n_tasks);
      models = std::to_string(s.layout.n_tasks) + " x " + s.layout.model.description + " (" +
               bytes_text(each) + " each)";
    }
    const std::string reads =
        s.layout.reads.empty() ? "-" : s.layout.reads + (s.layout.per_task ? " (per task)" : "");
    std::snprintf(line, sizeof line, "%-14s %8zu %8zu %8zu %9zu %8zu  %-20s %s\n",
                  s.layout.name.c_str(), s.layout.n_tasks, s.done, s.failed, s.upstream_failed,
                  s.pending, reads.c_str(), models.c_str());
    std::cout << line;
  }
  for (const auto& s : stages) {
    if (!s.layout.keep_models) continue;
    for (const auto& tensor : s.layout.model.tensors) {
      std::cout << "  /models/" << s.layout.name << "/" << tensor.name << " "
                << shape_text(tensor.shape, s.layout.n_tasks) << "\n";
    }
  }
  for (const auto& s : stages) {
    for (const auto& named : s.layout.named_models) {
      const double each = static_cast<double>(store::model_bytes(named.layout));
      model_total += each * static_cast<double>(s.layout.n_tasks);
      std::string settings;
      for (const auto& [key, value] : named.settings) {
        settings += (settings.empty() ? "" : ", ") + key + " = " + value;
      }
      std::cout << "model '" << named.name << "' of stage " << s.layout.name << ": "
                << s.layout.n_tasks << " x " << named.layout.description << " (" << bytes_text(each)
                << " each); " << settings << "\n";
      for (const auto& tensor : named.layout.tensors) {
        std::cout << "  /models/" << s.layout.name << "/" << named.name << "/" << tensor.name << " "
                  << shape_text(tensor.shape, s.layout.n_tasks) << "\n";
      }
    }
  }
  if (model_total > 0) std::cout << "models: " << bytes_text(model_total) << " in all\n";
  for (const auto& c : checkpoints) {
    const auto each = static_cast<double>(store::checkpoint_bytes(c.group.layout));
    std::cout << "checkpoints /checkpoints/" << c.group.name << ": " << c.group.tasks.size()
              << " tasks, " << c.with_checkpoint() << " with one, " << bytes_text(each)
              << " each (two slots), "
              << bytes_text(each * static_cast<double>(c.group.tasks.size())) << " in all\n";
    for (std::size_t row = 0; row < c.group.tasks.size(); ++row) {
      if (c.epochs_done[row] <= 0) continue;
      std::cout << "  task " << c.group.tasks[row] << ": after epoch " << c.epochs_done[row]
                << "\n";
    }
  }
  for (const auto& a : artifacts) {
    std::string columns;
    for (const auto& c : a.layout.columns) columns += (columns.empty() ? "" : ", ") + c;
    std::cout << "artifact /artifacts/" << a.layout.name << ": stage " << a.layout.stage << ", "
              << a.written << "/" << a.layout.n_tasks << " tasks written, " << a.rows
              << " events of (" << columns << "), up to " << a.layout.max_rows
              << " per task, seed purpose "
              << (a.layout.seed_purpose.empty() ? std::string("-") : a.layout.seed_purpose) << ", "
              << bytes_text(static_cast<double>(store::artifact_bytes(a.layout)))
              << (a.layout.description.empty() ? "" : ": " + a.layout.description) << "\n";
  }
}

/// A model's tensors as a JSON array of {name, dataset, shape}; `group` ends with '/'.
void json_tensors(std::ostringstream& out, const std::string& group,
                  const core::ModelLayout& model) {
  out << "[";
  for (std::size_t t = 0; t < model.tensors.size(); ++t) {
    const auto& tensor = model.tensors[t];
    out << (t ? ", " : "") << "{\"name\": " << json_string(tensor.name)
        << ", \"dataset\": " << json_string(group + tensor.name) << ", \"shape\": [";
    for (std::size_t d = 0; d < tensor.shape.size(); ++d) {
      out << (d ? ", " : "") << tensor.shape[d];
    }
    out << "]}";
  }
  out << "]";
}

void print_json(const std::string& path, const std::string& study, bool complete,
                std::size_t n_tasks, const std::vector<StageCounts>& stages,
                const std::vector<CheckpointCounts>& checkpoints,
                const std::vector<ArtifactCounts>& artifacts, double file_bytes) {
  std::ostringstream out;
  out << "{\"store\": " << json_string(path) << ", \"study\": " << json_string(study)
      << ", \"complete\": " << (complete ? "true" : "false") << ", \"tasks\": " << n_tasks
      << ", \"file_bytes\": " << static_cast<std::uint64_t>(file_bytes) << ", \"stages\": [";
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const auto& s = stages[i];
    out << (i ? ", " : "") << "{\"name\": " << json_string(s.layout.name)
        << ", \"first_task\": " << s.layout.first_task << ", \"tasks\": " << s.layout.n_tasks
        << ", \"done\": " << s.done << ", \"failed\": " << s.failed
        << ", \"upstream_failed\": " << s.upstream_failed << ", \"pending\": " << s.pending
        << ", \"reads\": " << (s.layout.reads.empty() ? "null" : json_string(s.layout.reads))
        << ", \"per_task\": " << (s.layout.per_task ? "true" : "false") << ", \"models\": ";
    if (!s.layout.keep_models) {
      out << "null";
    } else {
      out << "{\"description\": " << json_string(s.layout.model.description)
          << ", \"bytes_each\": " << store::model_bytes(s.layout.model) << ", \"tensors\": ";
      json_tensors(out, "/models/" + s.layout.name + "/", s.layout.model);
      out << "}";
    }
    out << ", \"named_models\": [";
    for (std::size_t m = 0; m < s.layout.named_models.size(); ++m) {
      const auto& named = s.layout.named_models[m];
      out << (m ? ", " : "") << "{\"name\": " << json_string(named.name)
          << ", \"description\": " << json_string(named.layout.description)
          << ", \"bytes_each\": " << store::model_bytes(named.layout) << ", \"settings\": {";
      for (std::size_t k = 0; k < named.settings.size(); ++k) {
        out << (k ? ", " : "") << json_string(named.settings[k].first) << ": "
            << json_string(named.settings[k].second);
      }
      out << "}, \"tensors\": ";
      json_tensors(out, "/models/" + s.layout.name + "/" + named.name + "/", named.layout);
      out << "}";
    }
    out << "]}";
  }
  out << "], \"checkpoints\": [";
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    const auto& c = checkpoints[i];
    out << (i ? ", " : "") << "{\"group\": " << json_string("/checkpoints/" + c.group.name)
        << ", \"bytes_each\": " << store::checkpoint_bytes(c.group.layout) << ", \"tasks\": [";
    for (std::size_t row = 0; row < c.group.tasks.size(); ++row) {
      out << (row ? ", " : "") << c.group.tasks[row];
    }
    out << "], \"epochs_done\": [";
    for (std::size_t row = 0; row < c.epochs_done.size(); ++row) {
      out << (row ? ", " : "") << c.epochs_done[row];
    }
    out << "]}";
  }
  out << "], \"artifacts\": [";
  for (std::size_t i = 0; i < artifacts.size(); ++i) {
    const auto& a = artifacts[i];
    out << (i ? ", " : "") << "{\"name\": " << json_string(a.layout.name)
        << ", \"group\": " << json_string(store::artifact_group(a.layout.name))
        << ", \"stage\": " << json_string(a.layout.stage)
        << ", \"first_task\": " << a.layout.first_task << ", \"tasks\": " << a.layout.n_tasks
        << ", \"written\": " << a.written << ", \"events\": " << a.rows
        << ", \"max_rows\": " << a.layout.max_rows << ", \"columns\": [";
    for (std::size_t c = 0; c < a.layout.columns.size(); ++c) {
      out << (c ? ", " : "") << json_string(a.layout.columns[c]);
    }
    out << "], \"seed_purpose\": " << json_string(a.layout.seed_purpose)
        << ", \"description\": " << json_string(a.layout.description)
        << ", \"bytes\": " << store::artifact_bytes(a.layout) << "}";
  }
  out << "]}\n";
  std::cout << out.str();
}
}  // namespace

int inspect_command(const parallel::MpiRuntime& mpi, const std::vector<std::string>& arguments) {
  namespace po = boost::program_options;
  std::string path;
  po::options_description options("Usage: cwola inspect STORE [--json]");
  bool json = false;
  options.add_options()("json", po::bool_switch(&json), "print JSON instead of a table");
  if (const auto code = parse_store_arguments(mpi, arguments, "inspect", options, path)) {
    return *code;
  }
  if (mpi.rank() != 0) return 0;
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    throw core::InputError("store '" + path +
                           "' does not exist or is not a file; give the path "
                           "of a cwola results store");
  }
  std::vector<StageCounts> stages;
  std::vector<CheckpointCounts> checkpoints;
  std::vector<ArtifactCounts> artifacts;
  std::string study;
  bool complete = false;
  std::size_t n_tasks = 0;
  try {
    auto results = store::ResultsStore::open_read_only(MPI_COMM_SELF, path);
    const auto& file = results.file();
    study = file.read_strings("/job/study").at(0);
    complete = file.read_int8s("/job/complete").at(0) != 0;
    n_tasks = results.n_tasks();
    const auto status = results.read_status();
    const auto reasons = results.read_failure_reasons();
    auto layouts = results.stages();
    if (layouts.empty()) {  // a job without stages: one implicit stage
      store::StageLayout main;
      main.name = "main";
      main.n_tasks = n_tasks;
      layouts.push_back(main);
    }
    for (const auto& layout : layouts) {
      StageCounts counts;
      counts.layout = layout;
      for (std::size_t t = layout.first_task; t < layout.first_task + layout.n_tasks; ++t) {
        if (status[t] == store::TaskStatus::kDone) ++counts.done;
        if (status[t] == store::TaskStatus::kPending) ++counts.pending;
        if (status[t] == store::TaskStatus::kFailed) {
          ++(reasons[t].rfind("upstream task ", 0) == 0 ? counts.upstream_failed : counts.failed);
        }
      }
      stages.push_back(counts);
    }
    for (const auto& group : results.checkpoint_groups()) {
      checkpoints.push_back(
          {group, file.read_int64s("/checkpoints/" + group.name + "/epochs_done")});
    }
    for (const auto& layout : store::read_artifact_layouts(file)) {
      ArtifactCounts counts{layout};
      const auto written = file.read_int8s(store::artifact_group(layout.name) + "/written");
      const auto rows = file.read_int64s(store::artifact_group(layout.name) + "/rows");
      for (std::size_t row = 0; row < written.size(); ++row) {
        if (written[row] == 0) continue;
        ++counts.written;
        counts.rows += rows.at(row);
      }
      artifacts.push_back(counts);
    }
    results.close();
  } catch (const core::InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw core::InputError("store '" + path + "' cannot be read as a cwola results store (" +
                           e.what() + ")");
  }
  const auto file_bytes = static_cast<double>(info.st_size);
  if (json) {
    print_json(path, study, complete, n_tasks, stages, checkpoints, artifacts, file_bytes);
  } else {
    print_table(path, study, complete, n_tasks, stages, checkpoints, artifacts, file_bytes);
  }
  return 0;
}

}  // namespace cwola::app
