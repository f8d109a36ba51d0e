#include "features/jet_image.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/error.hpp"
#include "core/text.hpp"
#include "physics/four_vector.hpp"

namespace cwola::features {

void JetImageConfig::validate() const {
  if (pixels < 1 || pixels > 4096) {
    throw core::InputError("jet image", "pixels", std::to_string(pixels),
                           "the image needs between 1 and 4096 pixels per side (note: 25 or 75)");
  }
  if (!(half_width > 0) || !std::isfinite(half_width)) {
    throw core::InputError("jet image", "half_width", core::format_double(half_width),
                           "the window half-width must be > 0 (note: 1)");
  }
}

std::vector<std::array<double, 2>> preprocess_jet(const ConstituentView& jet,
                                                  const JetImageConfig& config) {
  std::vector<std::array<double, 2>> xy(jet.size, {0.0, 0.0});
  // 1. Azimuth reference: the hardest constituent.
  std::size_t hardest = jet.size;
  for (std::size_t i = 0; i < jet.size; ++i) {
    if (jet.pt[i] > 0 && (hardest == jet.size || jet.pt[i] > jet.pt[hardest])) hardest = i;
  }
  if (hardest == jet.size) return xy;
  double sum = 0;
  double eta_mean = 0;
  double phi_mean = 0;
  for (std::size_t i = 0; i < jet.size; ++i) {
    if (jet.pt[i] <= 0) continue;
    xy[i][0] = jet.eta[i];
    xy[i][1] = physics::delta_phi(jet.phi[i], jet.phi[hardest]);
    sum += jet.pt[i];
    eta_mean += jet.pt[i] * xy[i][0];
    phi_mean += jet.pt[i] * xy[i][1];
  }
  eta_mean /= sum;
  phi_mean /= sum;
  // 2. Centroid at the origin; second moments.
  double s_xx = 0;
  double s_yy = 0;
  double s_xy = 0;
  for (std::size_t i = 0; i < jet.size; ++i) {
    if (jet.pt[i] <= 0) continue;
    xy[i][0] -= eta_mean;
    xy[i][1] -= phi_mean;
    s_xx += jet.pt[i] * xy[i][0] * xy[i][0];
    s_yy += jet.pt[i] * xy[i][1] * xy[i][1];
    s_xy += jet.pt[i] * xy[i][0] * xy[i][1];
  }
  // 3. Principal axis onto η.
  if (config.rotate) {
    const double alpha = 0.5 * std::atan2(2.0 * s_xy, s_xx - s_yy);
    const double c = std::cos(alpha);
    const double s = std::sin(alpha);
    for (std::size_t i = 0; i < jet.size; ++i) {
      const double x = xy[i][0];
      const double y = xy[i][1];
      xy[i][0] = c * x + s * y;
      xy[i][1] = -s * x + c * y;
    }
  }
  // 4. Hardest quadrant first.
  if (config.flip) {
    double quadrant[2][2] = {{0, 0}, {0, 0}};  // [x < 0][y < 0]
    for (std::size_t i = 0; i < jet.size; ++i) {
      if (jet.pt[i] <= 0) continue;
      quadrant[xy[i][0] < 0 ? 1 : 0][xy[i][1] < 0 ? 1 : 0] += jet.pt[i];
    }
    int best_x = 0;
    int best_y = 0;
    for (int a = 0; a < 2; ++a) {
      for (int b = 0; b < 2; ++b) {
        if (quadrant[a][b] > quadrant[best_x][best_y]) {
          best_x = a;
          best_y = b;
        }
      }
    }
    for (std::size_t i = 0; i < jet.size; ++i) {
      if (best_x == 1) xy[i][0] = -xy[i][0];
      if (best_y == 1) xy[i][1] = -xy[i][1];
    }
  }
  return xy;
}

double add_jet_image(const ConstituentView& jet, const JetImageConfig& config, float* image,
                     double scale) {
  const auto xy = preprocess_jet(jet, config);
  const int n = config.pixels;
  const double h = config.half_width;
  const double per_unit = n / (2.0 * h);
  double inside = 0;
  for (std::size_t i = 0; i < jet.size; ++i) {
    if (jet.pt[i] <= 0) continue;
    const double u = (xy[i][0] + h) * per_unit;
    const double v = (xy[i][1] + h) * per_unit;
    if (!(u >= 0 && u < n && v >= 0 && v < n)) continue;
    const int row = std::min(static_cast<int>(u), n - 1);
    const int column = std::min(static_cast<int>(v), n - 1);
    image[row * n + column] += static_cast<float>(jet.pt[i] * scale);
    inside += jet.pt[i];
  }
  return inside;
}

std::vector<float> jet_image(const physics::Constituents& jet, const JetImageConfig& config) {
  config.validate();
  std::vector<float> pt, eta, phi;
  for (const auto& c : jet) {
    pt.push_back(static_cast<float>(c.pt));
    eta.push_back(static_cast<float>(c.eta));
    phi.push_back(static_cast<float>(c.phi));
  }
  std::vector<float> image(static_cast<std::size_t>(config.pixels) * config.pixels, 0.0F);
  add_jet_image({pt.data(), eta.data(), phi.data(), pt.size()}, config, image.data());
  return image;
}

ConstituentView DijetConstituentArrays::view(std::size_t event, int jet) const {
  const std::size_t offset = event * max_constituents;
  return {pt[jet] + offset, eta[jet] + offset, phi[jet] + offset, max_constituents};
}

void make_dijet_images(const DijetConstituentArrays& events,
                       const std::vector<std::size_t>& indices, const JetImageConfig& config,
                       ImageNormalisation normalisation, int threads, std::vector<float>& out) {
  config.validate();
  const std::size_t pixels = static_cast<std::size_t>(config.pixels) * config.pixels;
  out.assign(indices.size() * 2 * pixels, 0.0F);
  auto work = [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      for (int j = 0; j < 2; ++j) {
        const auto view = events.view(indices[k], j);
        double scale = 1.0;
        if (normalisation == ImageNormalisation::kJetPt) {
          double total = 0;
          for (std::size_t i = 0; i < view.size; ++i) total += view.pt[i] > 0 ? view.pt[i] : 0.0F;
          scale = total > 0 ? 1.0 / total : 1.0;
        }
        add_jet_image(view, config, out.data() + (k * 2 + j) * pixels, scale);
      }
    }
  };
  const std::size_t n = indices.size();
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(threads, n / 256 + 1));
  if (workers == 1) {
    work(0, n);
    return;
  }
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) {
    pool.emplace_back(work, n * w / workers, n * (w + 1) / workers);
  }
  for (auto& t : pool) t.join();
}

}  // namespace cwola::features
