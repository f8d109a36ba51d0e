#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.hpp"
#include "core/model_tensors.hpp"
#include "data/significance_mixing.hpp"
#include "physics/dijet_generator.hpp"
#include "store/jet_event_file.hpp"
#include "studies/hidden_valley_study.hpp"
#include "studies/study.hpp"

using namespace cwola;

namespace {
/// MPI for the event-file writer (singleton start-up; only if nobody else started it).
struct MpiForEventFiles {
  bool started = false;
  MpiForEventFiles() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (initialised == 0) {
      MPI_Init(nullptr, nullptr);
      started = true;
    }
  }
  ~MpiForEventFiles() {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (started && finalised == 0) MPI_Finalize();
  }
};

/// Small generated event files, made once for all cases of this file.
struct EventFiles {
  std::string background = "/tmp/cwola_test_hv_qcd_" + std::to_string(getpid()) + ".h5";
  std::string signal = "/tmp/cwola_test_hv_signal_" + std::to_string(getpid()) + ".h5";
  /// Another benchmark (Λ_D = 20 GeV), for pretraining on several benchmarks.
  std::string other_signal = "/tmp/cwola_test_hv_signal20_" + std::to_string(getpid()) + ".h5";
  EventFiles() {
    // Different constituent widths: the study pads the narrower file.
    write(physics::DijetProcess::kQcd, 4000, 60, background);
    write(physics::DijetProcess::kHiddenValley, 300, 90, signal);
    write(physics::DijetProcess::kHiddenValley, 200, 90, other_signal, 20.0);
  }
  ~EventFiles() {
    std::remove(background.c_str());
    std::remove(signal.c_str());
    std::remove(other_signal.c_str());
  }
  static void write(physics::DijetProcess process, std::size_t events, std::size_t width,
                    const std::string& path, double lambda_d_gev = 0.0) {
    physics::DijetGeneratorConfig config;
    config.process = process;
    if (lambda_d_gev > 0) {
      config.signal.dark =
          physics::DarkSectorConfig::benchmark(lambda_d_gev, physics::DarkDecayMode::kDirect);
    }
    physics::DijetSelectionConfig selection;
    selection.max_constituents = width;
    const physics::DijetGenerator generator(config, selection);
    const auto block = generator.generate_block(99, 0, events);
    store::JetEventData data;
    data.max_constituents = selection.max_constituents;
    for (const auto& e : block.events) {
      for (int j = 0; j < 2; ++j) {
        for (std::size_t i = 0; i < data.max_constituents; ++i) {
          const bool real = i < e.jets[j].size();
          data.pt[j].push_back(real ? static_cast<float>(e.jets[j][i].pt) : 0.0F);
          data.eta[j].push_back(real ? static_cast<float>(e.jets[j][i].eta) : 0.0F);
          data.phi[j].push_back(real ? static_cast<float>(e.jets[j][i].phi) : 0.0F);
          data.mask[j].push_back(real ? 1 : 0);
        }
      }
      data.mjj.push_back(static_cast<float>(e.mjj));
      data.signal.push_back(e.signal ? 1 : 0);
    }
    store::JetEventFileInfo info;
    info.process = process == physics::DijetProcess::kQcd ? "qcd" : "hidden_valley";
    info.cross_section_fb = config.cross_section_fb();
    info.cutflow_steps = physics::cutflow_steps(physics::DijetSelectionConfig{});
    info.cutflow_counts = block.cutflow;
    store::write_jet_event_file(MPI_COMM_SELF, path, data, info);
  }
};

EventFiles& files() {
  static MpiForEventFiles mpi;
  static EventFiles f;
  return f;
}

std::string job(const std::string& extra) {
  return "[hidden_valley]\nbackground_file = " + files().background +
         "\nsignal_file = " + files().signal +
         "\nluminosity_fb = 1.3\ntest_events = 25\nimage_pixels = 8\n"
         "[cnn]\nfilters = 2, 2, 2, 2\ndense = 4\n"
         "[training]\nmax_epochs = 3\npatience = 2\nbatch_size = 64\n" +
         extra;
}

std::unique_ptr<studies::Study> study_from(const std::vector<std::string>& texts) {
  std::vector<core::JobConfig> points;
  for (const auto& t : texts) points.push_back(core::JobConfig::from_text(t, "hv.ini"));
  return studies::make_study("hidden_valley", points);
}

double column(const studies::Study& study, const studies::TaskOutput& out,
              const std::string& name) {
  const auto& c = study.result_columns();
  const auto it = std::find(c.begin(), c.end(), name);
  BOOST_REQUIRE(it != c.end());
  return out.results.at(static_cast<std::size_t>(it - c.begin()));
}

studies::TaskOutput run(studies::Study& study, std::size_t point, std::uint64_t task) {
  studies::TaskContext context;
  context.point = point;
  context.task_id = task;
  context.master_seed = 31;
  auto out = study.run_task(context);
  BOOST_REQUIRE((out.status == studies::TaskOutput::Status::kDone));
  BOOST_REQUIRE_EQUAL(out.results.size(), study.result_columns().size());
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(hidden_valley_study)

BOOST_AUTO_TEST_CASE(mixed_samples_follow_the_significance_counts) {
  auto study = study_from(
      {job("[hidden_valley]\nsignificance = 0\n"), job("[hidden_valley]\nsignificance = 3\n")});
  const auto none = run(*study, 0, 0);
  const auto three = run(*study, 1, 1);
  BOOST_TEST(column(*study, none, "n_signal_sr") == 0.0);
  BOOST_TEST(column(*study, none, "n_signal_sb") == 0.0);
  const double b = column(*study, three, "n_background_sr");
  BOOST_TEST(b > 50.0);
  BOOST_TEST(column(*study, three, "n_signal_sr") == std::round(3.0 * std::sqrt(b)));
  BOOST_TEST(std::abs(column(*study, three, "injected_s_over_sqrt_b") - 3.0) < 0.1);
  // SB signal from the signal's own SB/SR ratio; background from σ ε L.
  const double ratio = column(*study, three, "n_signal_sb") / column(*study, three, "n_signal_sr");
  BOOST_TEST(ratio > 0.0);
  BOOST_TEST(ratio < 0.6);
  const double n_mixed = b + column(*study, three, "n_signal_sr") +
                         column(*study, three, "n_background_sb") +
                         column(*study, three, "n_signal_sb");
  BOOST_TEST(column(*study, three, "n_train") + column(*study, three, "n_validation") == n_mixed);
  BOOST_TEST(column(*study, three, "n_validation") == std::round(0.2 * n_mixed));
  BOOST_TEST(column(*study, three, "significance_before") > 2.5);  // Z_Asimov < S/√B = 3
  for (const char* name : {"auc", "best_accuracy", "train_accuracy"}) {
    BOOST_TEST(std::isfinite(column(*study, three, name)));
  }
  // Average images: four of 2 × 8² values.
  BOOST_REQUIRE_EQUAL(study->task_arrays().size(), 4u);
  BOOST_REQUIRE_EQUAL(three.arrays.size(), 4u);
  BOOST_TEST(three.arrays[2].size() == 128u);
  double sum = 0;
  for (double v : three.arrays[2]) sum += v;
  BOOST_TEST(sum > 1.5);  // two jet-pT-normalised channels, most pT inside the window
  BOOST_TEST(sum <= 2.0 + 1e-6);
}

BOOST_AUTO_TEST_CASE(augmentation_only_grows_the_training_split) {
  auto study = study_from({job("[hidden_valley]\nsignificance = 2\n"),
                           job("[hidden_valley]\nsignificance = 2\naugmentation = smear\n"
                               "augmentation_copies = 2\n"),
                           job("[hidden_valley]\nsignificance = 2\naugmentation = copy\n")});
  const auto plain = run(*study, 0, 0);
  const auto smeared = run(*study, 1, 0);
  const auto copied = run(*study, 2, 0);
  const double train = column(*study, plain, "n_train");
  const double validation = column(*study, plain, "n_validation");
  BOOST_TEST(column(*study, smeared, "n_train") == 3 * train);
  BOOST_TEST(column(*study, copied, "n_train") == 2 * train);
  BOOST_TEST(column(*study, smeared, "n_validation") == validation);
  BOOST_TEST(column(*study, copied, "n_validation") == validation);
  BOOST_TEST(column(*study, copied, "augmentation_copies") == 1.0);
}

BOOST_AUTO_TEST_CASE(tasks_are_reproducible_and_architectures_run) {
  auto study = study_from({job("[hidden_valley]\nsignificance = 4\n"),
                           job("[hidden_valley]\nsignificance = 4\nextra_features = true\n"
                               "[cnn]\narchitecture = two_image\n")});
  const auto a = run(*study, 0, 5);
  const auto b = run(*study, 0, 5);
  BOOST_TEST(column(*study, a, "auc") == column(*study, b, "auc"));
  BOOST_TEST(a.roc == b.roc);
  const auto c = run(*study, 1, 5);
  BOOST_TEST(std::isfinite(column(*study, c, "auc")));
}

// keep_scores: every task scores the job-wide test set (test_events per class), so repeats
// hand out scores of the same events (equal fingerprints) from different networks.
BOOST_AUTO_TEST_CASE(kept_scores_are_of_the_job_wide_test_set) {
  auto study =
      study_from({job("[hidden_valley]\nsignificance = 4\n[metrics]\nkeep_scores = true\n")});
  BOOST_TEST(study->kept_score_width() == 50U);
  const auto a = run(*study, 0, 1);
  const auto b = run(*study, 0, 2);
  BOOST_TEST(a.scores.size() == 50U);
  BOOST_TEST(a.score_labels.size() == 50U);
  BOOST_TEST(a.scored_events_id == b.scored_events_id);
  BOOST_TEST(a.scores != b.scores);
  BOOST_CHECK_THROW(study_from({job("[training]\nfolds = 2\n")})->kept_score_width(),
                    core::InputError);
}

// Ensemble-batched CNN tasks (run_tasks: one stacked CNN with grouped convolutions) against the
// same tasks one by one (run_task), with points of two group keys mixed in one call: each task
// gets its own data, initial weights and epoch order in both paths, so everything but float
// rounding is identical (tests/training/test_ensemble_cnn_training.cpp bounds that rounding).
BOOST_AUTO_TEST_CASE(batched_cnn_tasks_match_one_by_one) {
  auto study = study_from({job("[hidden_valley]\nsignificance = 4\n"),
                           job("[hidden_valley]\nsignificance = 4\nextra_features = true\n"
                               "[cnn]\narchitecture = two_image\n")});
  std::vector<studies::TaskContext> contexts(5);
  for (std::size_t t = 0; t < contexts.size(); ++t) {
    contexts[t].task_id = 10 + t;
    contexts[t].point = t % 2;  // points 0, 1, 0, 1, 0: two stacked groups
    contexts[t].master_seed = 31;
  }
  const auto batched = study->run_tasks(contexts);
  BOOST_REQUIRE(batched.size() == contexts.size());
  for (std::size_t t = 0; t < contexts.size(); ++t) {
    const auto single = run(*study, contexts[t].point, contexts[t].task_id);
    BOOST_TEST_INFO("task " << t);
    BOOST_REQUIRE((batched[t].status == studies::TaskOutput::Status::kDone));
    BOOST_REQUIRE_EQUAL(batched[t].results.size(), single.results.size());
    BOOST_TEST(std::abs(column(*study, batched[t], "auc") - column(*study, single, "auc")) < 1e-3);
    BOOST_TEST(column(*study, batched[t], "epochs") == column(*study, single, "epochs"));
    for (const char* name : {"n_train", "n_validation", "n_signal_sr", "significance"}) {
      BOOST_TEST(column(*study, batched[t], name) == column(*study, single, name));
    }
    BOOST_REQUIRE_EQUAL(batched[t].val_loss.size(), single.val_loss.size());
    for (std::size_t e = 0; e < single.val_loss.size(); ++e) {
      BOOST_TEST(batched[t].val_loss[e] == single.val_loss[e], boost::test_tools::tolerance(1e-4));
    }
    BOOST_TEST(batched[t].arrays == single.arrays);  // inputs identical, so average images too
  }
  // A stop request before the call abandons every task.
  for (auto& context : contexts) context.keep_going = [] { return false; };
  for (const auto& output : study->run_tasks(contexts)) {
    BOOST_TEST((output.status == studies::TaskOutput::Status::kAbandoned));
  }
}

// Stages (docs/stages.md): the study describes its CNN before any data, hands back the trained
// model it keeps, and a task that reads a model starts from it.
studies::TaskContext stage_context(std::size_t point, std::uint64_t task,
                                   const core::ModelTensors* input = nullptr) {
  studies::TaskContext context;
  context.point = point;
  context.task_id = task;
  context.master_seed = 31;
  context.keep_model = true;
  context.input_model = input;
  return context;
}

double largest_difference(const core::ModelTensors& a, const core::ModelTensors& b) {
  BOOST_REQUIRE_EQUAL(a.values.size(), b.values.size());
  double most = 0;
  for (std::size_t t = 0; t < a.values.size(); ++t) {
    BOOST_REQUIRE_EQUAL(a.values[t].size(), b.values[t].size());
    for (std::size_t i = 0; i < a.values[t].size(); ++i) {
      most = std::max(most, std::abs(static_cast<double>(a.values[t][i]) - b.values[t][i]));
    }
  }
  return most;
}

BOOST_AUTO_TEST_CASE(the_cnn_layout_is_known_before_the_data) {
  auto study =
      study_from({job(""), job("[cnn]\narchitecture = two_image\n"),
                  job("[hidden_valley]\nextra_features = true\n[model]\ndropout = 0.1\n")});
  const auto layout = study->model_layout(0);
  BOOST_REQUIRE(!layout.empty());
  BOOST_TEST(layout.tensors.front().name == "images.0.weight");
  BOOST_TEST(layout.tensors.front().shape == (std::vector<std::int64_t>{2, 2, 5, 5}));
  BOOST_TEST(layout.description ==
             "cnn two_channel 8x8, filters 2-2-2-2, kernels 5-5-3-3, pool 1-1-0-1, dense 4-1");
  BOOST_TEST(!(study->model_layout(1) == layout));  // one input channel: another shape
  BOOST_TEST(study->model_layout(2).description ==
             "cnn two_channel 8x8, filters 2-2-2-2, kernels 5-5-3-3, pool 1-1-0-1, dense 4-1, "
             "extra features 4-32-32-1, dropout 0.1");
  // Adam: two moments per parameter (every tensor of this CNN is a parameter) and the step.
  const auto optimizer = study->optimizer_layout(0);
  BOOST_TEST(optimizer.tensors.size() == 2 * layout.tensors.size() + 1);
  BOOST_TEST(optimizer.tensors.back().name == "optimizer.step");

  // The kept model has the layout's tensors and the training outcome.
  const auto trained = study->run_task(stage_context(0, 3));
  BOOST_REQUIRE((trained.status == studies::TaskOutput::Status::kDone));
  BOOST_REQUIRE_EQUAL(trained.model.values.size(), layout.tensors.size());
  for (std::size_t t = 0; t < layout.tensors.size(); ++t) {
    BOOST_TEST(trained.model.values[t].size() == layout.tensors[t].size());
    for (float v : trained.model.values[t]) BOOST_TEST_REQUIRE(std::isfinite(v));
  }
  BOOST_TEST(trained.model.epochs == column(*study, trained, "epochs"));
  BOOST_TEST(trained.model.best_epoch + 1 == column(*study, trained, "best_epoch"));
  // Without keep_model nothing is handed back.
  BOOST_TEST(run(*study, 0, 3).model.empty());
  // A model of another shape does not load (the engine refuses such stages before any work).
  const auto other = study->run_task(stage_context(1, 4));
  BOOST_CHECK_THROW(study->run_task(stage_context(0, 5, &other.model)), core::InputError);
}

BOOST_AUTO_TEST_CASE(a_task_starts_from_the_model_it_reads) {
  auto study = study_from({job("")});
  const auto pretrained = study->run_task(stage_context(0, 3));
  BOOST_REQUIRE((pretrained.status == studies::TaskOutput::Status::kDone));
  // With a vanishing learning rate the kept model is the model the task started from: the
  // input model when it reads one (the fresh initialisation of task 6 is far from it).
  auto frozen = study_from({job("[training]\nlearning_rate = 1e-12\n")});
  const auto read = frozen->run_task(stage_context(0, 6, &pretrained.model));
  const auto fresh = frozen->run_task(stage_context(0, 6));
  BOOST_TEST(largest_difference(read.model, pretrained.model) < 1e-7);
  BOOST_TEST(largest_difference(fresh.model, pretrained.model) > 1e-2);
  // Stacked (run_tasks): each member starts from its input model and keeps its own trained
  // model, as one by one (within the stacking rounding, docs/training.md).
  std::vector<studies::TaskContext> contexts;
  for (std::uint64_t task = 10; task < 13; ++task) {
    contexts.push_back(stage_context(0, task, &pretrained.model));
  }
  const auto stacked = study->run_tasks(contexts);
  for (std::size_t k = 0; k < contexts.size(); ++k) {
    BOOST_TEST_INFO("task " << contexts[k].task_id);
    BOOST_REQUIRE((stacked[k].status == studies::TaskOutput::Status::kDone));
    const auto alone = study->run_task(contexts[k]);
    BOOST_TEST(stacked[k].model.epochs == alone.model.epochs);
    BOOST_TEST(stacked[k].model.best_epoch == alone.model.best_epoch);
    const double rounding = largest_difference(stacked[k].model, alone.model);
    BOOST_TEST_MESSAGE("stacked vs alone, task " << contexts[k].task_id << ": " << rounding);
    BOOST_TEST(rounding < 1e-4);
    BOOST_TEST(largest_difference(stacked[k].model, pretrained.model) > 1e-4);  // it trained
  }
}

BOOST_AUTO_TEST_CASE(an_optimizer_state_is_kept_and_continued) {
  auto study = study_from({job("")});
  const auto layout = study->model_layout(0);
  auto keep = stage_context(0, 3);
  keep.keep_optimizer = true;
  const auto pretrained = study->run_task(keep);
  BOOST_REQUIRE((pretrained.status == studies::TaskOutput::Status::kDone));
  const std::size_t optimizer_tensors = study->optimizer_layout(0).tensors.size();
  BOOST_REQUIRE_EQUAL(pretrained.model.values.size(), layout.tensors.size() + optimizer_tensors);
  const float step = pretrained.model.values.back().at(0);
  BOOST_TEST(step > 0.0F);  // Adam's updates up to the best epoch: a whole number per epoch
  BOOST_TEST(std::fmod(step, static_cast<float>(pretrained.model.best_epoch + 1)) == 0.0F);
  // Continuing the stored Adam trains otherwise than a fresh Adam from the same weights.
  auto continued = stage_context(0, 6, &pretrained.model);
  continued.continue_optimizer = true;
  auto fresh = stage_context(0, 6, &pretrained.model);
  const auto a = study->run_task(continued);
  const auto b = study->run_task(fresh);
  BOOST_TEST(largest_difference(a.model, b.model) > 1e-6);
  // Tasks with optimizer states train one by one in run_tasks: exactly run_task's models.
  std::vector<studies::TaskContext> contexts{keep, stage_context(0, 4)};
  contexts[1].keep_optimizer = true;
  const auto batched = study->run_tasks(contexts);
  BOOST_TEST(largest_difference(batched[0].model, pretrained.model) == 0.0);
  BOOST_TEST(batched[1].model.values.size() == pretrained.model.values.size());
}

// Transfer learning (cnn.fine_tune = head, docs/hidden_valley.md "Transfer learning"): the
// job text names the stage the points belong to (job.stage, as the stage engine sets it) and
// that stage reads a model.
std::string head_job(const std::string& extra) {
  return job(
      "[job]\nstage = finetune\n[stage.finetune]\nreads = pretrain\n"
      "[cnn]\nfine_tune = head\n" +
      extra);
}

/// Largest difference over the tensors whose names start (or do not start) with "images.".
double difference_of(const studies::Study& study, const core::ModelTensors& a,
                     const core::ModelTensors& b, bool images) {
  const auto layout = study.model_layout(0);
  double most = 0;
  for (std::size_t t = 0; t < layout.tensors.size(); ++t) {
    if ((layout.tensors[t].name.rfind("images.", 0) == 0) != images) continue;
    for (std::size_t i = 0; i < a.values.at(t).size(); ++i) {
      most = std::max(most, std::abs(static_cast<double>(a.values[t][i]) - b.values.at(t)[i]));
    }
  }
  return most;
}

BOOST_AUTO_TEST_CASE(a_head_fine_tune_keeps_the_image_network_and_starts_a_fresh_head) {
  // Supervised pretraining (signal vs background by truth), then head fine-tunes; weight decay
  // on, which must not touch the frozen tensors either.
  auto pretrain =
      study_from({job("[hidden_valley]\nlabels = supervised\nsupervised_events = 60\n")});
  const auto pretrained = pretrain->run_task(stage_context(0, 3));
  BOOST_REQUIRE((pretrained.status == studies::TaskOutput::Status::kDone));
  BOOST_TEST(column(*pretrain, pretrained, "n_train") +
                 column(*pretrain, pretrained, "n_validation") ==
             120.0);
  const auto layout = pretrain->model_layout(0);
  BOOST_REQUIRE(layout.tensors.front().name == "images.0.weight");

  auto head = study_from({head_job("[training]\nweight_decay = 0.1\n")});
  const auto tuned = head->run_task(stage_context(0, 6, &pretrained.model));
  BOOST_REQUIRE((tuned.status == studies::TaskOutput::Status::kDone));
  BOOST_TEST(column(*head, tuned, "epochs") >= 2.0);
  // Every images.* tensor (parameters and any buffers) bit for bit the pretrained one.
  BOOST_TEST(difference_of(*head, tuned.model, pretrained.model, true) == 0.0);
  // The head started from the task's own fresh initialisation (what a training from scratch
  // with a vanishing learning rate keeps), not from the pretrained head, and trained.
  auto still = study_from({job("[training]\nlearning_rate = 1e-12\n")});
  const auto fresh = still->run_task(stage_context(0, 6));
  auto still_head = study_from({head_job("[training]\nlearning_rate = 1e-12\n")});
  const auto started = still_head->run_task(stage_context(0, 6, &pretrained.model));
  BOOST_TEST(difference_of(*head, started.model, fresh.model, false) < 1e-7);
  BOOST_TEST(difference_of(*head, started.model, pretrained.model, true) == 0.0);
  BOOST_TEST(difference_of(*head, fresh.model, pretrained.model, false) > 1e-2);
  BOOST_TEST(difference_of(*head, tuned.model, started.model, false) > 1e-4);  // it trained

  // Stacked (run_tasks): the stack's convolutions are frozen alike.
  std::vector<studies::TaskContext> contexts;
  for (std::uint64_t task = 10; task < 13; ++task) {
    contexts.push_back(stage_context(0, task, &pretrained.model));
  }
  const auto stacked = head->run_tasks(contexts);
  for (std::size_t k = 0; k < contexts.size(); ++k) {
    BOOST_TEST_INFO("task " << contexts[k].task_id);
    BOOST_REQUIRE((stacked[k].status == studies::TaskOutput::Status::kDone));
    BOOST_TEST(difference_of(*head, stacked[k].model, pretrained.model, true) == 0.0);
    const auto alone = head->run_task(contexts[k]);
    BOOST_TEST(stacked[k].model.epochs == alone.model.epochs);
    BOOST_TEST(largest_difference(stacked[k].model, alone.model) < 1e-4);
  }
  // A head fine-tune needs an input model.
  BOOST_CHECK_THROW(head->run_task(stage_context(0, 7)), core::InputError);
}

// The seeds' group CNN (cnn.architecture = two_image_jet_norm): its per-jet batch norm is part
// of the frozen image network. Pretrained (fine_tune = all) it learns γ, β and running
// statistics; a head fine-tune keeps every jet_norm.* and images.* tensor, the running
// statistics included, bit for bit, alone and stacked, and the stack agrees with one by one.
BOOST_AUTO_TEST_CASE(the_seeds_group_cnn_freezes_its_batch_norm_with_the_convolutions) {
  const std::string seeds = "[cnn]\narchitecture = two_image_jet_norm\n";
  auto pretrain =
      study_from({job("[hidden_valley]\nlabels = supervised\nsupervised_events = 60\n" + seeds)});
  const auto pretrained = pretrain->run_task(stage_context(0, 3));
  BOOST_REQUIRE((pretrained.status == studies::TaskOutput::Status::kDone));
  const auto layout = pretrain->model_layout(0);
  std::vector<std::size_t> norm;
  for (std::size_t t = 0; t < layout.tensors.size(); ++t) {
    if (layout.tensors[t].name.rfind("jet_norm.", 0) == 0) norm.push_back(t);
  }
  BOOST_REQUIRE(norm.size() == 4U);  // weight, bias, running_mean, running_var: 2 jets each
  // Pretraining moved the running statistics away from their start (mean 0, variance 1).
  BOOST_TEST(layout.tensors[norm[2]].name == "jet_norm.running_mean");
  BOOST_TEST(std::abs(pretrained.model.values[norm[2]][0]) > 1e-6);
  BOOST_TEST(std::abs(pretrained.model.values[norm[3]][1] - 1.0F) > 1e-3);

  auto head = study_from({head_job("[training]\nweight_decay = 0.1\n" + seeds)});
  const auto image_difference = [&layout](const core::ModelTensors& a,
                                          const core::ModelTensors& b) {
    double most = 0;
    std::size_t image_tensors = 0;
    for (std::size_t t = 0; t < layout.tensors.size(); ++t) {
      const auto& name = layout.tensors[t].name;
      if (name.rfind("images.", 0) != 0 && name.rfind("jet_norm.", 0) != 0) continue;
      ++image_tensors;
      for (std::size_t i = 0; i < a.values.at(t).size(); ++i) {
        most = std::max(most, std::abs(static_cast<double>(a.values[t][i]) - b.values.at(t)[i]));
      }
    }
    BOOST_TEST(image_tensors == 4U + 8U);  // batch norm + 4 convolutions' weight and bias
    return most;
  };
  const auto tuned = head->run_task(stage_context(0, 6, &pretrained.model));
  BOOST_REQUIRE((tuned.status == studies::TaskOutput::Status::kDone));
  BOOST_TEST(image_difference(tuned.model, pretrained.model) == 0.0);
  BOOST_TEST(largest_difference(tuned.model, pretrained.model) > 1e-4);  // the head trained

  std::vector<studies::TaskContext> contexts;
  for (std::uint64_t task = 10; task < 13; ++task) {
    contexts.push_back(stage_context(0, task, &pretrained.model));
  }
  const auto stacked = head->run_tasks(contexts);
  for (std::size_t k = 0; k < contexts.size(); ++k) {
    BOOST_TEST_INFO("task " << contexts[k].task_id);
    BOOST_REQUIRE((stacked[k].status == studies::TaskOutput::Status::kDone));
    BOOST_TEST(image_difference(stacked[k].model, pretrained.model) == 0.0);
    const auto alone = head->run_task(contexts[k]);
    BOOST_TEST(stacked[k].model.epochs == alone.model.epochs);
    BOOST_TEST(largest_difference(stacked[k].model, alone.model) < 1e-4);
  }
}

// cnn.extra_features_merge: product (the branch of report §IV, the default) or concatenate
// (in front of the dense head). The key is recorded only when named, so existing jobs keep
// their effective config and hash; an unknown value is refused.
BOOST_AUTO_TEST_CASE(extra_features_merge_is_named_and_recorded_only_when_set) {
  const std::string extra = "[hidden_valley]\nsignificance = 4\nextra_features = true\n";
  std::vector<core::JobConfig> points = {
      core::JobConfig::from_text(job(extra), "hv.ini"),
      core::JobConfig::from_text(job(extra + "[cnn]\nextra_features_merge = concatenate\n"),
                                 "hv.ini")};
  auto study = studies::make_study("hidden_valley", points);
  BOOST_TEST(points[0].canonical_text({}).find("extra_features_merge") == std::string::npos);
  BOOST_TEST(points[1].canonical_text({}).find("extra_features_merge = concatenate") !=
             std::string::npos);
  std::size_t branch_tensors[2] = {0, 0};
  for (std::size_t point = 0; point < 2; ++point) {
    for (const auto& tensor : study->model_layout(point).tensors) {
      if (tensor.name.rfind("extra.", 0) == 0) ++branch_tensors[point];
    }
  }
  BOOST_TEST(branch_tensors[0] == 6U);  // 4 -> 32 -> 32 -> 1
  BOOST_TEST(branch_tensors[1] == 0U);
  BOOST_TEST(study->model_layout(1).description.find("concatenated") != std::string::npos);
  const auto concatenated = run(*study, 1, 5);
  BOOST_TEST(std::isfinite(column(*study, concatenated, "auc")));
  BOOST_CHECK_THROW(study_from({job(extra + "[cnn]\nextra_features_merge = sum\n")}),
                    core::InputError);
}

// Supervised pretraining on several benchmarks (hidden_valley.signal_files, equal shares unless
// hidden_valley.signal_shares): every file gives its share of the supervised and test signal
// events, which the per-file size check sees; a CWoLa point or a bad share list is refused.
BOOST_AUTO_TEST_CASE(a_supervised_pretraining_mixes_several_benchmarks_in_shares) {
  const std::string two = "[hidden_valley]\nlabels = supervised\nsignal_files = " + files().signal +
                          ", " + files().other_signal + "\n";
  auto study = study_from({job(two + "supervised_events = 60\n[metrics]\nkeep_scores = true\n"),
                           job("[hidden_valley]\nlabels = supervised\nsupervised_events = 60\n"
                               "[metrics]\nkeep_scores = true\n")});
  const auto mixed = run(*study, 0, 3);
  const auto alone = run(*study, 1, 3);
  BOOST_TEST(column(*study, mixed, "n_train") + column(*study, mixed, "n_validation") == 120.0);
  // The test sets differ (half of the signal from the other benchmark), the background's not.
  BOOST_TEST(mixed.scored_events_id != alone.scored_events_id);
  // The other benchmark has fewer signal-region events than the first: a share that asks it for
  // more than it has is refused, the same total in equal shares is not.
  std::size_t other_sr = 0;
  {
    auto probe = study_from({job("[hidden_valley]\nsignal_files = " + files().other_signal +
                                 "\nlabels = supervised\nsupervised_events = 10\n")});
    other_sr = static_cast<std::size_t>(
        column(*probe, run(*probe, 0, 1), "signal_sr_efficiency") * 200.0 + 0.5);
  }
  BOOST_TEST_MESSAGE("Λ_D = 20 file: " << other_sr << " signal-region events of 200");
  const std::size_t total = 2 * (other_sr - 25) - 2;  // equal shares fit (test 25 + half each)
  const std::string supervised = "supervised_events = " + std::to_string(total) + "\n";
  BOOST_CHECK_NO_THROW(study_from({job(two + supervised)}));
  BOOST_CHECK_THROW(study_from({job(two + supervised + "signal_shares = 1, 3\n")}),
                    core::InputError);
  BOOST_CHECK_NO_THROW(study_from({job(two + supervised + "signal_shares = 3, 1\n")}));
  BOOST_CHECK_THROW(study_from({job(two + "signal_shares = 1\n")}), core::InputError);
  BOOST_CHECK_THROW(study_from({job(two + "signal_shares = 1, 0\n")}), core::InputError);
  BOOST_CHECK_THROW(study_from({job("[hidden_valley]\nsignal_files = " + files().signal + ", " +
                                    files().other_signal + "\n")}),
                    core::InputError);  // CWoLa: one signal
  BOOST_CHECK_THROW(study_from({job("[hidden_valley]\nlabels = supervised\nsignal_files = " +
                                    files().signal + ", " + files().signal + "\n")}),
                    core::InputError);  // twice
}

// A stage that reads a supervised pretraining whose signal files include its own target signal
// is refused before any work, naming the pretraining's key; another benchmark is fine.
BOOST_AUTO_TEST_CASE(a_target_in_the_pretraining_set_is_refused) {
  const auto finetune = [](const std::string& pretrain_section) {
    return job(
        "[job]\nstage = finetune\n[stage.finetune]\nreads = pretrain\n"
        "[stage.pretrain]\n" +
        pretrain_section);
  };
  const std::string supervised = "hidden_valley.labels = supervised\n";
  BOOST_CHECK_THROW(study_from({finetune(supervised + "hidden_valley.signal_files = " +
                                         files().other_signal + ", " + files().signal + "\n")}),
                    core::InputError);
  BOOST_CHECK_THROW(
      study_from({finetune(supervised + "hidden_valley.signal_file = " + files().signal + "\n")}),
      core::InputError);
  // The pretraining sets no file: it shares the job's, which is this stage's target.
  BOOST_CHECK_THROW(study_from({finetune(supervised)}), core::InputError);
  try {
    study_from({finetune(supervised)});
  } catch (const core::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("hidden_valley.signal_file") != std::string::npos);
  }
  BOOST_CHECK_NO_THROW(study_from(
      {finetune(supervised + "hidden_valley.signal_file = " + files().other_signal + "\n")}));
  // A CWoLa pretraining on the target's mixture (docs/stages.md) is not a truth-label leak.
  BOOST_CHECK_NO_THROW(study_from({finetune("hidden_valley.significance = 6\n")}));
}

// Meta-transfer learning (docs/hidden_valley.md, "Meta-transfer learning"). The tensors of a
// stored model by name (layouts differ by the Φ tensors).
std::map<std::string, std::vector<float>> by_name(const core::ModelLayout& layout,
                                                  const core::ModelTensors& model) {
  std::map<std::string, std::vector<float>> out;
  BOOST_REQUIRE_EQUAL(layout.tensors.size(), model.values.size());
  for (std::size_t t = 0; t < layout.tensors.size(); ++t) {
    out[layout.tensors[t].name] = model.values[t];
  }
  return out;
}

double most_apart(const std::vector<float>& a, const std::vector<float>& b) {
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  double most = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    most = std::max(most, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return most;
}

bool is_phi(const std::string& name) { return name.rfind("scale_shift.", 0) == 0; }
bool is_image(const std::string& name) { return name.rfind("images.", 0) == 0; }

/// job() with a wider CNN (6 filters per layer, one pooling): the 2-filter network of job()
/// can end with dead ReLUs everywhere, which give Φ no gradient at all.
std::string wide(const std::string& text) {
  const std::string narrow = "filters = 2, 2, 2, 2\n";
  auto out = text;
  out.replace(out.find(narrow), narrow.size(), "filters = 6, 6, 6, 6\npool = 1, 0, 0, 0\n");
  return out;
}

std::string scale_shift_job(const std::string& extra) {
  return wide(
      job("[job]\nstage = finetune\n[stage.finetune]\nreads = pretrain\n"
          "[cnn]\nfine_tune = scale_shift\n" +
          extra));
}

// cnn.fine_tune = scale_shift on a supervised pretraining: the stage reads the pretraining's
// layout (no Φ) and stores its own (with Φ); the images.* tensors stay bit for bit, Φ start at
// 1 and 0 and train, the head starts where a head fine-tune of the same seed starts; stacked
// calls train one by one (EnsembleCnnJetNetwork refuses Φ) and give the same models.
BOOST_AUTO_TEST_CASE(a_scale_shift_fine_tune_trains_phi_and_the_head_only) {
  auto pretrain =
      study_from({wide(job("[hidden_valley]\nlabels = supervised\nsupervised_events = 60\n"))});
  const auto pretrained = pretrain->run_task(stage_context(0, 3));
  BOOST_REQUIRE((pretrained.status == studies::TaskOutput::Status::kDone));
  const auto plain = pretrain->model_layout(0);

  auto tune = study_from({scale_shift_job("[training]\nweight_decay = 0.1\n")});
  BOOST_TEST((tune->input_layout(0) == plain));
  const auto layout = tune->model_layout(0);
  BOOST_TEST(layout.tensors.size() == plain.tensors.size() + 8U);  // Φ¹, Φ² of 4 convolutions
  const auto tuned = tune->run_task(stage_context(0, 6, &pretrained.model));
  BOOST_REQUIRE((tuned.status == studies::TaskOutput::Status::kDone));
  const auto before = by_name(plain, pretrained.model);
  const auto after = by_name(layout, tuned.model);
  // Every Φ¹ and Φ² moved from 1 and 0.
  std::size_t phi_tensors = 0;
  for (const auto& [name, values] : after) {
    BOOST_TEST_INFO(name);
    if (is_image(name)) BOOST_TEST(most_apart(values, before.at(name)) == 0.0);
    if (!is_phi(name)) continue;
    ++phi_tensors;
    const float start = name.find(".scale") != std::string::npos ? 1.0F : 0.0F;
    const double moved = most_apart(values, std::vector<float>(values.size(), start));
    BOOST_TEST(moved > 1e-5);
  }
  BOOST_TEST(phi_tensors == 8U);

  // Started: the head a head fine-tune of the same task starts from, Φ at 1 and 0.
  auto still = study_from({scale_shift_job("[training]\nlearning_rate = 1e-12\n")});
  auto still_head = study_from({wide(head_job("[training]\nlearning_rate = 1e-12\n"))});
  const auto started =
      by_name(layout, still->run_task(stage_context(0, 6, &pretrained.model)).model);
  const auto head_started =
      by_name(plain, still_head->run_task(stage_context(0, 6, &pretrained.model)).model);
  for (const auto& [name, values] : head_started) {
    BOOST_TEST_INFO(name);
    BOOST_TEST(most_apart(started.at(name), values) < 1e-7);
  }

  std::vector<studies::TaskContext> contexts;
  for (std::uint64_t task = 10; task < 12; ++task) {
    contexts.push_back(stage_context(0, task, &pretrained.model));
  }
  const auto stacked = tune->run_tasks(contexts);
  for (std::size_t k = 0; k < contexts.size(); ++k) {
    BOOST_REQUIRE((stacked[k].status == studies::TaskOutput::Status::kDone));
    BOOST_TEST(largest_difference(stacked[k].model, tune->run_task(contexts[k]).model) == 0.0);
  }
}

// hidden_valley.labels = meta: pretrain (supervised, another benchmark) -> meta-train Φ and the
// head on weak-label tasks of the non-target benchmark -> fine-tune (scale_shift) on the
// target. The meta stage keeps the images bit for bit and moves Φ; the same task twice gives
// the same model bit for bit; the fine-tune reads the meta-trained Φ (not 1 and 0).
BOOST_AUTO_TEST_CASE(a_meta_training_moves_phi_and_a_fine_tune_starts_from_it) {
  const std::string pretrain_section =
      "[stage.pretrain]\nhidden_valley.labels = supervised\n"
      "hidden_valley.signal_file = " +
      files().other_signal + "\n";
  auto pretrain =
      study_from({wide(job("[hidden_valley]\nlabels = supervised\nsupervised_events = 40\n"
                           "signal_files = " +
                           files().other_signal + "\n"))});
  const auto pretrained = pretrain->run_task(stage_context(0, 3));
  BOOST_REQUIRE((pretrained.status == studies::TaskOutput::Status::kDone));
  const std::string meta_settings =
      "[hidden_valley]\nlabels = meta\nsupervised_events = 20\nsignal_files = " +
      files().other_signal +
      "\n[meta]\nmeta_batches = 2\ntasks_per_batch = 2\ninner_steps = 2\ninner_batch_size = 32\n"
      "task_events = 40\ntest_events = 15\nhard_tasks = 1\n";
  auto meta = study_from(
      {wide(job("[job]\nstage = meta\n[stage.meta]\nreads = pretrain\n" + pretrain_section +
                "[cnn]\nfine_tune = scale_shift\n" + meta_settings))});
  BOOST_TEST((meta->input_layout(0) == pretrain->model_layout(0)));
  const auto layout = meta->model_layout(0);
  const auto trained = meta->run_task(stage_context(0, 8, &pretrained.model));
  BOOST_REQUIRE((trained.status == studies::TaskOutput::Status::kDone));
  BOOST_TEST(column(*meta, trained, "epochs") == 2.0);  // one record per meta-batch
  BOOST_TEST(std::isfinite(column(*meta, trained, "auc")));
  const auto before = by_name(pretrain->model_layout(0), pretrained.model);
  const auto after = by_name(layout, trained.model);
  for (const auto& [name, values] : after) {
    BOOST_TEST_INFO(name);
    if (is_image(name)) BOOST_TEST(most_apart(values, before.at(name)) == 0.0);
  }
  BOOST_TEST(most_apart(after.at("scale_shift.scale0"),
                        std::vector<float>(after.at("scale_shift.scale0").size(), 1.0F)) > 1e-5);
  const auto again = meta->run_task(stage_context(0, 8, &pretrained.model));
  BOOST_TEST(largest_difference(trained.model, again.model) == 0.0);

  // The target fine-tune reads the meta stage: its layout has Φ, which it starts from.
  auto tune =
      study_from({wide(job("[job]\nstage = finetune\n[stage.finetune]\nreads = meta\n"
                           "[stage.meta]\ncnn.fine_tune = scale_shift\n"
                           "hidden_valley.labels = meta\nhidden_valley.signal_files = " +
                           files().other_signal +
                           "\n[cnn]\nfine_tune = scale_shift\n"
                           "[training]\nlearning_rate = 1e-12\n"))});
  BOOST_TEST((tune->input_layout(0) == layout));
  const auto started = by_name(layout, tune->run_task(stage_context(0, 9, &trained.model)).model);
  for (const auto& [name, values] : after) {
    BOOST_TEST_INFO(name);
    if (is_phi(name) || is_image(name)) BOOST_TEST(most_apart(started.at(name), values) < 1e-7);
  }

  // cnn.scale_shift_head = read: the head starts from the meta-learned one too, so a fine-tune
  // that barely moves keeps the whole meta-trained model.
  auto tune_read =
      study_from({wide(job("[job]\nstage = finetune\n[stage.finetune]\nreads = meta\n"
                           "[stage.meta]\ncnn.fine_tune = scale_shift\n"
                           "hidden_valley.labels = meta\nhidden_valley.signal_files = " +
                           files().other_signal +
                           "\n[cnn]\nfine_tune = scale_shift\nscale_shift_head = read\n"
                           "[training]\nlearning_rate = 1e-12\n"))});
  const auto read_all = tune_read->run_task(stage_context(0, 9, &trained.model));
  BOOST_TEST(largest_difference(read_all.model, trained.model) < 1e-7);
}

// Bad meta-transfer input exits 2 (InputError) before any work, naming the key.
BOOST_AUTO_TEST_CASE(bad_meta_transfer_settings_name_the_key) {
  const auto refused = [](const std::string& text, const std::string& key) {
    try {
      study_from({text});
    } catch (const core::InputError& e) {
      BOOST_TEST_INFO(e.what());
      BOOST_TEST(std::string(e.what()).find(key) != std::string::npos);
      return;
    }
    BOOST_ERROR("accepted: " + key);
  };
  // scale_shift without a stage that reads a model.
  refused(job("[cnn]\nfine_tune = scale_shift\n"), "cnn.fine_tune");
  refused(job("[job]\nstage = meta\n[stage.meta]\nreads =\n[cnn]\nfine_tune = scale_shift\n"),
          "cnn.fine_tune");
  const std::string meta_stage =
      "[job]\nstage = meta\n[stage.meta]\nreads = pretrain\n"
      "[stage.pretrain]\nhidden_valley.labels = supervised\n"
      "hidden_valley.signal_file = " +
      files().other_signal + "\n";
  const std::string meta = "[hidden_valley]\nlabels = meta\nsupervised_events = 20\n";
  // labels = meta without scale_shift.
  refused(job(meta_stage + meta + "signal_files = " + files().other_signal + "\n"),
          "hidden_valley.labels");
  // The meta benchmarks include the target.
  refused(job(meta_stage + "[cnn]\nfine_tune = scale_shift\n" + meta +
              "signal_files = " + files().other_signal + ", " + files().signal + "\n"),
          "hidden_valley.signal_files");
  const std::string ok = meta_stage + "[cnn]\nfine_tune = scale_shift\n" + meta +
                         "signal_files = " + files().other_signal + "\n";
  BOOST_CHECK_NO_THROW(study_from({job(ok + "[meta]\ntask_events = 40\ntest_events = 10\n")}));
  refused(job(ok + "[meta]\ntask_events = 100000\n"), "meta.task_events");
  refused(job(ok + "[meta]\ntask_events = 40\nmin_signal_ratio = 0.5\nmax_signal_ratio = 0.1\n"),
          "meta.max_signal_ratio");
  refused(job(ok + "[meta]\ntask_events = 40\ninner_steps = 0\n"), "meta.inner_steps");
  refused(head_job("[cnn]\nscale_shift_head = read\n"), "cnn.scale_shift_head");
}

BOOST_AUTO_TEST_CASE(bad_transfer_settings_are_rejected_before_work) {
  // cnn.fine_tune = head in a job without stages, or in a stage that reads nothing.
  BOOST_CHECK_THROW(study_from({job("[cnn]\nfine_tune = head\n")}), core::InputError);
  BOOST_CHECK_THROW(study_from({job("[job]\nstage = pretrain\n[stage.pretrain]\nrepeats = 1\n"
                                    "[cnn]\nfine_tune = head\n")}),
                    core::InputError);
  // The engine records reads = "" for a stage that reads nothing.
  BOOST_CHECK_THROW(study_from({job("[job]\nstage = pretrain\n[stage.pretrain]\nreads =\n"
                                    "[cnn]\nfine_tune = head\n")}),
                    core::InputError);
  BOOST_CHECK_THROW(study_from({head_job("[stage.finetune]\noptimizer = continue\n")}),
                    core::InputError);
  BOOST_CHECK_THROW(study_from({job("[cnn]\nfine_tune = convolutions\n")}), core::InputError);
  BOOST_CHECK_THROW(study_from({job("[hidden_valley]\nlabels = truth\n")}), core::InputError);
  BOOST_CHECK_THROW(
      study_from({job("[hidden_valley]\nlabels = supervised\nsupervised_events = 100000\n")}),
      core::InputError);
  BOOST_CHECK_NO_THROW(study_from({head_job("")}));
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_rejected_before_work) {
  BOOST_CHECK_THROW(study_from({job("[hidden_valley]\nluminosity_fb = 1000\n")}), core::InputError);
  BOOST_CHECK_THROW(study_from({"[hidden_valley]\nsignal_file = x.h5\n"}), core::InputError);
  BOOST_CHECK_THROW(study_from({job("[hidden_valley]\naugmentation = blur\n")}), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
