"""Plots of a cwola study, made from its HDF5 results store alone.

Usage (Debian's Python, which has matplotlib and h5py):

    /usr/bin/python3 src/report/plot_study.py STORE.h5 [--out-dir DIR]

PNG files go to DIR (default: the store's directory), named after the store's stem, e.g.
`quickstart_roc.png` for `quickstart.h5`. The paths written are printed on stdout, one per line.
Exit status 2 when there is nothing to plot (store missing or unreadable, no finished task in
/summary); a store whose /job/complete is 0 (study still running or killed) is plotted with a
warning, from the tasks finished so far.

Plots for every study:
  <stem>_<metric>_vs_<axis>.png for metric in auc, accuracy_at_val_threshold, best_accuracy,
      max_sic (those the store has), for each numeric scan axis with more than one value: mean
      +- std over the done repeats, one line per combination of the other axes;
  <stem>_roc.png   mean ROC of each scan point: background rejection 1/eps_b (log) vs signal
                   efficiency eps_s, averaged over the point's done tasks;
  <stem>_sic.png   significance improvement eps_s/sqrt(eps_b) vs eps_s, from the same mean ROC.

Where a number would mislead, the plot says so (docs/metrics.md):
  - best_accuracy picks its threshold on the test set; it is labelled "tuned on the test set"
    and cannot fall below 0.5 even for a network that learned nothing;
  - when the store has the untrained-network columns (untrained_auc, untrained_sic_max: the same
    network scored at initialisation), AUC and max-SIC plots draw their 16-84 % band as the
    reference a learned result must leave;
  - ROC and SIC curves turn dotted where eps_b rests on fewer than 10 test background events.
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
    "best_accuracy": "best accuracy (threshold tuned on the test set)",
    "accuracy_at_val_threshold": "accuracy (threshold chosen on the validation set)",
    "max_sic": r"max SIC $\epsilon_S/\sqrt{\epsilon_B}$ (above the floor)",
}
METRIC_TITLES = {"auc": "AUC", "best_accuracy": "Best accuracy (test-tuned)",
                 "accuracy_at_val_threshold": "Accuracy (validation threshold)",
                 "max_sic": "Max SIC"}
# Metric -> the store's column of the same network scored untrained (at initialisation).
UNTRAINED_COLUMNS = {"auc": "untrained_auc", "max_sic": "untrained_sic_max"}
# A working point resting on fewer test background events is flagged (metrics::kFewBackgroundEvents).
FEW_BACKGROUND_EVENTS = 10
TEST_TUNED_NOTE = "best threshold tuned on the test set: biased up, never below 0.5"
AXIS_LABELS = {
    "hidden_valley.significance": r"injected significance $S/\sqrt{B}$",
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
    # A study without [scan] stores an empty (null-dataspace) attribute: h5py.Empty.
    if "axes" not in group.attrs or isinstance(group.attrs["axes"], h5py.Empty):
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
            if "stages" in h5 and "stage" in h5["tasks"]:
                # A job in stages (docs/stages.md): the stage is the first axis of every plot,
                # so curves of different stages are never drawn as one.
                names = np.array([str(_decode(n)) for n in h5["stages/name"][()]])
                point_stage = np.empty(store.summary["point"].size, dtype=object)
                point_stage[store.tasks["point"]] = names[store.tasks["stage"]]
                store.summary["stage"] = point_stage.astype(str)
                store.axes = ["stage"] + store.axes
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


def _untrained_band(ax, store, members, metric, axis, color, per_group):
    """Shade the 16-84 % band of the untrained network's `metric` over the points `members`
    (summary rows) along `axis`; nothing when the store lacks the untrained column."""
    column = UNTRAINED_COLUMNS.get(metric)
    if column is None or f"{column}_mean" not in store.summary:
        return False
    x = store.summary[axis][members].astype(float)
    order = np.argsort(x)
    lo_col = f"{column}_q16" if f"{column}_q16" in store.summary else None
    if lo_col is not None:
        lo = store.summary[f"{column}_q16"][members][order]
        hi = store.summary[f"{column}_q84"][members][order]
    else:
        m = store.summary[f"{column}_mean"][members][order]
        sd = store.summary.get(f"{column}_std", np.zeros_like(m))[members][order]
        lo, hi = m - sd, m + sd
    ok = np.isfinite(lo) & np.isfinite(hi)
    if not np.any(ok):
        return False
    xs = x[order][ok]
    if xs.size == 1:  # one point: a horizontal band
        ax.axhspan(lo[ok][0], hi[ok][0], color="grey" if not per_group else color, alpha=0.2,
                   label="untrained network (16-84 %)")
    else:
        ax.fill_between(xs, lo[ok], hi[ok], color="grey" if not per_group else color, alpha=0.2,
                        label="untrained network (16-84 %)")
    return True


def _test_tuned_note(ax, metric):
    """Say on the plot that best_accuracy's threshold was tuned on the test set."""
    if metric == "best_accuracy":
        ax.text(0.02, 0.02, TEST_TUNED_NOTE, transform=ax.transAxes, fontsize=7,
                color="darkred", va="bottom")


def _few_background_eps_b(store, point):
    """eps_b below which a cut keeps fewer than FEW_BACKGROUND_EVENTS test background events for
    scan point `point` (from its done tasks' test_background_events); 0 when unknown."""
    if "test_background_events" not in store.results:
        return 0.0
    rows = (store.tasks["point"] == point) & (store.results["status"] == STATUS_DONE)
    n = store.results["test_background_events"][rows]
    n = n[np.isfinite(n) & (n > 0)]
    return FEW_BACKGROUND_EVENTS / n.min() if n.size else 0.0


def _plot_trusted(ax, x, y, reliable, color, label):
    """Solid where `reliable`, dotted elsewhere (same colour, one legend entry). The grid runs
    from small to large eps_b, so the unreliable points come first; the dotted part runs up to
    the first reliable point so that the two parts join."""
    ax.plot(np.where(reliable, x, np.nan), np.where(reliable, y, np.nan), color=color, label=label)
    if np.all(reliable):
        return
    dotted = ~reliable
    if np.any(reliable):
        dotted[np.argmax(reliable)] = True
    ax.plot(np.where(dotted, x, np.nan), np.where(dotted, y, np.nan), color=color, linestyle=":")


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
        _untrained_band(ax, store, members, metric, axis, color, len(groups) > 1)
    x_all = store.summary[axis][rows].astype(float)
    if np.all(x_all > 0) and x_all.max() / x_all.min() >= 100:
        ax.set_xscale("log")
    _test_tuned_note(ax, metric)
    ax.set_xlabel(AXIS_LABELS.get(axis, axis))
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.set_title(_title(store, f"{METRIC_TITLES.get(metric, metric)} vs {axis}")
                 + "\n(mean ± std over done repeats)", fontsize=10)
    ax.grid(alpha=0.3)
    if others or ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return [out.save(fig, f"{metric}_vs_{_safe_name(axis)}")]


AXIS_SCAN_METRICS = ("auc", "accuracy_at_val_threshold", "best_accuracy", "max_sic")


def plot_axis_scans(store, out):
    """Each of AXIS_SCAN_METRICS in the store vs every numeric scan axis with several values."""
    rows = store.done_summary_rows()
    paths = []
    for axis in store.axes:
        values = store.summary[axis][rows]
        if _is_numeric(values) and len(set(values.tolist())) > 1:
            for metric in AXIS_SCAN_METRICS:
                paths += plot_metric_vs_axis(store, out, metric, axis)
    return paths


def _mean_rocs(store):
    """(label, RocCurve, eps_b floor of 10 test background events) for every scan point with
    done tasks, in /summary order."""
    curves = []
    for row in store.done_summary_rows():
        point = store.summary["point"][row]
        roc = mean_roc(store, point)
        if roc is not None:
            curves.append((f"{_point_label(store, row)} (n = {roc.n_tasks})", roc,
                           _few_background_eps_b(store, point)))
    return curves


def _few_background_legend(ax, curves):
    if any(floor > 0 for _, _, floor in curves):
        ax.plot([], [], color="black", linestyle=":",
                label=f"dotted: < {FEW_BACKGROUND_EVENTS} test background events")


def plot_roc(store, out):
    """Mean ROC per point: background rejection 1/eps_b (log scale) vs signal efficiency eps_s."""
    curves = _mean_rocs(store)
    if not curves:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for (label, roc, floor), color in zip(curves, _colors(len(curves))):
        ok = (roc.eps_b > 0) & np.isfinite(roc.eps_s) & (roc.eps_s > 0)
        _plot_trusted(ax, roc.eps_s[ok], 1.0 / roc.eps_b[ok], roc.eps_b[ok] >= floor, color, label)
    _few_background_legend(ax, curves)
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
    for (label, roc, floor), color in zip(curves, _colors(len(curves))):
        ok = (roc.eps_b > 0) & np.isfinite(roc.eps_s)
        _plot_trusted(ax, roc.eps_s[ok], roc.eps_s[ok] / np.sqrt(roc.eps_b[ok]),
                      roc.eps_b[ok] >= floor, color, label)
    _few_background_legend(ax, curves)
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


def _plot_gaussian_vs_f1(store, out, metric, optimal_column, optimal_label, ylabel, suffix,
                         companion=None):
    """CWoLa `metric` vs f1 (< 1), with the supervised point (f1 = 1) and the Bayes-optimal value.

    f1 = 1 means mixture M1 is pure signal and M2 pure background: ordinary supervised training,
    the ceiling that weak supervision approaches. Other varying axes give one colour each.
    `companion`: a second metric drawn beside it with hollow markers (the test-tuned accuracy
    beside the validation-threshold one). The untrained-network band is drawn when stored.
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
            if companion is not None and f"{companion}_mean" in store.summary:
                ax.errorbar(store.summary[GAUSSIAN_F1][w], store.summary[f"{companion}_mean"][w],
                            yerr=store.summary.get(f"{companion}_std", np.zeros(len(mean)))[w],
                            marker="o", mfc="none", linestyle="--", capsize=3, color=color,
                            alpha=0.6, label=once(METRIC_LABELS[companion]))
            _untrained_band(ax, store, w, metric, GAUSSIAN_F1, color, len(groups) > 1)
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
    _test_tuned_note(ax, metric)
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
    """Accuracy at the validation-chosen threshold vs f1, the test-tuned best accuracy beside it
    (older stores without the former: the test-tuned one alone, labelled so)."""
    if "accuracy_at_val_threshold_mean" in store.summary:
        return _plot_gaussian_vs_f1(store, out, "accuracy_at_val_threshold", "optimal_accuracy",
                                    r"optimal $\Phi(\Delta/2)$",
                                    METRIC_LABELS["accuracy_at_val_threshold"], "accuracy_vs_f1",
                                    companion="best_accuracy")
    return _plot_gaussian_vs_f1(store, out, "best_accuracy", "optimal_accuracy",
                                r"optimal $\Phi(\Delta/2)$", METRIC_LABELS["best_accuracy"],
                                "accuracy_vs_f1")


# ---------------------------------------------------------------- di-Higgs studies (note §1-3)

DIHIGGS_F1 = "dihiggs.f1"
DIHIGGS_MULTIPLIER = "dihiggs.signal_multiplier"


def _done_rows(store):
    return store.done_summary_rows()


def plot_dihiggs_auc_vs_f1(store, out):
    """The note's Fig. 1: CWoLa AUC vs f1 (f2 = 1 - f1), the supervised AUC (f1 = 1) dashed."""
    if DIHIGGS_F1 not in store.summary or "auc_mean" not in store.summary:
        return []
    rows = _done_rows(store)
    f1 = store.summary[DIHIGGS_F1][rows].astype(float)
    mean, std = store.summary["auc_mean"][rows], store.summary["auc_std"][rows]
    weak = f1 < 1.0 - 1e-9
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    order = np.argsort(f1[weak])
    ax.errorbar(f1[weak][order], mean[weak][order], yerr=std[weak][order], marker="o",
                capsize=3, label="CWoLa DNN")
    for m, sd in zip(mean[~weak], std[~weak]):
        ax.axhline(m, color="tab:orange", linestyle="--", label="fully supervised")
        ax.axhspan(m - sd, m + sd, color="tab:orange", alpha=0.15)
    ax.set_xlabel(r"signal fraction in mixture M1, $f_1$ ($f_2 = 1 - f_1$)")
    ax.set_ylabel(METRIC_LABELS["auc"])
    ax.set_ylim(0.45, 1.0)
    ax.set_title(_title(store, "AUC vs $f_1$") + "\n(mean ± std over done repeats)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return [out.save(fig, "auc_vs_f1")]


ATTENTION_ASSIGNMENT = "attention.assignment_loss_scale"


def attention_f1_series(store):
    """The curves of the note's Figs. 1 and 2 from a dihiggs_attention store: per pairing loss
    weight lambda_a (the ATTENTION_ASSIGNMENT axis, or the result column where not scanned),
    for the class-head AUC (`auc`), its untrained null (`untrained_auc`) and the pairing head's
    confidence AUC (`pairing_confidence_auc`, the truth leak): (f1, mean, std) over the weak
    points (f1 < 1), sorted by f1, and the supervised (f1 = 1) (mean, std) or None.
    Returns {lambda_a: {column: ((f1, mean, std), supervised)}}, columns the store lacks left out."""
    if DIHIGGS_F1 not in store.summary or "auc_mean" not in store.summary:
        return {}
    rows = _done_rows(store)
    column = ATTENTION_ASSIGNMENT if ATTENTION_ASSIGNMENT in store.summary \
        else "assignment_loss_scale_mean"
    if column not in store.summary:
        return {}
    f1 = store.summary[DIHIGGS_F1].astype(float)
    weights = store.summary[column].astype(float)
    series = {}
    for weight in sorted(set(weights[rows].tolist()), reverse=True):
        members = rows[weights[rows] == weight]
        weak = members[f1[members] < 1.0 - 1e-9]
        weak = weak[np.argsort(f1[weak])]
        full = members[f1[members] >= 1.0 - 1e-9]
        per_column = {}
        for name in ("auc", "untrained_auc", "pairing_confidence_auc"):
            if f"{name}_mean" not in store.summary:
                continue
            mean, std = store.summary[f"{name}_mean"], store.summary[f"{name}_std"]
            supervised = (float(mean[full[0]]), float(std[full[0]])) if full.size else None
            per_column[name] = ((f1[weak], mean[weak], std[weak]), supervised)
        series[weight] = per_column
    return series


def plot_dihiggs_attention_vs_f1(store, out):
    """The note's Figs. 1 (lambda_a = 1, truth pairing) and 2 (lambda_a = 0) in one: the class
    head's CWoLa AUC vs f1 against its untrained null, with the pairing head's confidence AUC,
    the truth leak, dashed; the supervised AUC (f1 = 1) as a dotted line."""
    series = attention_f1_series(store)
    if not series:
        return []
    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    for color, (weight, columns) in zip(_colors(len(series)), series.items()):
        (x, mean, std), supervised = columns["auc"]
        ax.errorbar(x, mean, yerr=std, marker="o", capsize=3, color=color,
                    label=rf"class head, $\lambda_a$ = {weight:g}")
        if "untrained_auc" in columns:
            (ux, umean, ustd), _ = columns["untrained_auc"]
            ax.fill_between(ux, umean - ustd, umean + ustd, color=color, alpha=0.12,
                            label=rf"untrained network, $\lambda_a$ = {weight:g}")
        if "pairing_confidence_auc" in columns:
            (px, pmean, pstd), _ = columns["pairing_confidence_auc"]
            ax.errorbar(px, pmean, yerr=pstd, marker="s", linestyle="--", capsize=3,
                        color=color, alpha=0.8,
                        label=rf"pairing-head confidence (not rectified), $\lambda_a$ = {weight:g}")
        if supervised is not None:
            ax.axhline(supervised[0], color=color, linestyle=":",
                       label=rf"supervised ($f_1$ = 1), $\lambda_a$ = {weight:g}")
    events = ""
    if "test_signal_events_mean" in store.summary and "test_background_events_mean" in store.summary:
        rows = _done_rows(store)
        events = (f", {store.summary['test_signal_events_mean'][rows].min():.0f} + "
                  f"{store.summary['test_background_events_mean'][rows].min():.0f} test events")
    ax.axhline(0.5, color="grey", linewidth=0.8)
    ax.set_xlabel(r"signal fraction in mixture M1, $f_1$ ($f_2 = 1 - f_1$)")
    ax.set_ylabel("AUC, signal vs background test events")
    ax.set_ylim(0.3, 1.0)
    ax.set_title(_title(store, "AUC vs $f_1$") + f"\n(mean ± std over done repeats{events})",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the data
    return [out.save(fig, "auc_vs_f1")]


def plot_dihiggs_hunting(store, out):
    """The note's Figs. 9-11: ACC and AUC vs signal size, one line per other setting, with the
    no-signal (0x) result as a band of the same colour."""
    if DIHIGGS_MULTIPLIER not in store.summary:
        return []
    rows = _done_rows(store)
    groups = _group_rows(store, rows, _varying_axes(store, rows, exclude=(DIHIGGS_MULTIPLIER,)))
    paths = []
    for metric in ("best_accuracy", "auc"):
        fig, ax = plt.subplots(figsize=(7.0, 4.8))
        for (label, members), color in zip(groups, _colors(len(groups))):
            x = store.summary[DIHIGGS_MULTIPLIER][members].astype(float)
            mean = store.summary[f"{metric}_mean"][members]
            std = store.summary[f"{metric}_std"][members]
            with_signal = x > 0
            order = np.argsort(x[with_signal])
            ax.errorbar(x[with_signal][order], mean[with_signal][order],
                        yerr=std[with_signal][order], marker="o", capsize=3, color=color,
                        label=label or "with signal")
            for m, sd in zip(mean[~with_signal], std[~with_signal]):
                ax.axhspan(m - sd, m + sd, color=color, alpha=0.15)
                ax.axhline(m, color=color, linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("signal size (units of the luminosity-derived '1 times')")
        ax.set_ylabel(METRIC_LABELS[metric])
        ax.set_title(_title(store, f"{METRIC_TITLES[metric]} vs signal size; band: no signal")
                     + "\n(mean ± std over done repeats)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
        paths.append(out.save(fig, f"{metric}_vs_signal_size"))
    return paths


def plot_dihiggs_correlations(store, out):
    """The note's Figs. 5-6: correlation coefficients of the 16 features (m_hh included) on the
    test samples, averaged over done tasks, one heat map per heavy mass."""
    names = [c for c in store.results if c.startswith("corr__")]
    if not names:
        return []
    features = []
    for c in names:
        for f in c[len("corr__"):].split("__"):
            if f not in features:
                features.append(f)
    canonical = ["h1_pt", "h1_eta", "h1_phi", "h1_m", "h2_pt", "h2_eta", "h2_phi", "h2_m", "h1_dr",
                 "h2_dr", "h1_j1_btag", "h1_j2_btag", "h2_j1_btag", "h2_j2_btag", "hh_pt", "hh_m"]
    features.sort(key=lambda f: (canonical.index(f) if f in canonical else len(canonical), f))
    index = {f: i for i, f in enumerate(features)}
    done = store.results["status"] == STATUS_DONE
    masses = store.results.get("heavy_mass", np.zeros(done.size))
    paths = []
    for mass in sorted(set(masses[done].tolist())):
        rows = done & (masses == mass)
        matrix = np.eye(len(features))
        for c in names:
            a, b = c[len("corr__"):].split("__")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                value = np.nanmean(store.results[c][rows])
            matrix[index[a], index[b]] = matrix[index[b], index[a]] = value
        fig, ax = plt.subplots(figsize=(8, 7))
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_xticks(range(len(features)))
        ax.set_yticks(range(len(features)))
        ax.set_xticklabels(features, rotation=90, fontsize=7)
        ax.set_yticklabels(features, fontsize=7)
        for i in range(len(features)):
            for j in range(len(features)):
                if np.isfinite(matrix[i, j]):
                    ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=5)
        fig.colorbar(image, ax=ax, shrink=0.8, label="correlation coefficient")
        ax.set_title(_title(store, f"feature correlations, m_H = {mass:g} GeV")
                     + "\n(test samples: signal + background)", fontsize=10)
        paths.append(out.save(fig, f"correlations_mH{mass:g}"))
    return paths


def plot_dihiggs_augmentation_table(store, out):
    """The note's Tables 10-12 as a figure: ACC and AUC (mean ± std) per augmentation and copies."""
    kind_axis, copies_axis = "augmentation.kind", "augmentation.copies"
    rows = _done_rows(store)
    if copies_axis not in store.summary:
        return []
    kinds = (sorted(set(store.summary[kind_axis][rows].tolist()))
             if kind_axis in store.summary else ["all"])
    copies = sorted(set(store.summary[copies_axis][rows].astype(int).tolist()))
    cells = []
    for n in copies:
        line = []
        for kind in kinds:
            match = [r for r in rows if int(store.summary[copies_axis][r]) == n
                     and (kind_axis not in store.summary or store.summary[kind_axis][r] == kind)]
            if not match:
                line.append("")
                continue
            r = match[0]
            line.append(f"ACC {store.summary['best_accuracy_mean'][r]:.3f} ± "
                        f"{store.summary['best_accuracy_std'][r]:.3f}\n"
                        f"AUC {store.summary['auc_mean'][r]:.3f} ± {store.summary['auc_std'][r]:.3f}")
        cells.append(line)
    fig, ax = plt.subplots(figsize=(2.2 + 2.2 * len(kinds), 0.9 + 0.7 * len(copies)))
    ax.axis("off")
    table = ax.table(cellText=cells, rowLabels=[("original" if n == 0 else f"+{n} times") for n in copies],
                     colLabels=kinds, loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1.0, 2.6)
    ax.set_title(_title(store, "augmentation (mean ± std over done repeats)"), fontsize=10)
    return [out.save(fig, "augmentation_table")]


# ---------------------------------------------------------------- study: hidden_valley

HV_SIGNIFICANCE = "hidden_valley.significance"
HV_EPS_B = (("1e-1", "10%"), ("1e-2", "1%"), ("1e-3", "0.1%"))
HV_IMAGE_ARRAYS = (("mean_image_sr", "signal region (mixed)"), ("mean_image_sb", "sideband (mixed)"),
                   ("mean_image_signal", "signal (test)"), ("mean_image_background", "background (test)"))


def _hv_groups(store):
    """(label, summary rows) per combination of the scan axes other than the significance."""
    rows = store.done_summary_rows()
    if HV_SIGNIFICANCE not in store.summary:
        return []
    return _group_rows(store, rows, _varying_axes(store, rows, exclude=(HV_SIGNIFICANCE,)))


def _hv_metric_vs_significance(store, out, metric, ylabel, suffix, companion=None):
    """`metric` (mean ± std) vs injected S/√B per group; grey band: the group's no-signal point;
    `companion` drawn beside it with hollow markers; the untrained-network band when stored."""
    groups = _hv_groups(store)
    if not groups or f"{metric}_mean" not in store.summary:
        return []
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for (label, members), color in zip(groups, _colors(len(groups))):
        x = store.summary[HV_SIGNIFICANCE][members].astype(float)
        y = store.summary[f"{metric}_mean"][members]
        err = store.summary[f"{metric}_std"][members]
        none = members[x == 0]
        signal = members[x > 0]
        if none.size:
            m, s = store.summary[f"{metric}_mean"][none[0]], store.summary[f"{metric}_std"][none[0]]
            ax.axhspan(m - s, m + s, color="grey" if len(groups) == 1 else color, alpha=0.25,
                       label=f"no signal ({label})" if label else "no signal (mean ± std)")
        if signal.size:
            order = np.argsort(store.summary[HV_SIGNIFICANCE][signal].astype(float))
            s_rows = signal[order]
            ax.errorbar(store.summary[HV_SIGNIFICANCE][s_rows].astype(float),
                        store.summary[f"{metric}_mean"][s_rows],
                        yerr=store.summary[f"{metric}_std"][s_rows], marker="o", capsize=3,
                        color=color, label=label or "CWoLa CNN")
            if companion is not None and f"{companion}_mean" in store.summary:
                ax.errorbar(store.summary[HV_SIGNIFICANCE][s_rows].astype(float),
                            store.summary[f"{companion}_mean"][s_rows],
                            yerr=store.summary[f"{companion}_std"][s_rows], marker="o",
                            mfc="none", linestyle="--", capsize=3, color=color, alpha=0.6,
                            label=METRIC_LABELS[companion] if not label else None)
        _untrained_band(ax, store, members, metric, HV_SIGNIFICANCE, color, len(groups) > 1)
        del x, y, err
    _test_tuned_note(ax, metric)
    ax.set_xlabel(r"injected significance $S/\sqrt{B}$ in the signal region")
    ax.set_ylabel(ylabel)
    ax.set_title(_title(store, f"{ylabel.split(' (')[0]} vs $S/\\sqrt{{B}}$")
                 + "\n(true labels, pure SR test set; mean ± std over repeats)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return [out.save(fig, suffix)]


def plot_hv_accuracy_vs_significance(store, out):
    if "accuracy_at_val_threshold_mean" in store.summary:
        return _hv_metric_vs_significance(store, out, "accuracy_at_val_threshold",
                                          "ACC (validation threshold, true labels)",
                                          "acc_vs_significance", companion="best_accuracy")
    return _hv_metric_vs_significance(store, out, "best_accuracy",
                                      "ACC (threshold tuned on the test set, true labels)",
                                      "acc_vs_significance")


def plot_hv_auc_vs_significance(store, out):
    return _hv_metric_vs_significance(store, out, "auc", "AUC (true labels)", "auc_vs_significance")


def plot_hv_significance_after_vs_before(store, out):
    """Significance after a cut at eps_b = 10%, 1%, 0.1% vs before, one panel per eps_b; diagonal."""
    groups = _hv_groups(store)
    if not groups or "significance_before_mean" not in store.summary:
        return []
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), sharey=True)
    right = 0.0
    for ax, (tag, text) in zip(axes, HV_EPS_B):
        column = f"significance_after_eb_{tag}"
        if f"{column}_mean" not in store.summary:
            continue
        for (label, members), color in zip(groups, _colors(len(groups))):
            order = np.argsort(store.summary["significance_before_mean"][members])
            rows = members[order]
            x = store.summary["significance_before_mean"][rows]
            y = store.summary[f"{column}_mean"][rows]
            ax.errorbar(x, y, yerr=store.summary[f"{column}_std"][rows], marker="o", capsize=3,
                        color=color, label=label or "CWoLa CNN")
            right = max(right, float(np.nanmax(x)) if np.any(np.isfinite(x)) else 0.0)
        ax.set_title(rf"cut at $\epsilon_B$ = {text}", fontsize=10)
        ax.set_xlabel("significance before the cut")
        ax.grid(alpha=0.3)
    right = 1.05 * right if right > 0 else 1.0
    for ax in axes:
        ax.plot([0, right], [0, right], color="grey", linestyle="--", label="no change")
        ax.set_xlim(0, right)
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel("significance after the cut")
    axes[0].legend(fontsize=7)
    fig.suptitle(_title(store, "significance after vs before the CWoLa CNN selection")
                 + " (mean ± std over repeats)", fontsize=10)
    return [out.save(fig, "significance_after_vs_before")]


def plot_hv_training_vs_true_accuracy(store, out):
    """Per task: training ACC (mixed labels, threshold 0.5) vs true ACC (pure test set)."""
    done = store.results["status"] == STATUS_DONE
    if "train_accuracy" not in store.results or not np.any(done):
        return []
    fig, ax = plt.subplots(figsize=(5.6, 5.0))
    colour = store.results.get("significance", np.zeros_like(store.results["auc"]))[done]
    sc = ax.scatter(store.results["train_accuracy"][done], store.results["best_accuracy"][done],
                    c=colour, cmap="viridis", s=18)
    fig.colorbar(sc, ax=ax, label=r"injected $S/\sqrt{B}$")
    lo = min(np.nanmin(store.results["train_accuracy"][done]), 0.45)
    ax.plot([lo, 1], [lo, 1], color="grey", linestyle="--", label="training ACC = true ACC")
    ax.set_xlabel("training ACC (mixed-sample labels, threshold 0.5)")
    ax.set_ylabel("true ACC (pure test set, threshold tuned on the test set)")
    ax.set_title(_title(store, "training vs true accuracy (one point per task)"), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return [out.save(fig, "training_vs_true_accuracy")]


def plot_hv_average_images(store, out):
    """Average jet images (both jets) of the SR and SB mixed samples and the pure test classes,
    for each image size, at the point with the largest injected significance."""
    if not all(name in store.curves for name, _ in HV_IMAGE_ARRAYS) or "image_pixels" not in store.results:
        return []
    done = store.results["status"] == STATUS_DONE
    paths = []
    for pixels in sorted(set(store.results["image_pixels"][done].astype(int).tolist())):
        rows = np.flatnonzero(done & (store.results["image_pixels"] == pixels))
        significance = store.results.get("significance")
        if significance is not None:
            rows = rows[significance[rows] == significance[rows].max()]
        size = pixels * pixels
        fig, axes = plt.subplots(2, 4, figsize=(14, 6.4))
        for col, (name, text) in enumerate(HV_IMAGE_ARRAYS):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(store.curves[name][rows, :2 * size], axis=0)
            for jet in range(2):
                ax = axes[jet, col]
                image = mean[jet * size:(jet + 1) * size].reshape(pixels, pixels)
                positive = image[image > 0]
                vmin = positive.min() if positive.size else 1e-6
                shown = np.where(image > 0, image, np.nan)
                im = ax.imshow(shown.T, origin="lower", extent=(-1, 1, -1, 1), cmap="viridis",
                               norm=matplotlib.colors.LogNorm(vmin=max(vmin, 1e-6),
                                                              vmax=max(np.nanmax(image), 2e-6)))
                ax.set_title(f"{text}, jet {jet + 1}", fontsize=9)
                ax.set_xlabel(r"$\eta'$")
                ax.set_ylabel(r"$\phi'$")
                fig.colorbar(im, ax=ax, fraction=0.046)
        label = f"S/√B = {significance[rows].max():g}, " if significance is not None and rows.size else ""
        fig.suptitle(_title(store, f"average jet images {pixels}×{pixels} ({label}{rows.size} tasks)"),
                     fontsize=10)
        fig.tight_layout()
        paths.append(out.save(fig, f"average_images_{pixels}"))
    return paths


# Study name (/job/study) -> its extra plot functions, each (store, out) -> list of paths.
STUDY_PLOTS = {
    "hidden_valley": (plot_hv_accuracy_vs_significance, plot_hv_auc_vs_significance,
                      plot_hv_significance_after_vs_before, plot_hv_training_vs_true_accuracy,
                      plot_hv_average_images),
    "gaussian": (plot_gaussian_auc_vs_f1, plot_gaussian_accuracy_vs_f1),
    "dihiggs_fraction": (plot_dihiggs_auc_vs_f1,),
    "dihiggs_hunting": (plot_dihiggs_hunting, plot_dihiggs_correlations),
    "dihiggs_augmentation": (plot_dihiggs_augmentation_table,),
    "dihiggs_attention": (plot_dihiggs_attention_vs_f1,),
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


def open_store(path, loader, unfinished):
    """The store at `path` read by `loader` (load_store, or a report's own reader built on it),
    or None after printing why it cannot be read. An unfinished job is read with a warning that
    ends with `unfinished` (what the report does with the tasks done so far)."""
    try:
        store = loader(path)
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return None
    if not store.complete:
        print(f"warning: store '{store.path}' has /job/complete = 0 (the job has not finished); "
              f"{unfinished}", file=sys.stderr)
    return store


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Plot a cwola study from its HDF5 results store.",
        epilog="Writes <stem>_*.png and prints their paths, one per line.")
    parser.add_argument("store", type=Path, help="the study's results store (.h5)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="directory for the PNG files (default: the store's directory)")
    args = parser.parse_args(argv)
    store = open_store(args.store, load_store, "plotting the tasks done so far")
    if store is None:
        return EXIT_NOTHING_TO_PLOT
    if store.study not in STUDY_PLOTS:
        print(f"note: no study-specific plots for study '{store.study}'; generic plots only",
              file=sys.stderr)
    out_dir = args.out_dir if args.out_dir is not None else store.path.resolve().parent
    for path in make_plots(store, out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
