#include "store/bump_checkpoint_file.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.hpp"

namespace cwola::store {

namespace {
constexpr const char* kRedo =
    "; rerun with the settings it was written with, or use --overwrite "
    "to start again";

/// "section.key" -> value of a canonical card text.
std::map<std::string, std::string> card_values(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.front() == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    out[section + "." + line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

/// Throws naming the first card key whose value differs (or is present on one side only).
void compare_cards(const std::string& path, const std::string& stored, const std::string& now) {
  const auto a = card_values(stored);
  const auto b = card_values(now);
  std::map<std::string, std::pair<std::string, std::string>> differ;
  for (const auto& [key, value] : a) {
    const auto it = b.find(key);
    if (it == b.end() || it->second != value) {
      differ[key] = {value, it == b.end() ? "(not set)" : it->second};
    }
  }
  for (const auto& [key, value] : b) {
    if (a.count(key) == 0) differ[key] = {"(not set)", value};
  }
  if (differ.empty()) return;
  const auto& [key, values] = *differ.begin();
  throw core::InputError(path, key, values.first,
                         "is the checkpoints' setting, this run has '" + values.second +
                             "' (checkpoints of another card)" + kRedo);
}
}  // namespace

std::string bump_checkpoint_path(const std::string& output) { return output + ".checkpoints.h5"; }

BumpCheckpointFile BumpCheckpointFile::create(const std::string& path,
                                              const BumpRunIdentity& identity,
                                              const std::vector<CheckpointGroup>& groups) {
  const std::string partial = path + ".partial";
  std::remove(partial.c_str());
  {
    Hdf5File file(MPI_COMM_SELF, partial, Hdf5File::Mode::kCreate);
    file.create_dataset("/run/card", ColumnType::kString, {1},
                        std::max<std::size_t>(1, identity.card.size()));
    file.write_strings("/run/card", 0, {identity.card});
    file.create_dataset("/run/data", ColumnType::kString, {1},
                        std::max<std::size_t>(1, identity.data.size()));
    file.write_strings("/run/data", 0, {identity.data});
    file.create_dataset("/run/histograms", ColumnType::kInt64, {1});
    file.write_int64s("/run/histograms", 0, {identity.histograms});
    file.create_dataset("/run/ranks", ColumnType::kInt64, {1});
    file.write_int64s("/run/ranks", 0, {identity.ranks});
    create_checkpoint_datasets(file, groups);
    fill_checkpoint_datasets(file, groups);
    for (const auto& group : groups) {
      file.write_int64s("/checkpoints/" + group.name + "/epochs_done", 0,
                        std::vector<std::int64_t>(group.tasks.size(), 0));
    }
    file.flush();
    file.close();
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    throw core::Error("bumpnet checkpoints: cannot rename '" + partial + "' to '" + path +
                      "' (permissions?)");
  }
  return open(path, groups);
}

BumpCheckpointFile BumpCheckpointFile::open(const std::string& path,
                                            const std::vector<CheckpointGroup>& groups) {
  return BumpCheckpointFile(Hdf5File(MPI_COMM_SELF, path, Hdf5File::Mode::kReadWrite), groups);
}

void BumpCheckpointFile::write(const std::string& group, std::uint64_t task,
                               const core::Checkpoint& checkpoint,
                               const std::function<void()>& between) {
  const auto it = std::find_if(groups_.begin(), groups_.end(),
                               [&group](const CheckpointGroup& g) { return g.name == group; });
  CWOLA_EXPECT(it != groups_.end());
  write_checkpoint(file_, *it, task, checkpoint, between);
  file_.flush();
}

void BumpCheckpointFile::close() { file_.close(); }

std::map<std::uint64_t, core::Checkpoint> read_bump_checkpoints(
    MPI_Comm comm, const std::string& path, const BumpRunIdentity& identity,
    const std::vector<CheckpointGroup>& groups) {
  const Hdf5File file(comm, path, Hdf5File::Mode::kReadOnly);
  if (!file.exists("/run/card") || !file.exists("/run/ranks")) {
    throw core::InputError(path, "/run", "(missing)",
                           "is not a `cwola bumpnet` checkpoint file; remove it or use "
                           "--overwrite to start again");
  }
  compare_cards(path, file.read_strings("/run/card").at(0), identity.card);
  const auto data = file.read_strings("/run/data").at(0);
  if (data != identity.data) {
    throw core::InputError(
        path, "--data", data,
        "is the checkpoints' histogram file, this run reads '" + identity.data + "'" + kRedo);
  }
  const auto histograms = file.read_int64s("/run/histograms").at(0);
  if (histograms != identity.histograms) {
    throw core::InputError(path, "/run/histograms", std::to_string(histograms),
                           "histograms were in '" + data +
                               "' when the checkpoints were "
                               "written, it now holds " +
                               std::to_string(identity.histograms) +
                               " (another file under that name)" + kRedo);
  }
  const auto ranks = file.read_int64s("/run/ranks").at(0);
  if (ranks != identity.ranks) {
    throw core::InputError(path, "ranks", std::to_string(ranks),
                           "ranks wrote the checkpoints, this run has " +
                               std::to_string(identity.ranks) +
                               " (the ranks fix each rank's shard and minibatches); resume on " +
                               std::to_string(ranks) +
                               " ranks, or use --overwrite to start "
                               "again");
  }
  const auto stored = read_checkpoint_groups(file);
  std::map<std::uint64_t, core::Checkpoint> out;
  for (const auto& group : groups) {
    const auto it = std::find_if(stored.begin(), stored.end(), [&group](const CheckpointGroup& g) {
      return g.name == group.name;
    });
    if (it == stored.end() || it->tasks != group.tasks || !(it->layout == group.layout)) {
      throw core::InputError(path, "/checkpoints/" + group.name,
                             it == stored.end() ? "(missing)" : "(another layout)",
                             "does not hold this run's network '" + group.name + "'" + kRedo);
    }
    for (const auto task : group.tasks) {
      if (auto checkpoint = read_checkpoint(file, *it, task)) out[task] = std::move(*checkpoint);
    }
  }
  return out;
}

}  // namespace cwola::store
