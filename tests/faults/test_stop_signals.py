"""Stop signals through the launcher (issue 19): a user's Ctrl-C and a scheduler's SIGTERM
must give exit 3 (stopped, store consistent, continue with --resume) and the resume hint.

Open MPI 4.1's mpiexec aborts the job on SIGINT/SIGTERM and exits 1 whatever the ranks
return (documented in docs/faults.md, and checked here so a change of Open MPI shows).
The working paths, tested here:
  * scripts/cwola-mpiexec (interactive): Ctrl-C, i.e. SIGINT to the terminal's foreground
    process group, and SIGTERM to the launcher -> 3;
  * the slurm/ templates' body (slurm/lib/cwola_job.sh) with mpiexec as launcher: the
    --signal=B:USR1 warning to the batch shell, and SIGTERM to every process of the job
    (scancel, time limit) -> 3 (the requeue itself needs SLURM; see tests/slurm).
After each stop the store resumes to a complete study equal to an uninterrupted run.
Run by CTest with Debian's python3."""
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (CWOLA, ENV, MPIEXEC, MPIEXEC_FLAGS, assert_identical,  # noqa: E402
                          computed_results, cwola_command, gaussian_job, kill_tree,
                          process_tree)

SOURCE = os.environ.get("CWOLA_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
JOB = gaussian_job("stops", 303, 4, "0.6, 0.8, 1.0", test_events=800,
                   training="max_epochs = 8\npatience = 8")
DONE_LINE = re.compile(r"task \d+ done")
HINT = "Continue with the same command plus --resume"


class StopSignals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_stops_")
        cls.job = os.path.join(cls.dir, "stops.ini")
        with open(cls.job, "w") as f:
            f.write(JOB)
        cls.reference = os.path.join(cls.dir, "reference.h5")
        done = subprocess.run(cls.cwola_args(cls.reference, ranks=2), env=ENV,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise AssertionError(f"reference run failed:\n{done.stderr}")
        cls.report = []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        print("\nstop signals (path -> exit code):")
        for line in cls.report:
            print("  " + line)

    @classmethod
    def cwola_args(cls, store, ranks=2):
        return cwola_command(ranks, "run", "--job", cls.job, "--output", store, "--no-plots",
                             "--verbose")

    def stop_after_first_task(self, name, command, send, env=ENV):
        """Starts `command` in a session of its own, calls send(pid) once a task is done,
        returns (exit code, output)."""
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        output = b""
        started = time.time()
        sent = False
        while process.poll() is None and time.time() - started < 300:
            ready, _, _ = select.select([process.stdout], [], [], 0.05)
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                output += chunk
                if not sent and DONE_LINE.search(output.decode(errors="replace")):
                    send(process.pid)
                    sent = True
        try:
            rest, _ = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            kill_tree(process.pid)
            rest, _ = process.communicate()
            self.fail(f"{name}: still running 120 s after the signal")
        text = (output + rest).decode(errors="replace")
        self.assertTrue(sent, f"{name}: no task finished before the end:\n{text}")
        self.report.append(f"{name:58s} -> {process.returncode}")
        return process.returncode, text

    def resume_matches_reference(self, name, store):
        self.assertFalse(os.path.exists(store + ".lock"), f"{name}: lock left behind")
        done = subprocess.run(cwola_command(2, "run", "--job", self.job, "--output", store,
                                            "--no-plots", "--resume"),
                              env=ENV, capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, f"{name}: resume failed\n{done.stderr}")
        assert_identical(self, computed_results(self.reference), computed_results(store), name)

    def test_plain_mpiexec_decides_exit_1_but_the_store_is_consistent(self):
        store = os.path.join(self.dir, "plain.h5")
        code, text = self.stop_after_first_task(
            "Ctrl-C to plain mpiexec (Open MPI decides)", self.cwola_args(store),
            lambda pid: os.killpg(pid, signal.SIGINT))
        self.assertEqual(code, 1, text)  # Open MPI's abort code; see docs/faults.md
        self.resume_matches_reference("plain mpiexec", store)

    def wrapper_args(self, store):
        return [os.path.join(SOURCE, "scripts", "cwola-mpiexec"), "-np", "2", *MPIEXEC_FLAGS,
                CWOLA, "run", "--job", self.job, "--output", store, "--no-plots", "--verbose"]

    def test_ctrl_c_through_cwola_mpiexec_gives_3(self):
        store = os.path.join(self.dir, "ctrl_c.h5")
        # A terminal's Ctrl-C: SIGINT to the foreground process group (the wrapper's).
        code, text = self.stop_after_first_task(
            "Ctrl-C (SIGINT to the group) via scripts/cwola-mpiexec", self.wrapper_args(store),
            lambda pid: os.killpg(pid, signal.SIGINT), env=dict(ENV, CWOLA_MPIEXEC=MPIEXEC))
        self.assertEqual(code, 3, text)
        self.assertIn(HINT, text)
        self.resume_matches_reference("ctrl-c", store)

    def test_sigterm_to_cwola_mpiexec_gives_3(self):
        store = os.path.join(self.dir, "term.h5")
        code, text = self.stop_after_first_task(
            "SIGTERM to the launcher scripts/cwola-mpiexec", self.wrapper_args(store),
            lambda pid: os.kill(pid, signal.SIGTERM), env=dict(ENV, CWOLA_MPIEXEC=MPIEXEC))
        self.assertEqual(code, 3, text)
        self.assertIn(HINT, text)
        self.resume_matches_reference("sigterm", store)

    def template_args(self, store):
        """The templates' body outside SLURM, with mpiexec as launcher."""
        script = (f'source "{SOURCE}/slurm/lib/cwola_job.sh"; '
                  f'cwola_job_main "{self.job}" "{store}" --no-plots --verbose')
        return ["bash", "-c", script]

    def template_env(self):
        return dict(ENV, CWOLA_BIN=CWOLA, CWOLA_LAUNCH=" ".join([MPIEXEC, "-np", "2", *MPIEXEC_FLAGS]),
                    SLURM_NTASKS_PER_NODE="2", CWOLA_MAX_RESTARTS="0")

    def test_template_warning_signal_gives_3(self):
        store = os.path.join(self.dir, "template_usr1.h5")
        # --signal=B:USR1@...: SLURM signals the batch shell only.
        code, text = self.stop_after_first_task(
            "slurm template, --signal=B:USR1 to the batch shell", self.template_args(store),
            lambda pid: os.kill(pid, signal.SIGUSR1), env=self.template_env())
        self.assertEqual(code, 3, text)
        self.assertIn("cwola exited with code 3", text)
        self.resume_matches_reference("template usr1", store)

    def test_template_sigterm_to_every_process_gives_3(self):
        store = os.path.join(self.dir, "template_term.h5")
        # scancel / the time limit: SIGTERM to every process of the job, launcher included.
        def everyone(pid):
            for member in process_tree(pid):
                try:
                    os.kill(member, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        code, text = self.stop_after_first_task(
            "slurm template, SIGTERM to every process (scancel)", self.template_args(store),
            everyone, env=self.template_env())
        self.assertEqual(code, 3, text)
        self.resume_matches_reference("template term", store)


if __name__ == "__main__":
    unittest.main(verbosity=2)
