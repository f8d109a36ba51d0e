"""Kill tests: SIGKILL the whole 2-rank job, or one rank, at many points (before MPI is
up, around store creation, after k finished tasks for several k, at the last task, while
rank 0 writes the summary, at random times), then continue the way the SLURM templates
do (--resume if the store exists, else start again). Each time: the store opens, no
finished task is lost or changed (its rows, wall time and rank are untouched), and the
final per-task results and summary equal those of an uninterrupted run.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS) with Debian's python3."""
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (ENV, assert_identical, computed_results,  # noqa: E402
                          cwola_command, kill_tree, process_tree, two_stage_sections,
                          wait_until_gone)

N_TASKS = 16
KILL_JOB = f"""
[job]
name = kills
study = gaussian
seed = 31337
repeats = 4

[scan]
gaussian.f1 = 0.6, 0.7, 0.8, 1.0

[gaussian]
dimensions = 3
signal_mean = 0.6
events_per_mixture = 1500
test_events = 1000

[training]
max_epochs = 6
patience = 6

[run]
threads = 1
progress_seconds = 0
"""

DONE_LINE = re.compile(r"\] task \d+ done")


def command(*args):
    return cwola_command(2, "run", *args)


def rank_pids(mpirun_pid):
    """{rank: pid} of the cwola processes under mpirun."""
    ranks = {}
    for pid in process_tree(mpirun_pid)[1:]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name == "cwola" and b"OMPI_COMM_WORLD_RANK" in env:
            ranks[int(env[b"OMPI_COMM_WORLD_RANK"])] = pid
    return ranks


def kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def done_rows(path):
    """{task: {column: value}} of every task marked done, including wall time and rank."""
    with h5py.File(path, "r") as f:
        status = f["results/status"][()]
        rows = {}
        for task in np.flatnonzero(status != 0):
            row = {}
            for group in ("results", "curves"):
                for name, dataset in f[group].items():
                    if dataset.shape and dataset.shape[0] == len(status):
                        row[f"{group}/{name}"] = dataset[task]
            rows[int(task)] = row
        return rows


class KillBase(unittest.TestCase):
    """Runs JOB once uninterrupted, then kill_at() kills copies of it and continues them."""
    JOB = KILL_JOB
    N_TASKS = N_TASKS

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_kills_")
        cls.job = os.path.join(cls.dir, "kills.ini")
        with open(cls.job, "w") as f:
            f.write(cls.JOB)
        cls.reference = os.path.join(cls.dir, "reference.h5")
        started = time.time()
        done = subprocess.run(command("--job", cls.job, "--output", cls.reference, "--no-plots"),
                              env=ENV, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise AssertionError(f"reference run failed:\n{done.stderr}")
        cls.run_seconds = time.time() - started
        with h5py.File(cls.reference, "r") as f:
            cls.reference_summary = {k: f["summary"][k][()] for k in f["summary"]
                                     if not k.startswith("wall_seconds")}
        cls.report = []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        print(f"\nkill points (uninterrupted run: {cls.run_seconds:.1f} s):")
        for line in cls.report:
            print("  " + line)

    def kill_at(self, name, trigger, victim="job", env=None, check_store=None):
        """Starts the job, waits for `trigger(line, elapsed)` on its output, kills `victim`
        ("job", or a rank number), then checks the store (also with `check_store(path)`) and
        continues it (without the extra `env`)."""
        store = os.path.join(self.dir, f"{name}.h5")
        process = subprocess.Popen(command("--job", self.job, "--output", store, "--no-plots",
                                           "--verbose"),
                                   env=dict(ENV, **(env or {})), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        started = time.time()
        state = {"done": 0}
        fired = False
        buffer = b""
        while not fired and process.poll() is None and time.time() - started < 300:
            ready, _, _ = select.select([process.stdout], [], [], 0.02)
            lines = []
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                lines = [line.decode(errors="replace") for line in complete]
            for line in lines or [""]:
                if DONE_LINE.search(line):
                    state["done"] += 1
                if trigger(line, time.time() - started, state):
                    fired = True
                    break
        if not fired:
            process.kill()
            process.wait()
            self.fail(f"{name}: the kill point was never reached")
        finished_first = False
        job_processes = process_tree(process.pid)
        if victim == "job":
            kill_tree(process.pid)
        else:
            ranks = rank_pids(process.pid)
            if victim in ranks:
                kill([ranks[victim]])
            else:
                # mpirun forwards output in bursts: a late trigger can arrive after the ranks
                # have exited. Only a run that ended cleanly with a complete store passes, as a
                # no-op kill (the checks below then demand it equal the uninterrupted run).
                try:
                    process.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    kill_tree(process.pid)
                    self.fail(f"{name}: rank {victim} not found while mpirun still runs")
                self.assertEqual(process.returncode, 0,
                                 f"{name}: rank {victim} not found and the job exited "
                                 f"{process.returncode}")
                with h5py.File(store, "r") as f:
                    self.assertEqual(f["job/complete"][()], 1,
                                     f"{name}: rank {victim} not found, store not complete")
                finished_first = True
        try:
            process.communicate(timeout=60)  # one dead rank must bring the job down, not hang it
        except subprocess.TimeoutExpired:
            kill_tree(process.pid)
            self.fail(f"{name}: mpirun still running 60 s after rank {victim} was killed")
        killed_after = time.time() - started
        wait_until_gone(job_processes)

        exists = os.path.exists(store)
        before = {}
        if exists:
            with h5py.File(store, "r") as f:  # the store opens after the kill
                self.assertIn("job/hash", f)
            before = done_rows(store)
            if check_store is not None:
                check_store(store)
        # Continue as the SLURM templates do.
        args = ["--job", self.job, "--output", store, "--no-plots"] + (["--resume"] if exists else [])
        # Right away, as a user would: the killed ranks' lock must not refuse it (they can
        # stay zombies where nothing reaps them).
        resumed = subprocess.run(command(*args), env=ENV, capture_output=True, text=True,
                                 timeout=600)
        self.assertEqual(resumed.returncode, 0, f"{name}: continuing failed\n{resumed.stderr}")
        if exists:
            self.assertIn(f"{self.N_TASKS - len(before)} to run", resumed.stderr)
        self.assertFalse(os.path.exists(store + ".partial"), f"{name}: .partial left behind")
        after = done_rows(store)
        for task, row in before.items():  # finished tasks: not lost, not rerun, not changed
            for column, value in row.items():
                same = (np.array_equal(value, after[task][column], equal_nan=True)
                        if np.asarray(value).dtype.kind == "f"
                        else np.array_equal(value, after[task][column]))
                self.assertTrue(same, f"{name}: task {task} {column} changed by the resume")
        assert_identical(self, computed_results(self.reference), computed_results(store), name)
        with h5py.File(store, "r") as f:
            self.assertEqual(f["job/complete"][()], 1)
            for key, value in self.reference_summary.items():
                self.assertTrue(np.array_equal(value, f["summary"][key][()], equal_nan=True)
                                if value.dtype.kind == "f" else
                                np.array_equal(value, f["summary"][key][()]),
                                f"{name}: summary {key} differs")
        self.report.append(f"{name:28s} killed {victim:>4} at {killed_after:5.2f} s: "
                           f"store {'existed' if exists else 'absent'}, "
                           f"{len(before):2d}/{self.N_TASKS} "
                           f"tasks done -> {'resumed' if exists else 'restarted'}, identical"
                           + (" (the run had finished before the kill: no-op)"
                              if finished_first else ""))
        return resumed.stderr


class Kills(KillBase):
    # -- the whole job -------------------------------------------------------------------
    def test_whole_job_killed(self):
        rng = random.Random(20261122)
        points = [
            ("job_at_launch", lambda line, t, s: t > 0.3),
            ("job_before_store_creation", lambda line, t, s: "local rank 0/" in line),
            ("job_after_store_creation", lambda line, t, s: " to run on " in line),
        ]
        for k in (1, 6, 11):
            points.append((f"job_after_{k}_tasks", lambda line, t, s, k=k: s["done"] >= k))
        points += [
            ("job_at_last_task", lambda line, t, s: s["done"] >= N_TASKS),
            ("job_during_summary", lambda line, t, s: f"progress: {N_TASKS}/{N_TASKS}" in line),
            ("job_after_summary_table", lambda line, t, s: "Summary of" in line),
        ]
        for i in range(1):
            # A fraction of the uninterrupted run's time, so the point lies inside the run on
            # a fast machine as well as on a loaded one.
            at = rng.uniform(0.05, 0.3) * self.run_seconds
            points.append((f"job_at_random_{at:.2f}s", lambda line, t, s, at=at: t >= at))
        for name, trigger in points:
            with self.subTest(name):
                self.kill_at(name, trigger)

    # -- one rank --------------------------------------------------------------------------
    def test_one_rank_killed(self):
        points = [
            ("rank0_during_store_creation", lambda line, t, s: "local rank 0/" in line, 0),
            ("rank1_after_3_tasks", lambda line, t, s: s["done"] >= 3, 1),
            # The last task is running: its start, not its end, so the ranks still live
            # when the (bursty) output reaches us.
            ("rank0_at_last_task", lambda line, t, s: s["done"] >= N_TASKS - 1, 0),
        ]
        for name, trigger, rank in points:
            with self.subTest(name):
                self.kill_at(name, trigger, victim=rank)


# A two-stage job (docs/stages.md): pretrain (tasks 0-1) -> fine-tune per pretrained model
# (tasks 2-9). Its kill points are the stage boundary and the model write.
STAGE_JOB = KILL_JOB.replace("repeats = 4\n", "").replace(
    "[scan]\ngaussian.f1 = 0.6, 0.7, 0.8, 1.0\n", "") + two_stage_sections()


class StageKills(KillBase):
    JOB = STAGE_JOB
    N_TASKS = 10

    def test_kills_at_stage_boundaries_and_model_writes(self):
        def model_written_not_done(path):
            with h5py.File(path, "r") as f:
                self.assertEqual(f["results/status"][1], 0, "task 1 must still be pending")
                self.assertTrue(np.all(np.isfinite(f["models/pretrain/hidden0.weight"][1])),
                                "the model of task 1 was written before the kill")

        points = [
            ("stage_boundary", lambda line, t, s: "] task 1 done" in line, "job", None, None),
            ("between_model_and_status",
             lambda line, t, s: "model of task 1 written" in line, "job",
             {"CWOLA_FAULT_PAUSE_AFTER_MODEL": "1"}, model_written_not_done),
            ("rank1_at_stage_boundary", lambda line, t, s: s["done"] >= 2, 1, None, None),
        ]
        for name, trigger, victim, env, check in points:
            with self.subTest(name):
                self.kill_at(name, trigger, victim=victim, env=env, check_store=check)


# Per-epoch checkpoints ([run] checkpoint = epoch, docs/stages.md): two long trainings (12
# epochs, no early stopping), killed inside a training and inside a checkpoint write. The
# continued run must resume the killed training after its last whole checkpoint and still end
# exactly as the uninterrupted run.
CHECKPOINT_JOB = """
[job]
name = checkpoints
study = gaussian
seed = 4242
repeats = 2

[gaussian]
dimensions = 3
signal_mean = 0.6
events_per_mixture = 10000
test_events = 1000
f1 = 0.7

[model]
dropout = 0.1

[training]
max_epochs = 12
patience = 12

[run]
threads = 1
progress_seconds = 0
checkpoint = epoch
"""


class CheckpointKills(KillBase):
    JOB = CHECKPOINT_JOB
    N_TASKS = 2

    def test_kills_inside_a_training_and_inside_a_checkpoint_write(self):
        def flag_on_epoch(epochs):
            def check(path):
                with h5py.File(path, "r") as f:
                    group = f["checkpoints/main"]
                    row = list(group["task"][()]).index(0)
                    self.assertEqual(f["results/status"][0], 0, "task 0 must still be pending")
                    self.assertEqual(group["epochs_done"][row], epochs,
                                     "the flag must name the last whole checkpoint")
                # cwola inspect reports it, for people and for scripts.
                shown = subprocess.run(cwola_command(1, "inspect", path, "--json"), env=ENV,
                                       capture_output=True, text=True, timeout=60)
                self.assertEqual(shown.returncode, 0, shown.stderr)
                group = json.loads(shown.stdout)["checkpoints"][0]
                self.assertEqual(group["group"], "/checkpoints/main")
                self.assertEqual(group["epochs_done"][group["tasks"].index(0)], epochs)
                table = subprocess.run(cwola_command(1, "inspect", path), env=ENV,
                                       capture_output=True, text=True, timeout=60).stdout
                self.assertIn(f"task 0: after epoch {epochs}", table)
            return check

        points = [
            ("inside_training", lambda line, t, s: "task 0 checkpoint after epoch 4" in line,
             None, None, 4),
            ("inside_checkpoint_write",
             lambda line, t, s: "checkpoint slot of task 0 after epoch 6 written" in line,
             {"CWOLA_FAULT_PAUSE_IN_CHECKPOINT": "0:6"}, flag_on_epoch(5), 5),
        ]
        for name, trigger, env, check, epochs in points:
            with self.subTest(name):
                resumed = self.kill_at(name, trigger, env=env, check_store=check)
                # At least that checkpoint: the output can reach us an epoch late.
                resumed_after = re.search(r"task 0 resumes after epoch (\d+)", resumed)
                self.assertIsNotNone(resumed_after, f"{name}: task 0 did not resume\n{resumed}")
                self.assertGreaterEqual(int(resumed_after.group(1)), epochs)

    def test_checkpoints_change_no_result_on_one_rank_or_two(self):
        plain = os.path.join(self.dir, "plain.h5")
        job = os.path.join(self.dir, "plain.ini")
        with open(job, "w") as f:
            f.write(CHECKPOINT_JOB.replace("checkpoint = epoch", "checkpoint = none"))
        done = subprocess.run(cwola_command(1, "run", "--job", job, "--output", plain,
                                            "--no-plots"),
                              env=ENV, capture_output=True, text=True, timeout=600)
        self.assertEqual(done.returncode, 0, done.stderr)
        with h5py.File(plain, "r") as f:
            self.assertNotIn("checkpoints", f)
        assert_identical(self, computed_results(self.reference), computed_results(plain),
                         "checkpoint = epoch on 2 ranks vs none on 1 rank")
        # A store made without checkpoint slots keeps none when resumed with them, and says so.
        resumed = subprocess.run(cwola_command(1, "run", "--job", self.job, "--output", plain,
                                               "--no-plots", "--resume"),
                                 env=ENV, capture_output=True, text=True, timeout=600)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertIn("was created without checkpoint slots", resumed.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
