#!/usr/bin/env python3
"""The anomaly-detection league table of a hunt store (docs/cathode.md, "League table"):
for each stage (a method and classifier) and each injected signal, the median max SIC and
AUC on the truth test with their 16-84 % bands over the tasks, the untrained networks' null,
the signal-region S/B and how many truth-test events the numbers rest on. Reads only the store;
--plot also draws max SIC vs S/B with the bands.

Usage: python3 src/report/league_table.py STORE [--plot OUT.png]"""
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
            for w, value in sorted({(a, b) for a, b in zip(window, injected)}):
                mine = (stage == s) & (injected == value) & (window == w)
                done = mine & (status == 1)
                if not np.any(done):
                    continue
                sb = np.median(column["injected_in_signal_region"][done] /
                               np.maximum(column["n_signal_region"][done]
                                          - column["injected_in_signal_region"][done], 1))
                row = {"stage": name, "window": int(w), "injected": value, "s_over_b": sb,
                       "tasks": int(done.sum()),
                       "failed": int((mine & (status == 2)).sum()),
                       "signal_events": int(np.median(column["test_signal_events"][done])),
                       "background_events": int(np.median(column["test_background_events"][done]))}
                for key in ("max_sic", "auc", "untrained_sic_max", "untrained_auc"):
                    if key in column:
                        row[key] = band(column[key][done])
                rows.append(row)
    return rows


def fmt(triple, digits=2):
    median, low, high = triple
    return f"{median:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--plot", help="write max SIC vs S/B to this PNG")
    args = parser.parse_args()
    rows = league(args.store)
    if not rows:
        sys.exit(f"{args.store}: no finished task")
    print("| method (stage) | window | injected | S/B in SR | tasks | truth test (S / B) | max SIC median "
          "[16-84 %] | AUC | untrained max SIC | untrained AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['stage']} | {r['window']} | {r['injected']:g} | {100 * r['s_over_b']:.2f} % | {r['tasks']}"
              f"{' (' + str(r['failed']) + ' failed)' if r['failed'] else ''} | "
              f"{r['signal_events']} / {r['background_events']} | {fmt(r['max_sic'])} | "
              f"{fmt(r['auc'], 3)} | {fmt(r.get('untrained_sic_max', (np.nan,) * 3))} | "
              f"{fmt(r.get('untrained_auc', (np.nan,) * 3), 3)} |")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, w in dict.fromkeys((r["stage"], r["window"]) for r in rows):
            mine = [r for r in rows if r["stage"] == name and r["window"] == w]
            x = np.array([100 * r["s_over_b"] for r in mine])
            median, low, high = (np.array(v) for v in zip(*(r["max_sic"] for r in mine)))
            ax.plot(x, median, marker="o", label=f"{name}, window {w}")
            ax.fill_between(x, low, high, alpha=0.2)
        ax.axhline(1.0, color="grey", linestyle=":", label="random (SIC = 1)")
        ax.set_xlabel("S/B in the signal region [%]")
        ax.set_ylabel("max SIC (median, 16-84 % band)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
