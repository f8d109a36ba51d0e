#include "store/bump_network_output.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"
#include "store/hdf5_file.hpp"

namespace cwola::store {

const std::vector<std::string>& bump_summary_columns() {
  static const std::vector<std::string> names = {
      "bias", "spread",      "q025",       "q16",        "q84",
      "q975", "z_pred_q025", "z_pred_q16", "z_pred_q84", "z_pred_q975"};
  return names;
}

namespace {
std::size_t longest(const std::vector<std::string>& values) {
  std::size_t n = 1;
  for (const auto& v : values) n = std::max(n, v.size());
  return n;
}

void doubles(Hdf5File& file, const std::string& name, const std::vector<double>& values) {
  file.create_dataset(name, ColumnType::kFloat64, {std::max<hsize_t>(1, values.size())});
  if (!values.empty()) file.write_doubles(name, 0, values);
}

void int64s(Hdf5File& file, const std::string& name, const std::vector<std::int64_t>& values) {
  file.create_dataset(name, ColumnType::kInt64, {std::max<hsize_t>(1, values.size())});
  if (!values.empty()) file.write_int64s(name, 0, values);
}

void strings(Hdf5File& file, const std::string& name, const std::vector<std::string>& values) {
  file.create_dataset(name, ColumnType::kString, {std::max<hsize_t>(1, values.size())},
                      longest(values));
  if (!values.empty()) file.write_strings(name, 0, values);
}
}  // namespace

void write_bump_network_output(const std::string& path, const std::string& card,
                               std::int64_t test_first,
                               const std::vector<std::int64_t>& test_n_bins,
                               const std::vector<BumpNetworkRecord>& networks) {
  const std::string partial = path + ".partial";
  std::remove(partial.c_str());
  {
    Hdf5File file(MPI_COMM_SELF, partial, Hdf5File::Mode::kCreate);
    strings(file, "/card", {card});
    int64s(file, "/test/first", {test_first});
    int64s(file, "/test/n_bins", test_n_bins);
    for (const auto& net : networks) {
      const std::string root = "/" + net.name;
      if (net.members > 0) {
        int64s(file, root + "/members", {net.members});
      } else {
        std::vector<std::string> names, shapes;
        for (std::size_t t = 0; t < net.layout.tensors.size(); ++t) {
          const auto& spec = net.layout.tensors[t];
          names.push_back(spec.name);
          std::string shape;
          for (auto d : spec.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
          shapes.push_back(shape);
          const std::string name = root + "/model/" + spec.name;
          file.create_dataset(name, ColumnType::kFloat32, {net.model.values.at(t).size()});
          file.write_floats(name, 0, net.model.values.at(t));
        }
        strings(file, root + "/model_tensors/names", names);
        strings(file, root + "/model_tensors/shapes", shapes);
        doubles(file, root + "/history/train_loss", net.train_loss);
        doubles(file, root + "/history/z_mse", net.z_mse);
        doubles(file, root + "/history/b_mse", net.b_mse);
      }
      int64s(file, root + "/evaluation/bin", net.bin);
      doubles(file, root + "/evaluation/z_pl", net.z_pl);
      doubles(file, root + "/evaluation/z_pred", net.z_pred);
      doubles(file, root + "/evaluation/z_pred_max", net.z_pred_max);
      doubles(file, root + "/evaluation/prediction", net.prediction);
      strings(file, root + "/summary/axis", net.axis);
      strings(file, root + "/summary/group", net.group);
      int64s(file, root + "/summary/histograms", net.histograms);
      for (std::size_t c = 0; c < bump_summary_columns().size(); ++c) {
        doubles(file, root + "/summary/" + bump_summary_columns()[c], net.summary_columns.at(c));
      }
      doubles(file, root + "/timing/train_seconds", {net.train_seconds});
      doubles(file, root + "/timing/reduce_seconds", {net.reduce_seconds});
      doubles(file, root + "/timing/inference_seconds", {net.inference_seconds});
      int64s(file, root + "/timing/steps", {net.steps});
      int64s(file, root + "/timing/ranks", {net.ranks});
      int64s(file, root + "/timing/histograms", {net.histograms_trained});
    }
    file.flush();
    file.close();
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    throw core::Error("bumpnet output: cannot rename '" + partial + "' to '" + path +
                      "' (permissions?)");
  }
}

std::pair<core::ModelLayout, core::ModelTensors> read_bump_network_model(
    const std::string& path, const std::string& network) {
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    throw core::InputError(path, "--model", path, "cannot be read (no such file?)");
  }
  const Hdf5File file(MPI_COMM_SELF, path, Hdf5File::Mode::kReadOnly);
  const std::string names_key = "/" + network + "/model_tensors/names";
  if (!file.exists("/" + network) || !file.exists(names_key)) {
    throw core::InputError(path, "/" + network, "(missing)",
                           "holds no model of network '" + network +
                               "' (not a `cwola bumpnet` output, or one without this network)");
  }
  const auto names = file.read_strings(names_key);
  const auto shapes = file.read_strings("/" + network + "/model_tensors/shapes");
  std::pair<core::ModelLayout, core::ModelTensors> out;
  out.first.description = network;
  for (std::size_t t = 0; t < names.size(); ++t) {
    core::TensorSpec spec;
    spec.name = names[t];
    std::size_t at = 0;
    const std::string& shape = shapes.at(t);
    while (at < shape.size()) {
      const std::size_t next = std::min(shape.find('x', at), shape.size());
      spec.shape.push_back(std::stoll(shape.substr(at, next - at)));
      at = next + 1;
    }
    const std::string key = "/" + network + "/model/" + spec.name;
    out.second.values.push_back(file.read_float_rows(key, 0, spec.size()));
    out.first.tensors.push_back(std::move(spec));
  }
  return out;
}

}  // namespace cwola::store
