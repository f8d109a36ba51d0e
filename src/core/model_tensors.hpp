#pragma once
/// A trained model as plain named arrays (parameters and buffers), the form in which the engine
/// stores a task's model and hands it to the tasks of a later stage that read it. Plain types,
/// so that studies, the store and the runner share it without LibTorch or HDF5.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cwola::core {

/// Name and shape of one tensor of a model, e.g. {"layers.0.weight", {64, 4}}.
struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> shape;

  std::size_t size() const {
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    return n;
  }
  bool operator==(const TensorSpec& other) const {
    return name == other.name && shape == other.shape;
  }
};

/// What a study's model looks like before it is trained: its tensors in a fixed order and a
/// one-line description of the network (stored as an attribute, e.g. "dense 4-64-64-1").
struct ModelLayout {
  std::vector<TensorSpec> tensors;
  std::string description;

  bool empty() const { return tensors.empty(); }
  bool operator==(const ModelLayout& other) const { return tensors == other.tensors; }
};

/// A model a task stores besides the one later stages read (e.g. CATHODE's flow next to the
/// classifier): its name in the store (/models/<stage>/<name>), its tensors, and the settings
/// that rebuild the network that loads it (stored as attributes, e.g. {"blocks", "4"}).
struct NamedModelLayout {
  std::string name;
  ModelLayout layout;
  std::vector<std::pair<std::string, std::string>> settings;

  bool operator==(const NamedModelLayout& other) const {
    return name == other.name && layout == other.layout && settings == other.settings;
  }
};

/// A model's values, in its ModelLayout's tensor order (float32, row-major), with the outcome
/// of the training that made it.
struct ModelTensors {
  std::vector<std::vector<float>> values;  ///< one array per ModelLayout tensor
  std::int64_t best_epoch = -1;            ///< 0-based epoch whose weights these are
  std::int64_t epochs = 0;                 ///< epochs trained

  bool empty() const { return values.empty(); }
};

}  // namespace cwola::core
