"""Plots of a `cwola fit` output file, made from the file alone.

Usage (Debian's Python, which has matplotlib and h5py):

    /usr/bin/python3 src/report/plot_fit.py FIT.h5 [--out-dir DIR]

PNG files go to DIR (default: the file's directory), named after the file's stem; the paths
written are printed on stdout, one per line. Exit status 2 when the file is missing or is not
a `cwola fit` output.

  <stem>_spectrum.png  events per GeV (log) with the chosen background fit (and the
                       alternative family dashed), pulls (n - b)/sqrt(b) below, as in the
                       CMS figures;
  <stem>_local_p.png   local p-value of the signal+background fit vs mass, one line per width,
                       with the 1-5 sigma levels (and the global p-value when toys ran);
  <stem>_limits.png    95 % CL upper limit on the signal yield vs mass: observed, expected
                       median with the +-1 sigma (green) and +-2 sigma (yellow) bands, toy CLs
                       when computed.
"""

import argparse
import sys
from pathlib import Path

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def normal_sf(z):
    """One-sided p-value of z (no scipy needed)."""
    import math
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def read(file, name):
    return file[name][()] if name in file else None


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def plot_spectrum(file, stem, out_dir):
    edges = read(file, "/spectrum/edges")
    counts = read(file, "/spectrum/counts")
    background = read(file, "/fit/background")
    width = np.diff(edges)
    centre = 0.5 * (edges[1:] + edges[:-1])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1], "hspace": 0.05})
    # Poisson (Garwood-like) error bars: sqrt(n), and 1.84 upper for n = 0.
    error = np.where(counts > 0, np.sqrt(np.maximum(counts, 0)), 1.84)
    top.errorbar(centre, counts / width, yerr=error / width, xerr=width / 2, fmt="o", ms=3,
                 color="black", label="data")
    family = text(read(file, "/fit/family")[0])
    chi2 = float(read(file, "/fit/deviance")[0])
    ndf = int(read(file, "/fit/ndf")[0])
    top.stairs(background / width, edges, color="tab:red",
               label=f"{family} fit (deviance {chi2:.1f} / {ndf} ndf)")
    if "/alternative/background" in file:
        alternative = read(file, "/alternative/background")
        alt_family = text(read(file, "/alternative/family")[0])
        top.stairs(alternative / width, edges, color="tab:blue", linestyle="--",
                   label=f"{alt_family} fit (alternative)")
    top.set_yscale("log")
    top.set_ylabel("events / GeV")
    top.legend()
    pulls = (counts - background) / np.sqrt(np.maximum(background, 1e-12))
    bottom.bar(centre, pulls, width=width, color="tab:red", alpha=0.6)
    bottom.axhline(0.0, color="black", lw=0.8)
    bottom.set_ylabel("(n - b)/sqrt(b)")
    bottom.set_xlabel("mass [GeV]")
    lim = max(3.0, float(np.nanmax(np.abs(pulls))) * 1.1)
    bottom.set_ylim(-lim, lim)
    path = out_dir / f"{stem}_spectrum.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_local_p(file, stem, out_dir):
    mass = read(file, "/scan/mass")
    p_local = read(file, "/scan/p_local")
    sigma = read(file, "/scan/sigma")
    if mass is None or np.all(np.isnan(p_local)):
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    fractions = np.round(sigma / mass, 4)
    for fraction in np.unique(fractions):
        sel = fractions == fraction
        ax.plot(mass[sel], p_local[sel], marker=".", label=f"sigma/m = {fraction:g}")
    for z in range(1, 6):
        p = normal_sf(z)
        ax.axhline(p, color="grey", lw=0.6, ls=":")
        ax.text(mass.min(), p, f" {z} sigma", va="bottom", fontsize=8, color="grey")
    if "/global/name" in file:
        names = [text(n) for n in read(file, "/global/name")]
        values = dict(zip(names, read(file, "/global/value")))
        if values.get("toys", 0) > 0:
            ax.set_title(f"global p = {values['p_global']:.3g} +- {values['p_global_error']:.2g} "
                         f"({int(values['toys'])} toys), z_global = {values['z_global']:.2f}")
    ax.set_yscale("log")
    ax.set_ylim(top=1.0)
    ax.set_xlabel("signal mass [GeV]")
    ax.set_ylabel("local p-value")
    ax.legend()
    path = out_dir / f"{stem}_local_p.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_limits(file, stem, out_dir):
    observed = read(file, "/limits/observed")
    if observed is None or np.all(np.isnan(observed)):
        return None
    mass = read(file, "/scan/mass")
    sigma = read(file, "/scan/sigma")
    expected = read(file, "/limits/expected")
    toy = read(file, "/limits/toy_observed")
    fractions = np.round(sigma / mass, 4)
    first = fractions == fractions[0]  # one width per plot: the first
    m = mass[first]
    e = expected[first]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.fill_between(m, e[:, 0], e[:, 4], color="#ffcc00", label="expected +-2 sigma")
    ax.fill_between(m, e[:, 1], e[:, 3], color="#00cc00", label="expected +-1 sigma")
    ax.plot(m, e[:, 2], "k--", label="expected median")
    ax.plot(m, observed[first], "k-", marker=".", label="observed (asymptotic CLs)")
    if toy is not None and not np.all(np.isnan(toy[first])):
        ax.plot(m, toy[first], "b:", marker="x", label="observed (toy CLs)")
    ax.set_yscale("log")
    ax.set_xlabel("signal mass [GeV]")
    ax.set_ylabel("95% CL upper limit on signal events")
    ax.set_title(f"sigma/m = {fractions[0]:g}")
    ax.legend()
    path = out_dir / f"{stem}_limits.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description="plots of a cwola fit output")
    parser.add_argument("fit_file")
    parser.add_argument("--out-dir", default=None)
    args = parser.parse_args()
    path = Path(args.fit_file)
    out_dir = Path(args.out_dir) if args.out_dir else path.parent
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        print(f"plot_fit: cannot read {path}: {error}", file=sys.stderr)
        return 2
    with file:
        if "/fit/background" not in file or "/spectrum/edges" not in file:
            print(f"plot_fit: {path} is not a cwola fit output (no /fit, /spectrum)",
                  file=sys.stderr)
            return 2
        if int(read(file, "/meta/complete")[0]) != 1:
            print(f"plot_fit: warning: {path} is not complete (toys pending)", file=sys.stderr)
        out_dir.mkdir(parents=True, exist_ok=True)
        for plot in (plot_spectrum, plot_local_p, plot_limits):
            written = plot(file, path.stem, out_dir)
            if written is not None:
                print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
