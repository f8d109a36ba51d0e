"""Write a small synthetic cwola results store with h5py, for testing the plotting script.

The layout follows the store written by src/store (see src/report/plot_study.py for the contract):
a `gaussian` study scanned over `gaussian.f1` in {0.5, 0.7, 0.9, 1.0} with 3 repeats per point,
one failed task, NaN-padded loss curves and per-task ROC curves on a log grid of background
efficiency.

Usage as a script:  /usr/bin/python3 make_fake_store.py OUT.h5 [--no-done] [--incomplete]
"""

import argparse
import math
import sys

import h5py
import numpy as np

F1_VALUES = (0.5, 0.7, 0.9, 1.0)
N_REPEATS = 3
FAILED_TASK = 4  # point 1 (f1 = 0.7), repeat 1
MAX_EPOCHS = 12
N_GRID = 50
DELTA = 1.5  # separation of the two unit Gaussians, in units of sigma
EFFICIENCY_CUTS = ("1e-1", "1e-2", "1e-3")


def _phi(x):
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _fixed_strings(values):
    """Fixed-length byte strings, as the C++ writer stores them."""
    width = max(1, max((len(v) for v in values), default=1))
    return np.array([v.encode() for v in values], dtype=f"S{width}")


def _write_table(group, columns):
    for name, values in columns.items():
        group.create_dataset(name, data=np.asarray(values))


def write_job_and_tasks(h5, *, name, text, axis, tasks, study="hidden_valley"):
    """The /job group of a finished job and the /tasks table of a store scanned over one `axis`
    (for the tests' own synthetic stores): `tasks` maps a column name to its values."""
    job = h5.create_group("job")
    for key, value in (("study", study), ("name", name), ("text", text), ("hash", "x")):
        job.create_dataset(key, data=np.bytes_(value))
    job.create_dataset("complete", data=np.int8(1))
    group = h5.create_group("tasks")
    _write_table(group, tasks)
    group.attrs["axes"] = np.array([axis.encode()])


def make_fake_store(path, *, no_done=False, complete=True, seed=7, honest=True):
    """Write the store to `path`.

    no_done: every task is pending (status 0), so /summary has no done rows.
    complete: value of /job/complete (the summary-was-written flag).
    honest: write the honest-metric columns (validation-threshold accuracy, max SIC, test event
    counts) and the untrained-network baseline columns; False gives an older store's layout.
    Returns the path.
    """
    rng = np.random.default_rng(seed)
    n_points = len(F1_VALUES)
    n_tasks = n_points * N_REPEATS
    task_id = np.arange(n_tasks, dtype=np.int64)
    point = task_id // N_REPEATS
    repeat = task_id % N_REPEATS
    f1 = np.array([F1_VALUES[p] for p in point], dtype=np.float64)
    f2 = np.where(f1 == 1.0, 0.0, 0.2)

    status = np.ones(n_tasks, dtype=np.int8)
    if no_done:
        status[:] = 0
    else:
        status[FAILED_TASK] = 2
    done = status == 1

    # Quality falls as the two mixtures get closer (f1 - f2 small); noise per repeat.
    purity = (f1 - f2) / 1.0
    optimal_auc = _phi(DELTA / math.sqrt(2.0))
    optimal_accuracy = _phi(DELTA / 2.0)
    auc = 0.5 + (optimal_auc - 0.5) * (0.55 + 0.4 * purity) + rng.normal(0, 0.01, n_tasks)
    best_accuracy = 0.5 + (optimal_accuracy - 0.5) * (0.5 + 0.45 * purity) + rng.normal(0, 0.01, n_tasks)

    results = {
        "status": status,
        "auc": auc,
        "best_accuracy": best_accuracy,
        "train_accuracy": best_accuracy - 0.05 + rng.normal(0, 0.005, n_tasks),
        "val_accuracy": best_accuracy - 0.06 + rng.normal(0, 0.005, n_tasks),
    }
    # Power-law ROC eps_s = eps_b ** a: AUC = 1 / (1 + a), so a = 1/AUC - 1.
    exponent = 1.0 / auc - 1.0
    for cut in EFFICIENCY_CUTS:
        eps_b = float(cut)
        eff = eps_b ** exponent
        results[f"eff_s_at_eb_{cut}"] = eff
        results[f"sic_at_eb_{cut}"] = eff / math.sqrt(eps_b)
    if honest:
        results["accuracy_at_val_threshold"] = best_accuracy - 0.004 + rng.normal(0, 0.003, n_tasks)
        # Max of eps_b**(a - 1/2) over eps_b >= 25/N_bkg (a < 1/2 for AUC > 2/3).
        results["test_background_events"] = np.full(n_tasks, 10000.0)
        results["sic_floor_eb"] = np.full(n_tasks, 25.0 / 10000.0)
        results["max_sic"] = results["sic_floor_eb"] ** (exponent - 0.5)
        results["few_bkg_at_max_sic"] = np.zeros(n_tasks)
        results["untrained_auc"] = 0.5 + rng.normal(0, 0.1, n_tasks)
        results["untrained_sic_max"] = 1.0 + np.abs(rng.normal(0, 0.5, n_tasks))
    results["significance_before"] = np.full(n_tasks, 1.0)
    for cut in EFFICIENCY_CUTS:
        results[f"significance_after_eb_{cut}"] = results[f"sic_at_eb_{cut}"].copy()
    results["epochs"] = rng.integers(6, MAX_EPOCHS + 1, n_tasks).astype(np.float64)
    results["wall_seconds"] = rng.uniform(1.0, 3.0, n_tasks)
    results["optimal_auc"] = np.full(n_tasks, optimal_auc)
    results["optimal_accuracy"] = np.full(n_tasks, optimal_accuracy)
    results["f1"] = f1.copy()
    results["f2"] = f2.copy()
    for name, values in results.items():
        if name != "status":
            values[~done] = np.nan  # no metrics for pending or failed tasks

    # Curves. The failed task gets deliberately wrong (but finite) ROC values, so that a mean which
    # forgets to exclude it is visibly off.
    curves = {}
    for name, start in (("train_loss", 0.69), ("val_loss", 0.70), ("train_accuracy", 0.5),
                        ("val_accuracy", 0.5)):
        data = np.full((n_tasks, MAX_EPOCHS), np.nan)
        for t in range(n_tasks):
            n = int(results["epochs"][t]) if done[t] else 0
            steps = np.arange(n)
            data[t, :n] = (start * np.exp(-0.05 * steps) if "loss" in name
                           else start + 0.2 * (1 - np.exp(-0.3 * steps)))
        curves[name] = data
    roc_eps_b = np.logspace(-4, 0, N_GRID)
    roc_eps_s = np.full((n_tasks, N_GRID), np.nan)
    for t in range(n_tasks):
        if done[t]:
            roc_eps_s[t] = roc_eps_b ** exponent[t]
    if not no_done:
        roc_eps_s[FAILED_TASK] = 0.999
    curves["roc_eps_b"] = roc_eps_b
    curves["roc_eps_s"] = roc_eps_s

    # Summary: one row per point, statistics over the done tasks.
    summary = {
        "point": np.arange(n_points, dtype=np.int64),
        "gaussian.f1": np.array(F1_VALUES, dtype=np.float64),
        "n_done": np.array([np.sum(done & (point == p)) for p in range(n_points)], dtype=np.int64),
        "n_failed": np.array([np.sum((status == 2) & (point == p)) for p in range(n_points)],
                             dtype=np.int64),
    }
    for name, values in results.items():
        if name == "status":
            continue
        stats = {k: np.full(n_points, np.nan) for k in ("mean", "std", "median", "q16", "q84")}
        count = np.zeros(n_points, dtype=np.float64)
        for p in range(n_points):
            v = values[done & (point == p)]
            count[p] = v.size
            if v.size:
                stats["mean"][p] = v.mean()
                stats["std"][p] = v.std(ddof=1) if v.size > 1 else 0.0
                stats["median"][p] = np.median(v)
                stats["q16"][p], stats["q84"][p] = np.quantile(v, [0.16, 0.84])
        for k, s in stats.items():
            summary[f"{name}_{k}"] = s
        summary[f"{name}_count"] = count

    job_text = ("[job]\nstudy = gaussian\nname = quickstart\nrepeats = 3\n\n"
                "[gaussian]\nf1 = 0.5, 0.7, 0.9, 1.0\nf2 = 0.2\ndelta = 1.5\n")
    with h5py.File(path, "w") as h5:
        job = h5.create_group("job")
        for key, text in (("study", "gaussian"), ("name", "quickstart"), ("text", job_text),
                          ("hash", "0123456789abcdef")):
            job.create_dataset(key, data=np.bytes_(text.encode()))
        job.create_dataset("complete", data=np.int8(1 if complete else 0))

        tasks = h5.create_group("tasks")
        _write_table(tasks, {
            "id": task_id, "point": point, "repeat": repeat,
            "seed": (task_id.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)),
            "gaussian.f1": f1,
        })
        tasks.attrs["axes"] = _fixed_strings(["gaussian.f1"])
        _write_table(h5.create_group("results"), results)
        _write_table(h5.create_group("curves"), curves)
        group = h5.create_group("summary")
        _write_table(group, summary)
        group.attrs["axes"] = _fixed_strings(["gaussian.f1"])
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="path of the .h5 store to write")
    parser.add_argument("--no-done", action="store_true", help="all tasks pending")
    parser.add_argument("--incomplete", action="store_true", help="write /job/complete = 0")
    args = parser.parse_args(argv)
    print(make_fake_store(args.out, no_done=args.no_done, complete=not args.incomplete))
    return 0


if __name__ == "__main__":
    sys.exit(main())
