"""End-to-end tests of `cwola bumpnet`'s per-epoch checkpoints, stop signal and ensemble
(docs/bump_hunt_network.md, "Checkpoints, resume and stop", "Ensemble over seeds"):
  * a run killed inside a checkpoint write (CWOLA_FAULT_KILL_IN_CHECKPOINT) and resumed ends
    with the models of an uninterrupted run, bit for bit, on 1 and on 2 ranks; the network
    that had finished is not trained again;
  * SIGTERM to rank 0 alone: both ranks stop at the same epoch boundary, exit 3 with the
    resume hint, the checkpoint holds that epoch, and --resume finishes bit for bit;
  * checkpoints of another card or rank count are refused (exit 2 naming the key);
  * bumpnet.ensemble = 2: members differ, the ensemble's prediction is their mean, member 0 is
    the network of an ensemble of one, 1 vs 2 ranks agree (full batches), --model re-evaluates.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR) with Debian's
python3 (h5py, numpy)."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
SOURCE = os.environ.get("CWOLA_SOURCE_DIR", os.path.join(HERE, "..", ".."))
import cwola_driver  # noqa: E402

GENERATOR = os.path.join(SOURCE, "inputs", "bump_histograms.card")
JOB = os.path.join(SOURCE, "jobs", "bumpnet_reduced.ini")
HISTOGRAMS, TRAIN, TEST, EPOCHS = 120, 80, 40, 4
# Minibatches of 20 (4 steps per epoch, a shuffled order): the resume must replay the order.
SHUFFLED = ["--set", f"bumpnet.train_histograms={TRAIN}", "--set", f"bumpnet.test_histograms={TEST}",
            "--set", f"bumpnet.epochs={EPOCHS}", "--set", "bumpnet.batch_size=20",
            "--set", "bumpnet.znet3_channels=8"]
# Full batches (one step per epoch on the same union): 1 and 2 ranks agree to float rounding.
FULL = ["--set", f"bumpnet.train_histograms={TRAIN}", "--set", f"bumpnet.test_histograms={TEST}",
        "--set", "bumpnet.epochs=3", "--set", f"bumpnet.batch_size={TRAIN}",
        "--set", "bumpnet.znet3_channels=8", "--set", "bumpnet.networks=znet3"]
NETWORKS = ("znet3", "znet")  # task 0 and task 1


def bumpnet(ranks, data, output, *extra, check=0, env=None):
    return cwola_driver.run_cwola(ranks, "bumpnet", "--card", JOB, "--data", data, "--output",
                                  output, *extra, check=check, env=env)


def models(path, group):
    """Every model tensor of `group` in an output."""
    with h5py.File(path, "r") as f:
        names = [n.decode() for n in f[f"/{group}/model_tensors/names"][:]]
        return {n: f[f"/{group}/model/{n}"][:] for n in names}


def assert_same_models(test, a, b, group):
    ma, mb = models(a, group), models(b, group)
    test.assertEqual(sorted(ma), sorted(mb))
    for name in ma:
        np.testing.assert_array_equal(ma[name], mb[name], err_msg=f"{group}/{name}")


def epochs_done(checkpoints, network):
    with h5py.File(checkpoints, "r") as f:
        return f[f"/checkpoints/{network}/epochs_done"][:].tolist()


class BumpnetResume(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = os.path.join(cls.tmp.name, "bump.h5")
        cwola_driver.run_cwola(1, "generate", "--card", GENERATOR, "--output", cls.data,
                               "--set", f"generator.histograms={HISTOGRAMS}",
                               "--set", "bump.max_bins=45", check=0)
        cls.reference = {}
        for ranks in (1, 2):
            cls.reference[ranks] = os.path.join(cls.tmp.name, f"reference_np{ranks}.h5")
            bumpnet(ranks, cls.data, cls.reference[ranks], *SHUFFLED)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_killed_and_resumed_gives_the_uninterrupted_models(self):
        for ranks in (1, 2):
            with self.subTest(ranks=ranks):
                out = self.path(f"killed_np{ranks}.h5")
                checkpoints = out + ".checkpoints.h5"
                # Rank 0 dies writing znet's (task 1) checkpoint after epoch 2: slot, no flag.
                env = dict(cwola_driver.ENV, CWOLA_FAULT_KILL_IN_CHECKPOINT="1:2")
                done = bumpnet(ranks, self.data, out, *SHUFFLED, env=env, check=None)
                self.assertNotIn(done.returncode, (0, 2, 3), done.stderr)
                self.assertFalse(os.path.exists(out))
                self.assertEqual(epochs_done(checkpoints, "znet3"), [EPOCHS])  # finished
                self.assertEqual(epochs_done(checkpoints, "znet"), [1])  # epoch 2 never flagged
                # Without --resume the unfinished run is neither lost nor silently restarted.
                refused = bumpnet(ranks, self.data, out, *SHUFFLED, check=2)
                self.assertIn("--resume", refused.stderr)
                resumed = bumpnet(ranks, self.data, out, *SHUFFLED, "--resume")
                log = resumed.stderr + resumed.stdout
                self.assertIn(f"znet3 continues after epoch {EPOCHS}", log)
                self.assertIn("znet continues after epoch 1", log)
                for net in NETWORKS:
                    assert_same_models(self, out, self.reference[ranks], net)
                    with h5py.File(out, "r") as a, h5py.File(self.reference[ranks], "r") as b:
                        for column in ("train_loss", "z_mse", "b_mse"):
                            np.testing.assert_array_equal(a[f"/{net}/history/{column}"][:],
                                                          b[f"/{net}/history/{column}"][:])
                        np.testing.assert_array_equal(a[f"/{net}/evaluation/prediction"][:],
                                                      b[f"/{net}/evaluation/prediction"][:])
                        self.assertEqual(len(a[f"/{net}/history/train_loss"]), EPOCHS)
                self.assertFalse(os.path.exists(checkpoints))  # removed once the output exists
                # A finished output is never replaced, not even by --resume.
                again = bumpnet(ranks, self.data, out, *SHUFFLED, "--resume", check=2)
                self.assertIn("already exists", again.stderr)

    def test_sigterm_stops_all_ranks_at_an_epoch_and_resume_finishes(self):
        out = self.path("stopped.h5")
        env = dict(cwola_driver.ENV, CWOLA_FAULT_PAUSE_AFTER_EPOCH="0:1")
        command = cwola_driver.cwola_command(2, "bumpnet", "--card", JOB, "--data", self.data,
                                             "--output", out, *SHUFFLED)
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        lines, pid = [], None
        deadline = time.time() + 120
        while pid is None and time.time() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "pausing for a signal, pid " in line:
                pid = int(line.split("pausing for a signal, pid ")[1].split()[0])
        self.assertIsNotNone(pid, "".join(lines))
        os.kill(pid, signal.SIGTERM)  # rank 0 only: rank 1 learns it through the agreement
        rest, _ = process.communicate(timeout=120)
        log = "".join(lines) + rest
        self.assertEqual(process.returncode, 3, log)
        self.assertIn("Continue with the same command plus --resume", log)
        self.assertFalse(os.path.exists(out))
        # The signal came after epoch 1; the ranks stopped together after epoch 2.
        self.assertEqual(epochs_done(out + ".checkpoints.h5", "znet3"), [2])
        self.assertEqual(epochs_done(out + ".checkpoints.h5", "znet"), [0])
        bumpnet(2, self.data, out, *SHUFFLED, "--resume")
        for net in NETWORKS:
            assert_same_models(self, out, self.reference[2], net)

    def test_checkpoints_of_another_run_are_refused(self):
        out = self.path("mismatch.h5")
        checkpoints = out + ".checkpoints.h5"
        env = dict(cwola_driver.ENV, CWOLA_FAULT_KILL_IN_CHECKPOINT="0:3")
        bumpnet(1, self.data, out, *SHUFFLED, env=env, check=None)
        self.assertEqual(epochs_done(checkpoints, "znet3"), [2])
        for extra, key, value in [
                (["--set", "bumpnet.epochs=5"], "bumpnet.epochs", str(EPOCHS)),
                (["--set", "bumpnet.seed=7"], "bumpnet.seed", "20250301"),
                (["--set", "bumpnet.networks=znet3"], "bumpnet.networks", "znet"),
                (["--set", "bumpnet.ensemble=2"], "bumpnet.ensemble", "1")]:
            done = bumpnet(1, self.data, out, *SHUFFLED, *extra, "--resume", check=2)
            text = done.stderr + done.stdout
            self.assertIn(key, text)
            self.assertIn(value, text)
            self.assertIn(checkpoints, text)
        done = bumpnet(2, self.data, out, *SHUFFLED, "--resume", check=2)
        self.assertIn("ranks", done.stderr)
        missing = bumpnet(1, self.data, self.path("never.h5"), *SHUFFLED, "--resume", check=2)
        self.assertIn("no unfinished run", missing.stderr)
        # Nothing was changed by the refusals: the right command still resumes bit for bit.
        self.assertEqual(epochs_done(checkpoints, "znet3"), [2])
        bumpnet(1, self.data, out, *SHUFFLED, "--resume")
        for net in NETWORKS:
            assert_same_models(self, out, self.reference[1], net)

    def test_ensemble_averages_members_of_their_own_seeds(self):
        single = self.path("single_np1.h5")
        bumpnet(1, self.data, single, *FULL)
        outputs = {}
        for ranks in (1, 2):
            outputs[ranks] = self.path(f"ensemble_np{ranks}.h5")
            bumpnet(ranks, self.data, outputs[ranks], *FULL, "--set", "bumpnet.ensemble=2")
        with h5py.File(single, "r") as f:
            self.assertNotIn("members", f["/znet3"])  # an ensemble of one: the layout as before
            self.assertNotIn("member0", f["/znet3"])
        # Member 0 is the network of an ensemble of one (task 0), bit for bit.
        alone = models(single, "znet3")
        m0, m1 = models(outputs[1], "znet3/member0"), models(outputs[1], "znet3/member1")
        self.assertEqual(sorted(alone), sorted(m0))
        for name in alone:
            np.testing.assert_array_equal(alone[name], m0[name], err_msg=name)
        self.assertGreater(max(float(np.abs(m0[n] - m1[n]).max()) for n in m0), 1e-3)
        with h5py.File(outputs[1], "r") as f:
            self.assertEqual(f["/znet3/members"][0], 2)
            p0 = f["/znet3/member0/evaluation/prediction"][:]
            p1 = f["/znet3/member1/evaluation/prediction"][:]
            ensemble = f["/znet3/evaluation/prediction"][:]
            np.testing.assert_allclose(ensemble, (p0 + p1) / 2, rtol=0, atol=1e-12)
            delta = f["/znet3/evaluation/z_pred"][:] - f["/znet3/evaluation/z_pl"][:]
            s = f["/znet3/summary"]
            self.assertEqual([a.decode() for a in s["axis"][[0, -1]]], ["all", "null"])
            self.assertAlmostEqual(s["bias"][0], delta.mean(), places=9)
            self.assertAlmostEqual(s["spread"][0], delta.std(), places=9)
            for k in (0, 1):
                self.assertAlmostEqual(f[f"/znet3/member{k}/summary/histograms"][0], TEST)
        # 1 vs 2 ranks: the test_bumpnet tolerances (weights 1e-5, predictions 1e-4).
        for k in (0, 1):
            a, b = models(outputs[1], f"znet3/member{k}"), models(outputs[2], f"znet3/member{k}")
            self.assertLess(max(float(np.abs(a[n] - b[n]).max()) for n in a), 1e-5)
        with h5py.File(outputs[1], "r") as a, h5py.File(outputs[2], "r") as b:
            self.assertLess(np.abs(a["/znet3/evaluation/prediction"][:] -
                                   b["/znet3/evaluation/prediction"][:]).max(), 1e-4)
        # --model re-evaluates a stored ensemble to the same predictions.
        again = self.path("ensemble_again.h5")
        bumpnet(1, self.data, again, *FULL, "--set", "bumpnet.ensemble=2", "--model", outputs[1])
        with h5py.File(outputs[1], "r") as a, h5py.File(again, "r") as b:
            for group in ("znet3", "znet3/member0", "znet3/member1"):
                np.testing.assert_array_equal(a[f"/{group}/evaluation/prediction"][:],
                                              b[f"/{group}/evaluation/prediction"][:])


if __name__ == "__main__":
    unittest.main()
