"""End-to-end tests of `cwola bumpnet`: trains Znet3 and Znet on a small generated histogram file
on 1 and 2 ranks (full batches, so the data-parallel training is the one-rank training up to
float rounding), checks the stored evaluation against the file's targets, and that bad input
exits 2 naming the key or dataset and the value.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR) with Debian's
python3 (h5py, numpy)."""
import os
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
SOURCE = os.environ.get("CWOLA_SOURCE_DIR", os.path.join(HERE, "..", ".."))
import cwola_driver  # noqa: E402

GENERATOR = os.path.join(SOURCE, "inputs", "bump_histograms.card")
JOB = os.path.join(SOURCE, "jobs", "bumpnet_reduced.ini")
HISTOGRAMS, TRAIN, TEST = 120, 80, 40
# Full batches (80 histograms; 40 per rank on 2 ranks): one step per epoch on the same union.
SMALL = ["--set", f"bumpnet.train_histograms={TRAIN}", "--set", f"bumpnet.test_histograms={TEST}",
         "--set", "bumpnet.epochs=3", "--set", f"bumpnet.batch_size={TRAIN}",
         "--set", "bumpnet.znet3_channels=8"]  # the full size: tests/models (parameter count)


def bumpnet(ranks, data, output, *extra, check=0):
    return cwola_driver.run_cwola(ranks, "bumpnet", "--card", JOB, "--data", data, "--output",
                                  output, *SMALL, *extra, check=check)


class Bumpnet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = os.path.join(cls.tmp.name, "bump.h5")
        cwola_driver.run_cwola(1, "generate", "--card", GENERATOR, "--output", cls.data,
                               "--set", f"generator.histograms={HISTOGRAMS}",
                               "--set", "bump.max_bins=45", check=0)
        cls.one = os.path.join(cls.tmp.name, "np1.h5")
        cls.two = os.path.join(cls.tmp.name, "np2.h5")
        cls.log = bumpnet(1, cls.data, cls.one)
        bumpnet(2, cls.data, cls.two)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_evaluation_is_taken_at_the_highest_target_bin(self):
        with h5py.File(self.data, "r") as d, h5py.File(self.one, "r") as out:
            n_bins = d["/histograms/n_bins"][TRAIN + 0:]
            offset = d["/histograms/offset"][TRAIN:]
            z = d["/bins/z_mixed"][:]
            self.assertEqual(out["/test/first"][0], HISTOGRAMS - TEST)
            for net in ("znet3", "znet"):
                ev = out[f"/{net}/evaluation"]
                prediction = ev["prediction"][:]
                self.assertEqual(len(prediction), n_bins.sum())
                at = 0
                for h in range(TEST):
                    target = z[offset[h]:offset[h] + n_bins[h]]
                    bin_ = int(np.argmax(target))
                    self.assertEqual(ev["bin"][h], bin_)
                    self.assertAlmostEqual(ev["z_pl"][h], target[bin_], places=12)
                    self.assertAlmostEqual(ev["z_pred"][h], prediction[at + bin_], places=12)
                    at += n_bins[h]
                delta = ev["z_pred"][:] - ev["z_pl"][:]
                s = out[f"/{net}/summary"]
                axis = [a.decode() for a in s["axis"][:]]
                self.assertEqual(axis[0], "all")
                self.assertEqual(axis[-1], "null")
                self.assertEqual(s["histograms"][0], TEST)
                self.assertAlmostEqual(s["bias"][0], delta.mean(), places=9)
                self.assertAlmostEqual(s["spread"][0], delta.std(), places=9)
                self.assertAlmostEqual(s["q16"][0], np.quantile(delta, 0.16), places=9)
                # the null's spread is that of Z_PL
                self.assertAlmostEqual(s["spread"][-1], ev["z_pl"][:].std(), places=9)
                for a in ("n_bins", "width", "dynamic_range", "z_pl"):
                    rows = [i for i, x in enumerate(axis) if x == a]
                    self.assertEqual(sum(s["histograms"][i] for i in rows), TEST, a)
                self.assertEqual(len(out[f"/{net}/history/train_loss"]), 3)
        self.assertIn("histograms/s", self.log.stderr + self.log.stdout)

    def test_two_ranks_train_the_one_rank_model(self):
        with h5py.File(self.one, "r") as a, h5py.File(self.two, "r") as b:
            for net in ("znet3", "znet"):
                names = [n.decode() for n in a[f"/{net}/model_tensors/names"][:]]
                self.assertIn("input_low", names)
                worst = 0.0
                for name in names:
                    worst = max(worst, float(np.abs(a[f"/{net}/model/{name}"][:] -
                                                    b[f"/{net}/model/{name}"][:]).max()))
                self.assertLess(worst, 1e-5, net)
                self.assertLess(np.abs(a[f"/{net}/evaluation/prediction"][:] -
                                       b[f"/{net}/evaluation/prediction"][:]).max(), 1e-4)
                self.assertEqual(b[f"/{net}/timing/ranks"][0], 2)

    def test_bad_input_exits_2_naming_key_and_value(self):
        out = os.path.join(self.tmp.name, "bad.h5")
        cases = [
            (["--set", "bumpnet.target=w7"], "bumpnet.target", "w7"),
            (["--set", "bumpnet.networks=znet4"], "bumpnet.networks", "znet4"),
            (["--set", f"bumpnet.test_histograms={HISTOGRAMS}"], "bumpnet.test_histograms",
             str(HISTOGRAMS)),
            (["--set", "bumpnet.batch_size=81"], "batch_size", "81"),
        ]
        for extra, key, value in cases:
            done = bumpnet(2 if key == "batch_size" else 1, self.data, out, *extra, check=2)
            text = done.stderr + done.stdout
            self.assertIn(key, text)
            self.assertIn(value, text)
            self.assertFalse(os.path.exists(out))
        done = bumpnet(1, self.data, self.one, check=2)  # an existing output is never replaced
        self.assertIn("already exists", done.stderr + done.stdout)
        # A stored model evaluated again gives the same predictions; one of another
        # architecture (Znet's tensors under the name znet3) is refused.
        again = os.path.join(self.tmp.name, "again.h5")
        bumpnet(1, self.data, again, "--model", self.one)
        with h5py.File(self.one, "r") as a, h5py.File(again, "r") as b:
            for net in ("znet3", "znet"):
                np.testing.assert_array_equal(a[f"/{net}/evaluation/prediction"][:],
                                              b[f"/{net}/evaluation/prediction"][:])
        swapped = os.path.join(self.tmp.name, "swapped.h5")
        with h5py.File(self.one, "r") as src, h5py.File(swapped, "w") as dst:
            src.copy("znet", dst, name="znet3")
        done = bumpnet(1, self.data, out, "--model", swapped, "--set", "bumpnet.networks=znet3",
                       check=2)
        self.assertIn("another architecture", done.stderr + done.stdout)
        self.assertIn(swapped, done.stderr + done.stdout)
        self.assertFalse(os.path.exists(out))
        broken = os.path.join(self.tmp.name, "broken.h5")
        with h5py.File(self.data, "r") as src, h5py.File(broken, "w") as dst:
            for name in ("histograms", "bins", "edges", "generator"):
                src.copy(name, dst)
            dst["/bins/counts"][5] = -4.0
        done = bumpnet(1, broken, out, check=2)
        text = done.stderr + done.stdout
        self.assertIn("/bins/counts[5]", text)
        self.assertIn("-4", text)
        self.assertIn(broken, text)


if __name__ == "__main__":
    unittest.main()
