#pragma once
/// Pseudo-experiments: Poisson fluctuations of a fitted background, refitted and
/// scanned, for the look-elsewhere effect and the q0 distribution. Each toy is a
/// pure function of (master seed, toy id), so toys can be farmed over any number
/// of ranks and resumed in any order with identical results.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/random_stream.hpp"
#include "core/seed.hpp"
#include "stats/significance.hpp"

namespace cwola::stats {

/// Seed of toy `toy_id`: core::stream_seed(master, toy_id, SeedPurpose::kPseudoExperiment).
std::uint64_t toy_seed(std::uint64_t master_seed, std::uint64_t toy_id);

/// Poisson variate (multiplication method below λ = 10, Hörmann's PTRS above),
/// from our RandomStream so the stream is the same on every platform.
double poisson_variate(core::RandomStream& stream, double lambda);
/// Poisson quantile at u ∈ [0, 1) by inversion: monotone in λ for a fixed u, so
/// hypotheses compared with the same u's share random numbers (toy CLs).
double poisson_inverse(double u, double lambda);

struct ToyResult {
  bool ok = false;
  std::string failure;             ///< why the toy's fits failed
  std::vector<double> z_signed;    ///< per scan point (NaN where a fit failed)
  double z_max = 0.0;              ///< largest signed local z over the scan
  std::size_t arg_max = 0;         ///< its scan point
};

/// Background-only toy: n ~ Pois(background), refit the background (started from
/// `nominal_theta`), scan. `fitter` is the caller's work copy (its counts change).
ToyResult run_background_toy(BinnedFitter& fitter, const std::vector<double>& background,
                             const std::vector<double>& nominal_theta, const SignalShape& prototype,
                             const std::vector<ScanPoint>& points, std::uint64_t seed);

/// Global significance of the largest local excess from the toys' z_max.
struct GlobalSignificance {
  std::size_t toys = 0;
  std::size_t exceeding = 0;     ///< toys with z_max >= the observed z_max
  double z_local = 0.0;          ///< observed largest signed local z
  double p_local = 0.0;
  double p_global = 0.0;         ///< exceeding / toys
  double p_global_error = 0.0;   ///< binomial √(p(1−p)/N)
  double z_global = 0.0;
  double trials_factor = 0.0;    ///< p_global / p_local
};
GlobalSignificance global_significance(double observed_z_max, const std::vector<double>& toy_z_max);

}  // namespace cwola::stats
