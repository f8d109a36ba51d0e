#pragma once
/// Seed mixing: every random stream is a pure function of (master seed, task id,
/// purpose), never of the rank, so any slice of a study reproduces on any rank count.
#include <cstdint>

namespace cwola::core {

/// What a random stream is used for; the value enters the hash, so never renumber.
enum class SeedPurpose : std::uint64_t {
  kSignalSample = 1,
  kBackgroundSample = 2,
  kMixing = 3,
  kSplit = 4,
  kShuffle = 5,
  kWeightInit = 6,
  kTestSample = 7,
  kAugmentation = 8,
  kEventBlock = 9,
  kFoldAssignment = 10,  ///< which k-fold block each event of a sample falls in
  kInjection = 11,       ///< which signal events a hunt injects (per injection seed)
  /// A task's boosted-tree ensemble (trees/): the task's stream, then one per member.
  kBoosterMember = 12,
  /// Statistical pseudo-experiments (look-elsewhere and toy-CLs toys); far above the study
  /// purposes, which it predates as a local constant of the same value.
  kPseudoExperiment = 101,
  /// The bump-hunt network's generated histograms (stats/histogram_generator): the shape, the
  /// injected signal and the Poisson fluctuation of histogram i.
  kBumpShape = 201,
  kBumpInjection = 202,
  kBumpFluctuation = 203,
  /// CATHODE (hunt.method = cathode): the task's flow weights, its epoch order, and the
  /// signal-region samples it generates (m_jj from the histogram, then the flow's features).
  kFlowInit = 301,
  kFlowShuffle = 302,
  kFlowSample = 303,
  /// The idealised anomaly detector (hunt.method = idealised): which simulated background
  /// events of the template file a task's classifier learns against.
  kTemplateSample = 311,
  /// VAE-QR (hunt.method = vae_qr): the task's VAE weights, its epoch order and its
  /// reparameterisation noise; the quantile regression's weights and epoch order.
  kVaeInit = 401,
  kVaeShuffle = 402,
  kVaeNoise = 403,
  kQuantileInit = 404,
  kQuantileShuffle = 405,
  /// Meta-transfer learning (hidden_valley.labels = meta): the task's stream of meta-tasks
  /// (each task's signal amount and events, then per meta-task index), and the minibatch
  /// order of one meta-task's inner loop (per meta-task index).
  kMetaTask = 501,
  kMetaInner = 502,
};

/// SplitMix64 finaliser: a bijective 64-bit mixer with full avalanche.
std::uint64_t mix64(std::uint64_t x);

/// Seed of the stream for (master, task, purpose). Distinct inputs give
/// statistically independent seeds (chained mixing, not `master + task`).
std::uint64_t stream_seed(std::uint64_t master, std::uint64_t task, SeedPurpose purpose);

/// Seed of a stream shared by every task of one scan point (master, point, purpose): e.g. the
/// test sample that all repeats of a point score ([metrics] test_set = per_point). Kept apart
/// from the task streams, so point p's stream never equals task p's stream of that purpose.
std::uint64_t point_seed(std::uint64_t master, std::uint64_t point, SeedPurpose purpose);

}  // namespace cwola::core
