#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>

#include "features/dijet_table.hpp"
#include "physics/dijet_generator.hpp"

using namespace cwola;

namespace {
/// The LHCO-like benchmark's settings (app/generate_dijets.cpp, process = lhco).
physics::DijetGenerator lhco_generator(physics::DijetProcess process) {
  return physics::DijetGenerator(physics::lhco_generator_config(process),
                                 physics::lhco_selection_config());
}

/// The table's columns by name over `blocks` blocks of `events` events.
std::map<std::string, std::vector<double>> table(physics::DijetProcess process, std::size_t blocks,
                                                 std::size_t events) {
  const auto generator = lhco_generator(process);
  const auto& names = features::dijet_table_columns();
  std::map<std::string, std::vector<double>> columns;
  for (std::size_t b = 0; b < blocks; ++b) {
    for (const auto& event : generator.generate_block(77, b, events).events) {
      const auto row = features::dijet_table_row(event, 1.0);
      BOOST_REQUIRE_EQUAL(row.size(), names.size());
      for (std::size_t c = 0; c < row.size(); ++c) columns[names[c]].push_back(row[c]);
    }
  }
  return columns;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = mean(a);
  const double mb = mean(b);
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) * (a[i] - ma);
    bb += (b[i] - mb) * (b[i] - mb);
  }
  return ab / std::sqrt(aa * bb);
}

/// Centre of the most populated bin of width `width` (GeV) in [lo, hi).
double mode(const std::vector<double>& v, double lo, double hi, double width) {
  std::vector<int> counts(static_cast<std::size_t>((hi - lo) / width), 0);
  for (double x : v) {
    if (x >= lo && x < hi) ++counts[static_cast<std::size_t>((x - lo) / width)];
  }
  const auto peak = std::max_element(counts.begin(), counts.end()) - counts.begin();
  return lo + (static_cast<double>(peak) + 0.5) * width;
}

struct Samples {
  std::map<std::string, std::vector<double>> qcd = table(physics::DijetProcess::kQcd, 40, 6000);
  std::map<std::string, std::vector<double>> wprime = table(physics::DijetProcess::kWprime, 1, 300);
};

const Samples& samples() {
  static const Samples s;
  return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(dijet_table)

BOOST_AUTO_TEST_CASE(rows_are_consistent) {
  for (const auto* t : {&samples().qcd, &samples().wprime}) {
    const auto& c = *t;
    BOOST_REQUIRE(c.at("mjj").size() > 100u);
    for (std::size_t i = 0; i < c.at("mjj").size(); ++i) {
      BOOST_TEST(c.at("mj1")[i] >= c.at("mj2")[i]);
      BOOST_TEST(c.at("delta_mj")[i] == c.at("mj1")[i] - c.at("mj2")[i]);
      BOOST_TEST(std::max(c.at("ptj1")[i], c.at("ptj2")[i]) > 1200.0);  // the trigger
      BOOST_TEST(std::abs(c.at("etaj1")[i]) < 2.5);
      BOOST_TEST(c.at("tau21j1")[i] == c.at("tau2j1")[i] / c.at("tau1j1")[i]);
      BOOST_TEST(c.at("nconstj1")[i] >= 1.0);
      BOOST_TEST(c.at("label")[i] == (t == &samples().wprime ? 1.0 : 0.0));
    }
  }
}

BOOST_AUTO_TEST_CASE(signal_jet_masses_peak_at_x_and_y) {
  const auto& s = samples().wprime;
  const double heavy = mode(s.at("mj1"), 0.0, 1000.0, 25.0);
  const double light = mode(s.at("mj2"), 0.0, 400.0, 10.0);
  BOOST_TEST_MESSAGE("W′ signal: m_j1 peaks at " << heavy << " GeV, m_j2 at " << light << " GeV");
  BOOST_TEST(std::abs(heavy - 500.0) < 50.0);
  BOOST_TEST(std::abs(light - 100.0) < 20.0);
  // The dijet mass peaks at M_W′.
  BOOST_TEST(std::abs(mode(s.at("mjj"), 2000.0, 5000.0, 100.0) - 3500.0) < 200.0);
}

BOOST_AUTO_TEST_CASE(signal_jets_are_two_prong) {
  const double signal = mean(samples().wprime.at("tau21j1"));
  const double qcd = mean(samples().qcd.at("tau21j1"));
  BOOST_TEST_MESSAGE("mean τ21 of j1: W′ " << signal << ", QCD " << qcd);
  BOOST_TEST(signal < qcd - 0.15);
  BOOST_TEST(mean(samples().wprime.at("tau21j2")) < mean(samples().qcd.at("tau21j2")) - 0.1);
}

BOOST_AUTO_TEST_CASE(qcd_substructure_is_only_weakly_correlated_with_mjj) {
  // The CWoLa-hunting assumption: sidebands model the signal region's background. Measured
  // (docs/hunt.md): corr(m_j1, m_jj), corr(τ21, m_jj) over the generated QCD.
  const auto& q = samples().qcd;
  const double mass = correlation(q.at("mj1"), q.at("mjj"));
  const double tau = correlation(q.at("tau21j1"), q.at("mjj"));
  BOOST_TEST_MESSAGE("QCD (" << q.at("mjj").size() << " events): corr(mj1, mjj) = " << mass
                             << ", corr(tau21j1, mjj) = " << tau);
  BOOST_TEST(std::abs(mass) < 0.3);
  BOOST_TEST(std::abs(tau) < 0.2);
}

BOOST_AUTO_TEST_SUITE_END()
