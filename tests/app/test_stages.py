"""End-to-end tests of stages (docs/stages.md) with the cwola executable: a pretrain ->
fine-tune job gives identical per-task results and models on 1 and 2 ranks and with barrier or
dependency hand-out; a fine-tune starts from the stored model; a failed upstream task fails its
readers with its reason; `cwola inspect` shows stages and models; bad stage graphs exit 2.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS) with Debian's python3."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (ENV, assert_identical, computed_results, cwola_command,  # noqa: E402
                          datasets, two_stage_sections)

STAGED_JOB = """
[job]
name = staged
study = gaussian
seed = 777

[gaussian]
dimensions = 3
signal_mean = 0.6
events_per_mixture = 1000
test_events = 600

[training]
max_epochs = 4
patience = 4

[run]
threads = 1
progress_seconds = 0
""" + two_stage_sections("{finetune_extra}")
N_PRETRAIN = 2
N_TASKS = 2 + 2 * 2 * 2


def write_job(directory, name="staged.ini", finetune_extra="", text=None):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text if text is not None else STAGED_JOB.format(finetune_extra=finetune_extra))
    return path


def run(ranks, *args, env=None):
    return subprocess.run(cwola_command(ranks, "run", *args, "--no-plots"), env=env or ENV,
                          capture_output=True, text=True, timeout=600)


def models(path):
    return datasets(path, "models")


class Stages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_stages_")
        cls.job = write_job(cls.dir)
        cls.one_rank = os.path.join(cls.dir, "one.h5")
        done = run(1, "--job", cls.job, "--output", cls.one_rank)
        if done.returncode != 0:
            raise AssertionError(f"1-rank run failed:\n{done.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def one_and_two_ranks(self, job, name, *extra):
        """Runs `job` on 1 and 2 ranks; asserts identical results and models; the stores."""
        stores = {}
        for ranks in (1, 2):
            stores[ranks] = os.path.join(self.dir, f"{name}_{ranks}.h5")
            done = run(ranks, "--job", job, "--output", stores[ranks], *extra)
            self.assertEqual(done.returncode, 0, done.stderr)
        assert_identical(self, computed_results(stores[1]), computed_results(stores[2]),
                         f"{name}: 1 vs 2 ranks")
        a, b = models(stores[1]), models(stores[2])
        self.assertEqual(sorted(a), sorted(b))
        for key in a:
            self.assertTrue(np.array_equal(a[key], b[key]), f"{name}: model {key} differs")
        return stores

    def test_rank_count_and_hand_out_do_not_change_results(self):
        reference = computed_results(self.one_rank)
        for name, extra in (("dependency", []), ("barrier", ["--set", "run.stage_sync=barrier"])):
            store = os.path.join(self.dir, f"two_{name}.h5")
            done = run(2, "--job", self.job, "--output", store, *extra)
            self.assertEqual(done.returncode, 0, done.stderr)
            assert_identical(self, reference, computed_results(store), f"2 ranks, {name}")
            a, b = models(self.one_rank), models(store)
            self.assertEqual(sorted(a), sorted(b))
            for key in a:
                self.assertTrue(np.array_equal(a[key], b[key]), f"{name}: model {key} differs")

    def test_stage_tasks_stack_like_any_other(self):
        """run.ensemble = 4: stage tasks that read and keep models train stacked; 1 and 2
        ranks give identical results and models, and K = 1 agrees within the stacking
        rounding (docs/training.md)."""
        stores = self.one_and_two_ranks(self.job, "stacked", "--set", "run.ensemble=4")
        a = models(stores[1])
        plain, stacked = computed_results(self.one_rank), computed_results(stores[1])
        self.assertTrue(np.all(stacked["results/status"] == 1))
        self.assertLess(np.max(np.abs(plain["results/auc"] - stacked["results/auc"])), 2e-3)
        reference = models(self.one_rank)
        for key in reference:  # the pretrain models the fine-tunes read
            np.testing.assert_allclose(a[key], reference[key], atol=2e-3, err_msg=key)

    def test_store_layout_of_stages(self):
        with h5py.File(self.one_rank, "r") as f:
            self.assertEqual([n.decode() for n in f["stages/name"][()]], ["pretrain", "finetune"])
            self.assertEqual(list(f["stages/n_tasks"][()]), [N_PRETRAIN, N_TASKS - N_PRETRAIN])
            self.assertTrue(np.all(f["results/status"][()] == 1))
            upstream = f["tasks/upstream"][()]
            self.assertEqual(list(upstream[:N_PRETRAIN]), [-1, -1])
            self.assertEqual(list(upstream[N_PRETRAIN:]), [0, 0, 0, 0, 1, 1, 1, 1])
            # Each stage's points know their stage (job.stage), but the effective job does not
            # record it: it is no job setting, and the hash of a staged job stays as it was.
            job_text = f["job/text"].asstr()[()]
            self.assertNotRegex(job_text, r"(?m)^stage = ")
            weight = f["models/pretrain/hidden0.weight"]
            self.assertEqual(weight.shape, (N_PRETRAIN, 8, 3))
            self.assertTrue(np.all(np.isfinite(weight[()])))
            self.assertNotIn("finetune", f["models"])  # nobody reads it ([job] models = read)
            self.assertEqual(f["models/pretrain"].attrs["description"][0].decode()
                             if isinstance(f["models/pretrain"].attrs["description"][0], bytes)
                             else f["models/pretrain"].attrs["description"][0], "dense 3-8-8-1")

    def test_a_fine_tune_starts_from_the_stored_model(self):
        # With a vanishing learning rate, the fine-tuned network is the pretrained network it
        # read (to within the tiny update); keep the fine-tunes' models to compare the weights.
        job = write_job(self.dir, "frozen.ini", "training.learning_rate = 1e-12")
        store = os.path.join(self.dir, "frozen.h5")
        done = run(1, "--job", job, "--output", store, "--set", "job.models=all")
        self.assertEqual(done.returncode, 0, done.stderr)
        with h5py.File(store, "r") as f:
            upstream = f["tasks/upstream"][()]
            for name in ("hidden0.weight", "hidden1.bias", "output.weight"):
                pre = f[f"models/pretrain/{name}"][()]
                fine = f[f"models/finetune/{name}"][()]
                for local, task in enumerate(range(N_PRETRAIN, N_TASKS)):
                    np.testing.assert_allclose(fine[local], pre[upstream[task]], atol=1e-8,
                                               err_msg=f"task {task} {name}")
            # A fresh initialisation would be far from the stored model (the check can fail).
            pre = f["models/pretrain/hidden0.weight"][()]
            self.assertGreater(np.abs(pre[0] - pre[1]).max(), 1e-3)

    def test_a_fine_tune_can_continue_the_stored_optimizer(self):
        job = write_job(self.dir, "continued.ini", "optimizer = continue")
        stores = self.one_and_two_ranks(job, "continued")
        with h5py.File(stores[1], "r") as f:
            group = f["models/pretrain"]
            # Adam's step count is the number of updates up to the stored (best) epoch: the
            # same number per epoch for both pretrain tasks (equal sample sizes).
            step = group["optimizer.step"][()][:, 0]
            best = group["best_epoch"][()]
            self.assertTrue(np.all(step > 0))
            self.assertTrue(np.all(step % (best + 1) == 0), f"{step} {best}")
            self.assertEqual(len(set((step // (best + 1)).tolist())), 1)
            self.assertTrue(np.all(group["optimizer.exp_avg_sq.hidden0.weight"][()] >= 0))
            self.assertGreater(np.abs(group["optimizer.exp_avg.output.weight"][()]).max(), 0)
            continued_auc = f["results/auc"][()][N_PRETRAIN:]
        with h5py.File(self.one_rank, "r") as f:
            fresh_auc = f["results/auc"][()][N_PRETRAIN:]
            self.assertNotIn("optimizer.step", f["models/pretrain"])  # stored only when read
        # The continued Adam (its moments and bias correction) trains differently.
        self.assertGreater(np.abs(continued_auc - fresh_auc).max(), 1e-6)

    def test_an_upstream_failure_fails_its_readers_with_the_reason(self):
        store = os.path.join(self.dir, "upstream.h5")
        env = dict(ENV, CWOLA_FAULT_NAN_TASKS="1")  # pretrain task 1 diverges
        done = run(2, "--job", self.job, "--output", store, env=env)
        self.assertEqual(done.returncode, 4, done.stderr)  # tasks failed
        with h5py.File(store, "r") as f:
            status = f["results/status"][()]
            reasons = [r.decode() for r in f["results/failure_reason"][()]]
            upstream = f["tasks/upstream"][()]
            self.assertEqual(status[1], 2)
            for task in range(N_PRETRAIN, N_TASKS):
                if upstream[task] == 1:
                    self.assertEqual(status[task], 2)
                    self.assertTrue(reasons[task].startswith("upstream task 1 failed: "),
                                    reasons[task])
                    self.assertIn(reasons[1][:40], reasons[task])
                else:
                    self.assertEqual(status[task], 1)
            self.assertEqual(int(f["summary/n_upstream_failed"][()].sum()), 4)
            self.assertEqual(int(f["summary/n_failed"][()].sum()), 1)
        inspect = subprocess.run(cwola_command(1, "inspect", store, "--json"), env=ENV,
                                 capture_output=True, text=True, timeout=60)
        report = json.loads(inspect.stdout)
        self.assertEqual([s["failed"] for s in report["stages"]], [1, 0])
        self.assertEqual([s["upstream_failed"] for s in report["stages"]], [0, 4])

    def test_inspect_shows_stages_and_models(self):
        table = subprocess.run(cwola_command(1, "inspect", self.one_rank), env=ENV,
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("pretrain", table.stdout)
        self.assertIn("/models/pretrain/hidden0.weight [2, 8, 3]", table.stdout)
        report = json.loads(subprocess.run(cwola_command(1, "inspect", self.one_rank, "--json"),
                                           env=ENV, capture_output=True, text=True,
                                           timeout=60).stdout)
        self.assertTrue(report["complete"])
        self.assertEqual(report["tasks"], N_TASKS)
        pretrain, finetune = report["stages"]
        self.assertEqual((pretrain["done"], finetune["done"]), (N_PRETRAIN, N_TASKS - N_PRETRAIN))
        self.assertEqual(finetune["reads"], "pretrain")
        self.assertEqual(pretrain["models"]["tensors"][0]["shape"], [8, 3])
        self.assertIsNone(finetune["models"])
        missing = subprocess.run(cwola_command(1, "inspect", os.path.join(self.dir, "no.h5")),
                                 env=ENV, capture_output=True, text=True, timeout=60)
        self.assertEqual(missing.returncode, 2)

    def test_bad_stage_graphs_exit_2_before_any_work(self):
        cases = {
            "missing": ("reads = pretrain", "reads = nowhere", "stage.finetune.reads"),
            "shape": ("tasks = per_task_of pretrain",
                      "tasks = per_task_of pretrain\nmodel.hidden = 4", "does not fit"),
            "derived": ("tasks = per_task_of pretrain", "tasks = per_task_of finetune",
                        "stage.finetune.tasks"),
            "optimizer": ("tasks = per_task_of pretrain",
                          "tasks = per_task_of pretrain\noptimizer = sometimes",
                          "stage.finetune.optimizer"),
            "continue_nothing": ("gaussian.f2 = 0.0", "gaussian.f2 = 0.0\noptimizer = continue",
                                 "stage.pretrain.optimizer"),
        }
        for name, (old, new, expected) in cases.items():
            text = STAGED_JOB.format(finetune_extra="").replace(old, new)
            job = write_job(self.dir, f"bad_{name}.ini", text=text)
            store = os.path.join(self.dir, f"bad_{name}.h5")
            done = run(1, "--job", job, "--output", store)
            self.assertEqual(done.returncode, 2, f"{name}: {done.stderr}")
            self.assertIn(expected, done.stderr, name)
            self.assertIn(job, done.stderr, name)
            self.assertFalse(os.path.exists(store), f"{name}: a store was made")
        later = STAGED_JOB.format(finetune_extra="").replace(
            "[stage.pretrain]", "[stage.pretrain]\nreads = finetune")
        job = write_job(self.dir, "bad_later.ini", text=later)
        done = run(1, "--job", job, "--output", os.path.join(self.dir, "later.h5"))
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("comes later", done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
