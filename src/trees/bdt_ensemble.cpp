#include "trees/bdt_ensemble.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "core/early_stopping.hpp"
#include "core/error.hpp"
#include "core/seed.hpp"

namespace cwola::trees {

namespace {

void check(int code, const char* what) {
  if (code != 0) {
    throw core::Error(std::string("XGBoost failed in ") + what + ": " + XGBGetLastError());
  }
}

/// XGBoost logs to stderr from every rank unless told not to; once per process.
void silence_xgboost() {
  static std::once_flag once;
  std::call_once(once, [] { check(XGBSetGlobalConfig("{\"verbosity\": 0}"), "XGBSetGlobalConfig"); });
}

/// Owning DMatrix handle.
class Matrix {
 public:
  Matrix(const std::vector<float>& rows, std::size_t features, std::size_t events) {
    if (features == 0 || rows.size() != features * events) {
      throw core::Error("BDT input: " + std::to_string(rows.size()) + " values are not " +
                        std::to_string(events) + " events of " + std::to_string(features) +
                        " features (a bug in the caller)");
    }
    // NaN marks a missing value (XGBoost's default); the studies' features are finite.
    check(XGDMatrixCreateFromMat(rows.data(), events, features,
                                 std::numeric_limits<float>::quiet_NaN(), &handle_),
          "XGDMatrixCreateFromMat");
  }
  explicit Matrix(const LabelledRows& sample) : Matrix(*sample.rows, sample.features, sample.size()) {
    const std::vector<float> labels(sample.labels->begin(), sample.labels->end());
    check(XGDMatrixSetFloatInfo(handle_, "label", labels.data(), labels.size()), "label");
    if (sample.weights != nullptr) {
      if (sample.weights->size() != sample.size()) {
        throw core::Error("BDT input: " + std::to_string(sample.weights->size()) +
                          " weights for " + std::to_string(sample.size()) + " events");
      }
      check(XGDMatrixSetFloatInfo(handle_, "weight", sample.weights->data(),
                                  sample.weights->size()),
            "weight");
    }
  }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  ~Matrix() { XGDMatrixFree(handle_); }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

/// Owning Booster handle.
class Booster {
 public:
  explicit Booster(const Matrix& train) {
    DMatrixHandle cache[] = {train.get()};
    check(XGBoosterCreate(cache, 1, &handle_), "XGBoosterCreate");
  }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  ~Booster() { XGBoosterFree(handle_); }
  void set(const char* name, const std::string& value) {
    check(XGBoosterSetParam(handle_, name, value.c_str()), name);
  }
  void update(int round, const Matrix& train) {
    check(XGBoosterUpdateOneIter(handle_, round, train.get()), "XGBoosterUpdateOneIter");
  }
  /// Probabilities of rounds [0, rounds) (0: all rounds trained).
  std::vector<float> predict(const Matrix& matrix, int rounds) const {
    const std::string config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                               "\"iteration_end\": " + std::to_string(rounds) +
                               ", \"strict_shape\": false}";
    const bst_ulong* shape = nullptr;
    bst_ulong dimension = 0;
    const float* result = nullptr;
    check(XGBoosterPredictFromDMatrix(handle_, matrix.get(), config.c_str(), &shape, &dimension,
                                      &result),
          "XGBoosterPredictFromDMatrix");
    bst_ulong size = 1;
    for (bst_ulong d = 0; d < dimension; ++d) size *= shape[d];
    return {result, result + size};
  }

 private:
  BoosterHandle handle_ = nullptr;
};

/// Mean of the members' probabilities, summed in member order (deterministic).
class Average {
 public:
  explicit Average(std::size_t events) : sum_(events, 0.0) {}
  void add(const std::vector<float>& p) {
    for (std::size_t i = 0; i < sum_.size(); ++i) sum_[i] += p[i];
    ++members_;
  }
  std::vector<float> mean() const {
    std::vector<float> out(sum_.size());
    for (std::size_t i = 0; i < sum_.size(); ++i)
      out[i] = static_cast<float>(sum_[i] / static_cast<double>(members_));
    return out;
  }

 private:
  std::vector<double> sum_;
  std::size_t members_ = 0;
};

double accuracy(const std::vector<float>& p, const std::vector<std::uint8_t>& labels) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < p.size(); ++i) right += (p[i] > 0.5F) == (labels[i] == 1);
  return p.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(p.size());
}

void check_sample(const LabelledRows& sample, const char* name) {
  std::size_t ones = 0;
  for (auto label : *sample.labels) ones += label;
  if (ones == 0 || ones == sample.size()) {
    throw core::InputError(std::string("BDT ") + name + " events: " +
                           std::to_string(ones) + " of label 1 and " +
                           std::to_string(sample.size() - ones) +
                           " of label 0 (both labels are needed); use a larger sample");
  }
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

void BdtConfig::validate() const {
  const auto fail = [](const std::string& key, const std::string& value, const std::string& why) {
    throw core::InputError("[bdt]", "bdt." + key, value, why);
  };
  if (rounds < 1) fail("rounds", std::to_string(rounds), "must be at least 1");
  if (max_leaves < 2) fail("max_leaves", std::to_string(max_leaves), "must be at least 2");
  if (!(learning_rate > 0.0 && learning_rate <= 1.0))
    fail("learning_rate", number(learning_rate), "must lie in (0, 1]");
  if (patience < 1) fail("patience", std::to_string(patience), "must be at least 1");
  if (ensemble < 1) fail("ensemble", std::to_string(ensemble), "must be at least 1");
  if (!(subsample > 0.0 && subsample <= 1.0))
    fail("subsample", number(subsample), "must lie in (0, 1]");
  if (max_bins < 2) fail("max_bins", std::to_string(max_bins), "must be at least 2");
  if (threads < 1) fail("threads", std::to_string(threads), "must be at least 1");
}

double log_loss(const std::vector<float>& p, const std::vector<std::uint8_t>& labels,
                const std::vector<float>* weights) {
  constexpr double kEps = 1e-7;
  double loss = 0.0;
  double total = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double q = std::clamp(static_cast<double>(p[i]), kEps, 1.0 - kEps);
    const double w = weights == nullptr ? 1.0 : (*weights)[i];
    loss -= w * (labels[i] == 1 ? std::log(q) : std::log(1.0 - q));
    total += w;
  }
  return total > 0.0 ? loss / total : std::numeric_limits<double>::quiet_NaN();
}

struct BdtEnsemble::Members {
  std::vector<std::unique_ptr<Booster>> boosters;
};

BdtEnsemble::BdtEnsemble() : members_(std::make_unique<Members>()) {}
BdtEnsemble::BdtEnsemble(BdtEnsemble&&) noexcept = default;
BdtEnsemble& BdtEnsemble::operator=(BdtEnsemble&&) noexcept = default;
BdtEnsemble::~BdtEnsemble() = default;

std::vector<float> BdtEnsemble::predict(const std::vector<float>& rows,
                                        std::size_t features) const {
  const std::size_t events = features == 0 ? 0 : rows.size() / features;
  if (events == 0) return {};
  if (best_round_ < 0) {
    throw core::Error("BDT ensemble predicts without a finished round (a bug in the caller)");
  }
  const Matrix matrix(rows, features, events);
  Average average(events);
  for (const auto& booster : members_->boosters) average.add(booster->predict(matrix, best_round_ + 1));
  return average.mean();
}

BdtEnsemble train_bdt_ensemble(const BdtConfig& config, const LabelledRows& train,
                               const LabelledRows& validation, std::uint64_t seed,
                               const std::function<bool()>& keep_going) {
  config.validate();
  check_sample(train, "training");
  check_sample(validation, "validation");
  silence_xgboost();
  const Matrix train_matrix(train);
  const Matrix validation_matrix(validation);

  BdtEnsemble result;
  auto& boosters = result.members_->boosters;
  for (std::size_t m = 0; m < config.ensemble; ++m) {
    auto booster = std::make_unique<Booster>(train_matrix);
    booster->set("booster", "gbtree");
    booster->set("objective", "binary:logistic");
    booster->set("tree_method", "hist");
    booster->set("grow_policy", "lossguide");
    booster->set("max_depth", "0");
    booster->set("max_leaves", std::to_string(config.max_leaves));
    booster->set("max_bin", std::to_string(config.max_bins));
    booster->set("eta", number(config.learning_rate));
    booster->set("subsample", number(config.subsample));
    booster->set("nthread", std::to_string(config.threads));
    // XGBoost's seed is a signed 32-bit parameter in places: keep 31 bits of the stream.
    const std::uint64_t member_seed =
        core::stream_seed(seed, m, core::SeedPurpose::kBoosterMember) & 0x7fffffffULL;
    booster->set("seed", std::to_string(member_seed));
    booster->set("validate_parameters", "1");
    boosters.push_back(std::move(booster));
  }

  core::EarlyStopping stopping(config.patience);
  result.status_ = BdtStatus::kCompleted;
  for (int round = 0; round < config.rounds; ++round) {
    if (!keep_going()) {
      result.status_ = BdtStatus::kAbandoned;
      return result;
    }
    Average train_p(train.size());
    Average validation_p(validation.size());
    for (auto& booster : boosters) {
      booster->update(round, train_matrix);
      // Predicting all rounds trained reuses XGBoost's per-matrix prediction cache.
      train_p.add(booster->predict(train_matrix, 0));
      validation_p.add(booster->predict(validation_matrix, 0));
    }
    const auto pt = train_p.mean();
    const auto pv = validation_p.mean();
    RoundRecord record;
    record.train_loss = log_loss(pt, *train.labels, train.weights);
    record.val_loss = log_loss(pv, *validation.labels, validation.weights);
    record.train_accuracy = accuracy(pt, *train.labels);
    record.val_accuracy = accuracy(pv, *validation.labels);
    result.history_.push_back(record);
    if (stopping.improved(record.val_loss, round)) {
      result.best_round_ = round;
    } else if (stopping.exhausted()) {
      result.status_ = BdtStatus::kEarlyStopped;
      break;
    }
  }
  return result;
}

}  // namespace cwola::trees
