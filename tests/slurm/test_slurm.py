"""The real sbatch templates from slurm/ under a private single-node SLURM (started from a
temporary directory, stopped by PID at the end; see private_slurm.py).

- cpu.sbatch on 2 ranks (srun + PMIx): the store is complete and equals a direct run.
- Time limit: a study that cannot finish before its warning signal (--time=1,
  --signal=B:USR1@45) is signalled, stops with exit 3, requeues itself, resumes, and ends
  identical to the same study run uninterrupted through cpu.sbatch.
- gpu_node.sbatch against a fake GPU (gres on /dev/null): the script's GPU logic (one rank
  per GPU, CUDA_VISIBLE_DEVICES, deterministic cuBLAS) with device cuda (refused by a CPU
  LibTorch, exit 2, no requeue, no store), more ranks than GPUs (refused by the script), and
  device auto (runs on the CPU: a complete store).
- array_parts.sbatch + merge.sbatch via submit_array.sh: three part stores merged into one
  equal to an unsplit run.
Every job is checked by its store and log, not only its state. Exit 77 (CTest: skipped)
when SLURM cannot start here.

Run by CTest (CWOLA_BIN, CWOLA_SOURCE_DIR) as root with Debian's python3."""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from private_slurm import PrivateSlurm, Unavailable  # noqa: E402
from cwola_driver import ENV, assert_identical, computed_results, gaussian_job  # noqa: E402

SKIP = 77
ROOT = os.environ.get("CWOLA_SOURCE_DIR", os.path.abspath(os.path.join(HERE, "..", "..")))
CWOLA = os.path.abspath(os.environ.get("CWOLA_BIN", os.path.join(ROOT, "build", "cwola")))
SLURM = None  # the PrivateSlurm, set in main()

TINY_JOB = gaussian_job("tiny", 4242, 3, "0.6, 0.8, 1.0", events=2000, test_events=2000,
                        training="max_epochs = 8\npatience = 3", run="progress_seconds = 0")

# About 40 s on one quiet core: longer than the at most 30 s SLURM gives the time-limit
# job before its warning signal (slurmctld checks limits every 30 s).
SLOW_JOB = """
[job]
name = slow
study = gaussian
seed = 515
repeats = 8

[scan]
gaussian.f1 = 0.7, 0.9

[gaussian]
dimensions = 4
signal_mean = 0.5
events_per_mixture = 30000
test_events = 5000

[training]
max_epochs = 20
patience = 20

[run]
progress_seconds = 5
"""


def summary(path):
    with h5py.File(path, "r") as f:
        return {k: f["summary"][k][()] for k in f["summary"] if not k.startswith("wall_seconds")}


def log_of(pattern):
    text = ""
    for path in sorted(glob.glob(pattern)):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


class Templates(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_sbatch_")
        os.chmod(cls.dir, 0o755)
        cls.tiny = cls.write("tiny.ini", TINY_JOB)
        cls.slow = cls.write("slow.ini", SLOW_JOB)
        cls.env = dict(ENV, SLURM_CONF=SLURM.env["SLURM_CONF"], CWOLA_BIN=CWOLA,
                       CWOLA_CLUSTER="debian")
        cls.env.pop("CWOLA_DEVICE", None)
        w = cls.dir
        # Everything is submitted at once; the node runs what fits and queues the rest.
        cls.jobs = {
            "reference": cls.submit(["--ntasks=1", "--time=10", f"-o{w}/reference-%j.out",
                                     "slurm/cpu.sbatch", cls.slow, f"{w}/slow_reference.h5",
                                     "--no-plots"]),
            "time_limit": cls.submit(["--ntasks=1", "--time=1", "--signal=B:USR1@45",
                                      f"-o{w}/time_limit-%j.out", "slurm/cpu.sbatch", cls.slow,
                                      f"{w}/slow_time_limit.h5", "--no-plots"]),
            "cpu_two_ranks": cls.submit(["--ntasks=2", "--time=10", f"-o{w}/cpu2-%j.out",
                                         "slurm/cpu.sbatch", cls.tiny, f"{w}/cpu2.h5",
                                         "--no-plots"]),
            "gpu_cuda": cls.submit(["--ntasks-per-node=1", "--gres=gpu:1", "--cpus-per-task=1",
                                    "--time=10", f"-o{w}/gpu_cuda-%j.out",
                                    "slurm/gpu_node.sbatch", cls.tiny, f"{w}/gpu_cuda.h5"]),
            "gpu_too_many_ranks": cls.submit(["--ntasks-per-node=2", "--gres=gpu:1",
                                              "--cpus-per-task=1", "--time=10",
                                              f"-o{w}/gpu_many-%j.out", "slurm/gpu_node.sbatch",
                                              cls.tiny, f"{w}/gpu_many.h5"]),
            "gpu_auto": cls.submit(["--ntasks-per-node=1", "--gres=gpu:1", "--cpus-per-task=1",
                                    "--time=10", f"-o{w}/gpu_auto-%j.out",
                                    "slurm/gpu_node.sbatch", cls.tiny, f"{w}/gpu_auto.h5",
                                    "--no-plots"], CWOLA_DEVICE="auto"),
        }
        split = subprocess.run(["bash", "slurm/submit_array.sh", "--time=10", "--ntasks=1",
                                f"--output={w}/array-%x-%j.out", "--", "3", cls.tiny,
                                f"{w}/split.h5", "--no-plots"],
                               cwd=ROOT, env=cls.env, capture_output=True, text=True)
        if split.returncode != 0:
            raise AssertionError(f"submit_array.sh failed: {split.stderr}")
        ids = re.search(r"parts: job (\d+) .*merge: job (\d+)", split.stdout)
        cls.jobs["array"], cls.jobs["merge"] = ids.group(1), ids.group(2)

        # The reference for the tiny study, run directly (same per-task results on any
        # rank count, see the README).
        cls.tiny_reference = os.path.join(w, "tiny_reference.h5")
        direct = subprocess.run([CWOLA, "run", "--job", cls.tiny, "--output", cls.tiny_reference,
                                 "--no-plots", "--threads", "1"], env=ENV, capture_output=True,
                                text=True, timeout=300)
        if direct.returncode != 0:
            raise AssertionError(f"direct tiny run failed: {direct.stderr}")

        started = time.time()
        cls.final = {job["JobId"]: job for job in
                     SLURM.wait(list(cls.jobs.values()), timeout=900)}
        cls.waited = time.time() - started

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def submit(cls, args, **extra_env):
        return SLURM.sbatch(args, env=dict(cls.env, **extra_env), cwd=ROOT)

    def job(self, name):
        return self.final[self.jobs[name]]

    def assert_state(self, name, state, exit_code):
        job = self.job(name)
        log = log_of(os.path.join(self.dir, "*.out"))
        self.assertEqual((job["JobState"], job["ExitCode"]), (state, f"{exit_code}:0"),
                         f"{name}: {job}\n{log}")

    def assert_complete_store(self, path):
        with h5py.File(path, "r") as f:
            self.assertEqual(f["job/complete"][()], 1)
            self.assertTrue(np.all(f["results/status"][()] == 1))

    # -- CPU ---------------------------------------------------------------------------------
    def test_cpu_template_two_ranks(self):
        self.assert_state("cpu_two_ranks", "COMPLETED", 0)
        self.assertEqual(self.job("cpu_two_ranks")["Restarts"], "0")
        store = os.path.join(self.dir, "cpu2.h5")
        self.assert_complete_store(store)
        with h5py.File(store, "r") as f:
            self.assertEqual(set(f["results/rank"][()]), {0, 1})  # srun started two ranks
        assert_identical(self, computed_results(self.tiny_reference), computed_results(store),
                         "cpu.sbatch on 2 ranks vs direct run")
        log = log_of(os.path.join(self.dir, "cpu2-*.out"))
        self.assertIn("CUBLAS_WORKSPACE_CONFIG=:4096:8", log)
        self.assertIn("study complete", log)

    def test_time_limit_stop_requeue_resume(self):
        self.assert_state("reference", "COMPLETED", 0)
        self.assert_state("time_limit", "COMPLETED", 0)
        self.assertEqual(self.job("reference")["Restarts"], "0")
        restarts = int(self.job("time_limit")["Restarts"])
        log = log_of(os.path.join(self.dir, "time_limit-*.out"))
        print(f"\ntime-limit job: {restarts} restart(s); its log:\n" +
              "\n".join(line for line in log.splitlines()
                        if "cwola-slurm" in line or "stopped before" in line or
                        " to run on " in line))
        self.assertGreaterEqual(restarts, 1, log)
        self.assertIn("stop signal: asking cwola to stop", log)
        # At least one start was stopped gracefully by cwola itself (not killed).
        self.assertIn("cwola exited with code 3", log)
        self.assertIn("stopped before all tasks finished; the store is consistent", log)
        self.assertIn("requeueing job", log)
        self.assertIn("(resume)", log)
        reference = os.path.join(self.dir, "slow_reference.h5")
        limited = os.path.join(self.dir, "slow_time_limit.h5")
        self.assert_complete_store(limited)
        assert_identical(self, computed_results(reference), computed_results(limited),
                         "time-limited and requeued vs uninterrupted")
        assert_identical(self, summary(reference), summary(limited), "summaries")

    # -- GPU script logic on a fake GPU ---------------------------------------------------------
    def test_gpu_template_cuda_refused_without_requeue(self):
        self.assert_state("gpu_cuda", "FAILED", 2)
        self.assertEqual(self.job("gpu_cuda")["Restarts"], "0")
        log = log_of(os.path.join(self.dir, "gpu_cuda-*.out"))
        self.assertIn("1 rank(s) per node, device cuda", log)
        self.assertIn("CUDA_VISIBLE_DEVICES=0,", log)
        self.assertIn("CUBLAS_WORKSPACE_CONFIG=:4096:8", log)
        self.assertIn("device = cuda was requested but no GPU is usable", log)
        self.assertIn("not requeueing", log)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "gpu_cuda.h5")))

    def test_gpu_template_refuses_more_ranks_than_gpus(self):
        self.assert_state("gpu_too_many_ranks", "FAILED", 2)
        log = log_of(os.path.join(self.dir, "gpu_many-*.out"))
        self.assertIn("2 ranks per node but 1 GPU(s) per node", log)
        self.assertNotIn("cwola exited", log)  # refused before launching
        self.assertFalse(os.path.exists(os.path.join(self.dir, "gpu_many.h5")))

    def test_gpu_template_runs_with_device_auto(self):
        self.assert_state("gpu_auto", "COMPLETED", 0)
        log = log_of(os.path.join(self.dir, "gpu_auto-*.out"))
        self.assertIn("device auto", log)
        store = os.path.join(self.dir, "gpu_auto.h5")
        self.assert_complete_store(store)
        assert_identical(self, computed_results(self.tiny_reference), computed_results(store),
                         "gpu_node.sbatch (device auto) vs direct run")

    # -- job array + merge -----------------------------------------------------------------------
    def test_array_parts_and_merge(self):
        parts = [j for j in self.final.values() if j.get("ArrayJobId") == self.jobs["array"]]
        self.assertEqual(len(parts), 3)
        for part in parts:
            self.assertEqual((part["JobState"], part["ExitCode"]), ("COMPLETED", "0:0"), part)
        self.assert_state("merge", "COMPLETED", 0)
        for i in (1, 2, 3):
            with h5py.File(os.path.join(self.dir, f"split.part{i}of3.h5"), "r") as f:
                self.assertIn(f"part = {i}/3", f["job/text"][()].decode())
                self.assertEqual(int((f["results/status"][()] == 1).sum()), 3)
        merged = os.path.join(self.dir, "split.h5")
        self.assert_complete_store(merged)
        assert_identical(self, computed_results(self.tiny_reference), computed_results(merged),
                         "merged parts vs unsplit run")
        assert_identical(self, summary(self.tiny_reference), summary(merged), "summaries")


def main():
    global SLURM
    # CTest's timeout and a cancelled CI job send SIGTERM: unwind, so the daemons are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    slurm = PrivateSlurm()
    try:
        slurm.start()
    except Unavailable as reason:
        slurm.stop()
        print(f"SKIPPED: a private SLURM cannot start here: {reason}")
        return SKIP
    SLURM = slurm
    try:
        started = time.time()
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Templates)
        result = unittest.TextTestRunner(verbosity=2).run(suite)
        print(f"SLURM tests took {time.time() - started:.0f} s")
        if not result.wasSuccessful():
            print(slurm.log_tail())
        return 0 if result.wasSuccessful() else 1
    finally:
        slurm.stop()
        shutil.rmtree(slurm.dir or "", ignore_errors=True)
        alive = [f"{name} ({pid})" for name, pid in slurm.stopped if not slurm.gone(pid)]
        print("daemons stopped by PID: " + ", ".join(f"{n} ({p})" for n, p in slurm.stopped)
              if not alive else f"daemons still running: {alive}")


if __name__ == "__main__":
    sys.exit(main())
