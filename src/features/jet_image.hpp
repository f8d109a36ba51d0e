#pragma once
/// Jet images (the recipe of the note §4.4 and of the seeds' group's code, conventions note):
///  1. azimuths are taken relative to the hardest constituent with Δφ wrapped into (−π, π] —
///     equivalent to the recipe's "if var(φ) > 0.5 shift φ by π and wrap", and exactly
///     invariant under a global φ rotation;
///  2. translate to the pT-weighted centroid (η̄, φ̄);
///  3. rotate by the angle α = ½ atan2(2 S_ηφ, S_ηη − S_φφ) of the principal axis of the
///     pT-weighted second moments, which puts that axis on η;
///  4. flip η and/or φ so that the quadrant with the largest pT sum is the first (η', φ' > 0);
///  5. sum pT (GeV, times `scale`) into P × P pixels on [−h, h]² (h = 1: the note's window);
///     pixel (i, j) covers η' bin i (row) and φ' bin j (column).
/// All steps use only differences of η (a longitudinal boost shifts every η alike) and of φ,
/// so images are invariant under a global φ rotation and an η boost of the event.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "physics/particle.hpp"

namespace cwola::features {

struct JetImageConfig {
  int pixels = 25;          ///< P: 25 or 75 in the note
  double half_width = 1.0;  ///< h: the image covers [−h, h]² in (η', φ')
  bool rotate = true;
  bool flip = true;
  /// Throws core::InputError naming the field and value.
  void validate() const;
};

/// A jet's constituents as parallel arrays; entries with pt <= 0 (padding) are skipped.
struct ConstituentView {
  const float* pt = nullptr;  ///< GeV
  const float* eta = nullptr;
  const float* phi = nullptr;  ///< rad
  std::size_t size = 0;
};

/// (η', φ') of every constituent after steps 1–4 (padding entries give {0, 0} and are flagged
/// with pt <= 0 in the input).
std::vector<std::array<double, 2>> preprocess_jet(const ConstituentView& jet,
                                                  const JetImageConfig& config);

/// Adds the jet's image (pixels² floats, row-major) times `scale` into `image`; returns the pT
/// (GeV, unscaled) that fell inside the window.
double add_jet_image(const ConstituentView& jet, const JetImageConfig& config, float* image,
                     double scale = 1.0);

/// Convenience for reconstructed constituents (tests, generators).
std::vector<float> jet_image(const physics::Constituents& jet, const JetImageConfig& config);

/// How pixel values are scaled.
enum class ImageNormalisation {
  kNone,   ///< pixel = pT sum (GeV), the note's choice
  kJetPt,  ///< pixel = pT sum / (pT of the jet's constituents): images sum to ≤ 1
};

/// Events of two jets stored as padded arrays [event][constituent] per jet (row length
/// `max_constituents`), as in the jet event files.
struct DijetConstituentArrays {
  std::size_t max_constituents = 0;
  std::array<const float*, 2> pt{};
  std::array<const float*, 2> eta{};
  std::array<const float*, 2> phi{};
  ConstituentView view(std::size_t event, int jet) const;
};

/// Two-channel images [n][2][P][P] of the events `indices` into `out` (resized), computed on
/// `threads` threads (each event is independent, so the result does not depend on the count).
void make_dijet_images(const DijetConstituentArrays& events,
                       const std::vector<std::size_t>& indices, const JetImageConfig& config,
                       ImageNormalisation normalisation, int threads, std::vector<float>& out);

}  // namespace cwola::features
