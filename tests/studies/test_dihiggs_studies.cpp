#include <hdf5.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "input_error_message.hpp"
#include "studies/study.hpp"

using namespace cwola;

namespace {
std::unique_ptr<studies::Study> make(const std::string& name, const std::string& text) {
  std::vector<core::JobConfig> points{core::JobConfig::from_text(text, "job.ini")};
  return studies::make_study(name, points);
}

std::size_t column(const studies::Study& study, const std::string& name) {
  const auto& c = study.result_columns();
  const auto it = std::find(c.begin(), c.end(), name);
  BOOST_REQUIRE_MESSAGE(it != c.end(), "no column " << name);
  return static_cast<std::size_t>(it - c.begin());
}

/// Mean of `name` over `repeats` tasks (task ids offset by `first`).
double mean_of(studies::Study& study, const std::string& name, std::size_t repeats,
               std::uint64_t first = 0, std::vector<double>* values = nullptr) {
  double sum = 0;
  for (std::size_t r = 0; r < repeats; ++r) {
    studies::TaskContext context;
    context.task_id = first + r;
    context.repeat = r;
    context.master_seed = 20240601;
    const auto output = study.run_task(context);
    BOOST_REQUIRE((output.status == studies::TaskOutput::Status::kDone));
    BOOST_REQUIRE_EQUAL(output.results.size(), study.result_columns().size());
    const double v = output.results[column(study, name)];
    if (values != nullptr) values->push_back(v);
    sum += v;
  }
  return sum / static_cast<double>(repeats);
}

std::string fast(int epochs) {
  return "[training]\nmax_epochs = " + std::to_string(epochs) +
         "\npatience = 3\nbatch_size = 256\n[generator]\nblock_size = 500\n";
}
const std::string kFast = fast(15);

using testing::message_of;
}  // namespace

BOOST_AUTO_TEST_SUITE(dihiggs_studies)

BOOST_AUTO_TEST_CASE(settings_are_validated_with_the_key_named) {
  BOOST_CHECK_THROW(make("dihiggs_fraction", "[dihiggs]\nf1 = 0.5\n"), core::InputError);
  const auto bad_feature =
      message_of([] { make("dihiggs_fraction", "[dihiggs]\nfeatures = h3_pt\n"); });
  BOOST_TEST(bad_feature.find("dihiggs.features") != std::string::npos);
  BOOST_TEST(bad_feature.find("h3_pt") != std::string::npos);
  const auto no_windows = message_of([] { make("dihiggs_hunting", "[hh]\nheavy_mass = 700\n"); });
  BOOST_TEST(no_windows.find("hh.heavy_mass") != std::string::npos);
  BOOST_CHECK_NO_THROW(make("dihiggs_hunting",
                            "[hh]\nheavy_mass = 700\n[dihiggs]\nsignal_region = 600, 750\n"
                            "sidebands = 500, 600, 750, 850\n"
                            "cross_sections_fb = 1, 0.8, 0.1, 6030, 500, 600\n"));
  BOOST_CHECK_THROW(make("dihiggs_hunting", "[dihiggs]\nsidebands = 300, 400\n"), core::InputError);
  BOOST_CHECK_THROW(make("dihiggs_augmentation", "[augmentation]\nkind = mirror\n"),
                    core::InputError);
  BOOST_CHECK_THROW(make("dihiggs_hunting", "[dihiggs]\nluminosity_fb = 0.001\n"),
                    core::InputError);
}

BOOST_AUTO_TEST_CASE(supervised_point_separates_signal_from_background) {
  auto study = make("dihiggs_fraction", kFast +
                                            "[dihiggs]\nf1 = 1\nevents_per_mixture = 1500\n"
                                            "test_events = 1000\n");
  const double auc = mean_of(*study, "auc", 1);
  BOOST_TEST_MESSAGE("supervised di-Higgs AUC (1.5k + 1.5k events): " << auc);
  BOOST_TEST(auc > 0.85);
  std::vector<double> rate;
  mean_of(*study, "pairing_accuracy", 1, 5, &rate);
  BOOST_TEST(rate[0] > 0.85);
}

BOOST_AUTO_TEST_CASE(hunting_without_signal_learns_the_mass_through_pt_and_m) {
  // The note's §2 finding at a reduced size: no signal at all (signal_multiplier = 0),
  // so the mixtures are background in the signal region vs the sidebands. With the
  // candidates' pT and m the network learns "m_hh in the signal region" and scores
  // the (m_hh ≈ 500 GeV) signal above the four-tag background: AUC well above 0.5.
  // Without them it has nothing to learn and the AUC is ≈ 0.5.
  const std::string base = kFast +
                           "[dihiggs]\nsignal_multiplier = 0\nluminosity_fb = 1.5\n"
                           "test_events = 1500\ncorrelations = false\n";
  auto correlated = make("dihiggs_hunting", base + "features = hunting\n");
  auto decorrelated = make("dihiggs_hunting", base + "features = hunting_no_pt_m\n");
  const std::size_t repeats = 3;
  std::vector<double> with, without;
  const double auc_with = mean_of(*correlated, "auc", repeats, 0, &with);
  const double auc_without = mean_of(*decorrelated, "auc", repeats, 100, &without);
  BOOST_TEST_MESSAGE("no-signal CWoLa hunting, m_H = 500: AUC with candidate pT, m = "
                     << auc_with << ", without = " << auc_without);
  BOOST_TEST(auc_with > 0.65);
  BOOST_TEST(std::abs(auc_without - 0.5) < 0.1);
  BOOST_TEST(auc_with - auc_without > 0.1);
}

BOOST_AUTO_TEST_CASE(cwola_hunting_weights_train_the_hunting_study_and_only_it) {
  const std::string base = fast(3) + "[dihiggs]\nluminosity_fb = 0.5\ntest_events = 600\n"
                                     "correlations = false\n";
  auto plain = make("dihiggs_hunting", base);
  auto weighted = make("dihiggs_hunting", base + "[training]\nbalance = cwola_hunting\n");
  std::vector<double> plain_auc, weighted_auc;
  mean_of(*plain, "auc", 1, 0, &plain_auc);
  mean_of(*weighted, "auc", 1, 0, &weighted_auc);
  // Same events and seeds: only the loss weights differ, and with them the training.
  BOOST_TEST(std::abs(plain_auc[0] - weighted_auc[0]) > 1e-6);
  BOOST_TEST(std::isfinite(weighted_auc[0]));
  // Other studies do not know the mass regions: refused, naming the key.
  const auto refused = message_of(
      [] { make("gaussian", "[training]\nbalance = cwola_hunting\n"); });
  BOOST_TEST(refused.find("training.balance") != std::string::npos);
  // One sideband side only: refused.
  const auto one_side = message_of([&] {
    make("dihiggs_hunting", base + "sidebands = 250, 350\n[training]\nbalance = cwola_hunting\n");
  });
  BOOST_TEST(one_side.find("training.balance") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dihiggs_studies_describe_the_model_their_tasks_train) {
  // Stages need a study's model before any data: the layout must be what a task exports.
  auto study = make("dihiggs_fraction", fast(2) + "[dihiggs]\nevents_per_mixture = 400\n"
                                                  "test_events = 400\nfeatures = h1_pt, h1_m, hh_m\n");
  const auto layout = study->model_layout(0);
  BOOST_REQUIRE(!layout.empty());
  BOOST_TEST(layout.tensors.front().name == "hidden0.weight");
  BOOST_TEST(layout.tensors.front().shape == std::vector<std::int64_t>({64, 3}));
  studies::TaskContext context;
  context.master_seed = 5;
  context.keep_model = true;
  const auto output = study->run_task(context);
  BOOST_REQUIRE((output.status == studies::TaskOutput::Status::kDone));
  BOOST_REQUIRE(output.model.values.size() == layout.tensors.size());
  for (std::size_t i = 0; i < layout.tensors.size(); ++i) {
    BOOST_TEST_INFO(layout.tensors[i].name);
    BOOST_TEST(output.model.values[i].size() == layout.tensors[i].size());
  }
  for (const char* name : {"dihiggs_hunting", "dihiggs_augmentation"}) {
    BOOST_TEST_INFO(name);
    BOOST_TEST(!make(name, "[dihiggs]\nfeatures = h1_pt, h1_m\n")->model_layout(0).empty());
  }
}

BOOST_AUTO_TEST_CASE(hunting_stores_the_correlations_with_m_hh) {
  auto study =
      make("dihiggs_hunting", fast(2) + "[dihiggs]\nluminosity_fb = 0.5\ntest_events = 800\n");
  std::vector<double> pt_corr;
  mean_of(*study, "corr__h1_pt__hh_m", 1, 0, &pt_corr);
  std::vector<double> eta_corr;
  mean_of(*study, "corr__h1_eta__hh_m", 1, 0, &eta_corr);
  BOOST_TEST_MESSAGE("corr(h1_pt, m_hh) = " << pt_corr[0]
                                            << ", corr(h1_eta, m_hh) = " << eta_corr[0]);
  BOOST_TEST(pt_corr[0] > 0.5);              // the note's Fig. 5: pT follows m_hh
  BOOST_TEST(std::abs(eta_corr[0]) < 0.15);  // η does not
}

BOOST_AUTO_TEST_CASE(augmentation_adds_copies_of_training_events_only) {
  auto study = make("dihiggs_augmentation",
                    "[dihiggs]\ntrain_events = 500\ntest_events = 500\n"
                    "[augmentation]\nkind = all\ncopies = 3\n" +
                        fast(3));  // validation_fraction: the default 0.2
  std::vector<double> train_rows, validation_rows;
  mean_of(*study, "train_rows", 1, 0, &train_rows);
  mean_of(*study, "validation_rows", 1, 0, &validation_rows);
  BOOST_TEST(validation_rows[0] == 200.0);
  BOOST_TEST(train_rows[0] == 800.0 * 4);
}

// The di-Higgs studies train through DenseClassifierStudy, so run_tasks stacks their tasks
// (ensemble-batched); each task must get what run_task gives it, up to float rounding in the
// batched backward products (tests/training/test_ensemble_trainer.cpp).
BOOST_AUTO_TEST_CASE(batched_dihiggs_tasks_match_one_by_one) {
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"dihiggs_augmentation",
                                            "[dihiggs]\ntrain_events = 400\ntest_events = 400\n"
                                            "[augmentation]\nkind = all\ncopies = 2\n"},
        std::pair<std::string, std::string>{
            "dihiggs_fraction",
            "[dihiggs]\nf1 = 0.8\nevents_per_mixture = 500\ntest_events = 400\n"}}) {
    auto study = make(name, text + fast(6));
    std::vector<studies::TaskContext> contexts(3);
    for (std::size_t t = 0; t < contexts.size(); ++t) {
      contexts[t].task_id = t;
      contexts[t].repeat = t;
      contexts[t].master_seed = 77;
    }
    const auto batched = study->run_tasks(contexts);
    BOOST_REQUIRE_EQUAL(batched.size(), contexts.size());
    for (std::size_t t = 0; t < contexts.size(); ++t) {
      const auto single = study->run_task(contexts[t]);
      BOOST_TEST_INFO(name << ", task " << t);
      BOOST_REQUIRE((batched[t].status == studies::TaskOutput::Status::kDone));
      BOOST_REQUIRE_EQUAL(batched[t].results.size(), study->result_columns().size());
      const auto auc = column(*study, "auc");
      BOOST_TEST(std::abs(batched[t].results[auc] - single.results[auc]) < 2e-3);
      // The study's own columns come from the same samples in both paths.
      for (std::size_t c = column(*study, "wall_seconds") + 1; c < single.results.size(); ++c) {
        BOOST_TEST(batched[t].results[c] == single.results[c]);
      }
      BOOST_TEST(batched[t].val_loss.front() == single.val_loss.front(),
                 boost::test_tools::tolerance(1e-6));
    }
  }
}

namespace {
void write_table(const std::string& path, const std::vector<std::vector<double>>& columns,
                 const std::vector<std::string>& names) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const hsize_t n = columns[c].size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const std::string name = "/" + names[c];
    const hid_t set = H5Dcreate2(file, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                 H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, columns[c].data());
    H5Dclose(set);
    H5Sclose(space);
  }
  H5Fclose(file);
}

/// n events: x ~ N(shift, 1), y ~ N(0, 1), mass uniform in [0, 100), label.
void write_sample(const std::string& path, std::size_t n, double signal_fraction, double shift,
                  std::uint64_t seed) {
  core::RandomStream stream(seed);
  std::vector<double> x, y, mass, label;
  for (std::size_t i = 0; i < n; ++i) {
    const bool signal = stream.uniform() < signal_fraction;
    x.push_back(stream.normal() + (signal ? shift : 0.0));
    y.push_back(stream.normal());
    mass.push_back(signal ? 40 + 10 * stream.uniform() : 100 * stream.uniform());
    label.push_back(signal ? 1 : 0);
  }
  write_table(path, {x, y, mass, label}, {"x", "y", "mass", "label"});
}
}  // namespace

BOOST_AUTO_TEST_CASE(user_samples_from_files_and_from_a_window_selection) {
  write_sample("user_class1.h5", 4000, 0.8, 1.5, 1);
  write_sample("user_class0.h5", 4000, 0.2, 1.5, 2);
  write_sample("user_test.h5", 4000, 0.5, 1.5, 3);
  write_sample("user_data.h5", 8000, 0.3, 1.5, 4);
  const std::string common = kFast + "[user]\nfeatures = x, y\ntest_file = user_test.h5\n";
  auto files = make("user_samples", common +
                                        "class1_file = user_class1.h5\n"
                                        "class0_file = user_class0.h5\n");
  const double auc = mean_of(*files, "auc", 1);
  std::vector<double> sic, eff;
  mean_of(*files, "max_sic", 1, 0, &sic);
  mean_of(*files, "eff_s_at_target_eb", 1, 0, &eff);
  BOOST_TEST_MESSAGE("user samples (CWoLa on files): AUC " << auc << ", max SIC " << sic[0]);
  BOOST_TEST(auc > 0.8);  // Φ(1.5/√2) = 0.856 is the optimum
  BOOST_TEST(sic[0] > 1.0);
  BOOST_TEST(eff[0] > 0.0);
  auto windows = make("user_samples", common +
                                          "mode = windows\nfile = user_data.h5\n"
                                          "mass_column = mass\nsignal_region = 40, 50\n"
                                          "sidebands = 20, 40, 50, 70\n");
  BOOST_TEST(mean_of(*windows, "auc", 1) > 0.75);
  const auto missing = message_of([&] {
    make("user_samples",
         std::string("[user]\nfeatures = x, z\ntest_file = user_test.h5\n"
                     "class1_file = user_class1.h5\nclass0_file = user_class0.h5\n"));
  });
  BOOST_TEST(missing.find("user.class1_file") != std::string::npos);
  BOOST_TEST(missing.find("'z'") != std::string::npos);
  // The old grid-based SIC floor key names its replacement.
  const auto moved = message_of([&] {
    make("user_samples", common + "class1_file = user_class1.h5\nclass0_file = user_class0.h5\n"
                                  "sic_min_background_efficiency = 0.001\n");
  });
  BOOST_TEST(moved.find("user.sic_min_background_efficiency") != std::string::npos);
  BOOST_TEST(moved.find("sic_floor") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
