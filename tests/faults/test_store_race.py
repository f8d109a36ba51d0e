"""Two jobs on one --output: the race of issue 19. Two `mpiexec -np 2 cwola run` on the same
store, the second with another seed, started 0-40 ms apart, many times. Each time exactly
one may write the store: the other is refused (exit 2, "being written by another cwola
job" or "already exists"), and the store is the winner's, bit for bit against an
uninterrupted run of the winner's job, complete, with no .partial or .lock left. A
--resume or --overwrite of a store that a live job writes is refused the same way.

CWOLA_RACE_TRIALS sets the number of trials (default 6, to keep the suite fast; the issue's
figure was measured with 50). Run by CTest with Debian's python3."""
import os
import random
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
from cwola_driver import ENV, computed_results, cwola_command, process_tree  # noqa: E402

TRIALS = int(os.environ.get("CWOLA_RACE_TRIALS", "6"))
JOB = """
[job]
name = race
study = gaussian
seed = 4242
repeats = 4

[scan]
gaussian.f1 = 0.7, 1.0

[gaussian]
dimensions = 2
signal_mean = 1.0
events_per_mixture = 600
test_events = 400

[training]
max_epochs = 3
patience = 3

[run]
threads = 1
progress_seconds = 0
"""
REFUSALS = ("being written by another cwola job", "already exists")


def same(a, b):
    if a.keys() != b.keys():
        return False
    for key in a:
        equal = (np.array_equal(a[key], b[key], equal_nan=True) if a[key].dtype.kind == "f"
                 else np.array_equal(a[key], b[key]))
        if not equal:
            return False
    return True


class StoreRace(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_race_")
        cls.job = os.path.join(cls.dir, "race.ini")
        with open(cls.job, "w") as f:
            f.write(JOB)
        cls.reference = {}
        cls.hash = {}
        for name, extra in (("A", []), ("B", ["--set", "job.seed=99"])):
            path = os.path.join(cls.dir, f"reference_{name}.h5")
            done = subprocess.run(cls.run_args(path, extra), env=ENV, capture_output=True,
                                  text=True, timeout=300)
            if done.returncode != 0:
                raise AssertionError(f"reference run {name} failed:\n{done.stderr}")
            cls.reference[name] = computed_results(path)
            with h5py.File(path, "r") as f:
                cls.hash[name] = f["job/hash"][()].decode()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def run_args(cls, store, extra=(), ranks=2):
        return cwola_command(ranks, "run", "--job", cls.job, "--output", store, "--no-plots",
                             *extra)

    def check_store(self, store, winner):
        """Problems of the store (empty when it is exactly the winner's complete study)."""
        problems = []
        for leftover in (store + ".partial", store + ".lock"):
            if os.path.exists(leftover):
                problems.append(f"{leftover} left behind")
        with h5py.File(store, "r") as f:
            if f["job/hash"][()].decode() != self.hash[winner]:
                problems.append("hash is not the winner's")
            if f["job/complete"][()] != 1:
                problems.append("not complete")
            status = f["results/status"][()]
            if not np.all(status == 1):
                problems.append(f"statuses {status}")
            if not np.array_equal(f["tasks/id"][()], np.arange(len(status))):
                problems.append("tasks/id is not 0..n-1")
        if not same(computed_results(store), self.reference[winner]):
            problems.append("results differ from the winner's uninterrupted run")
        return problems

    def test_two_jobs_started_together(self):
        rng = random.Random(19)
        corrupt = []
        outcomes = {}
        for trial in range(TRIALS):
            store = os.path.join(self.dir, f"race_{trial}.h5")
            delay = rng.uniform(0.0, 0.040)
            a = subprocess.Popen(self.run_args(store), env=ENV, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(delay)
            b = subprocess.Popen(self.run_args(store, ["--set", "job.seed=99"]), env=ENV,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            (_, a_err), (_, b_err) = a.communicate(timeout=300), b.communicate(timeout=300)
            codes = (a.returncode, b.returncode)
            outcomes[codes] = outcomes.get(codes, 0) + 1
            if sorted(codes) != [0, 2]:
                corrupt.append(f"trial {trial}: exit codes {codes}\n{a_err}\n{b_err}")
                continue
            winner, loser_err = ("A", b_err) if codes[0] == 0 else ("B", a_err)
            if not any(text in loser_err for text in REFUSALS):
                corrupt.append(f"trial {trial}: refusal without the reason:\n{loser_err}")
            problems = self.check_store(store, winner)
            if problems:
                corrupt.append(f"trial {trial} (winner {winner}): {problems}")
            print(f"race trial {trial}: {delay * 1000:4.1f} ms apart, exit codes {codes}, "
                  f"{'ok' if not problems else problems}", file=sys.stderr, flush=True)
        print(f"\nrace: {TRIALS} trials, exit codes (A, B) -> count {outcomes}, "
              f"{len(corrupt)} corrupt or mixed stores")
        self.assertEqual(corrupt, [])

    def test_resume_and_overwrite_of_a_live_store_are_refused(self):
        store = os.path.join(self.dir, "live.h5")
        # A longer job than the race's (more events and epochs), so that the writer is surely
        # still running when it is paused, however fast the machine.
        long_job = os.path.join(self.dir, "long.ini")
        with open(long_job, "w") as f:
            f.write(JOB.replace("events_per_mixture = 600", "events_per_mixture = 20000")
                       .replace("max_epochs = 3", "max_epochs = 30")
                       .replace("patience = 3", "patience = 30"))
        command = lambda extra, ranks=2: cwola_command(  # noqa: E731
            ranks, "run", "--job", long_job, "--output", store, "--no-plots", *extra)
        writer = subprocess.Popen(command(["--verbose"]), env=ENV,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Wait until the store exists and tasks run, then try to write it from a second job.
        started = time.time()
        for line in writer.stdout:
            if " to run on " in line:
                break
            self.assertLess(time.time() - started, 120, "the writer never started its tasks")
        # Paused (SIGSTOP keeps its lock), so the writer is surely live while the others try.
        paused = process_tree(writer.pid)
        for pid in paused:
            os.kill(pid, signal.SIGSTOP)
        try:
            for extra in (["--resume"], ["--overwrite"]):
                second = subprocess.run(command(extra, ranks=1), env=ENV,
                                        capture_output=True, text=True, timeout=120)
                self.assertEqual(second.returncode, 2, f"{extra}: {second.stderr}")
                self.assertIn("being written by another cwola job", second.stderr)
                self.assertIn(store + ".lock", second.stderr)
        finally:
            for pid in paused:
                os.kill(pid, signal.SIGCONT)
        writer.communicate(timeout=300)
        self.assertEqual(writer.returncode, 0)
        for leftover in (store + ".partial", store + ".lock"):
            self.assertFalse(os.path.exists(leftover), f"{leftover} left behind")
        with h5py.File(store, "r") as f:
            self.assertEqual(f["job/complete"][()], 1)
            self.assertTrue(np.all(f["results/status"][()] == 1))


if __name__ == "__main__":
    unittest.main(verbosity=2)
