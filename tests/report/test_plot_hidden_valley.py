"""The hidden_valley plots of src/report/plot_study.py, on a small synthetic store."""

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

AXIS = "hidden_valley.significance"


def make_store(path, pixels=5, repeats=2):
    rng = np.random.default_rng(1)
    significance = np.array([0.0, 2.0, 4.0])
    n_points, n_tasks = len(significance), len(significance) * repeats
    point = np.arange(n_tasks) // repeats
    with h5py.File(path, "w") as f:
        write_job_and_tasks(f, name="hv_fake", text="", axis=AXIS,
                            tasks={"id": np.arange(n_tasks), "point": point,
                                   "repeat": np.arange(n_tasks) % repeats,
                                   AXIS: significance[point]})
        results = f.create_group("results")
        results.create_dataset("status", data=np.ones(n_tasks, dtype=np.int8))
        acc = 0.5 + 0.08 * significance[point] + 0.01 * rng.standard_normal(n_tasks)
        columns = {"auc": acc + 0.05, "best_accuracy": acc, "train_accuracy": 0.52 + 0.005 * significance[point],
                   "significance": significance[point], "image_pixels": np.full(n_tasks, float(pixels)),
                   "significance_before": significance[point]}
        for tag, gain in (("1e-1", 1.5), ("1e-2", 2.0), ("1e-3", 2.5)):
            columns[f"significance_after_eb_{tag}"] = gain * significance[point]
        for name, values in columns.items():
            results.create_dataset(name, data=np.asarray(values, dtype=float))
        curves = f.create_group("curves")
        grid = np.logspace(-4, 0, 9)
        curves.create_dataset("roc_eps_b", data=grid)
        curves.create_dataset("roc_eps_s", data=np.tile(np.sqrt(grid), (n_tasks, 1)))
        for name in ("mean_image_sr", "mean_image_sb", "mean_image_signal", "mean_image_background"):
            curves.create_dataset(name, data=rng.random((n_tasks, 2 * pixels * pixels)))
        summary = f.create_group("summary")
        summary.attrs["axes"] = np.array([AXIS.encode()])
        summary.create_dataset("point", data=np.arange(n_points))
        summary.create_dataset("n_done", data=np.full(n_points, repeats))
        summary.create_dataset("n_failed", data=np.zeros(n_points, dtype=np.int64))
        summary.create_dataset(AXIS, data=significance)
        for name, values in columns.items():
            per_point = np.array([values[point == p] for p in range(n_points)])
            summary.create_dataset(f"{name}_mean", data=per_point.mean(axis=1))
            summary.create_dataset(f"{name}_std", data=per_point.std(axis=1))
    return path


class HiddenValleyPlots(unittest.TestCase):
    def test_study_plots_are_written(self):
        with tempfile.TemporaryDirectory() as tmp:
            store = make_store(Path(tmp) / "hv_fake.h5")
            done = subprocess.run([sys.executable, str(SCRIPT), str(store)], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            written = {Path(line).name for line in done.stdout.split()}
            for suffix in ("acc_vs_significance", "auc_vs_significance", "significance_after_vs_before",
                           "training_vs_true_accuracy", "average_images_5"):
                self.assertIn(f"hv_fake_{suffix}.png", written)


if __name__ == "__main__":
    unittest.main()
