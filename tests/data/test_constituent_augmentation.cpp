#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "data/constituent_augmentation.hpp"

using namespace cwola::data;

namespace {
DijetConstituentTable table(std::size_t events) {
  DijetConstituentTable t;
  t.max_constituents = 4;
  for (std::size_t e = 0; e < events; ++e) {
    for (int j = 0; j < 2; ++j) {
      for (std::size_t i = 0; i < 4; ++i) {
        t.pt[j].push_back(i == 3 ? 0.0F : static_cast<float>(1.0 + 10.0 * i));  // one padding slot
        t.eta[j].push_back(0.1F * static_cast<float>(i));
        t.phi[j].push_back(3.1F);
      }
    }
    t.mjj.push_back(5000.0F);
    t.label.push_back(static_cast<std::uint8_t>(e % 2));
    t.is_signal.push_back(0);
  }
  return t;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(constituent_augmentation)

BOOST_AUTO_TEST_CASE(plus_n_copies_keep_originals_first) {
  const auto train = table(5);
  cwola::core::RandomStream stream(1);
  ConstituentAugmentationConfig config;
  config.mode = ConstituentAugmentationMode::kCopy;
  config.copies = 2;
  const auto out = augment_training_split(train, config, stream);
  BOOST_REQUIRE_EQUAL(out.size(), 15u);
  for (std::size_t copy = 0; copy < 3; ++copy) {
    for (std::size_t e = 0; e < 5; ++e) {
      BOOST_TEST(out.label[copy * 5 + e] == train.label[e]);
      for (std::size_t i = 0; i < 4; ++i) {
        BOOST_TEST(out.eta[1][(copy * 5 + e) * 4 + i] == train.eta[1][e * 4 + i]);
      }
    }
  }
  config.mode = ConstituentAugmentationMode::kNone;
  BOOST_TEST(augment_training_split(train, config, stream).size() == 5u);
}

BOOST_AUTO_TEST_CASE(smearing_scales_with_lambda_over_pt_and_skips_padding) {
  auto t = table(2000);
  const auto original = t;
  cwola::core::RandomStream stream(4);
  for (std::size_t e = 0; e < t.size(); ++e) smear_event(t, e, 0.1, stream);
  // Constituent 0 has pT = 1 GeV: σ = 0.1; constituent 2 has 21 GeV: σ = 0.1/21.
  double var0 = 0, var2 = 0;
  for (std::size_t e = 0; e < t.size(); ++e) {
    const double d0 = t.eta[0][e * 4] - original.eta[0][e * 4];
    const double d2 = t.eta[0][e * 4 + 2] - original.eta[0][e * 4 + 2];
    var0 += d0 * d0;
    var2 += d2 * d2;
    BOOST_TEST(t.eta[0][e * 4 + 3] == original.eta[0][e * 4 + 3]);  // padding untouched
    BOOST_TEST(std::abs(t.phi[0][e * 4]) <= 3.14159266);            // wrapped
  }
  BOOST_TEST(std::sqrt(var0 / t.size()) == 0.1, boost::test_tools::tolerance(0.05));
  BOOST_TEST(std::sqrt(var2 / t.size()) == 0.1 / 21.0, boost::test_tools::tolerance(0.05));
  BOOST_TEST(t.pt == original.pt);
}

BOOST_AUTO_TEST_CASE(rotation_and_parsing) {
  auto t = table(1);
  rotate_event(t, 0, 0.5);
  BOOST_TEST(t.phi[0][0] == static_cast<float>(3.1 + 0.5 - 2 * 3.14159265358979323846),
             boost::test_tools::tolerance(1e-5F));
  BOOST_TEST(t.phi[0][3] == 3.1F);  // padding untouched
  BOOST_TEST(to_string(parse_constituent_augmentation("smear")) == "smear");
  BOOST_CHECK_THROW(parse_constituent_augmentation("blur"), cwola::core::InputError);
  ConstituentAugmentationConfig bad;
  bad.smear_scale_gev = -1;
  BOOST_CHECK_THROW(bad.validate(), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
