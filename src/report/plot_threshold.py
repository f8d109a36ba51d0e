"""The learning threshold of weak-supervision methods, from a hidden-valley results store alone.

Usage (Debian's Python, which has matplotlib and h5py):

    /usr/bin/python3 src/report/plot_threshold.py STORE.h5 [--out-dir DIR] [--bootstrap N]

For a job in stages like jobs/hidden_valley_threshold.ini (docs/hidden_valley.md, "Threshold
measurement"): every stage that trains on the target by CWoLa is one method, named from the
effective job text stored in /job/text (not from the stage's name):
  no `reads`                                      -> CWoLa (from scratch)
  reads a model, cnn.fine_tune = head             -> transfer
  cnn.fine_tune = scale_shift, reads a meta stage -> meta-transfer, or meta-transfer + hard
                                                     tasks when that stage has meta.hard_tasks > 0
  hidden_valley.extra_features = true             -> "+ extra" (jet masses, angularities)
Supervised pretrainings and meta-trainings (hidden_valley.labels = supervised | meta) are the
methods' upstream and only listed. A method whose fine-tunes read several upstream tasks (e.g.
stage.pretrain.repeats = 3 with tasks = per_task_of pretrain) is measured pooled and, in the
tables only, once per upstream task ("[upstream task N]"): the spread between pretrainings.

Per method and eps_b in {10 %, 1 %, 0.1 %}, over the done trainings of each S/sqrt(B) point:
  - the significance after the cut (results/significance_after_eb_*), mean +- standard error,
    against the significance before it (results/significance_before, the same for all trainings
    of a point);
  - the threshold: the smallest injected S/sqrt(B) > 0 at which the mean after-cut significance
    exceeds the before-cut one; "not reached" (printed "> S_max") when no scanned point does;
    and the sustained one ("stays above from"): the smallest S/sqrt(B) from which every larger
    scanned point exceeds it too;
  - its uncertainty: the trainings of each point are resampled with replacement (N bootstrap
    replicates, fixed seed), the threshold recomputed per replicate; quoted is the 16-84 %
    interval of the replicate thresholds (68 %; a replicate that never crosses counts as above
    every scanned point) and the fraction of replicates that never cross;
  - the number of test background events the working point rests on (eps_b x test background
    events; flagged when below 10, as in plot_study.py);
  - the no-signal null: the method's networks trained at S/sqrt(B) = 0 (the same pure test set)
    applied at each point, Z(eps_s0 N_S, eps_b N_B) with eps_s0 their signal efficiency at
    eps_b: what the method gives without learning anything from the injection. Its own
    threshold is printed next to the method's;
  - the untrained-network null (results/untrained_auc, untrained_sic_max: each network scored
    before training) and the trained AUC and max SIC at S/sqrt(B) = 0 (max SIC is tuned on the
    test set).

Writes <stem>_fig2.png (CWoLa vs transfer; the report's Fig. 2), <stem>_fig3.png (transfer vs
meta-transfer with and without hard tasks; Fig. 3), <stem>_fig6.png (each method with and
without the extra features; Fig. 6) and <stem>_gain.png (after-cut significance minus CWoLa's),
for the methods the store has, and prints the tables (Markdown) on stdout, then the PNG paths.
Exit status 2 when the store cannot be read or has no CWoLa-type stage with S/sqrt(B) points.
"""

import argparse
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plot_study  # noqa: E402  (the one store reader: plot_study.load_store)
from plot_study import FEW_BACKGROUND_EVENTS, STATUS_DONE, StoreError  # noqa: E402

import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402  (plot_study chose the Agg backend)

AXIS = "hidden_valley.significance"
EPS_B = (("1e-1", 0.1, "10 %"), ("1e-2", 0.01, "1 %"), ("1e-3", 0.001, "0.1 %"))
BOOTSTRAP_SEED = 20261218
EXIT_NOTHING = 2
# Method name -> colour, in the order tables and legends list them.
METHODS = {"CWoLa": "tab:blue", "transfer": "tab:orange", "meta-transfer": "tab:green",
           "meta-transfer + hard tasks": "tab:red", "scale-shift transfer": "tab:purple",
           "fine-tune (all layers)": "tab:brown"}


# ---------------------------------------------------------------- the threshold (pure functions)


def asimov(signal, background):
    """Asimov significance sqrt(2((s+b) ln(1+s/b) - s)), as metrics::significance (0 when s = 0)."""
    s, b = np.asarray(signal, dtype=float), np.asarray(background, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = s / b
        z2 = 2.0 * b * np.fmax((1.0 + x) * np.log1p(x) - x, 0.0)
    return np.where(s == 0.0, 0.0, np.sqrt(z2))


def threshold(s_over_sqrt_b, mean_after, before, sustained=False):
    """The smallest S/sqrt(B) > 0 whose mean after-cut significance exceeds the before-cut one.

    s_over_sqrt_b, mean_after, before: one value per scanned point (any order). Returns the
    S/sqrt(B) value, or None when no point with S/sqrt(B) > 0 crosses (NaN means do not cross).
    sustained: the smallest S/sqrt(B) > 0 from which every larger scanned point crosses too
    (robust against a point that crosses by luck below one that does not).
    """
    s = np.asarray(s_over_sqrt_b, dtype=float)
    after, before = np.asarray(mean_after, dtype=float), np.asarray(before, dtype=float)
    order = [i for i in np.argsort(s, kind="stable") if s[i] > 0]
    crosses = [bool(after[i] > before[i]) for i in order]
    for k, i in enumerate(order):
        if crosses[k] and (not sustained or all(crosses[k:])):
            return float(s[i])
    return None


def bootstrap_thresholds(s_over_sqrt_b, after_per_point, before, replicates, seed=BOOTSTRAP_SEED,
                         sustained=False):
    """Thresholds of `replicates` bootstrap resamplings of the trainings of each point.

    after_per_point: one 1-D array of after-cut significances (one per training) per point.
    Returns an array of thresholds, +inf where a replicate never crosses.
    """
    rng = np.random.default_rng(seed)
    s = np.asarray(s_over_sqrt_b, dtype=float)
    means = np.empty((replicates, len(s)))
    for k, values in enumerate(after_per_point):
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            means[:, k] = np.nan
            continue
        draws = rng.integers(0, values.size, size=(replicates, values.size))
        means[:, k] = values[draws].mean(axis=1)
    out = np.empty(replicates)
    for r in range(replicates):
        t = threshold(s, means[r], before, sustained)
        out[r] = np.inf if t is None else t
    return out


@dataclass
class Threshold:
    """A measured threshold and its bootstrap uncertainty."""

    value: float        # None-free: +inf when not reached
    low: float          # 16 % quantile of the bootstrap thresholds (+inf: not reached)
    high: float         # 84 % quantile
    never: float        # fraction of bootstrap replicates that never cross


def measure_threshold(s_over_sqrt_b, after_per_point, before, replicates, seed=BOOTSTRAP_SEED,
                      sustained=False):
    """Threshold of the means, with the 16-84 % interval of the bootstrap thresholds."""
    means = [np.mean(v) if len(v) else np.nan for v in after_per_point]
    t = threshold(s_over_sqrt_b, means, before, sustained)
    boot = bootstrap_thresholds(s_over_sqrt_b, after_per_point, before, replicates, seed,
                                sustained)
    # method="lower"/"higher" keep the quantiles on scanned values (or +inf).
    low = float(np.quantile(boot, 0.16, method="lower"))
    high = float(np.quantile(boot, 0.84, method="higher"))
    return Threshold(value=np.inf if t is None else t, low=low, high=high,
                     never=float(np.mean(np.isinf(boot))))


def format_threshold(value, s_max):
    return f"> {s_max:g}" if not np.isfinite(value) else f"{value:g}"


# ---------------------------------------------------------------- the store


def parse_job_text(text):
    """The effective job (INI text in /job/text): {section: {key: value}}."""
    sections = {"": {}}
    current = sections[""]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
        elif "=" in line:
            key, value = line.split("=", 1)
            current[key.strip()] = value.strip()
    return sections


def stage_setting(job, stage, key, default=None):
    """A study key (section.key) as stage `stage` sees it: its own override, else the job's."""
    own = job.get(f"stage.{stage}", {})
    if key in own:
        return own[key]
    section, _, name = key.partition(".")
    return job.get(section, {}).get(name, default)


def _true(value):
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def classify_stage(job, stage):
    """(method, extra features) of a stage, or (None, extra) for an upstream stage."""
    extra = _true(stage_setting(job, stage, "hidden_valley.extra_features", "false"))
    labels = stage_setting(job, stage, "hidden_valley.labels", "cwola")
    if labels != "cwola":
        return None, extra
    reads = job.get(f"stage.{stage}", {}).get("reads", "")
    fine_tune = stage_setting(job, stage, "cnn.fine_tune", "all")
    if not reads:
        return "CWoLa", extra
    if fine_tune == "head":
        return "transfer", extra
    if fine_tune == "scale_shift":
        if stage_setting(job, reads, "hidden_valley.labels", "cwola") == "meta":
            hard = int(stage_setting(job, reads, "meta.hard_tasks", "0") or 0)
            return ("meta-transfer + hard tasks" if hard > 0 else "meta-transfer"), extra
        return "scale-shift transfer", extra
    return "fine-tune (all layers)", extra


@dataclass
class Method:
    """The trainings of one CWoLa-type stage, per injected S/sqrt(B)."""

    name: str
    extra: bool
    stage: str
    points: np.ndarray                              # S/sqrt(B) values, ascending
    rows: list = field(default_factory=list)        # per point: done task rows
    upstream_task: int = None   # the fine-tunes of one upstream task only (None: all of them)

    @property
    def label(self):
        part = "" if self.upstream_task is None else f" [upstream task {self.upstream_task}]"
        return self.name + (" + extra" if self.extra else "") + part


@dataclass
class ThresholdStore:
    path: Path
    name: str
    job: dict
    results: dict
    methods: list
    upstream: list      # (stage, labels, rows)
    complete: bool

    @property
    def pooled(self):
        """The methods with every upstream task's fine-tunes together (what the figures show)."""
        return [m for m in self.methods if m.upstream_task is None]


def load(path):
    """Read the store (plot_study.load_store) and sort its stages into methods."""
    store = plot_study.load_store(path)
    with h5py.File(path, "r") as h5:
        text = plot_study._decode(h5["job/text"][()]) if "text" in h5["job"] else ""
        names = ([str(plot_study._decode(n)) for n in h5["stages/name"][()]]
                 if "stages" in h5 else ["main"])
    job = parse_job_text(str(text))
    stage_of = store.tasks["stage"] if "stage" in store.tasks else np.zeros_like(store.tasks["id"])
    done = store.results["status"] == STATUS_DONE
    if AXIS not in store.tasks:
        raise StoreError(f"store '{path}' has no scan over {AXIS} (tasks/{AXIS} missing); "
                         "plot_threshold.py reads jobs like jobs/hidden_valley_threshold.ini")
    s = np.asarray(store.tasks[AXIS], dtype=float)
    upstream_of = store.tasks.get("upstream")
    upstream_of = None if upstream_of is None else np.asarray(upstream_of)
    methods, upstream = [], []
    for k, stage in enumerate(names):
        in_stage = stage_of == k
        method, extra = classify_stage(job, stage)
        if method is None:
            upstream.append((stage, stage_setting(job, stage, "hidden_valley.labels"),
                             np.flatnonzero(in_stage & done)))
            continue
        points = np.unique(s[in_stage & np.isfinite(s)])
        if points.size == 0:
            continue
        m = Method(name=method, extra=extra, stage=stage, points=points)
        m.rows = [np.flatnonzero(in_stage & done & (s == p)) for p in points]
        methods.append(m)
        # Several upstream tasks (e.g. stage.pretrain.repeats = 3 read per task): each one's
        # fine-tunes also apart, so the spread between pretrainings shows beside the pool.
        sources = np.unique(upstream_of[in_stage & done]) if upstream_of is not None else []
        for u in sources if len(sources) > 1 else []:
            part = Method(name=method, extra=extra, stage=stage, points=points,
                          upstream_task=int(u))
            part.rows = [r[upstream_of[r] == u] for r in m.rows]
            methods.append(part)
    if not methods:
        raise StoreError(f"store '{path}' has no CWoLa-type stage with {AXIS} points; "
                         "nothing to measure")
    labels = [m.label for m in methods]
    for m in methods:  # two stages of one method (e.g. two targets): keep them apart
        if labels.count(m.label) > 1:
            m.name = f"{m.name} [{m.stage}]"
    order = list(METHODS)
    methods.sort(key=lambda m: (order.index(m.name) if m.name in order else len(order), m.extra))
    return ThresholdStore(path=Path(path), name=store.name, job=job, results=store.results,
                          methods=methods, upstream=upstream, complete=store.complete)


# ---------------------------------------------------------------- per-method numbers


@dataclass
class Curve:
    """One method at one eps_b: per point mean, standard error, before, null; the threshold."""

    points: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    stderr: np.ndarray
    before: np.ndarray
    null: np.ndarray         # the S/sqrt(B) = 0 networks at each point (NaN without them)
    test_background: float   # test background events (fewest over the method's trainings)
    measured: Threshold
    sustained: Threshold     # the smallest S/sqrt(B) from which every larger point crosses
    null_threshold: float    # +inf: not reached; NaN: no null networks


def _column(store, name, rows):
    values = store.results.get(name)
    return np.full(len(rows), np.nan) if values is None else np.asarray(values, dtype=float)[rows]


def curve(store, method, tag, eps_b, replicates):
    signal = method.points > 0
    points = method.points[signal]
    rows = [r for r, keep in zip(method.rows, signal) if keep]
    after = [_column(store, f"significance_after_eb_{tag}", r) for r in rows]
    after = [a[np.isfinite(a)] for a in after]
    n = np.array([a.size for a in after])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point without done trainings: NaN
        mean = np.array([a.mean() if a.size else np.nan for a in after])
        stderr = np.array([a.std(ddof=1) / math.sqrt(a.size) if a.size > 1 else np.nan
                           for a in after])
        before = np.array([np.nanmean(_column(store, "significance_before", r)) for r in rows])
    # The no-signal null: eps_s of the S/sqrt(B) = 0 networks, at this point's N_S and N_B.
    zero = [r for r, p in zip(method.rows, method.points) if p == 0]
    eps_s0 = _column(store, f"eff_s_at_eb_{tag}", zero[0]) if zero else np.array([])
    eps_s0 = eps_s0[np.isfinite(eps_s0)]
    null = np.full(points.size, np.nan)
    if eps_s0.size:
        for k, r in enumerate(rows):
            n_s = np.nanmean(_column(store, "n_signal_sr", r))
            n_b = np.nanmean(_column(store, "n_background_sr", r))
            null[k] = np.mean(asimov(eps_s0 * n_s, eps_b * n_b))
    all_rows = np.concatenate([np.asarray(r, dtype=int) for r in method.rows])
    bkg = _column(store, "test_background_events", all_rows)
    bkg = bkg[np.isfinite(bkg)]
    measured = measure_threshold(points, after, before, replicates)
    null_t = threshold(points, null, before) if eps_s0.size else None
    return Curve(points=points, n=n, mean=mean, stderr=stderr, before=before, null=null,
                 test_background=float(bkg.min()) if bkg.size else float("nan"),
                 measured=measured,
                 sustained=measure_threshold(points, after, before, replicates, sustained=True),
                 null_threshold=(np.nan if not eps_s0.size
                                 else (np.inf if null_t is None else null_t)))


def _mean_std(values):
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "–"
    return f"{values.mean():.3f} ± {values.std():.3f}"


# ---------------------------------------------------------------- tables


def _interval(t, s_max):
    return f"[{format_threshold(t.low, s_max)}, {format_threshold(t.high, s_max)}]"


def threshold_table(store, curves):
    lines = ["| method | ε_b | test bkg at ε_b | threshold S/√B | 68 % bootstrap interval | "
             "P(never crosses) | stays above from | its 68 % interval | "
             "no-signal-network threshold |",
             "|---|---|---|---|---|---|---|---|---|"]
    for method in store.methods:
        s_max = float(method.points.max())
        for tag, eps_b, text in EPS_B:
            c = curves[(method.label, tag)]
            n_bkg = eps_b * c.test_background
            flag = f"{n_bkg:.0f}" + (" (few!)" if n_bkg < FEW_BACKGROUND_EVENTS else "")
            t, u = c.measured, c.sustained
            null = ("–" if np.isnan(c.null_threshold)
                    else format_threshold(c.null_threshold, s_max))
            lines.append(f"| {method.label} | {text} | {flag} | "
                         f"{format_threshold(t.value, s_max)} | {_interval(t, s_max)} | "
                         f"{t.never:.2f} | {format_threshold(u.value, s_max)} | "
                         f"{_interval(u, s_max)} | {null} |")
    return "\n".join(lines)


def significance_table(store, curves, tag, text):
    points = sorted({float(p) for m in store.methods for p in m.points if p > 0})
    head = "| method | " + " | ".join(f"{p:g}" for p in points) + " |"
    lines = [f"Significance after the cut at ε_b = {text}: mean ± standard error "
             "(n trainings); before the cut, and the no-signal networks' value [null]:", "",
             head, "|---|" + "---|" * len(points)]
    first = curves[(store.methods[0].label, tag)]
    before = dict(zip(first.points.tolist(), first.before))
    lines.append("| before the cut | " + " | ".join(
        f"{before[p]:.2f}" if p in before else "–" for p in points) + " |")
    for method in store.methods:
        c = curves[(method.label, tag)]
        cells = []
        for p in points:
            k = np.flatnonzero(c.points == p)
            if k.size == 0 or c.n[k[0]] == 0:
                cells.append("–")
                continue
            k = k[0]
            null = "" if np.isnan(c.null[k]) else f" [{c.null[k]:.2f}]"
            cells.append(f"{c.mean[k]:.2f} ± {c.stderr[k]:.2f} ({c.n[k]}){null}")
        lines.append(f"| {method.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def null_table(store):
    lines = ["| method | n at S/√B = 0 | AUC at S/√B = 0 | max SIC at S/√B = 0 | "
             "untrained AUC (all trainings) | untrained max SIC (all trainings) |",
             "|---|---|---|---|---|---|"]
    for method in store.methods:
        zero = [r for r, p in zip(method.rows, method.points) if p == 0]
        zero = zero[0] if zero else np.array([], dtype=int)
        every = np.concatenate([np.asarray(r, dtype=int) for r in method.rows])
        lines.append(f"| {method.label} | {zero.size} | {_mean_std(_column(store, 'auc', zero))} | "
                     f"{_mean_std(_column(store, 'max_sic', zero))} | "
                     f"{_mean_std(_column(store, 'untrained_auc', every))} | "
                     f"{_mean_std(_column(store, 'untrained_sic_max', every))} |")
    for stage, labels, rows in store.upstream:
        lines.append(f"| upstream '{stage}' ({labels}) | {rows.size} | "
                     f"{_mean_std(_column(store, 'auc', rows))} (own test set) | "
                     f"{_mean_std(_column(store, 'max_sic', rows))} | "
                     f"{_mean_std(_column(store, 'untrained_auc', rows))} | "
                     f"{_mean_std(_column(store, 'untrained_sic_max', rows))} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- figures


def _panel(ax, store, curves, methods, tag, text, styles):
    drawn_before = False
    for method in methods:
        c = curves[(method.label, tag)]
        color, style = styles(method)
        ax.errorbar(c.points, c.mean, yerr=c.stderr, color=color, linestyle=style, marker="o",
                    markersize=3, capsize=2, label=method.label)
        if np.any(np.isfinite(c.null)):
            ax.plot(c.points, c.null, color=color, linestyle=style, linewidth=0.8, alpha=0.5)
        if not drawn_before:
            ax.plot(c.points, c.before, color="black", linestyle=":", label="before the cut")
            drawn_before = True
    c = curves[(methods[0].label, tag)]
    n_bkg = float(c.test_background) * dict((t, e) for t, e, _ in EPS_B)[tag]
    few = " – FEW" if n_bkg < FEW_BACKGROUND_EVENTS else ""
    ax.set_title(f"ε_b = {text} ({n_bkg:.0f} test bkg events{few})", fontsize=8)
    ax.set_xlabel(r"injected $S/\sqrt{B}$", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)


def _figure(store, curves, methods, suffix, title, out_dir, styles):
    if not methods:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3))
    for ax, (tag, _, text) in zip(axes, EPS_B):
        _panel(ax, store, curves, methods, tag, text, styles)
    axes[0].set_ylabel("significance after the cut", fontsize=8)
    axes[0].legend(fontsize=6)
    fig.suptitle(f"{store.name}: {title} (mean ± s.e.; faint: the method's S/√B = 0 networks)",
                 fontsize=9)
    return _save(fig, store, suffix, out_dir)


def _save(fig, store, suffix, out_dir):
    """Writes <stem>_<suffix>.png of the store into out_dir; returns its path."""
    fig.tight_layout()
    path = Path(out_dir) / f"{store.path.stem}_{suffix}.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def _select(store, names, extra):
    return [m for m in store.pooled if m.name in names and (extra is None or m.extra == extra)]


def plot_gain(store, curves, out_dir):
    """Mean after-cut significance minus CWoLa's (same extra-feature setting) vs S/sqrt(B)."""
    base = {m.extra: m for m in store.pooled if m.name == "CWoLa"}
    others = [m for m in store.pooled if m.name != "CWoLa" and m.extra in base]
    if not others:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3))
    for ax, (tag, _, text) in zip(axes, EPS_B):
        for m in others:
            c, b = curves[(m.label, tag)], curves[(base[m.extra].label, tag)]
            common, ic, ib = np.intersect1d(c.points, b.points, return_indices=True)
            err = np.hypot(c.stderr[ic], b.stderr[ib])
            ax.errorbar(common, c.mean[ic] - b.mean[ib], yerr=err, marker="o", markersize=3,
                        capsize=2, color=METHODS.get(m.name, "grey"),
                        linestyle="--" if m.extra else "-", label=f"{m.label} − CWoLa")
        ax.axhline(0, color="black", linestyle=":")
        ax.set_title(f"ε_b = {text}", fontsize=8)
        ax.set_xlabel(r"injected $S/\sqrt{B}$", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Δ significance after the cut", fontsize=8)
    axes[0].legend(fontsize=6)
    fig.suptitle(f"{store.name}: gain over CWoLa from scratch (same features)", fontsize=9)
    return _save(fig, store, "gain", out_dir)


def make_figures(store, curves, out_dir):
    def by_method(m):
        return METHODS.get(m.name, "grey"), "--" if m.extra else "-"

    paths = [
        _figure(store, curves, _select(store, ("CWoLa", "transfer"), False), "fig2",
                "CWoLa vs transfer learning (images only)", out_dir, by_method),
        _figure(store, curves,
                _select(store, ("transfer", "meta-transfer", "meta-transfer + hard tasks"), False),
                "fig3", "transfer vs meta-transfer (images only)", out_dir, by_method),
        _figure(store, curves, [m for m in store.pooled
                                if any(o.name == m.name and o.extra != m.extra
                                       for o in store.pooled)],
                "fig6", "without (solid) and with (dashed) jet masses + angularities", out_dir,
                by_method),
        plot_gain(store, curves, out_dir),
    ]
    return [p for p in paths if p is not None]


# ---------------------------------------------------------------- driver


def analyse(store, replicates):
    return {(m.label, tag): curve(store, m, tag, eps_b, replicates)
            for m in store.methods for tag, eps_b, _ in EPS_B}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Threshold of the after-cut significance vs S/sqrt(B), from a store.")
    parser.add_argument("store", type=Path, help="the job's results store (.h5)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="directory for the PNG files (default: the store's directory)")
    parser.add_argument("--bootstrap", type=int, default=2000,
                        help="bootstrap replicates for the threshold's interval (default 2000)")
    args = parser.parse_args(argv)
    if args.bootstrap < 1:
        print(f"error: --bootstrap = {args.bootstrap} (needs at least 1 replicate)",
              file=sys.stderr)
        return EXIT_NOTHING
    store = plot_study.open_store(args.store, load, "using the trainings done so far")
    if store is None:
        return EXIT_NOTHING
    curves = analyse(store, args.bootstrap)
    print(f"# {store.name} ({store.path.name}): thresholds "
          f"({args.bootstrap} bootstrap replicates of the trainings, seed {BOOTSTRAP_SEED})\n")
    print(threshold_table(store, curves))
    for tag, _, text in EPS_B:
        print()
        print(significance_table(store, curves, tag, text))
    print("\nNulls: each method's trainings at S/√B = 0 and every training scored untrained "
          "(max SIC is tuned on the test set):\n")
    print(null_table(store))
    out_dir = args.out_dir if args.out_dir is not None else store.path.resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    print()
    for path in make_figures(store, curves, out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
