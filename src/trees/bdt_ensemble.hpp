#pragma once
/// Ensembles of boosted decision trees (XGBoost, `hist` tree method) on float32 feature rows
/// with binary labels and per-event weights: the dense studies' second classifier backend
/// (model.classifier = bdt, docs/trees.md). XGBoost itself stays inside bdt_ensemble.cpp.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cwola::trees {

/// The [bdt] settings (Finke et al.'s histogram-boosted trees, in XGBoost's terms).
struct BdtConfig {
  int rounds = 200;             ///< boosting rounds at most (sklearn's max_iter)
  int max_leaves = 31;          ///< leaves per tree (lossguide growth, no depth limit)
  double learning_rate = 0.1;   ///< shrinkage of each round's tree (XGBoost's eta)
  /// Early stopping: training ends once the ensemble's validation log-loss has not improved
  /// for this many rounds; the model is the best round's.
  int patience = 10;
  std::size_t ensemble = 50;    ///< boosters per task, scores averaged
  /// Fraction of the training events each booster's round draws (its own seed): what makes
  /// the members differ; at 1 every member is the same deterministic tree sequence.
  double subsample = 0.8;
  int max_bins = 255;           ///< feature histogram bins
  int threads = 1;              ///< XGBoost's OpenMP threads per booster (nthread)
  /// Throws core::InputError naming the bdt.* key of a value out of range.
  void validate() const;
};

/// Events to train, validate or score on: `rows` is events × features, row-major.
struct LabelledRows {
  const std::vector<float>* rows = nullptr;
  std::size_t features = 0;
  const std::vector<std::uint8_t>* labels = nullptr;  ///< 0 or 1 per event
  /// Per-event instance weights; null: every event weighs 1.
  const std::vector<float>* weights = nullptr;
  std::size_t size() const { return labels->size(); }
};

/// One boosting round of the ensemble, evaluated on the averaged member probabilities.
struct RoundRecord {
  double train_loss = 0;  ///< weighted binary log-loss on the training events
  double val_loss = 0;    ///< weighted binary log-loss on the validation events
  double train_accuracy = 0;  ///< fraction of training events on their label's side of 0.5
  double val_accuracy = 0;
};

enum class BdtStatus {
  kCompleted,     ///< ran all rounds
  kEarlyStopped,  ///< validation loss stopped improving for `patience` rounds
  kAbandoned,     ///< keep_going returned false
};

/// A trained ensemble: its members (up to their best round) and the round-by-round record.
class BdtEnsemble {
 public:
  BdtEnsemble(BdtEnsemble&&) noexcept;
  BdtEnsemble& operator=(BdtEnsemble&&) noexcept;
  ~BdtEnsemble();

  /// One record per round trained.
  const std::vector<RoundRecord>& history() const { return history_; }
  /// 0-based round with the lowest validation loss; predictions use rounds 0..best_round.
  int best_round() const { return best_round_; }
  BdtStatus status() const { return status_; }
  /// The ensemble's score per event: the mean of its members' probabilities at the best round.
  std::vector<float> predict(const std::vector<float>& rows, std::size_t features) const;

 private:
  friend BdtEnsemble train_bdt_ensemble(const BdtConfig&, const LabelledRows&,
                                        const LabelledRows&, std::uint64_t,
                                        const std::function<bool()>&);
  struct Members;
  BdtEnsemble();
  std::unique_ptr<Members> members_;
  std::vector<RoundRecord> history_;
  int best_round_ = -1;
  BdtStatus status_ = BdtStatus::kCompleted;
};

/// Trains config.ensemble boosters in lockstep, member m seeded with
/// core::stream_seed(seed, m, SeedPurpose::kBoosterMember); after each round the averaged
/// probabilities give that round's losses, and early stopping watches the validation loss.
/// Same inputs and seed → bit-identical predictions (for a fixed config.threads).
/// `keep_going` is polled before every round. Throws core::InputError for empty or one-label
/// training events, core::Error when XGBoost reports a failure (with its message).
BdtEnsemble train_bdt_ensemble(const BdtConfig& config, const LabelledRows& train,
                               const LabelledRows& validation, std::uint64_t seed,
                               const std::function<bool()>& keep_going = [] { return true; });

/// Weighted binary log-loss of probabilities (clamped to [1e-7, 1 - 1e-7], as XGBoost's
/// logloss); `weights` null: all 1.
double log_loss(const std::vector<float>& probabilities, const std::vector<std::uint8_t>& labels,
                const std::vector<float>* weights);

}  // namespace cwola::trees
