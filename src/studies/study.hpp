#pragma once
/// The interface every study type implements: one file per study in studies/,
/// registered by name in study_registry.cpp. Deliberately free of LibTorch, MPI
/// and HDF5 so that the application and the tests see only plain types.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/checkpoint.hpp"
#include "core/job_config.hpp"
#include "core/model_tensors.hpp"
#include "core/seed.hpp"

namespace cwola::studies {

/// Which test events a task scores ([metrics] test_set).
enum class TestSet {
  kPerTask,   ///< every task draws its own test sample (seeded by the task)
  kPerPoint,  ///< all repeats of a scan point score the same test sample (seeded by the point)
};

struct TaskContext {
  std::uint64_t task_id = 0;
  std::size_t point = 0;
  std::size_t repeat = 0;
  /// k-fold cross-training ([training] folds, inner_folds): this task trains inner model
  /// `inner` of held-out fold `fold`; folds = 1 is plain training.
  std::size_t fold = 0;
  std::size_t folds = 1;
  std::size_t inner = 0;
  std::size_t inner_folds = 1;
  /// With k-fold training (folds > 1), the sample the task draws from: point × repeats +
  /// repeat, shared by every fold task of one repeat (same events, same fold assignment).
  /// Without folds the task is its own sample and this is not used.
  std::uint64_t sample = 0;
  std::uint64_t master_seed = 0;
  std::string device = "cpu";  ///< LibTorch device string, e.g. "cuda:1"
  /// Arithmetic of ensemble-batched training: "float32" (default) or "bf16" ([run] precision).
  std::string precision = "float32";
  /// Polled between epochs; false abandons the task (graceful stop).
  std::function<bool()> keep_going = [] { return true; };
  /// Stages (docs/stages.md): the trained model of the earlier-stage task this task reads, to
  /// start from instead of a fresh initialisation; null when the task reads none. Owned by
  /// the engine, valid during the call.
  const core::ModelTensors* input_model = nullptr;
  /// Stages: the engine stores this task's trained model (TaskOutput::model) because a later
  /// stage reads it or the job keeps all models.
  bool keep_model = false;
  /// [job] models = all: the engine also stores the models of Study::named_models (no later
  /// stage reads them, so they are kept only when the job keeps every model).
  bool keep_named_models = false;
  /// Stages: store the optimizer state after the model (TaskOutput::model holds
  /// model_layout's tensors, then optimizer_layout's), because a later stage continues it.
  bool keep_optimizer = false;
  /// Stages: continue the optimizer state stored after input_model instead of a fresh one.
  bool continue_optimizer = false;
  /// Per-epoch checkpoints ([run] checkpoint = epoch, docs/stages.md): the task's latest
  /// stored checkpoint to resume from (null: start at epoch 0; owned by the engine, valid
  /// during the call), and where the training saves one after each epoch (empty: none; a task
  /// with it trains alone, not stacked).
  const core::Checkpoint* resume_checkpoint = nullptr;
  std::function<void(const core::Checkpoint&)> save_checkpoint;

  /// The random stream seed for one purpose of this task (never the rank). A model's own
  /// streams (weights, epoch order, split) follow the task; with k-fold training the data
  /// streams follow the sample, so the fold tasks of one repeat see the same events.
  std::uint64_t seed(core::SeedPurpose purpose) const {
    const bool model_stream = purpose == core::SeedPurpose::kWeightInit ||
                              purpose == core::SeedPurpose::kShuffle ||
                              purpose == core::SeedPurpose::kSplit;
    return core::stream_seed(master_seed, model_stream || folds == 1 ? task_id : sample, purpose);
  }
  /// Seed of the test sample: the sample's own, or the point's with TestSet::kPerPoint.
  std::uint64_t test_seed(TestSet test_set) const {
    return test_set == TestSet::kPerPoint
               ? core::point_seed(master_seed, point, core::SeedPurpose::kTestSample)
               : seed(core::SeedPurpose::kTestSample);
  }
};

struct TaskOutput {
  enum class Status { kDone, kFailed, kAbandoned };
  Status status = Status::kDone;
  std::string failure_reason;
  std::vector<double> results;  ///< in Study::result_columns() order
  std::vector<double> train_loss, val_loss, train_accuracy, val_accuracy;
  std::vector<double> roc;  ///< signal efficiency on Study::roc_grid()
  /// Fixed-length per-task arrays (e.g. average jet images), in Study::task_arrays() order;
  /// empty when the study has none.
  std::vector<std::vector<double>> arrays;
  /// Per-event test scores (raw network output, never rectified) and their truth labels
  /// (1 signal, 0 background), kept when the study stores scores ([metrics] keep_scores);
  /// with k-fold training the scored events are the held-out fold's.
  std::vector<float> scores;
  std::vector<std::uint8_t> score_labels;
  /// The scored events' resonance masses (GeV) when the study keeps them (scores_carry_mass).
  std::vector<float> score_masses;
  /// Fingerprint of the scored events (features and order): equal for two tasks exactly when
  /// they scored the same events, so an ensemble never averages scores of different events.
  std::uint64_t scored_events_id = 0;
  /// The trained model (Study::model_layout order) when TaskContext::keep_model and done.
  core::ModelTensors model;
  /// The models of Study::named_models (one per entry, in order) when
  /// TaskContext::keep_named_models and done; written before the task's status.
  std::vector<core::ModelTensors> named_models;
  /// One entry per Study::artifacts(), in order, when done: the task's rows (rows x columns,
  /// row-major) and the seed of the stream that made them; written before the task's status.
  struct ArtifactRows {
    std::vector<float> values;
    std::uint64_t seed = 0;
  };
  std::vector<ArtifactRows> artifacts;
};

class Study {
 public:
  virtual ~Study() = default;
  /// Float64 columns of /results, in order.
  virtual const std::vector<std::string>& result_columns() const = 0;
  /// Upper bound on epochs of any task (width of the per-epoch curves).
  virtual std::size_t max_epochs() const = 0;
  /// A named per-task array stored as /curves/<name> [tasks, length] (NaN-padded).
  struct TaskArray {
    std::string name;
    std::size_t length = 0;
  };
  /// A named per-event artifact every task of the study writes (/artifacts/<name>, docs/stages.md
  /// "Artifacts"): declared here so the engine creates it with the store, before any task runs.
  struct ArtifactSpec {
    std::string name;
    std::size_t max_rows = 0;  ///< events per task at most
    std::vector<std::string> columns;
    std::string seed_purpose;  ///< the core::SeedPurpose of the stream that makes the rows
    std::string description;
  };
  /// The study's artifacts; TaskOutput::artifacts carries one entry per spec. None by default.
  virtual std::vector<ArtifactSpec> artifacts() const { return {}; }
  /// Per-task arrays the study writes besides the common curves; none by default.
  virtual std::vector<TaskArray> task_arrays() const { return {}; }
  /// Background efficiencies at which every task's ROC is stored.
  virtual const std::vector<double>& roc_grid() const = 0;
  /// Runs one task; exceptions mean a bug or bad input, a diverged training is
  /// a kFailed output with its reason.
  virtual TaskOutput run_task(const TaskContext& context) = 0;
  /// Runs several tasks, possibly at once (ensemble-batched training of same-shape models on
  /// one device; [run] ensemble = K hands a rank up to K tasks per call). Returns one output
  /// per context, in order; a task's output must not depend on which tasks share the call
  /// beyond floating-point rounding. Once one task is abandoned (keep_going false), the tasks
  /// not yet finished are abandoned too. The default runs them one by one with run_task.
  virtual std::vector<TaskOutput> run_tasks(const std::vector<TaskContext>& contexts) {
    std::vector<TaskOutput> outputs;
    outputs.reserve(contexts.size());
    bool abandoned = false;
    for (const auto& context : contexts) {
      if (abandoned) {
        outputs.emplace_back().status = TaskOutput::Status::kAbandoned;
        continue;
      }
      outputs.push_back(run_task(context));
      abandoned = outputs.back().status == TaskOutput::Status::kAbandoned;
    }
    return outputs;
  }
  /// The model a task of `point` trains (tensor names and shapes), so the engine can lay out
  /// its storage before any task runs; empty when the study cannot store models.
  virtual core::ModelLayout model_layout(std::size_t /*point*/) const { return {}; }
  /// The model a task of `point` reads from the stage it reads (stages check the stored model
  /// against it): model_layout's by default; a network that adds tensors to the one it reads
  /// (the hidden-valley CNN's scale-and-shift weights) says what it reads.
  virtual core::ModelLayout input_layout(std::size_t point) const { return model_layout(point); }
  /// Models a task of `point` stores besides model_layout's (e.g. CATHODE's flow next to the
  /// classifier), each under its own name; kept with [job] models = all. None by default.
  virtual std::vector<core::NamedModelLayout> named_models(std::size_t /*point*/) const {
    return {};
  }
  /// The optimizer state a task of `point` can store after its model (stored when a later
  /// stage continues it: optimizer = continue); empty when the study cannot.
  virtual core::ModelLayout optimizer_layout(std::size_t /*point*/) const { return {}; }
  /// What a per-epoch checkpoint of a task of `point` holds ([run] checkpoint = epoch); empty
  /// when the study cannot checkpoint its trainings.
  virtual core::CheckpointLayout checkpoint_layout(std::size_t /*point*/) const { return {}; }
  /// Estimated device memory (bytes) of one task in a batched call, for choosing K from
  /// memory ([run] ensemble = auto); 0 if the study cannot tell.
  virtual std::size_t task_device_bytes() const { return 0; }
  /// Most tasks worth stacking on a CPU for [run] ensemble = auto (on a CPU the members' kernels
  /// run one after another, so stacking only saves per-call overhead: worth it for small dense
  /// networks, not for convolutions; docs/performance.md). Capped again by the trainer's limit.
  virtual std::size_t useful_cpu_ensemble() const { return 8; }
  /// Width of a task's row in /artifacts/scores: the most events a task scores, or 0 when the job keeps
  /// no scores (the default).
  virtual std::size_t kept_score_width() const { return 0; }
  /// Whether /scores also keeps each scored event's resonance mass (/artifacts/scores/mass): a study
  /// whose scores are selected on later by mass (the hunt's spectra).
  virtual bool scores_carry_mass() const { return false; }
};

/// Builds the study named `name`, reading (and so validating) every point's
/// settings. Throws InputError for an unknown study or a bad setting.
std::unique_ptr<Study> make_study(const std::string& name,
                                  std::vector<core::JobConfig>& point_configs);
/// Names accepted by make_study.
std::vector<std::string> study_names();

}  // namespace cwola::studies
