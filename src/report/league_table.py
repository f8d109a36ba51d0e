#!/usr/bin/env python3
"""The anomaly-detection league table of a hunt store (docs/cathode.md, "League table"):
for each stage (a method and classifier) and each injected signal, the median max SIC and
AUC on the truth test with their 16-84 % bands over the tasks, the untrained networks' null,
the signal-region S/B and S/sqrt(B) and how many truth-test events the numbers rest on. Reads only the store;
--plot also draws max SIC vs S/B with the bands.

--curves OUT.png draws, at one injection (--at, default the largest), the CATHODE paper's
SIC vs signal efficiency and background rejection vs signal efficiency: per method the median
over its tasks of each task's ROC (/curves/roc_eps_s on the background-efficiency grid
/curves/roc_eps_b), points with fewer than 25 truth-test background events left out.

Usage: python3 src/report/league_table.py STORE [--plot OUT.png] [--curves OUT.png [--at N]]"""
import argparse
import sys

import h5py
import numpy as np


def text(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.atleast_1d(values)]


def band(values):
    """Median and the 16-84 % band of the finite values (NaN when none)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    return tuple(np.percentile(values, [50, 16, 84]))


def league(path):
    """Rows (stage, injected, S/B, tasks, events, median/bands of max SIC, AUC, untrained)."""
    rows = []
    with h5py.File(path, "r") as f:
        results = f["results"]
        status = results["status"][()]
        injected = f["tasks/hunt.injected_signal"][()]
        window = results["window"][()]
        if "stages" in f:
            names = text(f["stages/name"][()])
            stage = f["tasks/stage"][()]
        else:
            names, stage = ["main"], np.zeros(len(status), dtype=int)
        column = {name: results[name][()] for name in (
            "max_sic", "auc", "untrained_sic_max", "untrained_auc", "n_signal_region",
            "injected_in_signal_region", "test_signal_events", "test_background_events")
            if name in results}
        for s, name in enumerate(names):
            # A failed task has no result columns (window NaN): it counts in every window of
            # its stage and injection.
            for w, value in sorted({(a, b) for a, b in zip(window, injected) if np.isfinite(a)}):
                mine = (stage == s) & (injected == value) & ((window == w) | np.isnan(window))
                done = mine & (status == 1)
                if not np.any(done):
                    continue
                signal = column["injected_in_signal_region"][done]
                background = np.maximum(column["n_signal_region"][done] - signal, 1)
                sb = np.median(signal / background)
                s_sqrt_b = np.median(signal / np.sqrt(background))
                row = {"stage": name, "window": int(w), "injected": value, "s_over_b": sb,
                       "s_over_sqrt_b": s_sqrt_b,
                       "tasks": int(done.sum()),
                       "failed": int((mine & (status == 2)).sum()),
                       "signal_events": int(np.median(column["test_signal_events"][done])),
                       "background_events": int(np.median(column["test_background_events"][done]))}
                for key in ("max_sic", "auc", "untrained_sic_max", "untrained_auc"):
                    if key in column:
                        row[key] = band(column[key][done])
                rows.append(row)
    return rows


def plot_curves(path, out, at):
    """SIC and rejection vs signal efficiency per stage at injection `at` (median ROC)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with h5py.File(path, "r") as f:
        eps_b = f["curves/roc_eps_b"][()]
        eps_s = f["curves/roc_eps_s"][()]
        status = f["results/status"][()]
        injected = f["tasks/hunt.injected_signal"][()]
        n_background = f["results/test_background_events"][()]
        if "stages" in f:
            names, stage = text(f["stages/name"][()]), f["tasks/stage"][()]
        else:
            names, stage = ["main"], np.zeros(len(status), dtype=int)
    if at is None:
        at = injected.max()
    fig, (sic_ax, rejection_ax) = plt.subplots(1, 2, figsize=(10, 4))
    methods = {}
    for s, name in enumerate(names):
        rows = (stage == s) & (injected == at) & (status == 1)
        if not np.any(rows):
            continue
        enough = eps_b * np.median(n_background[rows]) >= 25
        median = np.median(eps_s[rows][:, enough], axis=0)
        sic_ax.plot(median, median / np.sqrt(eps_b[enough]), label=name, **style(name, methods))
        rejection_ax.plot(median, 1 / eps_b[enough], label=name, **style(name, methods))
    grid = np.linspace(0.01, 1, 100)
    sic_ax.plot(grid, np.sqrt(grid), color="grey", linestyle=":", label="random")
    rejection_ax.plot(grid, 1 / grid, color="grey", linestyle=":", label="random")
    sic_ax.set_xlabel("signal efficiency")
    sic_ax.set_ylabel("SIC (median ROC)")
    rejection_ax.set_xlabel("signal efficiency")
    rejection_ax.set_ylabel("background rejection 1/eps_B")
    rejection_ax.set_yscale("log")
    for ax in (sic_ax, rejection_ax):
        ax.set_title(f"{at:g} injected")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


def style(name, methods):
    """Colour by method, solid for a network and dashed for a BDT (stage names like cwola_nn,
    cathode_bdt; any other name gets its own colour, solid)."""
    method, _, classifier = name.rpartition("_")
    if classifier not in ("nn", "bdt"):
        method, classifier = name, "nn"
    colour = methods.setdefault(method, f"C{len(methods) % 10}")
    return {"color": colour, "linestyle": "--" if classifier == "bdt" else "-"}


def fmt(triple, digits=2):
    median, low, high = triple
    return f"{median:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--plot", help="write max SIC vs S/B to this PNG")
    parser.add_argument("--curves", help="write SIC and rejection vs signal efficiency here")
    parser.add_argument("--at", type=float, help="the injection of --curves (default largest)")
    args = parser.parse_args()
    rows = league(args.store)
    if not rows:
        sys.exit(f"{args.store}: no finished task")
    print("| method (stage) | window | injected | S/B in SR | S/√B in SR | tasks | truth test (S / B) | max SIC median "
          "[16-84 %] | AUC | untrained max SIC | untrained AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['stage']} | {r['window']} | {r['injected']:g} | {100 * r['s_over_b']:.2f} % | "
              f"{r['s_over_sqrt_b']:.2f} | {r['tasks']}"
              f"{' (' + str(r['failed']) + ' failed)' if r['failed'] else ''} | "
              f"{r['signal_events']} / {r['background_events']} | {fmt(r['max_sic'])} | "
              f"{fmt(r['auc'], 3)} | {fmt(r.get('untrained_sic_max', (np.nan,) * 3))} | "
              f"{fmt(r.get('untrained_auc', (np.nan,) * 3), 3)} |")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7, 4.5))
        methods = {}
        for name, w in dict.fromkeys((r["stage"], r["window"]) for r in rows):
            mine = [r for r in rows if r["stage"] == name and r["window"] == w]
            x = np.array([100 * r["s_over_b"] for r in mine])
            median, low, high = (np.array(v) for v in zip(*(r["max_sic"] for r in mine)))
            look = style(name, methods)
            ax.plot(x, median, marker="o", label=f"{name}, window {w}", **look)
            ax.fill_between(x, low, high, alpha=0.12, color=look["color"])
        ax.axhline(1.0, color="grey", linestyle=":", label="random (SIC = 1)")
        ax.set_xlabel("S/B in the signal region [%]")
        ax.set_ylabel("max SIC (median, 16-84 % band)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    if args.curves:
        plot_curves(args.store, args.curves, args.at)


if __name__ == "__main__":
    main()
