#include "features/top_chi2_assignment.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "core/random_stream.hpp"
#include "physics/four_vector.hpp"

using cwola::features::ChiJet;
using cwola::features::assign_tops_chi2;
using cwola::physics::FourVector;

namespace {

ChiJet to_jet(const FourVector& p, double btag) { return {p.pt(), p.eta(), p.phi(), p.m(), btag}; }

/// Two exact t -> b (q q) decays plus two soft untagged jets, in a shuffled order; returns the
/// jets and, in `truth`, each top's {q1, q2, b} indices.
std::vector<ChiJet> make_event(std::uint64_t seed, std::array<std::array<int, 3>, 2>& truth) {
  cwola::core::RandomStream rng(seed);
  std::vector<std::pair<ChiJet, int>> tagged;  // jet, slot (top * 3 + daughter) or -1
  for (int t = 0; t < 2; ++t) {
    const auto top = FourVector::from_pt_eta_phi_m(100 + 100 * rng.uniform(), rng.normal(),
                                                   6 * rng.uniform() - 3, 172.5);
    const auto bw = cwola::physics::two_body_decay(top, 4.8, 80.4, rng);
    const auto qq = cwola::physics::two_body_decay(bw.second, 0.0, 0.0, rng);
    tagged.push_back({to_jet(qq.first, 0.0), t * 3 + 0});
    tagged.push_back({to_jet(qq.second, 0.0), t * 3 + 1});
    tagged.push_back({to_jet(bw.first, 1.0), t * 3 + 2});
  }
  for (int extra = 0; extra < 2; ++extra) {
    tagged.push_back({ChiJet{25 + 10 * rng.uniform(), rng.normal(), 6 * rng.uniform() - 3, 5, 0},
                      -1});
  }
  for (std::size_t i = tagged.size(); i > 1; --i) {
    std::swap(tagged[i - 1], tagged[static_cast<std::size_t>(rng.uniform() * static_cast<double>(i))]);
  }
  std::vector<ChiJet> jets;
  for (std::size_t i = 0; i < tagged.size(); ++i) {
    jets.push_back(tagged[i].first);
    if (tagged[i].second >= 0) {
      truth[static_cast<std::size_t>(tagged[i].second / 3)]
           [static_cast<std::size_t>(tagged[i].second % 3)] = static_cast<int>(i);
    }
  }
  return jets;
}

std::array<int, 3> canonical(std::array<int, 3> t) {
  if (t[0] > t[1]) std::swap(t[0], t[1]);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(top_chi2_assignment)

BOOST_AUTO_TEST_CASE(finds_exact_top_decays_among_extra_jets) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::array<std::array<int, 3>, 2> truth{};
    const auto jets = make_event(seed, truth);
    const auto found = assign_tops_chi2(jets);
    std::array<std::array<int, 3>, 2> want{canonical(truth[0]), canonical(truth[1])};
    std::array<std::array<int, 3>, 2> got{canonical(found[0]), canonical(found[1])};
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    BOOST_TEST_INFO("seed " << seed);
    BOOST_TEST((want == got));
  }
}

BOOST_AUTO_TEST_CASE(fewer_than_six_jets_gives_no_assignment) {
  const std::vector<ChiJet> jets(5, ChiJet{50, 0, 0, 5, 1});
  const auto found = assign_tops_chi2(jets);
  BOOST_TEST(found[0][0] == -1);
  BOOST_TEST(found[1][2] == -1);
}

BOOST_AUTO_TEST_SUITE_END()
