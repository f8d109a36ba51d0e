"""study = dihiggs_attention (the note's Figs. 1 and 2, docs/attention.md): the same results on
1 and 2 ranks; users' SPANet-layout files as the mixtures, where `pairing_targets = truth` is
refused (a mixture file is data) unless forced; the repeats of a point form an ensemble (the
one mechanism of docs/ensembles.md).

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR)."""
import os
import sys
import tempfile
import unittest

import h5py
import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import SOURCE, assert_identical, generate, run_cwola  # noqa: E402
from cwola_driver import computed_results as computed  # noqa: E402

NETWORK = ("hidden = 16\nheads = 2\nencoder_layers = 1\nbranch_layers = 1\n"
           "embedding_blocks = 1\n")


def training(epochs):
    return (f"[training]\nmax_epochs = {epochs}\nbatch_size = 64\nlearning_rate = 0.003\n"
            "[metrics]\nuntrained_baseline = true\nkeep_scores = true\n"
            "[run]\nthreads = 1\nprogress_seconds = 0\n")


# Generated events: f1 = 0.5 (the null) and 1.0, with the truth pairing of the signal events.
GENERATED_JOB = ("[job]\nname = attention\nstudy = dihiggs_attention\nseed = 11\nrepeats = 1\n"
                 "[scan]\ndihiggs.f1 = 0.5, 1.0\n"
                 "[dihiggs]\nallow_equal_fractions = true\nevents_per_mixture = 300\n"
                 "test_events = 150\n[generator]\nblock_size = 500\n"
                 "[attention]\npairing_targets = truth\n" + NETWORK + training(2))


def files_job(directory, targets, extra=""):
    return ("[job]\nname = attention_files\nstudy = dihiggs_attention\nseed = 5\nrepeats = 2\n"
            f"[attention]\npairing_targets = {targets}\n{extra}"
            f"mixture_files = {directory}/signal.h5, {directory}/background.h5\n"
            f"test_files = {directory}/signal_test.h5, {directory}/background_test.h5\n"
            f"spec = {directory}/spec.yaml\n" + NETWORK + training(4))


class DihiggsAttention(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        for name, card, events, seed in (("signal", "dihiggs_signal_500", 500, 500),
                                         ("background", "qcd_multijet", 500, 6030),
                                         ("signal_test", "dihiggs_signal_500", 250, 501),
                                         ("background_test", "qcd_multijet", 250, 6031)):
            generate(1, card, os.path.join(cls.dir, f"{name}.h5"), events,
                     f"generator.seed={seed}")
        # Our generator's spec, with the signal flag that gives the test events their truth.
        with open(os.path.join(SOURCE, "inputs", "dihiggs_spanet.yaml")) as f:
            spec = f.read()
        with open(os.path.join(cls.dir, "spec.yaml"), "w") as f:
            f.write(spec + "  EVENT:\n    - signal\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_two_ranks_compute_the_same(self):
        job = self.write("generated.ini", GENERATED_JOB)
        stores = []
        for ranks in (1, 2):
            stores.append(os.path.join(self.dir, f"generated_{ranks}.h5"))
            run_cwola(ranks, "run", "--job", job, "--output", stores[-1], "--no-plots", check=0)
        groups = ("results", "curves", "tasks", "artifacts")
        assert_identical(self, computed(stores[0], groups), computed(stores[1], groups),
                         "1 vs 2 ranks")
        with h5py.File(stores[0], "r") as f:
            self.assertEqual(list(f["results/pairing_targets_truth"][()]), [1.0, 1.0])
            self.assertEqual(list(f["results/f1"][()]), [0.5, 1.0])

    def test_files_as_mixtures_and_truth_targets_refused_on_them(self):
        store = os.path.join(self.dir, "files.h5")
        job = self.write("files.ini", files_job(self.dir, "none"))
        run_cwola(1, "run", "--job", job, "--output", store, "--no-plots", check=0)
        with h5py.File(store, "r") as f:
            auc = f["results/auc"][()]
            untrained = f["results/untrained_auc"][()]
            self.assertEqual(list(f["results/f1"][()]), [1.0, 1.0])  # the files' own truth
            self.assertEqual(f["artifacts/scores/score"].shape[1], 500)  # both test files
            scores = f["artifacts/scores/score"][()]
            labels = f["artifacts/scores/label"][0]
            members = int(f["summary/ensemble_members"][0])
            ensemble_auc = f["summary/ensemble_auc"][0]
        # The two repeats scored the same test files, so they form an ensemble whose AUC is that
        # of their mean score, event by event.
        self.assertEqual(members, 2)
        self.assertFalse(np.array_equal(scores[0], scores[1]))  # two trainings, two networks
        self.assertAlmostEqual(ensemble_auc, roc_auc_score(labels, scores.mean(0)), delta=1e-4)
        for trained, start in zip(auc, untrained):  # signal file against background file
            self.assertGreater(trained, 0.6)
            self.assertGreater(trained, start + 0.1)

        refused = os.path.join(self.dir, "refused.h5")
        job = self.write("truth.ini", files_job(self.dir, "truth"))
        done = run_cwola(1, "run", "--job", job, "--output", refused, "--no-plots")
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("attention.pairing_targets", done.stderr)
        self.assertIn("force_truth_targets", done.stderr)
        self.assertFalse(os.path.exists(refused))

        forced = os.path.join(self.dir, "forced.h5")
        job = self.write("forced.ini", files_job(self.dir, "truth", "force_truth_targets = true\n"))
        run_cwola(1, "run", "--job", job, "--output", forced, "--no-plots", check=0)
        with h5py.File(forced, "r") as f:
            self.assertEqual(list(f["results/pairing_targets_truth"][()]), [1.0, 1.0])


if __name__ == "__main__":
    unittest.main()
