"""Tests for src/report/plot_study.py, on a synthetic store from make_fake_store.py.

Run with Debian's Python (matplotlib, h5py), from any directory:
    /usr/bin/python3 tests/report/test_plot_study.py
"""

import importlib.util
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parents[1] / "src" / "report" / "plot_study.py"
sys.path.insert(0, str(HERE))
from make_fake_store import F1_VALUES, FAILED_TASK, make_fake_store  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXPECTED_SUFFIXES = ("auc_vs_gaussian_f1", "accuracy_at_val_threshold_vs_gaussian_f1",
                     "best_accuracy_vs_gaussian_f1", "max_sic_vs_gaussian_f1", "roc", "sic",
                     "auc_vs_f1", "accuracy_vs_f1")
OLD_STORE_SUFFIXES = ("auc_vs_gaussian_f1", "best_accuracy_vs_gaussian_f1", "roc", "sic",
                      "auc_vs_f1", "accuracy_vs_f1")


def load_plot_study():
    spec = importlib.util.spec_from_file_location("plot_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=300)


class PlotStudyTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="cwola_plot_")
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def assert_pngs(self, out_dir, stem, suffixes=EXPECTED_SUFFIXES):
        for suffix in suffixes:
            path = out_dir / f"{stem}_{suffix}.png"
            self.assertTrue(path.is_file(), f"{path} not written")
            data = path.read_bytes()
            self.assertGreater(len(data), 1000, f"{path} is suspiciously small")
            self.assertEqual(data[:8], PNG_SIGNATURE, f"{path} is not a PNG")

    def test_writes_plots_next_to_store(self):
        store = make_fake_store(self.tmp / "quickstart.h5")
        result = run_script(store)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_pngs(self.tmp, "quickstart")
        printed = [Path(line) for line in result.stdout.split()]
        self.assertEqual(sorted(p.name for p in printed),
                         sorted(f"quickstart_{s}.png" for s in EXPECTED_SUFFIXES))
        self.assertTrue(all(p.is_file() for p in printed))
        self.assertNotIn("warning", result.stderr)

    def test_out_dir_is_created_and_used(self):
        store = make_fake_store(self.tmp / "quickstart.h5")
        out_dir = self.tmp / "plots" / "nested"
        result = run_script(store, "--out-dir", out_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_pngs(out_dir, "quickstart")
        self.assertEqual(list(self.tmp.glob("*.png")), [])

    def test_incomplete_store_plots_with_warning(self):
        store = make_fake_store(self.tmp / "partial.h5", complete=False)
        result = run_script(store)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("warning", result.stderr)
        self.assertIn("partial.h5", result.stderr)
        self.assert_pngs(self.tmp, "partial")

    def test_missing_store_exits_2_naming_the_file(self):
        missing = self.tmp / "no_such_store.h5"
        result = run_script(missing)
        self.assertEqual(result.returncode, 2)
        self.assertIn("no_such_store.h5", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_store_without_done_rows_exits_2(self):
        store = make_fake_store(self.tmp / "pending.h5", no_done=True)
        result = run_script(store)
        self.assertEqual(result.returncode, 2)
        self.assertIn("pending.h5", result.stderr)
        self.assertEqual(list(self.tmp.glob("*.png")), [])

    def test_mean_roc_averages_done_tasks_only(self):
        path = make_fake_store(self.tmp / "quickstart.h5")
        plot_study = load_plot_study()
        store = plot_study.load_store(path)
        with h5py.File(path, "r") as h5:
            point = h5["tasks/point"][()]
            status = h5["results/status"][()]
            eps_s = h5["curves/roc_eps_s"][()]
            eps_b = h5["curves/roc_eps_b"][()]
        failed_point = point[FAILED_TASK]
        self.assertEqual(status[FAILED_TASK], 2)
        for p in range(len(F1_VALUES)):
            done = (point == p) & (status == 1)
            roc = plot_study.mean_roc(store, p)
            self.assertEqual(roc.n_tasks, int(done.sum()))
            np.testing.assert_allclose(roc.eps_b, eps_b, rtol=0, atol=0)
            np.testing.assert_allclose(roc.eps_s, eps_s[done].mean(axis=0), rtol=1e-12, atol=0)
            if p == failed_point:  # including the failed task's row would change the mean
                with_failed = eps_s[point == p].mean(axis=0)
                self.assertFalse(np.allclose(roc.eps_s, with_failed))
        self.assertIsNone(plot_study.mean_roc(store, len(F1_VALUES)))  # no such point

    def _figures(self, store_path):
        """Run every plot of the store, keeping each figure (suffix -> Figure) unsaved."""
        plot_study = load_plot_study()
        store = plot_study.load_store(store_path)
        figures = {}

        class Keep(plot_study.Output):
            def save(self, fig, suffix):
                figures[suffix] = fig
                return suffix

        for plot in (*plot_study.GENERIC_PLOTS, *plot_study.STUDY_PLOTS["gaussian"]):
            plot(store, Keep(out_dir=self.tmp, stem="x"))
        return figures

    @staticmethod
    def _legend_labels(fig):
        return [t for ax in fig.axes for t in ax.get_legend_handles_labels()[1]]

    @staticmethod
    def _texts(fig):
        return [t.get_text() for ax in fig.axes for t in ax.texts] + \
            [ax.get_ylabel() for ax in fig.axes]

    def test_misleading_numbers_are_labelled(self):
        figures = self._figures(make_fake_store(self.tmp / "honest.h5"))
        # The untrained-network band appears on the AUC and max-SIC plots, not on accuracy.
        for suffix in ("auc_vs_gaussian_f1", "max_sic_vs_gaussian_f1", "auc_vs_f1"):
            self.assertIn("untrained network (16-84 %)", self._legend_labels(figures[suffix]),
                          suffix)
        self.assertNotIn("untrained network (16-84 %)",
                         self._legend_labels(figures["accuracy_vs_f1"]))
        # Best accuracy says it was tuned on the test set, wherever it is drawn.
        self.assertTrue(any("tuned on the test set" in t
                            for t in self._texts(figures["best_accuracy_vs_gaussian_f1"])))
        self.assertIn("best accuracy (threshold tuned on the test set)",
                      self._legend_labels(figures["accuracy_vs_f1"]))
        self.assertIn("validation", figures["accuracy_vs_f1"].axes[0].get_ylabel())
        # ROC and SIC mark where eps_b rests on fewer than 10 test background events.
        for suffix in ("roc", "sic"):
            self.assertIn("dotted: < 10 test background events",
                          self._legend_labels(figures[suffix]))
        for fig in figures.values():
            fig.clf()

    def test_older_store_without_the_new_columns(self):
        path = make_fake_store(self.tmp / "old.h5", honest=False)
        result = run_script(path)
        self.assertEqual(result.returncode, 0, result.stderr)
        printed = [Path(line) for line in result.stdout.split()]
        self.assertEqual(sorted(p.name for p in printed),
                         sorted(f"old_{s}.png" for s in OLD_STORE_SUFFIXES))
        figures = self._figures(path)
        self.assertNotIn("untrained network (16-84 %)",
                         self._legend_labels(figures["auc_vs_gaussian_f1"]))
        self.assertTrue(any("tuned on the test set" in t
                            for t in self._texts(figures["accuracy_vs_f1"])))


if __name__ == "__main__":
    unittest.main(verbosity=2)
