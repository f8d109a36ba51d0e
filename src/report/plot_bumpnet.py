"""Plots of a `cwola bumpnet` output file (docs/bump_hunt_network.md), with the histogram file it
was trained and evaluated on.

Usage (Debian's Python, which has matplotlib and h5py):

    /usr/bin/python3 src/report/plot_bumpnet.py OUT.h5 HISTOGRAMS.h5 [--out-dir DIR]

PNG files go to DIR (default: OUT's directory), named after OUT's stem, one set per network;
the paths written are printed on stdout. Exit status 2 when a file is missing or of the wrong
kind.

  <stem>_<net>_examples.png  four test histograms with the largest Z_PL: counts and true
                             background (top), predicted and target z per bin (bottom);
  <stem>_<net>_delta.png     Δ = Z_pred − Z_PL vs Z_PL per test histogram, with the 68 % and
                             95 % bands of each Z_PL interval (the stored summary);
  <stem>_<net>_heatmap.png   bias and spread of Δ by signal width × number of bins (test
                             histograms per cell written in it);
  <stem>_<net>_families.png  Z_pred vs Z_PL at the largest-target bin, one panel per
                             background family (for a `bump_spectra` file: per measured
                             spectrum), with bias, spread and the number of histograms.
The same per-family numbers are printed as a table.
"""

import argparse
import re
import sys
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def fail(message):
    print(f"plot_bumpnet: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output")
    parser.add_argument("histograms")
    parser.add_argument("--out-dir")
    a = parser.parse_args()
    for path in (a.output, a.histograms):
        if not Path(path).is_file():
            fail(f"'{path}' does not exist")
    out_dir = Path(a.out_dir or Path(a.output).parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(a.output).stem
    with h5py.File(a.output, "r") as out, h5py.File(a.histograms, "r") as data:
        if "test" not in out or "bins" not in data:
            fail("expected a `cwola bumpnet` output and its histogram file")
        first = int(out["/test/first"][0])
        n_bins = data["/histograms/n_bins"][first:]
        offset = data["/histograms/offset"][first:]
        width = data["/histograms/signal_width"][first:]
        counts = data["/bins/counts"][:]
        background = data["/bins/background"][:]
        z_target = data["/bins/z_mixed"][:]
        family = data["/histograms/family"][first:]
        family_names = [x.decode() if isinstance(x, bytes) else str(x)
                        for x in data["/histograms/family"].attrs["names"]]
        for net in [k for k in out.keys() if k not in ("test", "card")]:
            ev = out[f"/{net}/evaluation"]
            z_pl = ev["z_pl"][:]
            z_pred = ev["z_pred"][:]
            prediction = ev["prediction"][:]
            starts = np.concatenate([[0], np.cumsum(n_bins)[:-1]])

            fig, axes = plt.subplots(2, 4, figsize=(16, 6), sharex="col")
            for column, h in enumerate(np.argsort(-z_pl)[:4]):
                lo, n = offset[h], n_bins[h]
                x = np.arange(n)
                axes[0, column].step(x, counts[lo:lo + n], where="mid", label="counts")
                axes[0, column].plot(x, background[lo:lo + n], label="true background")
                axes[0, column].set_yscale("log")
                axes[0, column].set_title(f"test histogram {first + h}: W = {width[h]}")
                axes[1, column].plot(x, z_target[lo:lo + n], label="z_PL (target)")
                axes[1, column].plot(x, prediction[starts[h]:starts[h] + n], label=f"{net}")
                axes[1, column].set_xlabel("bin")
            axes[0, 0].legend()
            axes[1, 0].legend()
            axes[1, 0].set_ylabel("z")
            fig.tight_layout()
            path = out_dir / f"{stem}_{net}_examples.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            print(path)

            s = out[f"/{net}/summary"]
            axis = np.array([x.decode() for x in s["axis"][:]])
            group = [x.decode() for x in s["group"][:]]
            rows = np.where(axis == "z_pl")[0]
            centres = np.array([np.mean([float(v) for v in
                                         re.match(r"^(-?[\d.]+)-(-?[\d.]+)$", group[i]).groups()])
                                for i in rows])
            fig, ax = plt.subplots(figsize=(7, 5))
            ax.scatter(z_pl, z_pred - z_pl, s=4, alpha=0.4, label="test histograms")
            ax.fill_between(centres, s["q025"][rows], s["q975"][rows], alpha=0.2, step="mid",
                            label="95 %")
            ax.fill_between(centres, s["q16"][rows], s["q84"][rows], alpha=0.35, step="mid",
                            label="68 %")
            ax.axhline(0, color="k", lw=0.8)
            ax.set_xlabel("Z_PL (largest target)")
            ax.set_ylabel("Z_pred − Z_PL at that bin")
            ax.set_title(f"{net}: bias {s['bias'][0]:.2f}, spread {s['spread'][0]:.2f} "
                         f"({int(s['histograms'][0])} histograms; null spread "
                         f"{s['spread'][-1]:.2f})")
            ax.legend()
            fig.tight_layout()
            path = out_dir / f"{stem}_{net}_delta.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            print(path)

            delta = z_pred - z_pl
            bin_edges = [30, 50, 70, 100]
            widths = sorted(set(int(w) for w in width))
            bias = np.full((len(widths), 3), np.nan)
            spread = np.full_like(bias, np.nan)
            count = np.zeros_like(bias, dtype=int)
            for i, w in enumerate(widths):
                for j in range(3):
                    sel = (width == w) & (n_bins >= bin_edges[j]) & (n_bins < bin_edges[j + 1])
                    count[i, j] = sel.sum()
                    if sel.any():
                        bias[i, j] = delta[sel].mean()
                        spread[i, j] = delta[sel].std()
            fig, axes = plt.subplots(1, 2, figsize=(11, 4))
            for ax, values, title in ((axes[0], bias, "bias"), (axes[1], spread, "spread")):
                image = ax.imshow(values, cmap="coolwarm" if title == "bias" else "viridis",
                                  aspect="auto")
                fig.colorbar(image, ax=ax)
                ax.set_xticks(range(3), ["30-49", "50-69", "70-99"])
                ax.set_yticks(range(len(widths)),
                              ["none" if w == 0 else f"W={w}" for w in widths])
                ax.set_xlabel("bins")
                ax.set_title(f"{net}: {title} of Δ")
                for i in range(len(widths)):
                    for j in range(3):
                        ax.text(j, i, f"{values[i, j]:.2f}\n(n={count[i, j]})", ha="center",
                                va="center", fontsize=8)
            fig.tight_layout()
            path = out_dir / f"{stem}_{net}_heatmap.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            print(path)
            plot_families(net, family, family_names, z_pl, z_pred, out_dir / f"{stem}_{net}")


def plot_families(net, family, names, z_pl, z_pred, prefix):
    """Per family (per measured spectrum): Δ = Z_pred − Z_PL at the largest-target bin."""
    present = sorted(set(int(f) for f in family))
    print(f"{net}: Δ = Z_pred − Z_PL at the largest-target bin, per family")
    print(f"  {'family':40s} {'n':>5s} {'bias':>7s} {'spread':>7s} {'68 % of Δ':>16s}"
          f" {'Z_pred 68 % at Z_PL 4-6':>24s}")
    columns = min(len(present), 4)
    rows = (len(present) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3.6 * rows), squeeze=False)
    top = max(1.0, float(np.max(z_pl)), float(np.max(z_pred)))
    for k, f in enumerate(present):
        sel = family == f
        delta = z_pred[sel] - z_pl[sel]
        q16, q84 = np.percentile(delta, [16, 84])
        near5 = sel & (z_pl >= 4) & (z_pl <= 6)
        at5 = (f"[{np.percentile(z_pred[near5], 16):.2f}, {np.percentile(z_pred[near5], 84):.2f}]"
               f" (n={near5.sum()})" if near5.sum() >= 2 else f"(n={near5.sum()})")
        name = names[f] if f < len(names) else str(f)
        print(f"  {name:40s} {sel.sum():5d} {delta.mean():7.2f} {delta.std():7.2f} "
              f"[{q16:6.2f}, {q84:6.2f}] {at5:>24s}")
        ax = axes[k // columns, k % columns]
        ax.scatter(z_pl[sel], z_pred[sel], s=5, alpha=0.5)
        ax.plot([0, top], [0, top], color="k", lw=0.8)
        ax.set_title(f"{name[:32]}\nbias {delta.mean():.2f}, spread {delta.std():.2f} "
                     f"(n={sel.sum()})", fontsize=9)
        ax.set_xlabel("Z_PL (largest target)")
        ax.set_ylabel(f"Z_pred ({net})")
    for k in range(len(present), rows * columns):
        axes[k // columns, k % columns].axis("off")
    fig.tight_layout()
    path = f"{prefix}_families.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(path)


if __name__ == "__main__":
    main()
