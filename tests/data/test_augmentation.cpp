#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "data/augmentation.hpp"

using namespace cwola;
using physics::FourVector;

namespace {
features::HiggsCandidates candidates(double pt1, double pt2, double phi1) {
  features::HiggsCandidates h;
  h.h1 = FourVector::from_pt_eta_phi_m(pt1, 0.7, phi1, 125);
  h.h2 = FourVector::from_pt_eta_phi_m(pt2, -0.4, phi1 + 2.5, 118);
  h.h1_delta_r = 0.9;
  h.h2_delta_r = 1.3;
  h.btag = {true, true, true, true};
  return h;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(augmentation)

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (const auto& name : data::augmentation_names()) {
    BOOST_TEST(data::to_string(data::parse_augmentation(name)) == name);
  }
  BOOST_CHECK_THROW(data::parse_augmentation("mirror"), core::InputError);
}

BOOST_AUTO_TEST_CASE(rotation_keeps_masses_and_transverse_momenta) {
  data::AugmentationConfig config;
  config.kind = data::AugmentationKind::kRotation;
  core::RandomStream stream(1);
  const auto h = candidates(300, 200, 3.0);
  for (int i = 0; i < 100; ++i) {
    const auto r = data::augment(h, config, stream);
    BOOST_TEST(r.hh().m() == h.hh().m(), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(r.hh().pt() == h.hh().pt(), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(r.h1.pt() == h.h1.pt(), boost::test_tools::tolerance(1e-9));
    BOOST_TEST(r.h1.eta() == h.h1.eta(), boost::test_tools::tolerance(1e-9));
    // The same angle for both candidates: their Δφ is unchanged (mod 2π).
    BOOST_TEST(std::abs(physics::delta_phi(r.h1.phi() - r.h2.phi(), h.h1.phi() - h.h2.phi())) <
               1e-9);
    BOOST_TEST(r.h1.phi() > -physics::kPi);
    BOOST_TEST(r.h1.phi() <= physics::kPi);
    BOOST_TEST(r.h1_delta_r == h.h1_delta_r);
  }
}

BOOST_AUTO_TEST_CASE(smearing_keeps_the_mean_with_the_stated_width) {
  const auto h = candidates(250, 100, 0.0);
  const int n = 40000;
  {
    data::AugmentationConfig config;
    config.kind = data::AugmentationKind::kEtaPhi;
    core::RandomStream stream(2);
    double sum_eta = 0, sum2_eta = 0, sum_dphi = 0;
    for (int i = 0; i < n; ++i) {
      const auto r = data::augment(h, config, stream);
      const double d = r.h2.eta() - h.h2.eta();
      sum_eta += d;
      sum2_eta += d * d;
      sum_dphi += physics::delta_phi(r.h2.phi(), h.h2.phi());
      BOOST_REQUIRE(std::abs(r.h2.pt() - 100) < 1e-9);  // pT untouched
    }
    const double sigma = config.smear_scale / 100.0;  // Λ/pT = 0.1
    BOOST_TEST(std::abs(sum_eta / n) < 4 * sigma / std::sqrt(n));
    BOOST_TEST(std::abs(sum_dphi / n) < 4 * sigma / std::sqrt(n));
    BOOST_TEST(std::sqrt(sum2_eta / n) == sigma, boost::test_tools::tolerance(0.02));
  }
  {
    data::AugmentationConfig config;
    config.kind = data::AugmentationKind::kPt;
    core::RandomStream stream(3);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double pt = data::augment(h, config, stream).h1.pt();
      sum += pt;
      sum2 += pt * pt;
    }
    const double mean = sum / n;
    const double expected_sigma = std::sqrt(0.052 * 250 * 250 + 1.502 * 250);
    BOOST_TEST(std::abs(mean - 250) < 4 * expected_sigma / std::sqrt(n));
    BOOST_TEST(std::sqrt(sum2 / n - mean * mean) == expected_sigma,
               boost::test_tools::tolerance(0.02));
  }
}

BOOST_AUTO_TEST_CASE(split_is_made_before_augmentation) {
  // 100 events, 25% validation, +3 copies: no training row comes from a validation
  // event, every training event appears 1 + 3 times, validation rows are originals.
  data::CandidateSample sample;
  core::RandomStream make(4);
  for (int i = 0; i < 100; ++i) {
    sample.add(candidates(100 + i, 80 + 0.5 * i, make.uniform()), static_cast<std::uint8_t>(i % 2),
               static_cast<std::uint8_t>(i % 2));
  }
  const auto selection = features::FeatureSelection::parse({"no_btag"});
  data::AugmentationConfig config;
  config.kind = data::AugmentationKind::kAll;
  core::RandomStream split(5);
  core::RandomStream augment(6);
  const auto out = data::split_then_augment(sample, selection, 0.25, 3, config, split, augment);
  BOOST_TEST(out.split.validation.size() == 25U);
  BOOST_TEST(out.split.train.size() == 75U * 4);
  BOOST_TEST(out.train_origin.size() == out.split.train.size());
  const std::set<std::size_t> validation(out.validation_origin.begin(),
                                         out.validation_origin.end());
  std::map<std::size_t, int> uses;
  for (std::size_t origin : out.train_origin) {
    BOOST_TEST(validation.count(origin) == 0U);
    ++uses[origin];
  }
  BOOST_TEST(uses.size() == 75U);
  for (const auto& [origin, count] : uses) BOOST_TEST(count == 4);
  // Labels travel with their copies.
  for (std::size_t r = 0; r < out.train_origin.size(); ++r) {
    BOOST_TEST(out.split.train.label[r] == sample.label[out.train_origin[r]]);
  }
  // Validation rows are the unaugmented events.
  const auto first = features::compute_dihiggs_features(sample.events[out.validation_origin[0]]);
  BOOST_TEST(out.split.validation.rows[0] == static_cast<float>(first[0]));
}

BOOST_AUTO_TEST_SUITE_END()
