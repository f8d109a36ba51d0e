"""Plots of a cwola study, made from its HDF5 results store alone.

Usage (Debian's Python, which has matplotlib and h5py):

    /usr/bin/python3 src/report/plot_study.py STORE.h5 [--out-dir DIR]

PNG files go to DIR (default: the store's directory), named after the store's stem, e.g.
`quickstart_roc.png` for `quickstart.h5`. The paths written are printed on stdout, one per line.
Exit status 2 when there is nothing to plot (store missing or unreadable, no finished task in
/summary); a store whose /job/complete is 0 (study still running or killed) is plotted with a
warning, from the tasks finished so far.

Plots for every study:
  <stem>_auc_vs_<axis>.png, <stem>_best_accuracy_vs_<axis>.png
      for each numeric scan axis with more than one value: mean +- std over the done repeats,
      one line per combination of the other axes;
  <stem>_roc.png   mean ROC of each scan point: background rejection 1/eps_b (log) vs signal
                   efficiency eps_s, averaged over the point's done tasks;
  <stem>_sic.png   significance improvement eps_s/sqrt(eps_b) vs eps_s, from the same mean ROC.
Study-specific plots come from STUDY_PLOTS (study name -> plot functions); a new study type adds
its functions there.

Store layout read here (written by src/store): /job (scalars study, name, text, hash, complete),
/tasks, /results, /summary (tables: groups of equal-length 1-D columns; /tasks and /summary carry
the scan axis names in attribute `axes`), /curves (roc_eps_b [n_grid], roc_eps_s [n_tasks, n_grid],
NaN-padded per-epoch curves). Row i of /tasks, /results and the 2-D /curves is task i.
"""

import argparse
import itertools
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")  # batch use: no display on cluster nodes
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)

STATUS_PENDING, STATUS_DONE, STATUS_FAILED = 0, 1, 2
EXIT_NOTHING_TO_PLOT = 2

METRIC_LABELS = {
    "auc": "AUC (area under the ROC curve)",
    "best_accuracy": "best accuracy (optimal threshold)",
}
METRIC_TITLES = {"auc": "AUC", "best_accuracy": "Best accuracy"}
AXIS_LABELS = {
    "gaussian.f1": r"signal fraction in mixture M1, $f_1$",
    "gaussian.f2": r"signal fraction in mixture M2, $f_2$",
}


class StoreError(Exception):
    """The store cannot be plotted; the message says why and what to do."""


@dataclass
class Store:
    """Everything the plots need, read once from the HDF5 file."""

    path: Path
    study: str
    name: str
    complete: bool
    axes: list          # scan axis names (job keys such as "gaussian.f1"); may be empty
    tasks: dict         # column name -> 1-D array, one row per task
    results: dict       # column name -> 1-D array, one row per task
    curves: dict        # dataset name -> array
    summary: dict       # column name -> 1-D array, one row per scan point

    def done_summary_rows(self):
        """Indices of /summary rows (scan points) with at least one done task."""
        return np.flatnonzero(self.summary["n_done"] > 0)


# ---------------------------------------------------------------- reading


def _decode(value):
    """HDF5 fixed-length strings come back as bytes: make them str (scalars and arrays)."""
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8", errors="replace").rstrip("\0")
    if isinstance(value, np.ndarray) and value.dtype.kind in "SO":
        return np.array([_decode(v) for v in value.tolist()], dtype=object)
    return value


def _read_table(group):
    return {name: _decode(dataset[()]) for name, dataset in group.items()
            if isinstance(dataset, h5py.Dataset)}


def _read_axes(group):
    if "axes" not in group.attrs:
        return []
    axes = np.atleast_1d(group.attrs["axes"])
    return [str(_decode(a)) for a in axes.tolist()]


def load_store(path):
    """Read the store at `path` into a Store; StoreError when it cannot be plotted."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"results store '{path}' not found (nothing to plot); "
                         "pass the .h5 file that the study wrote")
    try:
        with h5py.File(path, "r") as h5:
            missing = [g for g in ("job", "tasks", "results", "summary") if g not in h5]
            if missing:
                raise StoreError(f"store '{path}' lacks group(s) {', '.join('/' + g for g in missing)}"
                                 " (not a cwola results store, or written by an older version); "
                                 "check the path or re-run the study")
            job = {k: _decode(d[()]) for k, d in h5["job"].items()}
            store = Store(
                path=path,
                study=str(job.get("study", "")),
                name=str(job.get("name", path.stem)),
                complete=bool(job.get("complete", 0)),
                axes=_read_axes(h5["summary"]) or _read_axes(h5["tasks"]),
                tasks=_read_table(h5["tasks"]),
                results=_read_table(h5["results"]),
                curves=_read_table(h5["curves"]) if "curves" in h5 else {},
                summary=_read_table(h5["summary"]),
            )
    except OSError as err:
        raise StoreError(f"store '{path}' cannot be read as HDF5 ({err}); "
                         "check that the file is a complete cwola store") from err
    if "n_done" not in store.summary or store.summary["n_done"].size == 0 \
            or not np.any(store.summary["n_done"] > 0):
        raise StoreError(f"store '{path}' has no done rows in /summary (no task has finished); "
                         "run or resume the study, then plot again")
    n_tasks = len(store.tasks.get("point", []))
    if len(store.results.get("status", [])) != n_tasks:
        raise StoreError(f"store '{path}': /tasks and /results have different row counts "
                         "(the store is damaged); re-run the study")
    return store


# ---------------------------------------------------------------- computations


@dataclass
class RocCurve:
    eps_b: np.ndarray   # background efficiency grid, ascending
    eps_s: np.ndarray   # mean signal efficiency at each eps_b
    n_tasks: int        # done tasks averaged


def mean_roc(store, point):
    """Mean ROC of scan point `point` over its done tasks (failed and pending tasks excluded).

    Returns a RocCurve, or None when the point has no done task or the store has no ROC curves.
    Grid entries that are NaN for some task are averaged over the tasks that have them.
    """
    if "roc_eps_b" not in store.curves or "roc_eps_s" not in store.curves:
        return None
    rows = np.flatnonzero((store.tasks["point"] == point)
                          & (store.results["status"] == STATUS_DONE))
    if rows.size == 0:
        return None
    eps_s = store.curves["roc_eps_s"][rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN grid columns stay NaN
        mean = np.nanmean(eps_s, axis=0)
    return RocCurve(eps_b=np.asarray(store.curves["roc_eps_b"], dtype=float), eps_s=mean,
                    n_tasks=int(rows.size))


def _is_numeric(values):
    return np.asarray(values).dtype.kind in "iuf"


def _format_value(value):
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _point_label(store, row, axes=None):
    """Legend text for /summary row `row`: its values on `axes` (default: all scan axes)."""
    axes = store.axes if axes is None else axes
    if not axes:
        return "single point"
    return ", ".join(f"{a} = {_format_value(store.summary[a][row])}" for a in axes)


def _group_rows(store, rows, axes):
    """Split summary `rows` by their values on `axes`: list of (label, rows), sorted by value."""
    if not axes:
        return [("", np.asarray(rows))]
    keys = {}
    for r in rows:
        keys.setdefault(tuple(store.summary[a][r] for a in axes), []).append(r)
    return [(_point_label(store, members[0], axes), np.asarray(members))
            for _, members in sorted(keys.items(), key=lambda kv: kv[0])]


def _varying_axes(store, rows, exclude=()):
    return [a for a in store.axes if a not in exclude and len(set(store.summary[a][rows])) > 1]


# ---------------------------------------------------------------- output


@dataclass
class Output:
    out_dir: Path
    stem: str

    def save(self, fig, suffix):
        path = self.out_dir / f"{self.stem}_{suffix}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        return path


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")


def _title(store, what):
    return f"{store.study} study '{store.name}': {what}"


def _colors(n):
    if n <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    return [plt.get_cmap("viridis")(x) for x in np.linspace(0.0, 0.95, n)]


# ---------------------------------------------------------------- generic plots


def plot_metric_vs_axis(store, out, metric, axis):
    """`metric` mean +- std over done repeats vs numeric scan `axis`, one line per other-axes combination."""
    mean_col, std_col = f"{metric}_mean", f"{metric}_std"
    if mean_col not in store.summary:
        return []
    rows = store.done_summary_rows()
    others = _varying_axes(store, rows, exclude=(axis,))
    groups = _group_rows(store, rows, others)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for (label, members), color in zip(groups, _colors(len(groups))):
        x = store.summary[axis][members].astype(float)
        y = store.summary[mean_col][members]
        err = store.summary[std_col][members] if std_col in store.summary else None
        order = np.argsort(x)
        ax.errorbar(x[order], y[order], yerr=None if err is None else err[order], marker="o",
                    capsize=3, color=color, label=label or None)
    x_all = store.summary[axis][rows].astype(float)
    if np.all(x_all > 0) and x_all.max() / x_all.min() >= 100:
        ax.set_xscale("log")
    ax.set_xlabel(AXIS_LABELS.get(axis, axis))
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.set_title(_title(store, f"{METRIC_TITLES.get(metric, metric)} vs {axis}")
                 + "\n(mean ± std over done repeats)", fontsize=10)
    ax.grid(alpha=0.3)
    if others:
        ax.legend(fontsize=8)
    return [out.save(fig, f"{metric}_vs_{_safe_name(axis)}")]


def plot_axis_scans(store, out):
    """AUC and best accuracy vs every numeric scan axis that takes more than one value."""
    rows = store.done_summary_rows()
    paths = []
    for axis in store.axes:
        values = store.summary[axis][rows]
        if _is_numeric(values) and len(set(values.tolist())) > 1:
            for metric in ("auc", "best_accuracy"):
                paths += plot_metric_vs_axis(store, out, metric, axis)
    return paths


def _mean_rocs(store):
    """(label, RocCurve) for every scan point with done tasks, in /summary order."""
    curves = []
    for row in store.done_summary_rows():
        roc = mean_roc(store, store.summary["point"][row])
        if roc is not None:
            curves.append((f"{_point_label(store, row)} (n = {roc.n_tasks})", roc))
    return curves


def plot_roc(store, out):
    """Mean ROC per point: background rejection 1/eps_b (log scale) vs signal efficiency eps_s."""
    curves = _mean_rocs(store)
    if not curves:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for (label, roc), color in zip(curves, _colors(len(curves))):
        ok = (roc.eps_b > 0) & np.isfinite(roc.eps_s) & (roc.eps_s > 0)
        ax.plot(roc.eps_s[ok], 1.0 / roc.eps_b[ok], color=color, label=label)
    eps = np.logspace(np.log10(curves[0][1].eps_b[curves[0][1].eps_b > 0].min()), 0, 200)
    ax.plot(eps, 1.0 / eps, color="grey", linestyle=":", label=r"random ($\epsilon_B = \epsilon_S$)")
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    ax.set_xlabel(r"signal efficiency $\epsilon_S$")
    ax.set_ylabel(r"background rejection $1/\epsilon_B$")
    ax.set_title(_title(store, "mean ROC per scan point")
                 + "\n(averaged over done tasks at fixed $\\epsilon_B$)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return [out.save(fig, "roc")]


def plot_sic(store, out):
    """Significance improvement eps_s/sqrt(eps_b) vs eps_s, from each point's mean ROC."""
    curves = _mean_rocs(store)
    if not curves:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for (label, roc), color in zip(curves, _colors(len(curves))):
        ok = (roc.eps_b > 0) & np.isfinite(roc.eps_s)
        ax.plot(roc.eps_s[ok], roc.eps_s[ok] / np.sqrt(roc.eps_b[ok]), color=color, label=label)
    eps = np.linspace(0, 1, 200)
    ax.plot(eps, np.sqrt(eps), color="grey", linestyle=":", label=r"random ($\sqrt{\epsilon_S}$)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(r"signal efficiency $\epsilon_S$")
    ax.set_ylabel(r"significance improvement $\epsilon_S/\sqrt{\epsilon_B}$")
    ax.set_title(_title(store, "significance improvement per scan point"), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return [out.save(fig, "sic")]


GENERIC_PLOTS = (plot_axis_scans, plot_roc, plot_sic)


# ---------------------------------------------------------------- study: gaussian

GAUSSIAN_F1 = "gaussian.f1"


def _plot_gaussian_vs_f1(store, out, metric, optimal_column, optimal_label, ylabel, suffix):
    """CWoLa `metric` vs f1 (< 1), with the supervised point (f1 = 1) and the Bayes-optimal value.

    f1 = 1 means mixture M1 is pure signal and M2 pure background: ordinary supervised training,
    the ceiling that weak supervision approaches. Other varying axes give one colour each.
    """
    if GAUSSIAN_F1 not in store.summary or f"{metric}_mean" not in store.summary:
        print(f"warning: store '{store.path}' lacks /summary column '{GAUSSIAN_F1}' or "
              f"'{metric}_mean'; skipping {suffix} plot", file=sys.stderr)
        return []
    rows = store.done_summary_rows()
    groups = _group_rows(store, rows, _varying_axes(store, rows, exclude=(GAUSSIAN_F1,)))
    mean, std = store.summary[f"{metric}_mean"], store.summary.get(f"{metric}_std")
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    labelled = set()

    def once(label):  # each reference line appears once in the legend, whatever the groups
        if label in labelled:
            return "_nolegend_"
        labelled.add(label)
        return label

    for (label, members), color in zip(groups, _colors(len(groups))):
        f1 = store.summary[GAUSSIAN_F1][members].astype(float)
        weak = members[f1 < 1.0 - 1e-9]
        supervised = members[np.isclose(f1, 1.0)]
        if weak.size:
            order = np.argsort(store.summary[GAUSSIAN_F1][weak])
            w = weak[order]
            ax.errorbar(store.summary[GAUSSIAN_F1][w], mean[w],
                        yerr=None if std is None else std[w], marker="o", capsize=3, color=color,
                        label=f"CWoLa ({label})" if label else "weakly supervised (CWoLa)")
        if supervised.size:
            s = supervised[0]
            # Reference lines in fixed colours when there is one group, so they stay
            # distinguishable from the CWoLa points and from each other.
            ax.axhline(mean[s], color=color if len(groups) > 1 else "tab:orange", linestyle="--",
                       label=once("supervised"))
            if std is not None and np.isfinite(std[s]):
                ax.axhspan(mean[s] - std[s], mean[s] + std[s],
                           color=color if len(groups) > 1 else "tab:orange", alpha=0.15)
        if optimal_column in store.results:
            points = store.summary["point"][members]
            task_rows = np.isin(store.tasks["point"], points) \
                & (store.results["status"] == STATUS_DONE)
            values = store.results[optimal_column][task_rows]
            values = values[np.isfinite(values)]
            if values.size:
                ax.axhline(values.mean(), color=color if len(groups) > 1 else "black",
                           linestyle=":", linewidth=1.5,
                           label=once(optimal_label))
    ax.set_ylim(0.45, 1.0)
    ax.set_xlabel(AXIS_LABELS[GAUSSIAN_F1])
    ax.set_ylabel(ylabel)
    ax.set_title(_title(store, f"{METRIC_TITLES[metric]} vs signal fraction $f_1$")
                 + "\n(mean ± std over done repeats)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return [out.save(fig, suffix)]


def plot_gaussian_auc_vs_f1(store, out):
    return _plot_gaussian_vs_f1(store, out, "auc", "optimal_auc",
                                r"optimal $\Phi(\Delta/\sqrt{2})$", METRIC_LABELS["auc"],
                                "auc_vs_f1")


def plot_gaussian_accuracy_vs_f1(store, out):
    return _plot_gaussian_vs_f1(store, out, "best_accuracy", "optimal_accuracy",
                                r"optimal $\Phi(\Delta/2)$", METRIC_LABELS["best_accuracy"],
                                "accuracy_vs_f1")


# Study name (/job/study) -> its extra plot functions, each (store, out) -> list of paths.
STUDY_PLOTS = {
    "gaussian": (plot_gaussian_auc_vs_f1, plot_gaussian_accuracy_vs_f1),
}


# ---------------------------------------------------------------- driver


def make_plots(store, out_dir):
    """All generic plots plus the study's own; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = Output(out_dir=out_dir, stem=store.path.stem)
    paths = []
    for plot in itertools.chain(GENERIC_PLOTS, STUDY_PLOTS.get(store.study, ())):
        paths += plot(store, out)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Plot a cwola study from its HDF5 results store.",
        epilog="Writes <stem>_*.png and prints their paths, one per line.")
    parser.add_argument("store", type=Path, help="the study's results store (.h5)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="directory for the PNG files (default: the store's directory)")
    args = parser.parse_args(argv)
    try:
        store = load_store(args.store)
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_NOTHING_TO_PLOT
    if not store.complete:
        print(f"warning: store '{store.path}' has /job/complete = 0 (the study has not finished); "
              "plotting the tasks done so far", file=sys.stderr)
    if store.study not in STUDY_PLOTS:
        print(f"note: no study-specific plots for study '{store.study}'; generic plots only",
              file=sys.stderr)
    out_dir = args.out_dir if args.out_dir is not None else store.path.resolve().parent
    for path in make_plots(store, out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
