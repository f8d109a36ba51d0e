/// Study "dihiggs_hunting" — CWoLa hunting on di-Higgs → 4b, the note's §2
/// (Tables 2–9). The two mixtures are the events in the signal region (label 1)
/// and in the sidebands (label 0) of m_hh, the mass of the four highest-pT b-tagged
/// jets (Table 2 windows). Their sizes are physical: N = round(σ × L) per window
/// with the note's Table 3 cross sections (after the four-tag cut) and a luminosity
/// (default 139 fb⁻¹); the signal is scaled by `signal_multiplier` (the note's 0×,
/// 1×, 10×, 100×). Evaluation is on pure, truth-labelled signal and background
/// (5k + 5k by default, from all four-tag events or only the signal region).
///
/// What it shows: with the candidates' pT and m among the inputs (features =
/// hunting) the network learns "signal region vs sideband" from the background
/// alone — features correlated with m_hh — and no-signal runs score like
/// with-signal runs; without them (hunting_no_pt_m) the no-signal runs return to
/// AUC ≈ 0.5. The correlation matrix of the 16 features (m_hh included) on each
/// task's test sample is stored as columns corr__<a>__<b> (correlations = true).
///
/// [dihiggs] signal_region (low, high), sidebands (low1, high1, low2, high2, ...),
///           cross_sections_fb (six values: signal four-tag, signal SR, signal SB,
///           background four-tag, background SR, background SB), luminosity_fb,
///           signal_multiplier, test_events (per class), test_region (all |
///           signal_region | windows), features, drop_features, correlations
#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/event_weights.hpp"
#include "studies/classifier_study.hpp"
#include "studies/classifier_task.hpp"
#include "studies/dihiggs_common.hpp"
#include "studies/dihiggs_studies.hpp"
#include "studies/study.hpp"

namespace cwola::studies {

namespace {

enum class TestRegion { kAll, kSignalRegion, kWindows };

struct HuntingSettings {
  DihiggsPhysics physics;
  features::FeatureSelection selection;
  data::MassWindows windows;
  data::WindowCrossSections sigma;
  double luminosity = 139;
  double signal_multiplier = 1;
  data::HuntingSizes sizes;
  std::size_t test_events = 5000;
  TestRegion test_region = TestRegion::kAll;
  bool correlations = true;
  ClassifierSettings classifier;
};

HuntingSettings read_settings(core::JobConfig& config) {
  HuntingSettings s;
  s.physics = DihiggsPhysics::read(config);
  s.selection = read_feature_selection(config, "dihiggs", "hunting");
  const double mass = s.physics.heavy_mass();
  const auto note_w = data::note_windows(mass);
  const auto note_x = data::note_cross_sections(mass);
  const auto mass_text = core::format_double(mass);
  if (!note_w && (!config.has("dihiggs.signal_region") || !config.has("dihiggs.sidebands"))) {
    config.fail("hh.heavy_mass",
                "has no windows in the note's Table 2 (only 500 and 1000 GeV); "
                "give dihiggs.signal_region and dihiggs.sidebands for m_H = " +
                    mass_text);
  }
  if (!note_x && !config.has("dihiggs.cross_sections_fb")) {
    config.fail("hh.heavy_mass",
                "has no cross sections in the note's Table 3 (only 500 and 1000 "
                "GeV); give dihiggs.cross_sections_fb for m_H = " +
                    mass_text);
  }
  const auto sr =
      config.get_doubles("dihiggs.signal_region",
                         note_w ? std::vector<double>{note_w->signal.first, note_w->signal.second}
                                : std::vector<double>{},
                         0, 1e5);
  std::vector<double> sb_default;
  if (note_w) {
    for (const auto& [low, high] : note_w->sidebands)
      sb_default.insert(sb_default.end(), {low, high});
  }
  const auto sb = config.get_doubles("dihiggs.sidebands", sb_default, 0, 1e5);
  if (sr.size() != 2) config.fail("dihiggs.signal_region", "needs two values: low, high (GeV)");
  if (sb.empty() || sb.size() % 2 != 0) {
    config.fail("dihiggs.sidebands", "needs pairs of values: low1, high1, low2, high2, ... (GeV)");
  }
  s.windows.signal = {sr[0], sr[1]};
  for (std::size_t i = 0; i < sb.size(); i += 2) s.windows.sidebands.emplace_back(sb[i], sb[i + 1]);
  if (!s.windows.valid()) {
    config.fail("dihiggs.sidebands",
                "and dihiggs.signal_region must be non-empty intervals "
                "(low < high) that do not overlap");
  }
  const auto x = config.get_doubles(
      "dihiggs.cross_sections_fb",
      note_x ? std::vector<double>{note_x->signal_four_tag, note_x->signal_region_signal,
                                   note_x->sideband_signal, note_x->background_four_tag,
                                   note_x->signal_region_background, note_x->sideband_background}
             : std::vector<double>{},
      0, 1e12);
  if (x.size() != 6) {
    config.fail("dihiggs.cross_sections_fb",
                "needs six values (fb): signal four-tag, signal SR, signal SB, background "
                "four-tag, background SR, background SB");
  }
  s.sigma = {x[0], x[1], x[4], x[2], x[5], x[3]};
  s.luminosity = config.get_double("dihiggs.luminosity_fb", 139, 1e-6, 1e7);
  s.signal_multiplier = config.get_double("dihiggs.signal_multiplier", 1, 0, 1e6);
  s.sizes = data::hunting_sizes(s.sigma, s.luminosity, s.signal_multiplier);
  if (s.sizes.background_in_signal_region + s.sizes.signal_in_signal_region < 10 ||
      s.sizes.background_in_sideband + s.sizes.signal_in_sideband < 10) {
    config.fail("dihiggs.luminosity_fb",
                "gives fewer than 10 events in a window (σ × L too small to train on); raise it");
  }
  s.test_events =
      static_cast<std::size_t>(config.get_int("dihiggs.test_events", 5000, 10, 1LL << 30));
  const auto region =
      config.get_choice("dihiggs.test_region", "all", {"all", "signal_region", "windows"});
  s.test_region = region == "all"             ? TestRegion::kAll
                  : region == "signal_region" ? TestRegion::kSignalRegion
                                              : TestRegion::kWindows;
  s.correlations = config.get_bool("dihiggs.correlations", true);
  s.classifier = read_classifier_settings(config, /*knows_mass_regions=*/true);
  if (s.classifier.balance == Balance::kCwolaHunting) {
    bool below = false;
    bool above = false;
    for (const auto& [low, high] : s.windows.sidebands) {
      below = below || high <= s.windows.signal.first;
      above = above || low >= s.windows.signal.second;
    }
    if (!below || !above) {
      config.fail("training.balance", "= cwola_hunting weighs a low and a high sideband, but "
                                      "dihiggs.sidebands has no window " +
                                          std::string(below ? "above" : "below") +
                                          " the signal region");
    }
  }
  return s;
}

bool any_correlations(const std::vector<HuntingSettings>& points) {
  return std::any_of(points.begin(), points.end(),
                     [](const HuntingSettings& p) { return p.correlations; });
}

std::vector<std::string> hunting_columns(bool correlations) {
  std::vector<std::string> columns = {
      "heavy_mass",         "signal_multiplier",  "luminosity_fb",    "features",
      "n_signal_sr",        "n_background_sr",    "n_signal_sb",      "n_background_sb",
      "signal_fraction_sr", "signal_fraction_sb", "pairing_accuracy", "corr_mhh_h1_pt",
      "corr_mhh_h1_m"};
  if (correlations) {
    for (const auto& c : correlation_columns()) columns.push_back(c);
  }
  return columns;
}

class DihiggsHuntingStudy : public DihiggsDenseStudyOf<HuntingSettings> {
 public:
  explicit DihiggsHuntingStudy(std::vector<HuntingSettings> points)
      : DihiggsDenseStudyOf(std::move(points), hunting_columns(any_correlations(points))),
        correlations_(any_correlations(this->points())) {}

 protected:
  ClassifierTaskData prepare_task(const TaskContext& context) const override {
    const HuntingSettings& s = point(context.point);
    const physics::HhEventSource signal(s.physics.signal);
    const physics::HhEventSource background(s.physics.background);

    // Fill the window quotas from the four-tag events of each process.
    data::CandidateSample mixed;
    std::vector<data::HuntingRegion> regions;  // of each mixed event, in add order
    const auto fill = [&](const physics::HhEventSource& source, std::size_t in_sr,
                          std::size_t in_sb, std::uint8_t truth, core::SeedPurpose purpose) {
      std::size_t have_sr = 0;
      std::size_t have_sb = 0;
      if (in_sr == 0 && in_sb == 0) return;
      generate_candidates(source, s.physics.pairing, context.seed(purpose),
                          [&](const CandidateEvent& e) {
                            const auto region = s.windows.region(e.m_hh);
                            if (region == data::MassRegion::kSignal && have_sr < in_sr) {
                              mixed.add(e.candidates, 1, truth);
                              regions.push_back(data::HuntingRegion::kSignalRegion);
                              ++have_sr;
                            } else if (region == data::MassRegion::kSideband && have_sb < in_sb) {
                              mixed.add(e.candidates, 0, truth);
                              regions.push_back(e.m_hh < s.windows.signal.first
                                                    ? data::HuntingRegion::kLowSideband
                                                    : data::HuntingRegion::kHighSideband);
                              ++have_sb;
                            }
                            return have_sr == in_sr && have_sb == in_sb;
                          });
    };
    fill(signal, s.sizes.signal_in_signal_region, s.sizes.signal_in_sideband, 1,
         core::SeedPurpose::kSignalSample);
    fill(background, s.sizes.background_in_signal_region, s.sizes.background_in_sideband, 0,
         core::SeedPurpose::kBackgroundSample);

    // Pure test samples.
    const auto keep_for_test = [&s](const CandidateEvent& e) {
      const auto region = s.windows.region(e.m_hh);
      switch (s.test_region) {
        case TestRegion::kAll:
          return true;
        case TestRegion::kSignalRegion:
          return region == data::MassRegion::kSignal;
        case TestRegion::kWindows:
          return region != data::MassRegion::kOutside;
      }
      return true;
    };
    std::vector<CandidateEvent> test_signal;
    std::vector<CandidateEvent> test_background;
    for (auto [source, sink, index] :
         {std::tuple{&signal, &test_signal, 1}, std::tuple{&background, &test_background, 0}}) {
      generate_candidates(
          *source, s.physics.pairing,
          test_sub_seed(context, s.classifier.test_set, static_cast<std::uint64_t>(index)),
          [&, sink = sink](const CandidateEvent& e) {
            if (keep_for_test(e)) sink->push_back(e);
            return sink->size() >= s.test_events;
          });
    }
    data::CandidateSample test;
    std::vector<features::HiggsCandidates> all_test;
    for (const auto& e : test_signal) {
      test.add(e.candidates, 1, 1);
      all_test.push_back(e.candidates);
    }
    for (const auto& e : test_background) {
      test.add(e.candidates, 0, 0);
      all_test.push_back(e.candidates);
    }

    auto mixed_table = data::to_table(mixed, s.selection);
    if (s.classifier.balance == Balance::kCwolaHunting) {
      // Weighed over the whole mixed sample, before the split (as CWoLa hunting does).
      mixed_table.loss_weight = data::cwola_hunting_weights(regions);
    }
    auto test_table = data::to_table(test, s.selection);

    ClassifierTaskData data;
    data.split = split_for_task(s.classifier, mixed_table, context);
    data.test = std::move(test_table);
    data.yields = {static_cast<double>(s.sizes.signal_in_signal_region),
                   static_cast<double>(s.sizes.background_in_signal_region)};

    const auto corr = correlation_values(all_test);
    const auto corr_names = correlation_columns();
    const auto corr_of = [&](const std::string& name) {
      for (std::size_t i = 0; i < corr_names.size(); ++i) {
        if (corr_names[i] == name) return corr[i];
      }
      return std::nan("");
    };
    const auto fraction = [](std::size_t sig, std::size_t bkg) {
      return sig + bkg > 0 ? static_cast<double>(sig) / static_cast<double>(sig + bkg) : 0.0;
    };
    const auto& z = s.sizes;
    for (double extra :
         {s.physics.heavy_mass(), s.signal_multiplier, s.luminosity,
          static_cast<double>(s.selection.size()), static_cast<double>(z.signal_in_signal_region),
          static_cast<double>(z.background_in_signal_region),
          static_cast<double>(z.signal_in_sideband), static_cast<double>(z.background_in_sideband),
          fraction(z.signal_in_signal_region, z.background_in_signal_region),
          fraction(z.signal_in_sideband, z.background_in_sideband), pairing_rate(test_signal),
          corr_of("corr__h1_pt__hh_m"), corr_of("corr__h1_m__hh_m")}) {
      data.study_columns.push_back(extra);
    }
    if (correlations_) {
      for (double c : corr) data.study_columns.push_back(s.correlations ? c : std::nan(""));
    }
    return data;
  }

 private:
  bool correlations_ = true;
};
}  // namespace

std::unique_ptr<Study> make_dihiggs_hunting_study(std::vector<core::JobConfig>& point_configs) {
  std::vector<HuntingSettings> points;
  for (auto& config : point_configs) points.push_back(read_settings(config));
  return std::make_unique<DihiggsHuntingStudy>(std::move(points));
}

}  // namespace cwola::studies
