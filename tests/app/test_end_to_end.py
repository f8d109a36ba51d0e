"""End-to-end tests of the cwola executable: rank-count identity, graceful stop
and kill followed by --resume, and rejection of bad input before any work.

Run by CTest (which sets CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS) with
Debian's python3 (h5py, numpy)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (ENV, assert_identical, cwola_command, gaussian_job,  # noqa: E402
                          kill_tree, run_cwola)
from cwola_driver import computed_results as computed  # noqa: E402

TINY_JOB = gaussian_job("tiny", 4242, 3, "0.6, 0.8, 1.0", events=2000, test_events=2000,
                        training="max_epochs = 8\npatience = 3",
                        # keep_scores: every identity and resume check covers /artifacts/scores, ensembles
                        metrics="keep_scores = true\ntest_set = per_point")

def command(ranks, *args):
    return cwola_command(ranks, "run", *args)


def run(ranks, *args, check=None):
    return run_cwola(ranks, "run", *args, check=check)


def computed_results(path):
    """Everything a task computed, per-event scores included."""
    return computed(path, groups=("results", "curves", "tasks", "artifacts"))


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_e2e_")
        cls.job = os.path.join(cls.dir, "tiny.ini")
        with open(cls.job, "w") as f:
            f.write(TINY_JOB)
        cls.reference = os.path.join(cls.dir, "reference.h5")
        run(1, "--job", cls.job, "--output", cls.reference, "--no-plots", check=0)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_one_and_two_ranks_give_identical_task_results(self):
        two = self.path("two_ranks.h5")
        done = run(2, "--job", self.job, "--output", two, "--no-plots", check=0)
        self.assertIn("Summary of 'tiny'", done.stdout)
        # The printed table says which accuracy was tuned on the test set.
        self.assertIn("best ACC (test-tuned)", done.stdout)
        self.assertIn("ACC (val. threshold)", done.stdout)
        assert_identical(self, computed_results(self.reference), computed_results(two),
                         "1 vs 2 ranks")
        with h5py.File(two, "r") as f:
            self.assertEqual(f["job/complete"][()], 1)
            self.assertEqual(set(f["results/rank"][()]), {0, 1})  # both ranks worked
            self.assertEqual(int(f["summary/n_done"][()].sum()), 9)
            self.assertTrue(np.all(f["summary/auc_count"][()] == 3))
            # Honest-metric columns are stored and self-consistent (docs/metrics.md).
            n_bkg = f["results/n_bkg_at_max_sic"][()]
            flag = f["results/few_bkg_at_max_sic"][()]
            self.assertTrue(np.array_equal(flag, (n_bkg < 10).astype(float)))
            self.assertTrue(np.all(f["results/accuracy_at_val_threshold"][()]
                                   <= f["results/best_accuracy"][()]))
            two_ensemble = f["summary/ensemble_auc"][()]
        with h5py.File(self.reference, "r") as f:
            one_ensemble = f["summary/ensemble_auc"][()]
        self.assertTrue(np.all(np.isfinite(one_ensemble)))
        self.assertTrue(np.array_equal(one_ensemble, two_ensemble))

    def test_summary_matches_the_task_rows(self):
        with h5py.File(self.reference, "r") as f:
            auc = f["results/auc"][()]
            point = f["tasks/point"][()]
            for p in range(3):
                rows = auc[point == p]
                self.assertAlmostEqual(f["summary/auc_mean"][p], rows.mean(), places=12)
                self.assertAlmostEqual(f["summary/auc_std"][p], rows.std(), places=12)
            self.assertEqual(f["job/hash"][()].decode(), f["job/hash"][()].decode())
            self.assertIn(b"[scan]", f["job/text"][()])

    def interrupt_and_resume(self, name, sig, expect_code):
        """Starts a 2-rank run, sends `sig` once at least one task is done, resumes, compares."""
        store = self.path(name)
        process = subprocess.Popen(command(2, "--job", self.job, "--output", store, "--no-plots"),
                                   env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        deadline = time.time() + 300
        for line in process.stderr:
            if "progress: " in line and not line.split("progress: ")[1].startswith("0/"):
                break
            if time.time() > deadline:
                break
        if sig == signal.SIGKILL:
            kill_tree(process.pid)
        else:
            process.send_signal(sig)
        process.communicate(timeout=120)
        if expect_code is not None:
            self.assertEqual(process.returncode, expect_code)
        with h5py.File(store, "r") as f:  # readable after the interruption
            status = f["results/status"][()]
        done_before = int((status == 1).sum())
        self.assertGreaterEqual(done_before, 1)
        resumed = run(2, "--job", self.job, "--output", store, "--no-plots", "--resume", check=0)
        self.assertIn(f"{9 - done_before} to run", resumed.stderr)
        assert_identical(self, computed_results(self.reference), computed_results(store),
                         f"{name} after resume")
        return done_before

    def test_graceful_stop_then_resume(self):
        self.interrupt_and_resume("stopped.h5", signal.SIGUSR1, expect_code=3)

    def test_kill_then_resume(self):
        self.interrupt_and_resume("killed.h5", signal.SIGKILL, expect_code=None)

    def test_scores_are_an_artifact_that_inspect_lists_and_compact_compresses(self):
        # The scores are the artifact "scores" (one mechanism for per-event outputs):
        # `cwola inspect --json` lists it with every task written; `cwola compact` makes a
        # smaller copy whose every computed dataset equals the store's.
        listed = json.loads(run_cwola(0, "inspect", self.reference, "--json", check=0).stdout)
        scores = [a for a in listed["artifacts"] if a["name"] == "scores"]
        self.assertEqual(len(scores), 1, listed["artifacts"])
        with h5py.File(self.reference, "r") as f:
            n_tasks = len(f["results/status"])
            self.assertEqual(scores[0]["written"], n_tasks)
            self.assertEqual(scores[0]["events"], int(f["artifacts/scores/rows"][()].sum()))
        copy = self.path("compact.h5")
        if os.path.exists(copy):
            os.remove(copy)
        run_cwola(0, "compact", self.reference, "--output", copy, check=0)
        self.assertLess(os.path.getsize(copy), os.path.getsize(self.reference))
        assert_identical(self, computed_results(self.reference), computed_results(copy),
                         "compacted copy")
        with h5py.File(copy, "r") as f:
            self.assertEqual(f["artifacts/scores/score"].compression, "gzip")
        # Never over an existing file (an unfinished store: tests/store/test_store_compaction).
        refused = run_cwola(0, "compact", self.reference, "--output", copy, check=2)
        self.assertIn(copy, refused.stderr)

    def test_resume_of_a_complete_store_runs_nothing_and_changes_nothing(self):
        store = self.path("complete.h5")
        run(1, "--job", self.job, "--output", store, "--no-plots", check=0)
        before = computed_results(store)
        with h5py.File(store, "r") as f:
            wall = f["results/wall_seconds"][()]
        done = run(1, "--job", self.job, "--output", store, "--no-plots", "--resume", check=0)
        self.assertIn("0 to run", done.stderr)
        assert_identical(self, before, computed_results(store), "resume of complete store")
        with h5py.File(store, "r") as f:
            self.assertTrue(np.array_equal(wall, f["results/wall_seconds"][()]))

    def test_bad_input_is_rejected_before_any_work(self):
        cases = {
            "unknown key": ("[gaussian]\nsignal_meen = 1\n", "gaussian.signal_meen"),
            "f1 = f2": ("[gaussian]\nf1 = 0.5\n", "gaussian.f1"),
            "repeats < 1": ("[job]\nrepeats = 0\n", "job.repeats"),
            "fraction out of range": ("[scan]\ngaussian.f1 = 0.5, 1.5\n", "gaussian.f1"),
            "wrong type": ("[training]\nmax_epochs = many\n", "training.max_epochs"),
            "unknown study": ("[job]\nstudy = nope\n", "job.study"),
            "scan of an unknown key": ("[scan]\ngaussian.nope = 1, 2\n", "gaussian.nope"),
        }
        for what, (text, key) in cases.items():
            with self.subTest(what):
                job = self.path(f"bad_{abs(hash(what))}.ini")
                with open(job, "w") as f:
                    f.write(text)
                store = self.path(f"bad_{abs(hash(what))}.h5")
                for ranks in (1, 2):
                    done = run(ranks, "--job", job, "--output", store)
                    self.assertEqual(done.returncode, 2, done.stderr)
                    self.assertIn(job, done.stderr)
                    self.assertIn(key, done.stderr)
                    self.assertEqual(done.stderr.count("error:"), 1, done.stderr)
                    self.assertFalse(os.path.exists(store))

    def test_store_conflicts_are_rejected(self):
        existing = self.path("existing.h5")
        run(1, "--job", self.job, "--output", existing, "--no-plots", check=0)
        before = computed_results(existing)
        done = run(2, "--job", self.job, "--output", existing)
        self.assertEqual(done.returncode, 2)
        self.assertIn("already exists", done.stderr)
        other = run(2, "--job", self.job, "--output", existing, "--resume",
                    "--set", "job.seed=1")
        self.assertEqual(other.returncode, 2)
        self.assertIn("different job", other.stderr)
        missing = run(1, "--job", self.job, "--output", self.path("missing.h5"), "--resume")
        self.assertEqual(missing.returncode, 2)
        unwritable = run(1, "--job", self.job, "--output", "/nonexistent/dir/x.h5")
        self.assertEqual(unwritable.returncode, 2)
        self.assertIn("/nonexistent/dir", unwritable.stderr)
        both = run(1, "--job", self.job, "--resume", "--overwrite")
        self.assertEqual(both.returncode, 2)
        assert_identical(self, before, computed_results(existing), "refused runs")

    def test_runtime_settings_do_not_change_the_job_hash(self):
        store = self.path("hash.h5")
        run(1, "--job", self.job, "--output", store, "--no-plots", check=0)
        # Other threads and progress settings are how, not what: resume accepts them.
        run(1, "--job", self.job, "--output", store, "--no-plots", "--resume", "--threads", "2",
            "--set", "run.progress_seconds=3", check=0)

    def test_ensemble_batches_match_across_ranks_and_agree_with_one_by_one(self):
        """run.ensemble = 4: a task's result does not depend on which tasks share its stacked
        training, so 1 and 2 ranks (different batches) give identical results; against K = 1
        the results agree within rounding-drift tolerances (the issue-5 equivalence)."""
        one = self.path("ensemble_np1.h5")
        two = self.path("ensemble_np2.h5")
        run(1, "--job", self.job, "--output", one, "--no-plots", "--set", "run.ensemble=4",
            check=0)
        run(2, "--job", self.job, "--output", two, "--no-plots", "--set", "run.ensemble=4",
            "--set", "run.precision=float32", "--set", "run.deterministic=true", check=0)
        assert_identical(self, computed_results(one), computed_results(two),
                         "ensemble 1 vs 2 ranks")
        batched = computed_results(one)
        plain = computed_results(self.reference)
        self.assertTrue(np.all(batched["results/status"] == 1))
        self.assertLess(np.max(np.abs(batched["results/auc"] - plain["results/auc"])), 2e-3)
        self.assertLess(np.max(np.abs(batched["results/best_accuracy"] -
                                      plain["results/best_accuracy"])), 5e-3)
        # Ensemble settings are how, not what: the store resumes with K = auto.
        run(1, "--job", self.job, "--output", self.path("ensemble_np1.h5"), "--no-plots",
            "--resume", "--set", "run.ensemble=auto", check=0)

    def test_dump_config_round_trips(self):
        first = run(0, "--job", self.job, "--dump-config", check=0).stdout
        dumped = self.path("dumped.ini")
        with open(dumped, "w") as f:
            f.write(first)
        second = run(0, "--job", dumped, "--dump-config", check=0).stdout
        self.assertEqual(first, second)
        self.assertIn("patience = 3", first)
        self.assertIn("learning_rate = 0.001", first)  # defaults are shown


if __name__ == "__main__":
    unittest.main(verbosity=2)
