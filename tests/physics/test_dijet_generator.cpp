#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "physics/dark_shower.hpp"
#include "physics/dijet_generator.hpp"

using namespace cwola;
using physics::DijetProcess;

namespace {
physics::DijetGenerator make(DijetProcess process) {
  physics::DijetGeneratorConfig config;
  config.process = process;
  return physics::DijetGenerator(config, physics::DijetSelectionConfig{});
}

double total_energy(const physics::StableParticles& particles) {
  double e = 0;
  for (const auto& p : particles) e += p.p.e;
  return e;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(dijet_generator)

BOOST_AUTO_TEST_CASE(dijet_function_sampler_follows_the_shape) {
  const physics::DijetFunction f;
  const physics::DijetMassSampler sampler(f, 4000.0, 7000.0);
  core::RandomStream stream(3);
  // Fraction of events below 5000 GeV against the integral.
  const int n = 20000;
  int below = 0;
  for (int i = 0; i < n; ++i) {
    const double m = sampler.sample(stream);
    BOOST_REQUIRE(m >= 4000.0 && m <= 7000.0);
    below += m < 5000.0 ? 1 : 0;
  }
  const double expected = f.integral(4000, 5000) / f.integral(4000, 7000);
  BOOST_TEST(std::abs(below / double(n) - expected) < 0.015);
  // Falling spectrum: most events at low mass.
  BOOST_TEST(expected > 0.6);
}

BOOST_AUTO_TEST_CASE(qcd_cross_section_is_normalised_to_the_note) {
  physics::DijetGeneratorConfig config;
  const double window = config.cross_section_fb();
  // σ(m > 3 TeV) = 6837 fb; the [4, 7] TeV window is a fixed fraction of it.
  const double fraction =
      config.qcd.shape.integral(4000, 7000) / config.qcd.shape.integral(3000, 0.999 * 13000);
  BOOST_TEST(window == 6837.0 * fraction, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(window > 500.0);
  BOOST_TEST(window < 1000.0);
  config.process = DijetProcess::kHiddenValley;
  BOOST_TEST(config.cross_section_fb() == 0.0);
}

BOOST_AUTO_TEST_CASE(blocks_are_reproducible_and_independent) {
  const auto generator = make(DijetProcess::kQcd);
  const auto a = generator.generate_block(11, 4, 40);
  const auto b = generator.generate_block(11, 4, 40);
  const auto c = generator.generate_block(11, 5, 40);
  BOOST_REQUIRE_EQUAL(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    BOOST_TEST(a.events[i].mjj == b.events[i].mjj);
    BOOST_TEST(a.events[i].jets[0].size() == b.events[i].jets[0].size());
  }
  BOOST_TEST(a.cutflow == b.cutflow);
  BOOST_TEST((c.events.empty() || a.events.empty() || c.events[0].mjj != a.events[0].mjj));
}

BOOST_AUTO_TEST_CASE(cutflow_is_monotone_and_counts_regions) {
  const auto block = make(DijetProcess::kQcd).generate_block(1, 0, 300);
  BOOST_REQUIRE_EQUAL(block.cutflow.size(), physics::cutflow::kSteps);
  namespace cut = physics::cutflow;
  BOOST_TEST(block.cutflow[cut::kGenerated] == 300);
  // No parton-pT cut by default: every generated event is showered.
  BOOST_TEST(block.cutflow[cut::kPartonPt] == 300);
  for (std::size_t s = 1; s <= cut::kStoredWindow; ++s)
    BOOST_TEST(block.cutflow[s] <= block.cutflow[s - 1]);
  BOOST_TEST(static_cast<std::size_t>(block.cutflow[cut::kStoredWindow]) == block.events.size());
  BOOST_TEST(block.cutflow[cut::kSignalRegion] + block.cutflow[cut::kSideband] <=
             block.cutflow[cut::kStoredWindow]);
  const auto names = physics::cutflow_steps(physics::DijetSelectionConfig{});
  BOOST_REQUIRE_EQUAL(names.size(), cut::kSteps);
  BOOST_TEST(names[cut::kBothPt] == "pt>750");
  BOOST_TEST(names[cut::kSideband] == "sideband");
  for (const auto& e : block.events) {
    BOOST_TEST(e.jet_momenta[0].pt() > 750.0);
    BOOST_TEST(std::abs(e.jet_momenta[1].eta()) < 2.0);
    BOOST_TEST(e.jets[0].size() <= 200u);
    BOOST_TEST(!e.signal);
  }
}

BOOST_AUTO_TEST_CASE(signal_jets_are_wider_heavier_and_richer_than_qcd) {
  const auto qcd = make(DijetProcess::kQcd).generate_block(2, 0, 200);
  const auto hv = make(DijetProcess::kHiddenValley).generate_block(2, 0, 100);
  auto means = [](const physics::DijetBlock& b) {
    double n = 0, m = 0;
    for (const auto& e : b.events) {
      n += e.jets[0].size();
      m += e.jet_momenta[0].m();
    }
    return std::pair{n / b.events.size(), m / b.events.size()};
  };
  const auto [n_qcd, m_qcd] = means(qcd);
  const auto [n_hv, m_hv] = means(hv);
  BOOST_TEST(n_hv > 1.8 * n_qcd);
  BOOST_TEST(m_hv > 1.8 * m_qcd);
  for (const auto& e : hv.events) BOOST_TEST(e.signal);
  // The signal peaks in the signal region.
  BOOST_TEST(hv.cutflow[physics::cutflow::kSignalRegion] >
             2 * hv.cutflow[physics::cutflow::kSideband]);
}

BOOST_AUTO_TEST_CASE(showers_and_dark_jets_conserve_energy) {
  core::RandomStream stream(5);
  const auto quark = physics::FourVector::from_pt_eta_phi_m(2000.0, 0.3, 1.0, 0.0);
  physics::FragmentationConfig sm;
  for (auto mode : {physics::DarkDecayMode::kDirect, physics::DarkDecayMode::kIndirect}) {
    physics::StableParticles out;
    const auto dark = physics::DarkSectorConfig::benchmark(10.0, mode);
    const auto record = physics::dark_jet(quark, dark, sm, 2.0 / 3.0, stream, out);
    BOOST_TEST(std::abs(total_energy(out) - quark.e) < 0.01 * quark.e);
    BOOST_TEST(record.sm_quarks >= 2 * record.dark_pions);
    BOOST_TEST(out.size() > 50u);
  }
  const auto partons = physics::shower({quark, 4.0 / 3.0},
                                       physics::DijetGeneratorConfig::default_sm_shower(), stream);
  double e = 0;
  for (const auto& p : partons) e += p.p.e;
  BOOST_TEST(e == quark.e, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(a_colour_singlet_gets_its_four_momentum_back) {
  // Y (100 GeV) at p_T = 1.7 TeV → q q̄, each showered and fragmented on its own: the hadrons'
  // mass is off; after conserve_system_momentum their sum is the Y's four-momentum again.
  core::RandomStream stream(12);
  const auto y = physics::FourVector::from_pt_eta_phi_m(1700.0, 0.4, -2.0, 100.0);
  const auto quarks = physics::two_body_decay(y, 0.0, 0.0, stream);
  std::vector<physics::Hadron> hadrons;
  for (const auto& q : {quarks.first, quarks.second}) {
    for (const auto& p : physics::shower(
             {q, 4.0 / 3.0}, physics::DijetGeneratorConfig::default_sm_shower(), stream))
      physics::fragment(p.p, physics::FragmentationConfig{}, stream, hadrons);
  }
  std::vector<double> masses;
  physics::FourVector before;
  for (const auto& h : hadrons) {
    before += h.p;
    masses.push_back(h.p.m());
  }
  BOOST_TEST(std::abs(before.m() - 100.0) > 1.0);  // independent fragmentation is off
  BOOST_REQUIRE(physics::conserve_system_momentum(hadrons, y));
  physics::FourVector after;
  for (std::size_t i = 0; i < hadrons.size(); ++i) {
    after += hadrons[i].p;
    BOOST_TEST(hadrons[i].p.m() == masses[i], boost::test_tools::tolerance(1e-6));
  }
  BOOST_TEST(after.m() == 100.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(after.px == y.px, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(after.pz == y.pz, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(after.e == y.e, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(wprime_events_carry_the_resonance) {
  auto g = physics::lhco_generator_config(DijetProcess::kWprime);
  const auto s = physics::lhco_selection_config();
  const auto block = physics::DijetGenerator(g, s).generate_block(4, 0, 80);
  BOOST_REQUIRE(block.events.size() > 40u);
  double mjj = 0;
  for (const auto& e : block.events) {
    BOOST_TEST(e.signal);
    mjj += e.mjj / static_cast<double>(block.events.size());
  }
  // Out-of-cone radiation and the detector take a few per cent of M_W′ = 3.5 TeV.
  BOOST_TEST(mjj > 3200.0);
  BOOST_TEST(mjj < 3600.0);
  // Bad settings name the key.
  g.wprime.x_mass = 1700;
  BOOST_CHECK_EXCEPTION(physics::DijetGenerator(g, s), core::InputError,
                        [](const core::InputError& e) {
                          return std::string(e.what()).find("x_mass") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(indirect_decays_make_more_prongs) {
  const auto quark = physics::FourVector::from_pt_eta_phi_m(2000.0, 0.0, 0.0, 0.0);
  physics::FragmentationConfig sm;
  double quarks[2] = {0, 0};
  int k = 0;
  for (auto mode : {physics::DarkDecayMode::kDirect, physics::DarkDecayMode::kIndirect}) {
    core::RandomStream stream(9);
    for (int i = 0; i < 30; ++i) {
      physics::StableParticles out;
      quarks[k] += physics::dark_jet(quark, physics::DarkSectorConfig::benchmark(10.0, mode), sm,
                                     2.0 / 3.0, stream, out)
                       .sm_quarks;
    }
    ++k;
  }
  BOOST_TEST(quarks[1] > 1.3 * quarks[0]);
}

BOOST_AUTO_TEST_CASE(invalid_settings_are_rejected) {
  physics::DijetGeneratorConfig config;
  config.qcd.m_min = 8000;  // above m_max
  BOOST_CHECK_THROW(config.validate(), core::InputError);
  auto dark = physics::DarkSectorConfig::benchmark(10.0, physics::DarkDecayMode::kIndirect);
  dark.rho_mass = 15.0;  // ρ_D → π_D π_D closed
  BOOST_CHECK_THROW(dark.validate(), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
