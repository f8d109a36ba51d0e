"""Divergence end to end: tasks whose training meets a non-finite loss are marked failed
with the reason in the store, the run ends with exit 4, summaries count them apart and
never average them in, --resume does not rerun them, and the other tasks are untouched.

The gaussian study cannot diverge within its validated settings, so the test asks for a
NaN in one training feature of chosen tasks (CWOLA_FAULT_NAN_TASKS, read by
studies/classifier_task.cpp); the trainer's own check then fails those tasks.
Run by CTest with Debian's python3."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import ENV, cwola_command, gaussian_job  # noqa: E402

JOB = gaussian_job("diverging", 99, 3, "0.7, 0.9", dimensions=2, signal_mean=1.0)
POISONED = (1, 4)  # task id = point * repeats + repeat: one task of each point


def run(ranks, *args, env=ENV):
    return subprocess.run(cwola_command(ranks, "run", *args), env=env, capture_output=True,
                          text=True, timeout=600)


class Divergence(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_div_")
        cls.job = os.path.join(cls.dir, "diverging.ini")
        with open(cls.job, "w") as f:
            f.write(JOB)
        cls.store = os.path.join(cls.dir, "diverging.h5")
        env = dict(ENV, CWOLA_FAULT_NAN_TASKS=",".join(map(str, POISONED)))
        cls.done = run(2, "--job", cls.job, "--output", cls.store, "--no-plots", env=env)
        cls.clean = os.path.join(cls.dir, "clean.h5")
        run(1, "--job", cls.job, "--output", cls.clean, "--no-plots")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_exit_code_and_message(self):
        self.assertEqual(self.done.returncode, 4, self.done.stderr)
        self.assertIn("2 task(s) failed", self.done.stderr)
        # The test hook never acts silently: a warning names it.
        self.assertIn("CWOLA_FAULT_NAN_TASKS", self.done.stderr)
        for task in POISONED:
            self.assertIn(f"task {task} failed: non-finite training loss", self.done.stderr)

    def test_store_marks_failed_tasks_with_reason(self):
        with h5py.File(self.store, "r") as f:
            status = f["results/status"][()]
            reasons = [r.decode() for r in f["results/failure_reason"][()]]
            self.assertEqual(f["job/complete"][()], 1)
        for task in range(6):
            if task in POISONED:
                self.assertEqual(status[task], 2)
                self.assertEqual(reasons[task], "non-finite training loss at epoch 0")
            else:
                self.assertEqual(status[task], 1)
                self.assertEqual(reasons[task], "")

    def test_summary_counts_failed_tasks_and_excludes_them(self):
        with h5py.File(self.store, "r") as f:
            s = {k: f["summary"][k][()] for k in f["summary"]}
            auc = f["results/auc"][()]
            status = f["results/status"][()]
            point = f["tasks/point"][()]
        np.testing.assert_array_equal(s["n_done"], [2, 2])
        np.testing.assert_array_equal(s["n_failed"], [1, 1])
        np.testing.assert_array_equal(s["auc_count"], [2, 2])
        for p in range(2):
            done = auc[(point == p) & (status == 1)]
            self.assertTrue(np.all(np.isfinite(done)))
            self.assertAlmostEqual(s["auc_mean"][p], done.mean(), places=12)
            self.assertAlmostEqual(s["auc_std"][p], done.std(), places=12)
        # The printed table shows the failed count per point.
        rows = [line.split() for line in self.done.stdout.splitlines()
                if line.strip().startswith(("0.7", "0.9"))]
        self.assertEqual([(r[1], r[2]) for r in rows], [("2", "1"), ("2", "1")])

    def test_other_tasks_are_untouched(self):
        with h5py.File(self.store, "r") as f, h5py.File(self.clean, "r") as g:
            for name in ("auc", "best_accuracy", "epochs"):
                mine, clean = f["results"][name][()], g["results"][name][()]
                for task in range(6):
                    if task not in POISONED:
                        self.assertEqual(mine[task], clean[task], f"{name}[{task}]")

    def test_resume_does_not_rerun_failed_tasks(self):
        with h5py.File(self.store, "r") as f:
            before = f["results/failure_reason"][()].copy()
        again = run(1, "--job", self.job, "--output", self.store, "--no-plots", "--resume")
        self.assertEqual(again.returncode, 4, again.stderr)
        self.assertIn("0 to run", again.stderr)
        with h5py.File(self.store, "r") as f:
            self.assertTrue(np.array_equal(before, f["results/failure_reason"][()]))
            self.assertEqual(list(f["summary/n_failed"][()]), [1, 1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
