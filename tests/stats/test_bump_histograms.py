"""End-to-end tests of `cwola generate` with process = bump_histograms: the file is identical on
1 and 2 ranks, its flat layout is consistent (offsets, edges, templates, mixed target), the
stored targets agree with the plain scipy fit (bench/numpy_bump_targets_reference.py) and bad
cards exit 2 naming the key and value without writing a file. The same for process =
bump_spectra (bumps injected into the fitted CMS spectra of ../shared/data/spectra).

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR) with Debian's
python3 (h5py, numpy; the scipy comparison is skipped without python3-scipy)."""
import os
import sys
import tempfile
import unittest

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
SOURCE = os.environ.get("CWOLA_SOURCE_DIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "bench"))
import cwola_driver  # noqa: E402

try:
    import numpy_bump_targets_reference as reference  # noqa: E402
except ImportError:  # python3-scipy is a benchmark prerequisite, not one of CI's
    reference = None

CARD = os.path.join(SOURCE, "inputs", "bump_histograms.card")
SPECTRA_CARD = os.path.join(SOURCE, "inputs", "bump_spectra.card")
SPECTRA = os.environ.get("CWOLA_SPECTRA", os.path.join(SOURCE, "..", "shared", "data", "spectra"))
SPECTRUM_FILES = ["cms_dijet_mass_13TeV_137fb", "cms_trijet_mass_13TeV",
                  "cms_diphoton_mass_EBEB_13TeV", "cms_paired_dijet_fourjet_mass_13TeV",
                  "cms_dimuon_mass_13TeV"]
# Small but with every family, both binnings and several blocks per rank.
SMALL = ["--set", "generator.histograms=240", "--set", "generator.block_size=25"]


def generate(ranks, output, *extra, check=0):
    return cwola_driver.run_cwola(ranks, "generate", "--card", CARD, "--output", output,
                                  *SMALL, *extra, check=check)


def assert_rejected(test, run, cases):
    """Each (arguments, texts) case exits 2 naming every text, and writes no file."""
    for args, expected in cases:
        out = os.path.join(test.tmp.name, "bad.h5")
        result = run(1, out, *args, check=None)
        test.assertEqual(result.returncode, 2, (args, result.stderr))
        for text in expected:
            test.assertIn(text, result.stderr, args)
        test.assertFalse(os.path.exists(out), "nothing is written for a rejected card")


class BumpHistograms(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.one = os.path.join(cls.tmp.name, "np1.h5")
        cls.two = os.path.join(cls.tmp.name, "np2.h5")
        generate(1, cls.one)
        cls.two_ranks = generate(2, cls.two)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_identical_on_one_and_two_ranks(self):
        a = cwola_driver.datasets(self.one)
        b = cwola_driver.datasets(self.two)
        self.assertIn("bins/z_mixed", a)
        cwola_driver.assert_identical(self, a, b, "1 vs 2 ranks")
        with h5py.File(self.one, "r") as f1, h5py.File(self.two, "r") as f2:
            self.assertEqual(list(f1["/histograms/family"].attrs["names"]),
                             list(f2["/histograms/family"].attrs["names"]))
        self.assertIn("over 2 ranks", self.two_ranks.stderr + self.two_ranks.stdout)

    def test_layout_is_consistent(self):
        with h5py.File(self.one, "r") as f:
            n_bins = f["/histograms/n_bins"][()]
            offset = f["/histograms/offset"][()]
            edges = f["/edges"][()]
            counts = f["/bins/counts"][()]
            background = f["/bins/background"][()]
            signal = f["/bins/signal"][()]
            has_signal = f["/histograms/has_signal"][()]
            centre = f["/histograms/centre_bin"][()]
            widths = f["/generator/target_widths"][()]
            z = np.stack([f[f"/bins/z_w{w}"][()] for w in widths])
            mixed = f["/bins/z_mixed"][()]
            family = f["/histograms/family"][()]
            names = list(f["/histograms/family"].attrs["names"])
            self.assertEqual(f["/bins/counts"].compression, "gzip")
            self.assertIn("process = bump_histograms", f["/generator/card"][0].decode())
        self.assertEqual(len(n_bins), 240)
        self.assertTrue(np.all((n_bins >= 30) & (n_bins <= 99)))
        self.assertTrue(np.array_equal(offset, np.concatenate([[0], np.cumsum(n_bins)[:-1]])))
        self.assertEqual(len(counts), int(n_bins.sum()))
        self.assertEqual(len(edges), int(n_bins.sum()) + len(n_bins))
        self.assertEqual(list(widths), [1, 2, 3, 4])
        self.assertEqual(len(names), 12)
        self.assertEqual(len(set(family)), 12, "every family appears in 240 histograms")
        self.assertTrue(np.array_equal(mixed, z.max(axis=0)))
        for h, (n, o) in enumerate(zip(n_bins, offset)):
            e = edges[o + h:o + h + n + 1]
            self.assertEqual(e[0], 1.0)
            self.assertTrue(np.all(np.diff(e) > 0))
            self.assertTrue(np.all(np.diff(background[o:o + n]) < 0), f"histogram {h} falls")
            s = signal[o:o + n]
            if has_signal[h]:
                self.assertAlmostEqual(float(s.sum()), 1.0, places=12)
                self.assertEqual(int(np.argmax(s)), int(centre[h]))
            else:
                self.assertEqual(float(np.abs(s).sum()), 0.0)
        self.assertTrue(np.all(counts == np.round(counts)))

    def test_targets_agree_with_the_scipy_fit(self):
        if reference is None:
            self.skipTest("python3-scipy is not installed (bash scripts/setup.sh bench)")
        n_bins, offset, counts, background, widths, stored = reference.read_histograms(self.one, 6)
        worst = 0.0
        for n, o in zip(n_bins, offset):
            z, mixed = reference.targets(counts[o:o + n], background[o:o + n], widths)
            for k, w in enumerate(widths):
                # Brent's bracket tolerance leaves ~1e-6 in z only near q0 = 0 (z ~ sqrt(q0)).
                scale = np.maximum(1.0, np.abs(z[k]))
                worst = max(worst, float(np.max(np.abs(z[k] - stored[w][o:o + n]) / scale)))
            self.assertTrue(np.allclose(mixed, stored["mixed"][o:o + n], atol=1e-5))
        self.assertLess(worst, 1e-5)

    def test_bad_cards_exit_2_naming_key_and_value(self):
        cases = [
            (["--set", "bump.min_bins=1"], ["bump.min_bins", "1"]),
            (["--set", "bump.max_bins=20"], ["bump.max_bins", "20"]),
            (["--set", "bump.families=exponential, gaussian"], ["bump.families", "gaussian"]),
            (["--set", "bump.z_range=5, 2"], ["bump.z_range", "5, 2"]),
            (["--set", "bump.min_entries=0"], ["bump.min_entries", "0"]),
            (["--set", "bump.mass_range=1.5, 9"], ["bump.mass_range", "9"]),
            (["--set", "bump.colour=blue"], ["bump.colour"]),
        ]
        assert_rejected(self, generate, cases)
        # An existing output is not overwritten without --overwrite.
        result = generate(1, self.one, check=None)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("--overwrite", result.stderr)


def generate_spectra(ranks, output, *extra, check=0):
    files = ", ".join(os.path.join(SPECTRA, f + ".csv") for f in SPECTRUM_FILES)
    return cwola_driver.run_cwola(ranks, "generate", "--card", SPECTRA_CARD, "--output", output,
                                  "--set", f"spectra.files={files}",
                                  "--set", "generator.histograms_per_spectrum=12", *extra,
                                  check=check)


class BumpSpectra(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.one = os.path.join(cls.tmp.name, "np1.h5")
        cls.two = os.path.join(cls.tmp.name, "np2.h5")
        cls.log = generate_spectra(1, cls.one)
        generate_spectra(2, cls.two)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_identical_on_one_and_two_ranks(self):
        cwola_driver.assert_identical(self, cwola_driver.datasets(self.one),
                                      cwola_driver.datasets(self.two), "1 vs 2 ranks")

    def test_each_spectrum_is_rebinned_fitted_and_injected(self):
        with h5py.File(self.one, "r") as f:
            names = [x.decode() if isinstance(x, bytes) else x
                     for x in f["/histograms/family"].attrs["names"]]
            family = f["/histograms/family"][()]
            n_bins = f["/histograms/n_bins"][()]
            offset = f["/histograms/offset"][()]
            scale_gev = f["/histograms/mass_scale_gev"][()]
            params = f["/histograms/shape_parameter"][()]
            background = f["/bins/background"][()]
            counts = f["/bins/counts"][()]
            edges = f["/edges"][()]
            has_signal = f["/histograms/has_signal"][()]
            mu = f["/histograms/mu"][()]
        self.assertEqual(names, SPECTRUM_FILES)
        self.assertEqual(list(family), [s for s in range(5) for _ in range(12)])
        # Within the default domain (10-10^5 entries: the tail below 10^-4 of the first bin
        # cut) the dijet spectrum keeps 31 of 42 bins, trijet 36 of 45, paired dijet 31 of 44;
        # the diphoton keeps 136 of 169, merged in pairs (68); the dimuon all 20, split (40).
        self.assertEqual([int(n_bins[12 * s]) for s in range(5)], [31, 36, 68, 31, 40])
        self.assertEqual(float(scale_gev[0]), 1530.0)  # the dijet spectrum's first edge
        self.assertEqual([int(params[12 * s]) for s in range(5)], [3, 3, 3, 3, 2])
        for h in range(60):
            o, n = offset[h], n_bins[h]
            b = background[o:o + n]
            first = offset[12 * family[h]]
            self.assertTrue(np.array_equal(b, background[first:first + n]),
                            "one background per spectrum")
            self.assertAlmostEqual(float(b.max()), 1e5, delta=1e-6)
            self.assertGreater(float(b.min()), 5.0)
            self.assertEqual(edges[o + h], 1.0)
            self.assertTrue(np.all(counts[o:o + n] == np.round(counts[o:o + n])))
            self.assertEqual(bool(has_signal[h]), mu[h] > 0)
        self.assertIn("merged 2", self.log.stderr + self.log.stdout)

    def test_bad_cards_exit_2_naming_key_and_value(self):
        cases = [
            (["--set", "spectra.scale=137, 1"], ["spectra.scale", "5 spectra.files"]),
            (["--set", "spectra.counts=scale, value, errors, scale, events"],
             ["spectra.counts", "events"]),
            (["--set", "spectra.edges=widths, widths, centres, widths, widths"],
             ["spectra.edges", "centres"]),
            (["--set", "spectra.max_bins=20"], ["spectra.max_bins", "20"]),
        ]
        assert_rejected(self, generate_spectra, cases)
        out = os.path.join(self.tmp.name, "missing.h5")
        result = cwola_driver.run_cwola(1, "generate", "--card", SPECTRA_CARD, "--output", out,
                                        "--set", "spectra.files=/nonexistent/a.csv",
                                        "--set", "spectra.counts=value",
                                        "--set", "spectra.scale=1",
                                        "--set", "spectra.edges=widths", check=None)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("/nonexistent/a.csv", result.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main(verbosity=2)
