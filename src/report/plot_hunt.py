"""Plots of a `cwola hunt` output file (docs/hunt.md), made from the file alone.

Usage (Debian's Python, which has matplotlib and h5py):

    /usr/bin/python3 src/report/plot_hunt.py HUNT.h5 [--out-dir DIR]

PNG files go to DIR (default: the file's directory), named after the file's stem; the paths
written are printed on stdout, one per line. Exit status 2 when the file is missing or is not
a `cwola hunt` output.

  <stem>_spectra_w<W>_inj<N>.png  per window and injection (first seed): the selected m_jj
                                  spectrum at each sideband efficiency with its background fit,
                                  the signal region shaded, pulls (n - b)/sqrt(b) below;
  <stem>_z_vs_window.png          largest local significance in each window's signal region vs
                                  the window, mean and std over seeds, one line per injection,
                                  one panel per efficiency (no cut first);
  <stem>_efficiency.png           signal efficiency of each cut vs injected events, in the
                                  window where the injected signal stands out most;
  <stem>_null.png                 without injection: the largest local significance over the
                                  windows, per seed, for each cut (the false-positive rate of
                                  the whole procedure);
  <stem>_sculpting.png            without injection, per window, summed over seeds: the m_jj
                                  shape (unit area) before and after each cut (top), and the
                                  fraction of events each cut keeps, bin by bin, over its
                                  sideband efficiency (bottom: flat at 1 when the cut does not
                                  sculpt the spectrum), with binomial errors.

A run of several stages (a league job: one method per stage) gets each set per stage, the
stem followed by _<stage>.
"""

import argparse
import sys
from pathlib import Path

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402



def save(fig, path):
    """Lays out, writes and closes one figure; returns its path."""
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path

def load(path):
    with h5py.File(path, "r") as f:
        if "selection" not in f or "samples" not in f:
            raise KeyError("not a cwola hunt output (no /selection, /samples)")
        out = {name: f[name][()] for name in ("efficiency", "spectra/edges", "spectra/counts",
                                              "spectra/background", "scan/mass", "scan/z")}
        for group in ("samples", "selection"):
            for name, dataset in f[group].items():
                out[f"{group}/{name}"] = dataset[()]
        stages = f["meta/stages"][()] if "meta/stages" in f else [b"main"]
        out["stages"] = [s.decode() if isinstance(s, bytes) else str(s) for s in stages]
    return out


def by_stage(h):
    """(stem suffix, the samples of one stage): a league job's stages are its methods, each
    plotted on its own; a job with one stage gives the whole file with no suffix."""
    if len(h["stages"]) <= 1 or "samples/stage" not in h:
        return [("", h)]
    parts = []
    for k, name in enumerate(h["stages"]):
        rows = np.flatnonzero(h["samples/stage"] == k)
        if len(rows) == 0:
            continue
        part = {key: (value if key in ("efficiency", "stages") else value[rows])
                for key, value in h.items()}
        parts.append((f"_{name}", part))
    return parts


def label(eff):
    return "no cut" if eff >= 1 else f"ε_SB = {eff:g}"


def spectra(h, stem, out_dir):
    paths = []
    window, injected, seed = h["samples/window"], h["samples/injected"], h["samples/seed"]
    eff = h["efficiency"]
    for s in np.flatnonzero(seed == seed.min()):
        edges = h["spectra/edges"][s]
        centres = 0.5 * (edges[1:] + edges[:-1])
        fig, axes = plt.subplots(2, len(eff), figsize=(4 * len(eff), 5.5), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 1]}, squeeze=False)
        for e in range(len(eff)):
            counts = h["spectra/counts"][s, e]
            background = h["spectra/background"][s, e]
            top, bottom = axes[0, e], axes[1, e]
            top.errorbar(centres, counts, yerr=np.sqrt(counts), fmt="o", ms=3, color="black",
                         label="selected")
            if np.all(np.isfinite(background)):
                top.step(edges, np.append(background, background[-1]), where="post",
                         color="tab:blue", label="background fit")
                pulls = (counts - background) / np.sqrt(np.maximum(background, 1e-9))
                bottom.bar(centres, pulls, width=np.diff(edges), color="tab:gray")
            for ax in (top, bottom):
                ax.axvspan(h["samples/signal_region_low"][s], h["samples/signal_region_high"][s],
                           color="tab:orange", alpha=0.15)
            z = h["selection/z_max"][s, e]
            top.set_title(f"{label(eff[e])}: z = {z:.2f}", fontsize=10)
            top.set_yscale("log")
            bottom.set_xlabel("m_jj [GeV]")
            bottom.set_ylabel("pull")
        axes[0, 0].set_ylabel("events / bin")
        axes[0, 0].legend(fontsize=8)
        fig.suptitle(f"window {window[s]}, {injected[s]} injected signal events (seed {seed[s]})")
        path = save(fig, out_dir / f"{stem}_spectra_w{window[s]}_inj{injected[s]}.png")
        paths.append(path)
    return paths


def z_vs_window(h, stem, out_dir):
    eff = h["efficiency"]
    window, injected = h["samples/window"], h["samples/injected"]
    fig, axes = plt.subplots(1, len(eff), figsize=(4 * len(eff), 3.6), sharey=True, squeeze=False)
    windows = np.unique(window)
    for e in range(len(eff)):
        ax = axes[0, e]
        for n in np.unique(injected):
            mean, std = [], []
            for w in windows:
                z = h["selection/z_max"][(window == w) & (injected == n), e]
                z = z[np.isfinite(z)]
                mean.append(z.mean() if len(z) else np.nan)
                std.append(z.std() if len(z) > 1 else 0.0)
            ax.errorbar(windows, mean, yerr=std, marker="o", capsize=3, label=f"{n} injected")
        ax.axhline(3, color="gray", ls=":")
        ax.axhline(5, color="gray", ls="--")
        ax.set_title(label(eff[e]), fontsize=10)
        ax.set_xlabel("window")
    axes[0, 0].set_ylabel("largest local z in the signal region")
    axes[0, 0].legend(fontsize=8)
    return [save(fig, out_dir / f"{stem}_z_vs_window.png")]


def efficiency(h, stem, out_dir):
    eff = h["efficiency"]
    window, injected = h["samples/window"], h["samples/injected"]
    signal = injected > 0
    if not np.any(signal):
        return []
    # The window where the injected signal stands out most (mean z at the first cut).
    column = 1 if len(eff) > 1 else 0
    best = max(np.unique(window[signal]),
               key=lambda w: np.nanmean(h["selection/z_max"][signal & (window == w), column]))
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for e in range(1, len(eff)):
        xs, ys, es = [], [], []
        for n in np.unique(injected[signal]):
            v = h["selection/signal_efficiency"][(window == best) & (injected == n), e]
            v = v[np.isfinite(v)]
            if len(v):
                xs.append(n)
                ys.append(v.mean())
                es.append(v.std() if len(v) > 1 else 0.0)
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=label(eff[e]))
    ax.set_xlabel("injected signal events")
    ax.set_ylabel("signal efficiency of the cut")
    ax.set_title(f"window {best}", fontsize=10)
    ax.legend(fontsize=8)
    return [save(fig, out_dir / f"{stem}_efficiency.png")]


def null(h, stem, out_dir):
    eff = h["efficiency"]
    injected, seed = h["samples/injected"], h["samples/seed"]
    if not np.any(injected == 0):
        return []
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for e in range(len(eff)):
        maxima = []
        for s in np.unique(seed[injected == 0]):
            z = h["selection/z_max"][(injected == 0) & (seed == s), e]
            z = z[np.isfinite(z)]
            if len(z):
                maxima.append(z.max())
        ax.hist(maxima, bins=np.linspace(-3, 6, 37), histtype="step", label=label(eff[e]))
    ax.set_xlabel("largest local z over windows (no injection)")
    ax.set_ylabel("seeds")
    ax.legend(fontsize=8)
    return [save(fig, out_dir / f"{stem}_null.png")]


def sculpting(h, stem, out_dir):
    eff = h["efficiency"]
    window, injected = h["samples/window"], h["samples/injected"]
    null = injected == 0
    if not np.any(null) or len(eff) < 2:
        return []
    windows = np.unique(window[null])
    fig, axes = plt.subplots(2, len(windows), figsize=(4 * len(windows), 6.4), squeeze=False,
                             sharex="col")
    for column, w in enumerate(windows):
        top, bottom = axes[0, column], axes[1, column]
        rows = np.flatnonzero(null & (window == w))
        edges = h["spectra/edges"][rows[0]]
        centres = 0.5 * (edges[1:] + edges[:-1])
        widths = np.diff(edges)
        total = h["spectra/counts"][rows, 0].sum(axis=0)
        top.stairs(total / total.sum() / widths, edges, color="black", label="no cut")
        for e in range(1, len(eff)):
            kept = h["spectra/counts"][rows, e].sum(axis=0)
            if kept.sum() > 0:
                top.stairs(kept / kept.sum() / widths, edges, label=label(eff[e]))
            with np.errstate(divide="ignore", invalid="ignore"):
                fraction = kept / total
                error = np.sqrt(fraction * (1 - fraction) / total)
            bottom.errorbar(centres, fraction / eff[e], yerr=error / eff[e], marker="o", ms=3,
                            capsize=2, label=label(eff[e]))
        for ax in (top, bottom):
            ax.axvspan(h["samples/signal_region_low"][rows[0]],
                       h["samples/signal_region_high"][rows[0]], color="tab:orange", alpha=0.15)
        top.set_yscale("log")
        top.set_title(f"window {w}, no injection", fontsize=10)
        bottom.axhline(1, color="gray", ls=":")
        bottom.set_xlabel("m_jj [GeV]")
    axes[0, 0].set_ylabel("m_jj shape (unit area) per GeV")
    axes[1, 0].set_ylabel("kept fraction / sideband efficiency")
    axes[0, 0].legend(fontsize=8)
    return [save(fig, out_dir / f"{stem}_sculpting.png")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hunt")
    parser.add_argument("--out-dir")
    args = parser.parse_args()
    path = Path(args.hunt)
    try:
        h = load(path)
    except (OSError, KeyError) as error:
        print(f"plot_hunt.py: cannot read '{path}': {error}", file=sys.stderr)
        return 2
    out_dir = Path(args.out_dir) if args.out_dir else path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    for suffix, part in by_stage(h):
        stem = path.stem + suffix
        for written in (spectra(part, stem, out_dir) + z_vs_window(part, stem, out_dir) +
                        efficiency(part, stem, out_dir) + null(part, stem, out_dir) +
                        sculpting(part, stem, out_dir)):
            print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
