#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "data/significance_mixing.hpp"

using namespace cwola::data;

namespace {
/// The note's numbers (§4.3 Table 14, §4.5): σ_B = 6837 fb, L = 139 fb⁻¹.
SignificanceMixingInput note_input(double significance) {
  SignificanceMixingInput in;
  in.background_cross_section_fb = 6837.0;
  in.background_sr_efficiency = 1991.0 / 100000.0;
  in.background_sb_efficiency = 3090.0 / 100000.0;
  in.signal_sr_efficiency = 55844.0 / 100000.0;
  in.signal_sb_efficiency = 16079.0 / 100000.0;
  in.luminosity_fb = 139.0;
  in.significance = significance;
  return in;
}
double asimov(double s, double b) { return std::sqrt(2 * ((s + b) * std::log(1 + s / b) - s)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(significance_mixing)

BOOST_AUTO_TEST_CASE(reproduces_the_note_table_15) {
  const auto c = significance_mixing_counts(note_input(1.0));
  BOOST_TEST(c.background_sr == 18921u);  // "19k"
  BOOST_TEST(c.background_sb == 29366u);  // "29k"
  BOOST_TEST(c.signal_sr == 138u);
  BOOST_TEST(c.signal_sb == 40u);
  BOOST_TEST(c.injected_s_over_sqrt_b() == 138.0 / std::sqrt(18921.0),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(luminosity_times_two_matches_table_16) {
  auto in = note_input(1.0);
  in.luminosity_fb *= 2;
  const auto c = significance_mixing_counts(in);
  BOOST_TEST(std::abs(static_cast<double>(c.background_sr) - 38000.0) < 200.0);  // "38k"
  BOOST_TEST(c.signal_sr == 195u);  // the note's 194 from 19k × 2 rounded first
  BOOST_TEST(c.signal_sb == 56u);
}

BOOST_AUTO_TEST_CASE(signal_scales_with_the_requested_significance_and_none_at_zero) {
  const auto zero = significance_mixing_counts(note_input(0.0));
  BOOST_TEST(zero.signal_sr == 0u);
  BOOST_TEST(zero.signal_sb == 0u);
  BOOST_TEST(zero.background_sr == 18921u);
  const auto five = significance_mixing_counts(note_input(5.0));
  BOOST_TEST(five.signal_sr == static_cast<std::size_t>(std::llround(5 * std::sqrt(18921.0))));
}

BOOST_AUTO_TEST_CASE(asimov_definition_inverts_the_formula) {
  for (double b : {10.0, 1000.0, 18921.0}) {
    for (double z : {0.5, 1.0, 3.0, 8.0}) {
      const double s = signal_for_asimov_significance(z, b);
      BOOST_TEST(asimov(s, b) == z, boost::test_tools::tolerance(1e-8));
    }
  }
  auto in = note_input(3.0);
  in.definition = SignificanceDefinition::kAsimov;
  const auto c = significance_mixing_counts(in);
  // For s << b, Z ≈ s/√b: the two definitions nearly agree.
  BOOST_TEST(std::abs(static_cast<double>(c.signal_sr) - 3.0 * std::sqrt(18921.0)) < 5.0);
}

BOOST_AUTO_TEST_CASE(invalid_inputs_are_rejected) {
  auto in = note_input(1.0);
  in.signal_sr_efficiency = 0.0;
  BOOST_CHECK_THROW(significance_mixing_counts(in), cwola::core::InputError);
  in = note_input(-1.0);
  BOOST_CHECK_THROW(significance_mixing_counts(in), cwola::core::InputError);
}

// Several benchmarks in shares (supervised pretraining on all but the target, report §III.C):
// equal shares split evenly, a remainder goes to the largest fractional parts, counts always
// sum to the total and each lies within 1 of its exact share.
BOOST_AUTO_TEST_CASE(share_counts_split_a_total_by_weights) {
  BOOST_TEST(share_counts(60, {1, 1}) == (std::vector<std::size_t>{30, 30}));
  BOOST_TEST(share_counts(10, {1, 1, 2}) == (std::vector<std::size_t>{3, 2, 5}));
  BOOST_TEST(share_counts(7, {1}) == (std::vector<std::size_t>{7}));
  BOOST_TEST(share_counts(0, {0.3, 0.7}) == (std::vector<std::size_t>{0, 0}));
  BOOST_TEST(share_counts(100, {0.2, 0.3, 0.5}) == (std::vector<std::size_t>{20, 30, 50}));
  for (std::size_t total : {1U, 5U, 13U, 1000U, 115000U}) {
    const std::vector<double> weights = {0.7, 1.3, 2.9, 0.1, 5.0};
    const auto counts = share_counts(total, weights);
    std::size_t sum = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      sum += counts[i];
      BOOST_TEST(std::abs(static_cast<double>(counts[i]) - total * weights[i] / 10.0) < 1.0);
    }
    BOOST_TEST(sum == total);
  }
  BOOST_CHECK_THROW(share_counts(10, {}), cwola::core::InputError);
  BOOST_CHECK_THROW(share_counts(10, {1, 0}), cwola::core::InputError);
  BOOST_CHECK_THROW(share_counts(10, {1, std::nan("")}), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
