"""The VAE-QR check (docs/vae_qr.md) from a hunt run's store alone (hunt.method = vae_qr).

Usage (Debian's Python, which has matplotlib and h5py):

    /usr/bin/python3 src/report/plot_vae_qr.py STORE.h5 [--out-dir DIR] [--bins 12]

Reads /artifacts/vae_qr_events (per held-out event: m_jj, log VAE loss, the QR threshold, the
untrained VAE's log loss, truth), /results (window, injected, signal region) and /status.
Background events only (truth 0), per injection, of one injection seed (--seed, default 0):
inner model 0 of each fold, so every event of the window's span counts once, scored out of fold. Prints, per m_jj bin of the span, the events and the
efficiency of three cuts that each keep 1 - q of the background overall:
  qr        : vae_log_score >= qr_threshold(m_jj) (the QR cut),
  global    : vae_log_score >= one threshold for all masses (no QR: what the QR corrects),
  untrained : the untrained VAE's log loss >= one threshold (the null of no training),
with binomial errors and the largest deviation from 1 - q in units of its error; and plots
  <stem>_vae_qr_efficiency.png  the three efficiencies vs m_jj;
  <stem>_vae_qr_shape.png       the m_jj shape (unit area) before and after the QR cut.
q is the job's [vae_qr] quantile unless --quantile is given; the global and untrained cuts
keep the QR cut's overall efficiency. Flatness is printed against 1 - q and against the QR
cut's own overall efficiency (the QR's level error is common to all bins). Exit status 2 when the store has no such artifact.
"""

import argparse
import sys
from pathlib import Path

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def load(path, seed):
    with h5py.File(path, "r") as f:
        if "artifacts/vae_qr_events" not in f:
            raise KeyError("no /artifacts/vae_qr_events: not a hunt run with hunt.method = vae_qr")
        group = f["artifacts/vae_qr_events"]
        columns = [text(c) for c in np.atleast_1d(group.attrs["columns"])]
        first = int(group.attrs["first_task"])
        # One [tasks, rows, columns] dataset, or one [tasks, rows] dataset per column (the
        # store's later layout): either reads as [tasks, rows, columns].
        values = (group["values"][()] if "values" in group else
                  np.stack([group[c][()] for c in columns], axis=-1))
        rows = group["rows"][()]
        written = group["written"][()]
        config = text(f["job/text"][()])
        repeat = f["tasks/repeat"][()]
        column = {name: f[f"results/{name}"][()] for name in ("window", "injected",
                                                               "signal_region_low",
                                                               "signal_region_high",
                                                               "span_low", "span_high")}
    # Task order: ((point x repeats + seed) x folds + fold) x inner_folds + inner (docs/hunt.md):
    # inner model 0 of every fold of one seed scores each event of the span exactly once.
    inner_folds = 1
    regions = {"quantile": 0.9}
    section = ""
    for line in config.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[training]" and line.split("=")[0].strip() == "inner_folds":
            inner_folds = int(line.split("=")[1])
        elif section == "[vae_qr]" and line.split("=")[0].strip() == "quantile":
            regions["quantile"] = float(line.split("=")[1])
    events = {}
    for k in range(values.shape[0]):
        task = first + k
        if not written[k] or task % inner_folds != 0 or repeat[task] != seed:
            continue
        key = (int(column["window"][task]), int(column["injected"][task]))
        block = values[k, : rows[k], :]
        events.setdefault(key, []).append(block)
    out = {key: dict(zip(columns, np.concatenate(blocks).T)) for key, blocks in events.items()}
    for task in range(len(column["window"])):
        if np.isnan(column["window"][task]):
            continue
        regions[int(column["window"][task])] = tuple(
            column[n][task] for n in ("signal_region_low", "signal_region_high", "span_low",
                                      "span_high"))
    return out, regions


def efficiencies(passed, masses, edges):
    index = np.clip(np.digitize(masses, edges) - 1, 0, len(edges) - 2)
    n = np.bincount(index, minlength=len(edges) - 1).astype(float)
    k = np.bincount(index, weights=passed.astype(float), minlength=len(edges) - 1)
    eff = np.divide(k, n, out=np.full_like(n, np.nan), where=n > 0)
    return n, eff


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--bins", type=int, default=12)
    parser.add_argument("--quantile", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0,
                        help="injection seed whose held-out events are shown (inner model 0 of "
                             "each fold: every event of the span once)")
    args = parser.parse_args(argv)
    try:
        data, regions = load(args.store, args.seed)
    except (OSError, KeyError) as e:
        print(f"plot_vae_qr.py: {args.store}: {e}", file=sys.stderr)
        return 2
    out_dir = Path(args.out_dir) if args.out_dir else Path(args.store).parent
    stem = Path(args.store).stem
    keys = sorted(data)
    fig_e, axes_e = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 4.2), squeeze=False)
    fig_s, axes_s = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 4.2), squeeze=False)
    for panel, key in enumerate(keys):
        window, injected = key
        d = data[key]
        background = d["truth"] == 0
        m = d["mjj"][background]
        score = d["vae_log_score"][background]
        threshold = d["qr_threshold"][background]
        untrained = d["untrained_log_score"][background]
        passed_qr = score >= threshold
        keep = 1 - (regions["quantile"] if args.quantile is None else args.quantile)
        overall = passed_qr.mean()
        sr_low, sr_high, span_low, span_high = regions[window]
        edges = np.linspace(span_low, span_high, args.bins + 1)
        cuts = {
            "qr": passed_qr,
            # The same overall efficiency as the QR cut, with one threshold for all masses.
            "global": score >= np.quantile(score, 1 - overall),
            "untrained": untrained >= np.quantile(untrained, 1 - overall),
        }
        print(f"window {window}, injected {injected}: {background.sum()} background events "
              f"(held-out, seed {args.seed}, each once), cut keeps 1 - q = {keep:.2f}; overall QR efficiency "
              f"{passed_qr.mean():.4f}")
        print(f"  {'m_jj bin [GeV]':>16} {'events':>7} " +
              " ".join(f"{name:>16}" for name in cuts))
        counts = None
        table = {}
        for name, passed in cuts.items():
            counts, eff = efficiencies(passed, m, edges)
            table[name] = eff
        for b in range(args.bins):
            cells = []
            for name in cuts:
                e = table[name][b]
                err = np.sqrt(keep * (1 - keep) / counts[b]) if counts[b] > 0 else np.nan
                cells.append(f"{e:7.4f} ± {err:6.4f}")
            print(f"  [{edges[b]:6.0f},{edges[b + 1]:6.0f}) {int(counts[b]):7d} " +
                  " ".join(f"{c:>16}" for c in cells))
        for name in cuts:
            populated = counts >= 20
            for level, what in ((keep, "1 - q"), (overall, "overall")):
                err = np.sqrt(level * (1 - level) / counts[populated])
                pull = (table[name][populated] - level) / err
                print(f"  {name:>9} vs {what} {level:.4f}: bins with >= 20 events: "
                      f"{populated.sum()}; largest |eff - level| = "
                      f"{np.max(np.abs(table[name][populated] - level)):.4f}; chi2/bins = "
                      f"{np.mean(pull ** 2):.2f}; largest |pull| = {np.max(np.abs(pull)):.2f}")
        centres = 0.5 * (edges[1:] + edges[:-1])
        ax = axes_e[0][panel]
        for name, style in (("qr", "o-"), ("global", "s--"), ("untrained", "^:")):
            err = np.sqrt(keep * (1 - keep) / np.maximum(counts, 1))
            ax.errorbar(centres, table[name], yerr=err, fmt=style, label=name, capsize=2)
        ax.axhline(keep, color="k", lw=0.8)
        ax.axvspan(sr_low, sr_high, color="grey", alpha=0.15, label="signal region")
        ax.set_xlabel("m_jj [GeV]")
        ax.set_ylabel("background efficiency")
        ax.set_title(f"window {window}, {injected} injected")
        ax.legend(fontsize=8)
        ax = axes_s[0][panel]
        ax.hist(m, bins=edges, density=True, histtype="step", label="before the cut")
        ax.hist(m[passed_qr], bins=edges, density=True, histtype="step",
                label=f"after the QR cut ({keep:.0%})")
        ax.hist(m[cuts["global"]], bins=edges, density=True, histtype="step", ls="--",
                label="after a global cut (no QR)")
        ax.axvspan(sr_low, sr_high, color="grey", alpha=0.15)
        ax.set_yscale("log")
        ax.set_xlabel("m_jj [GeV]")
        ax.set_ylabel("unit area")
        ax.set_title(f"window {window}, {injected} injected: background m_jj")
        ax.legend(fontsize=8)
    for fig, name in ((fig_e, "efficiency"), (fig_s, "shape")):
        path = out_dir / f"{stem}_vae_qr_{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
