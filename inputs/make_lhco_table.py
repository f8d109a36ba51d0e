"""A small LHC-Olympics-style labelled table for the `user_samples` study (windows mode).

A dijet resonance X (3.5 TeV) -> Y (300 GeV) Z (120 GeV), both two-pronged and broad, on a smoothly
falling QCD dijet background, in the LHCO R&D features: the dijet mass mjj (TeV), the heavier
jet mass mj1 (TeV), the mass difference delta_mj = mj1 - mj2 (TeV), and the N-subjettiness
ratios tau21_1, tau21_2. The background's features do not depend on mjj (so sidebands are a
fair background template: the CWoLa-hunting assumption), the signal sits in the signal region
3.3 < mjj < 3.7 TeV. Toy shapes, not a simulation: only their overlaps matter here.

Writes (numpy seed fixed, so the files are identical on every machine):
  inputs/lhco_style_data.h5  80,000 background + 1,200 signal events, columns mjj, mj1,
                             delta_mj, tau21_1, tau21_2 and the truth `label` (not used for
                             training: CWoLa trains signal region against sidebands)
  inputs/lhco_style_test.h5  20,000 background and 5,000 signal events inside the signal
                             region, labelled (label = 1 signal), to evaluate classifiers on.
In the signal region the data hold about 16,000 background and 1,140 signal events
(S/B ~ 7 %, S/sqrt(B) ~ 9).

Run:  /usr/bin/python3 inputs/make_lhco_table.py      (needs numpy and h5py)
"""
import argparse
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SIGNAL_REGION = (3.3, 3.7)
SIGNAL_EVENTS = 1_200


def background(rng, n, mjj=None):
    mj1 = rng.lognormal(np.log(0.12), 0.55, n)
    mj2 = mj1 * rng.beta(2.0, 2.5, n)
    return {
        "mjj": 2.8 + rng.exponential(0.5, n) if mjj is None else mjj,
        "mj1": mj1,
        "delta_mj": mj1 - mj2,
        "tau21_1": rng.beta(6.0, 3.0, n),
        "tau21_2": rng.beta(6.0, 3.0, n),
        "label": np.zeros(n),
    }


def signal(rng, n, mjj=None):
    mj1 = rng.normal(0.3, 0.06, n)
    mj2 = rng.normal(0.12, 0.04, n)
    return {
        "mjj": rng.normal(3.5, 0.08, n) if mjj is None else mjj,
        "mj1": mj1,
        "delta_mj": mj1 - mj2,
        "tau21_1": rng.beta(4.0, 4.0, n),
        "tau21_2": rng.beta(4.0, 4.0, n),
        "label": np.ones(n),
    }


def in_region(rng, make, n):
    """n events of `make` with mjj inside the signal region (rejection sampling)."""
    parts, have = [], 0
    while have < n:
        batch = make(rng, 4 * n)
        keep = (batch["mjj"] > SIGNAL_REGION[0]) & (batch["mjj"] < SIGNAL_REGION[1])
        parts.append({k: v[keep] for k, v in batch.items()})
        have += int(keep.sum())
    return {k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}


def write(path, tables, rng):
    merged = {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}
    order = rng.permutation(len(merged["label"]))
    with h5py.File(path, "w") as f:
        for key, values in merged.items():
            f.create_dataset(key, data=values[order].astype(np.float32), compression="gzip",
                             shuffle=True)
    print(f"wrote {path}: {len(order)} events, {int(merged['label'].sum())} signal")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signal", type=int, default=SIGNAL_EVENTS,
                        help="signal events in the data file")
    parser.add_argument("--output-dir", default=HERE)
    args = parser.parse_args()
    rng = np.random.default_rng(20261201)
    write(os.path.join(args.output_dir, "lhco_style_data.h5"),
          [background(rng, 80_000), signal(rng, args.signal)], rng)
    write(os.path.join(args.output_dir, "lhco_style_test.h5"),
          [in_region(rng, background, 20_000), in_region(rng, signal, 5_000)], rng)


if __name__ == "__main__":
    main()
