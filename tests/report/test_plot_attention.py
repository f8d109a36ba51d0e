"""The dihiggs_attention plot of src/report/plot_study.py (the note's Figs. 1 and 2), on a small
synthetic store scanned over f1 and the pairing loss weight."""

import importlib.util
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import h5py
import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "src" / "report" / "plot_study.py"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fake_store import write_job_and_tasks  # noqa: E402

F1, WEIGHT = "dihiggs.f1", "attention.assignment_loss_scale"
COLUMNS = ("auc", "untrained_auc", "pairing_confidence_auc", "test_signal_events",
           "test_background_events")


def value(column, f1, weight):
    """A distinct, recognisable number per column and point (so a mix-up shows)."""
    return {"auc": 0.5 + 0.4 * abs(f1 - 0.5) + 0.01 * weight,
            "untrained_auc": 0.45 + 0.001 * f1,
            "pairing_confidence_auc": 0.5 + 0.3 * weight + 0.01 * f1,
            "test_signal_events": 1000.0,
            "test_background_events": 900.0}[column]


def make_store(path, repeats=2):
    # Points in scan order (f1 outer, weight inner), deliberately not sorted by f1.
    points = [(f1, w) for f1 in (0.9, 0.5, 1.0, 0.7) for w in (1.0, 0.0)]
    n_points, n_tasks = len(points), len(points) * repeats
    point = np.arange(n_tasks) // repeats
    f1 = np.array([p[0] for p in points])
    weight = np.array([p[1] for p in points])
    with h5py.File(path, "w") as f:
        write_job_and_tasks(f, name="attention_fake", text="", axis=F1, study="dihiggs_attention",
                            tasks={"id": np.arange(n_tasks), "point": point,
                                   "repeat": np.arange(n_tasks) % repeats, F1: f1[point],
                                   WEIGHT: weight[point]})
        f["tasks"].attrs["axes"] = np.array([F1.encode(), WEIGHT.encode()])
        results = f.create_group("results")
        results.create_dataset("status", data=np.ones(n_tasks, dtype=np.int8))
        spread = np.where(np.arange(n_tasks) % repeats == 0, -0.01, 0.01)
        for name in COLUMNS:
            per_task = np.array([value(name, f1[p], weight[p]) for p in point]) + spread
            results.create_dataset(name, data=per_task)
        summary = f.create_group("summary")
        summary.attrs["axes"] = np.array([F1.encode(), WEIGHT.encode()])
        summary.create_dataset("point", data=np.arange(n_points))
        summary.create_dataset("n_done", data=np.full(n_points, repeats))
        summary.create_dataset("n_failed", data=np.zeros(n_points, dtype=np.int64))
        summary.create_dataset(F1, data=f1)
        summary.create_dataset(WEIGHT, data=weight)
        for name in COLUMNS:
            summary.create_dataset(f"{name}_mean", data=[value(name, *p) for p in points])
            summary.create_dataset(f"{name}_std", data=np.full(n_points, 0.01))
    return path


def load_plot_study():
    spec = importlib.util.spec_from_file_location("plot_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class AttentionPlot(unittest.TestCase):
    def test_series_per_pairing_weight_sorted_by_f1_with_the_supervised_point_apart(self):
        plot_study = load_plot_study()
        with tempfile.TemporaryDirectory() as tmp:
            store = plot_study.load_store(make_store(Path(tmp) / "att.h5"))
            series = plot_study.attention_f1_series(store)
        self.assertEqual(list(series), [1.0, 0.0])  # Fig. 1 first, then Fig. 2
        for weight, columns in series.items():
            self.assertEqual(set(columns), {"auc", "untrained_auc", "pairing_confidence_auc"})
            for name, ((f1, mean, std), supervised) in columns.items():
                np.testing.assert_allclose(f1, [0.5, 0.7, 0.9])
                np.testing.assert_allclose(mean, [value(name, x, weight) for x in f1])
                np.testing.assert_allclose(std, 0.01)
                self.assertAlmostEqual(supervised[0], value(name, 1.0, weight))

    def test_an_older_store_without_the_leak_column_still_plots_the_class_head(self):
        plot_study = load_plot_study()
        with tempfile.TemporaryDirectory() as tmp:
            path = make_store(Path(tmp) / "att.h5")
            with h5py.File(path, "a") as f:
                del f["summary/pairing_confidence_auc_mean"], f["summary/pairing_confidence_auc_std"]
            series = plot_study.attention_f1_series(plot_study.load_store(path))
        self.assertEqual(set(series[1.0]), {"auc", "untrained_auc"})

    def test_the_figure_is_written(self):
        with tempfile.TemporaryDirectory() as tmp:
            store = make_store(Path(tmp) / "att.h5")
            result = subprocess.run([sys.executable, str(SCRIPT), str(store)],
                                    capture_output=True, text=True, timeout=300)
            self.assertEqual(result.returncode, 0, result.stderr)
            figure = Path(tmp) / "att_auc_vs_f1.png"
            self.assertIn(str(figure), result.stdout)
            self.assertEqual(figure.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
