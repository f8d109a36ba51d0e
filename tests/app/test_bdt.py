"""End-to-end tests of model.classifier = bdt (docs/trees.md) with the cwola executable: a
Gaussian job of boosted-tree ensembles gives identical per-task results, curves and per-event
scores on 1 and 2 ranks; its AUC is near the closed-form optimal_auc; best_epoch is the round of
least validation loss; settings that only make sense for networks exit 2 naming the key.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS) with Debian's python3."""
import os
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import assert_identical, gaussian_job, generate, run_cwola  # noqa: E402
from cwola_driver import computed_results as computed  # noqa: E402

# 2 points x 2 repeats. Signal N(1, 1) in 2 dimensions against N(0, 1): optimal AUC
# Phi(1) = 0.841. 4000 events per mixture (f1 = 0.8 / 0.9 against the complement), 4000 test
# events (the AUC's standard error there is about 0.007).
BDT_JOB = gaussian_job("bdt", 4242, 2, "0.8, 0.9", dimensions=2, signal_mean=1.0, events=4000,
                       test_events=4000, training="", metrics="keep_scores = true") + """
[model]
classifier = bdt

[bdt]
rounds = 100
max_leaves = 8
learning_rate = 0.1
patience = 10
ensemble = 4
"""
# BDT AUC below the closed form by at most this (finite training sample, CWoLa's mixtures),
# above it by at most 3 standard errors of a 4000-event test set.
BELOW_OPTIMAL = 0.03
ABOVE_OPTIMAL = 0.021


def run(ranks, *args, check=None):
    return run_cwola(ranks, "run", *args, check=check)


class Bdt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.job = os.path.join(cls.dir, "bdt.ini")
        with open(cls.job, "w") as f:
            f.write(BDT_JOB)
        cls.one = os.path.join(cls.dir, "one.h5")
        run(1, "--job", cls.job, "--output", cls.one, "--no-plots", check=0)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_two_ranks_compute_the_same(self):
        two = os.path.join(self.dir, "two.h5")
        run(2, "--job", self.job, "--output", two, "--no-plots", check=0)
        groups = ("results", "curves", "tasks", "artifacts")
        assert_identical(self, computed(self.one, groups), computed(two, groups), "1 vs 2 ranks")

    def test_auc_near_the_closed_form(self):
        with h5py.File(self.one, "r") as f:
            auc = f["results/auc"][()]
            optimal = f["results/optimal_auc"][()]
        self.assertEqual(len(auc), 4)
        for a, o in zip(auc, optimal):
            self.assertGreater(a, o - BELOW_OPTIMAL, f"AUC {a} vs optimal {o}")
            self.assertLess(a, o + ABOVE_OPTIMAL, f"AUC {a} vs optimal {o}")

    def test_best_epoch_is_the_round_of_least_validation_loss(self):
        with h5py.File(self.one, "r") as f:
            best = f["results/best_epoch"][()]
            rounds = f["results/epochs"][()]
            val_loss = f["curves/val_loss"][()]
        for task in range(len(best)):
            curve = val_loss[task][: int(rounds[task])]
            self.assertTrue(np.all(np.isfinite(curve)))
            self.assertEqual(int(best[task]), int(np.argmin(curve)) + 1)
            # Early stopping: it ran `patience` rounds past the best, or all rounds.
            self.assertIn(int(rounds[task]), (int(best[task]) + 10, 100))

    def test_network_only_settings_exit_2_naming_the_key(self):
        cases = {
            "untrained baseline": ("metrics.untrained_baseline=true", "metrics.untrained_baseline"),
            "checkpoints": ("run.checkpoint=epoch", "run.checkpoint"),
            "prior output bias": ("model.output_bias=prior", "model.output_bias"),
            "averaged epochs": ("training.average_best_epochs=3", "training.average_best_epochs"),
            "bdt out of range": ("bdt.max_leaves=1", "bdt.max_leaves"),
        }
        for what, (assignment, key) in cases.items():
            with self.subTest(what):
                store = os.path.join(self.dir, f"bad_{abs(hash(what))}.h5")
                done = run(1, "--job", self.job, "--output", store, "--set", assignment)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(key, done.stderr)
                self.assertFalse(os.path.exists(store))

    def test_reading_a_bdt_stage_exits_2(self):
        job = os.path.join(self.dir, "staged.ini")
        with open(job, "w") as f:
            f.write(BDT_JOB.replace("[scan]\ngaussian.f1 = 0.8, 0.9\n", "") +
                    "\n[stage.pre]\nrepeats = 1\n\n[stage.fine]\nreads = pre\n")
        store = os.path.join(self.dir, "staged.h5")
        done = run(1, "--job", job, "--output", store)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("stage.fine.reads", done.stderr)
        self.assertIn("model.classifier = bdt", done.stderr)
        self.assertFalse(os.path.exists(store))

    def test_a_study_with_its_own_network_refuses_trees(self):
        # The hidden-valley CNN is no dense network: model.classifier = bdt exits 2 there.
        qcd = os.path.join(self.dir, "qcd.h5")
        signal = os.path.join(self.dir, "signal.h5")
        for card, path, events in (("qcd_dijet", qcd, 2000), ("hidden_valley", signal, 200)):
            generate(1, card, path, events)
        job = os.path.join(self.dir, "hv.ini")
        with open(job, "w") as f:
            f.write(f"[job]\nname = hv\nstudy = hidden_valley\nseed = 7\n\n[hidden_valley]\n"
                    f"background_file = {qcd}\nsignal_file = {signal}\nluminosity_fb = 0.2\n"
                    f"test_events = 20\n\n[model]\nclassifier = bdt\n")
        store = os.path.join(self.dir, "hv.h5")
        done = run(1, "--job", job, "--output", store)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("model.classifier = bdt", done.stderr)
        self.assertFalse(os.path.exists(store))

    def test_bdt_settings_are_checked_with_a_network_too(self):
        # [bdt] is read whatever the backend (one job compares both by model.classifier alone),
        # so a bad value is refused there as well.
        store = os.path.join(self.dir, "nn.h5")
        done = run(1, "--job", self.job, "--output", store, "--set", "model.classifier=nn",
                   "--set", "bdt.learning_rate=2")
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("bdt.learning_rate", done.stderr)
        self.assertFalse(os.path.exists(store))


if __name__ == "__main__":
    unittest.main()
