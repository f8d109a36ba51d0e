"""src/report/plot_threshold.py: the threshold definition, its bootstrap, and the script on a
small synthetic store in stages (methods told apart by the stored job text, not by names)."""

import importlib.util
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import h5py
import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "src" / "report" / "plot_threshold.py"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fake_store import write_job_and_tasks  # noqa: E402

spec = importlib.util.spec_from_file_location("plot_threshold", SCRIPT)
pt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pt)

AXIS = "hidden_valley.significance"
POINTS = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
REPEATS = 4
N_B = 1480.0
JOB_TEXT = """[cnn]
extra_features_merge = product

[hidden_valley]
luminosity_fb = 20
signal_file = out/hv_signal.h5

[job]
name = fake
study = hidden_valley

[stage.cwola]
scan.hidden_valley.significance = 0, 1, 2, 3, 4, 5, 6

[stage.metatrain]
cnn.fine_tune = scale_shift
hidden_valley.labels = meta
meta.hard_tasks = 2
reads = pretrain

[stage.nocross]
hidden_valley.extra_features = true
scan.hidden_valley.significance = 0, 1, 2, 3, 4, 5, 6

[stage.pretrain]
hidden_valley.labels = supervised

[stage.zz_fine]
cnn.fine_tune = scale_shift
reads = metatrain
scan.hidden_valley.significance = 0, 1, 2, 3, 4, 5, 6

[stage.aa_head]
cnn.fine_tune = head
reads = pretrain
scan.hidden_valley.significance = 0, 1, 2, 3, 4, 5, 6
"""
# Stage order in the store; names say nothing about the method on purpose.
STAGES = ["pretrain", "metatrain", "cwola", "nocross", "aa_head", "zz_fine"]


def before(s):
    """Significance before the cut at injected S/sqrt(B) = s: N_S = s sqrt(N_B)."""
    return pt.asimov(s * np.sqrt(N_B), N_B)


def make_store(path, eps_s0, two_pretrainings=False):
    """A store in stages. after/before per stage: cwola crosses at 4, nocross never, aa_head at
    1, zz_fine at 2; eps_s0[stage]: the eps_s of its S/sqrt(B) = 0 networks (the null).
    two_pretrainings: aa_head's repeats 0, 1 read pretrain task 0 and repeats 2, 3 task 1, whose
    fine-tunes are 10 % further above (below) the before line at each point."""
    ratio = {"cwola": lambda s: np.where(s >= 4, 1.5, 0.5),
             "nocross": lambda s: np.full_like(s, 0.9),
             "aa_head": lambda s: np.full_like(s, 2.0),
             "zz_fine": lambda s: np.where(s >= 2, 1.2, 0.8)}
    stage, sig = [], []
    for k, name in enumerate(STAGES):
        for s in [1.0] if name in ("pretrain", "metatrain") else POINTS:
            stage += [k] * REPEATS
            sig += [s] * REPEATS
    stage, sig = np.array(stage), np.array(sig)
    point = np.repeat(np.arange(len(sig) // REPEATS), REPEATS)
    n = sig.size
    rng = np.random.default_rng(3)
    z_before = before(sig)
    cols = {"significance_before": z_before, "n_signal_sr": sig * np.sqrt(N_B),
            "n_background_sr": np.full(n, N_B), "test_background_events": np.full(n, 2000.0),
            "auc": rng.uniform(0.4, 0.99, n), "max_sic": rng.uniform(1, 5, n),
            "untrained_auc": rng.uniform(0, 1, n), "untrained_sic_max": rng.uniform(1, 3, n)}
    for tag in ("1e-1", "1e-2", "1e-3"):
        after = np.zeros(n)
        eff = np.full(n, 0.5)
        for k, name in enumerate(STAGES):
            rows = stage == k
            if name in ratio:
                # +-0.05 * before around the stated ratio: the mean is exactly ratio * before.
                spread = np.tile([-0.05, 0.05, -0.05, 0.05], rows.sum() // REPEATS)
                after[rows] = (ratio[name](sig[rows]) + spread) * z_before[rows]
                eff[rows & (sig == 0)] = eps_s0.get(name, 0.5)
        if two_pretrainings:
            head = (stage == STAGES.index("aa_head")) & (sig > 0)
            after[head] *= np.where(np.arange(n)[head] % REPEATS < 2, 1.1, 0.9)
        cols[f"significance_after_eb_{tag}"] = after
        cols[f"eff_s_at_eb_{tag}"] = eff
    with h5py.File(path, "w") as f:
        upstream = np.full(n, -1)
        if two_pretrainings:
            head = stage == STAGES.index("aa_head")
            upstream[head] = np.where(np.arange(n)[head] % REPEATS < 2, 0, 1)
        write_job_and_tasks(f, name="fake", text=JOB_TEXT, axis=AXIS,
                            tasks={"id": np.arange(n), "point": point,
                                   "repeat": np.arange(n) % REPEATS, "stage": stage, AXIS: sig,
                                   "upstream": upstream})
        results = f.create_group("results")
        results.create_dataset("status", data=np.ones(n, dtype=np.int8))
        for key, value in cols.items():
            results.create_dataset(key, data=np.asarray(value, dtype=float))
        summary = f.create_group("summary")
        summary.attrs["axes"] = np.array([AXIS.encode()])
        n_points = point.max() + 1
        summary.create_dataset("point", data=np.arange(n_points))
        summary.create_dataset("n_done", data=np.full(n_points, REPEATS))
        summary.create_dataset(AXIS, data=sig[::REPEATS])
        stages = f.create_group("stages")
        stages.create_dataset("name", data=np.array([s.encode() for s in STAGES]))
    return path


class ThresholdDefinition(unittest.TestCase):
    def test_the_first_point_above_the_before_line_is_the_threshold(self):
        s = np.arange(1.0, 11.0)
        after = np.where(s >= 4, 1.2 * s, 0.8 * s)
        self.assertEqual(pt.threshold(s, after, s), 4.0)
        # The order of the points does not matter; S/sqrt(B) = 0 never counts.
        self.assertEqual(pt.threshold(s[::-1], after[::-1], s[::-1]), 4.0)
        self.assertEqual(pt.threshold([0.0, 1.0], [1.0, 0.5], [0.0, 1.0]), None)

    def test_never_above_is_not_reached(self):
        s = np.arange(1.0, 11.0)
        self.assertIsNone(pt.threshold(s, 0.99 * s, s))
        self.assertIsNone(pt.threshold(s, s, s))          # equal is not above
        self.assertIsNone(pt.threshold(s, np.full(10, np.nan), s))
        self.assertEqual(pt.format_threshold(np.inf, 10), "> 10")

    def test_the_smallest_crossing_counts_even_if_a_later_point_falls_back(self):
        s = np.array([1.0, 2.0, 3.0, 4.0])
        self.assertEqual(pt.threshold(s, [0.5, 2.5, 2.0, 5.0], s), 2.0)
        # ... but the sustained threshold starts after the last point that falls back
        self.assertEqual(pt.threshold(s, [0.5, 2.5, 2.0, 5.0], s, sustained=True), 4.0)
        self.assertEqual(pt.threshold(s[::-1], [5.0, 2.0, 2.5, 0.5], s[::-1], sustained=True),
                         4.0)
        self.assertIsNone(pt.threshold(s, [1.5, 2.5, 3.5, 3.0], s, sustained=True))
        self.assertEqual(pt.threshold(s, [1.5, 2.5, 3.5, 4.5], s, sustained=True), 1.0)

    def test_bootstrap_interval(self):
        s = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
        # No spread: every replicate crosses at 4.
        flat = [np.full(4, 0.5 * v) if v < 4 else np.full(4, 2 * v) for v in s]
        t = pt.measure_threshold(s, flat, s, replicates=500)
        self.assertEqual((t.value, t.low, t.high, t.never), (4.0, 4.0, 4.0, 0.0))
        # At 3 the trainings are 0, 0, 0, 10 (mean 2.5 < 3): a resample crosses when it draws
        # the 10 at least twice, P = 1 - (3/4)^4 - 4 (1/4)(3/4)^3 = 0.26 > 0.16, so the 68 %
        # interval is [3, 4] while the threshold of the means is 4.
        noisy = list(flat)
        noisy[2] = np.array([0.0, 0.0, 0.0, 10.0])
        t = pt.measure_threshold(s, noisy, s, replicates=4000)
        self.assertEqual((t.value, t.low, t.high), (4.0, 3.0, 4.0))
        self.assertAlmostEqual(t.never, 0.0)
        # Never crossing: the interval is above every scanned point.
        t = pt.measure_threshold(s, [np.full(4, 0.5 * v) for v in s], s, replicates=200)
        self.assertTrue(np.isinf(t.value) and np.isinf(t.low) and t.never == 1.0)

    def test_asimov_matches_the_limits(self):
        self.assertAlmostEqual(float(pt.asimov(10.0, 1e6)), 10.0 / 1000.0, places=6)
        self.assertAlmostEqual(float(pt.asimov(5.0, 5.0)),
                               np.sqrt(2 * (10 * np.log(2) - 5)), places=12)
        self.assertEqual(float(pt.asimov(0.0, 100.0)), 0.0)


class ThresholdScript(unittest.TestCase):
    def test_methods_thresholds_and_nulls_from_a_store(self):
        with tempfile.TemporaryDirectory() as tmp:
            # cwola's S/sqrt(B) = 0 networks keep all signal at any eps_b (a perfect null):
            # their null curve is above the before line from the first point.
            path = make_store(Path(tmp) / "fake.h5", eps_s0={"cwola": 1.0, "aa_head": 1e-4})
            store = pt.load(path)
            labels = {m.stage: m.label for m in store.methods}
            self.assertEqual(labels, {"cwola": "CWoLa", "nocross": "CWoLa + extra",
                                      "aa_head": "transfer",
                                      "zz_fine": "meta-transfer + hard tasks"})
            self.assertEqual([s for s, _, _ in store.upstream], ["pretrain", "metatrain"])
            curves = pt.analyse(store, replicates=200)
            expected = {"CWoLa": 4.0, "CWoLa + extra": np.inf, "transfer": 1.0,
                        "meta-transfer + hard tasks": 2.0}
            for label, value in expected.items():
                for tag in ("1e-1", "1e-2", "1e-3"):
                    c = curves[(label, tag)]
                    self.assertEqual(c.measured.value, value, (label, tag))
                    self.assertEqual(list(c.n), [REPEATS] * 6)
                    self.assertAlmostEqual(c.test_background, 2000.0)
            self.assertEqual(curves[("CWoLa", "1e-2")].null_threshold, 1.0)
            self.assertTrue(np.isinf(curves[("transfer", "1e-2")].null_threshold))
            # the null is Z(eps_s0 N_S, eps_b N_B) at each point
            c = curves[("CWoLa", "1e-1")]
            self.assertAlmostEqual(c.null[2], float(pt.asimov(3 * np.sqrt(N_B), 0.1 * N_B)))

            done = subprocess.run([sys.executable, str(SCRIPT), str(path), "--bootstrap", "200"],
                                  capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            lines = done.stdout.splitlines()
            row = [l for l in lines if l.startswith("| CWoLa | 1 % |")]
            self.assertEqual(len(row), 1, done.stdout)
            self.assertIn("| 20 | 4 | [4, 4] | 0.00 | 4 | [4, 4] | 1 |", row[0])
            row = [l for l in lines if l.startswith("| CWoLa + extra | 0.1 % |")][0]
            self.assertIn("| 2 (few!) | > 6 | [> 6, > 6] | 1.00 | > 6 | [> 6, > 6] |", row)
            for suffix in ("fig2", "fig3", "fig6", "gain"):
                self.assertTrue((Path(tmp) / f"fake_{suffix}.png").is_file(), suffix)

    def test_each_pretrainings_fine_tunes_are_measured_apart_in_the_tables_only(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = make_store(Path(tmp) / "two.h5", eps_s0={}, two_pretrainings=True)
            store = pt.load(path)
            parts = [m for m in store.methods if m.upstream_task is not None]
            self.assertEqual([m.label for m in parts],
                             ["transfer [upstream task 0]", "transfer [upstream task 1]"])
            self.assertEqual(len(store.pooled), 4)
            curves = pt.analyse(store, replicates=50)
            pooled, first, second = (curves[(label, "1e-1")] for label in
                                     ("transfer", parts[0].label, parts[1].label))
            self.assertEqual(list(pooled.n), [REPEATS] * 6)
            self.assertEqual(list(first.n), [2] * 6)
            # repeats 0, 1 have spreads -0.05, +0.05 around 2.0: the mean is 1.1 * 2.0 * before
            np.testing.assert_allclose(first.mean, 2.2 * first.before)
            np.testing.assert_allclose(second.mean, 1.8 * second.before)
            np.testing.assert_allclose(pooled.mean, 2.0 * pooled.before)
            done = subprocess.run([sys.executable, str(SCRIPT), str(path), "--bootstrap", "50"],
                                  capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("| transfer [upstream task 1] | 10 % | 200 | 1 |", done.stdout)

    def test_a_missing_store_exits_2(self):
        done = subprocess.run([sys.executable, str(SCRIPT), "/nonexistent/store.h5"],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        self.assertIn("not found", done.stderr)


if __name__ == "__main__":
    unittest.main()
