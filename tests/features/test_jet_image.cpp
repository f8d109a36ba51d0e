#include <boost/test/unit_test.hpp>
#include <cmath>
#include <numeric>

#include "features/jet_image.hpp"
#include "features/jet_substructure.hpp"
#include "physics/constituent_smearing.hpp"
#include "physics/dijet_generator.hpp"
#include "physics/jet_clustering.hpp"

using namespace cwola;

namespace {
/// Constituents of the two leading jets of one generated event after `move` is applied to all
/// reconstructed constituents of the event.
template <typename Move>
std::array<physics::Constituents, 2> leading_jets(Move move, physics::DijetProcess process) {
  physics::DijetGeneratorConfig config;
  config.process = process;
  const physics::DijetGenerator generator(config, physics::DijetSelectionConfig{});
  core::RandomStream stream(23);
  core::RandomStream detector(24);
  auto constituents =
      physics::reconstruct(generator.generate_particles(stream), config.detector, detector);
  for (auto& c : constituents) move(c);
  const auto jets = physics::cluster_jets(constituents, config.clustering);
  std::array<physics::Constituents, 2> out;
  for (int j = 0; j < 2; ++j) {
    for (auto i : jets.at(j).constituents) out[j].push_back(constituents[i]);
  }
  return out;
}

struct Columns {
  std::vector<float> pt, eta, phi;
  explicit Columns(const physics::Constituents& jet) {
    for (const auto& c : jet) {
      pt.push_back(static_cast<float>(c.pt));
      eta.push_back(static_cast<float>(c.eta));
      phi.push_back(static_cast<float>(c.phi));
    }
  }
  features::ConstituentView view() const { return {pt.data(), eta.data(), phi.data(), pt.size()}; }
};

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i]) - b[i]));
  return d;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(jet_image)

BOOST_AUTO_TEST_CASE(image_is_invariant_under_phi_rotation_and_eta_boost) {
  for (auto process : {physics::DijetProcess::kQcd, physics::DijetProcess::kHiddenValley}) {
    const auto reference = leading_jets([](physics::Constituent&) {}, process);
    const auto moved = leading_jets(
        [](physics::Constituent& c) {
          c.phi = physics::wrap_phi(c.phi + 2.5);  // crosses the ±π seam for some jets
          c.eta += 0.43;                           // a longitudinal boost shifts every η
        },
        process);
    for (int pixels : {25, 75}) {
      features::JetImageConfig config;
      config.pixels = pixels;
      for (int j = 0; j < 2; ++j) {
        const auto a = features::jet_image(reference[j], config);
        const auto b = features::jet_image(moved[j], config);
        const double total = std::accumulate(a.begin(), a.end(), 0.0);
        BOOST_TEST(total > 100.0);
        // Float rounding may move a constituent across a pixel edge: allow 0.1% of the jet pT.
        BOOST_TEST(max_difference(a, b) < 1e-3 * total);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(pixel_sum_equals_constituent_pt_inside_the_window) {
  const auto jets =
      leading_jets([](physics::Constituent&) {}, physics::DijetProcess::kHiddenValley);
  for (int j = 0; j < 2; ++j) {
    const Columns columns(jets[j]);
    features::JetImageConfig config;
    const auto xy = features::preprocess_jet(columns.view(), config);
    double inside = 0;
    double all = 0;
    for (std::size_t i = 0; i < xy.size(); ++i) {
      all += columns.pt[i];
      if (std::abs(xy[i][0]) < 1.0 && std::abs(xy[i][1]) < 1.0) inside += columns.pt[i];
    }
    std::vector<float> image(25 * 25, 0.0F);
    const double returned = features::add_jet_image(columns.view(), config, image.data());
    const double pixel_sum = std::accumulate(image.begin(), image.end(), 0.0);
    BOOST_TEST(pixel_sum == inside, boost::test_tools::tolerance(1e-5));
    BOOST_TEST(returned == inside, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(inside > 0.95 * all);
    // A small window loses the wide-angle constituents.
    config.half_width = 0.2;
    std::fill(image.begin(), image.end(), 0.0F);
    BOOST_TEST(features::add_jet_image(columns.view(), config, image.data()) < inside);
  }
}

BOOST_AUTO_TEST_CASE(preprocessing_centres_rotates_and_flips) {
  const auto jets = leading_jets([](physics::Constituent&) {}, physics::DijetProcess::kQcd);
  const Columns columns(jets[0]);
  const auto xy = features::preprocess_jet(columns.view(), features::JetImageConfig{});
  double sum = 0, x = 0, y = 0, xx = 0, yy = 0, xyy = 0;
  double quadrant[2][2] = {{0, 0}, {0, 0}};
  for (std::size_t i = 0; i < xy.size(); ++i) {
    const double w = columns.pt[i];
    sum += w;
    x += w * xy[i][0];
    y += w * xy[i][1];
    xx += w * xy[i][0] * xy[i][0];
    yy += w * xy[i][1] * xy[i][1];
    xyy += w * xy[i][0] * xy[i][1];
    quadrant[xy[i][0] < 0][xy[i][1] < 0] += w;
  }
  BOOST_TEST(std::abs(x / sum) < 1e-6);
  BOOST_TEST(std::abs(y / sum) < 1e-6);
  BOOST_TEST(std::abs(xyy / sum) < 1e-6);  // principal axes are the coordinate axes
  BOOST_TEST(xx >= yy);                    // the major one is η
  BOOST_TEST(quadrant[0][0] >= quadrant[0][1]);
  BOOST_TEST(quadrant[0][0] >= quadrant[1][0]);
  BOOST_TEST(quadrant[0][0] >= quadrant[1][1]);
}

BOOST_AUTO_TEST_CASE(parallel_images_match_serial_and_normalise) {
  // Four synthetic events, padded to 3 constituents per jet.
  const std::size_t width = 3;
  std::array<std::vector<float>, 2> pt, eta, phi;
  core::RandomStream stream(2);
  for (int j = 0; j < 2; ++j) {
    for (std::size_t i = 0; i < 4 * width; ++i) {
      pt[j].push_back(i % width == 2 ? 0.0F : static_cast<float>(10 + 100 * stream.uniform()));
      eta[j].push_back(static_cast<float>(0.3 * stream.normal()));
      phi[j].push_back(static_cast<float>(3.0 + 0.3 * stream.normal()));
    }
  }
  features::DijetConstituentArrays arrays;
  arrays.max_constituents = width;
  for (int j = 0; j < 2; ++j) {
    arrays.pt[j] = pt[j].data();
    arrays.eta[j] = eta[j].data();
    arrays.phi[j] = phi[j].data();
  }
  std::vector<std::size_t> rows(600);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i % 4;
  features::JetImageConfig config;
  config.pixels = 9;
  std::vector<float> serial;
  std::vector<float> threaded;
  features::make_dijet_images(arrays, rows, config, features::ImageNormalisation::kJetPt, 1,
                              serial);
  features::make_dijet_images(arrays, rows, config, features::ImageNormalisation::kJetPt, 4,
                              threaded);
  BOOST_TEST(serial == threaded);
  BOOST_REQUIRE_EQUAL(serial.size(), rows.size() * 2 * 81);
  const double first_channel = std::accumulate(serial.begin(), serial.begin() + 81, 0.0);
  BOOST_TEST(first_channel == 1.0, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(jet_mass_and_angularity) {
  const std::vector<float> pt = {100.0F, 50.0F, 0.0F};
  const std::vector<float> eta = {0.0F, 0.2F, 0.0F};
  const std::vector<float> phi = {0.0F, 0.1F, 0.0F};
  const features::ConstituentView jet{pt.data(), eta.data(), phi.data(), 3};
  const double expected = std::sqrt(2.0 * 100.0 * 50.0 * (std::cosh(0.2) - std::cos(0.1)));
  BOOST_TEST(features::jet_mass(jet) == expected, boost::test_tools::tolerance(1e-5));
  const features::ConstituentView single{pt.data(), eta.data(), phi.data(), 1};
  BOOST_TEST(features::jet_mass(single) == 0.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(features::jet_angularity(single, 0.8) == 0.0, boost::test_tools::tolerance(1e-9));
  const double lambda = features::jet_angularity(jet, 0.8);
  BOOST_TEST(lambda > 0.0);
  BOOST_TEST(lambda < 1.0);
}

BOOST_AUTO_TEST_SUITE_END()
