"""How learnable the bump-hunt networks' z target is from the counts (docs/bump_hunt_network.md,
"Why the reduced runs do not learn z"). On the held-out histograms of a generated file it
prints the per-bin z-MSE of three predictors of the `mixed` target:
  constant   the training histograms' mean z (the null the networks end at),
  true bkg   a sliding-window significance max_w (N_w - B_w)/sqrt(B_w) over windows of 1, 3, 5,
             7 bins with the generator's true background B (what a network that knew the
             background to Poisson precision could reach),
  fit bkg    the same with B from a cubic fit of log(counts) per histogram (a simple smooth
             background estimate from the counts alone),
and each one's bias and spread at the highest-target bin.

Usage: /usr/bin/python3 bench/bump_target_diagnosis.py HISTOGRAMS.h5 [--test 1000]
(e.g. the file of `cwola generate --card inputs/bump_histograms.card --set
generator.histograms=4000`)."""
import argparse

import h5py
import numpy as np
from scipy.ndimage import uniform_filter1d


def window_significance(counts, background):
    best = np.full(len(counts), -np.inf)
    for width in (1, 3, 5, 7):
        n = uniform_filter1d(counts.astype(float), width, mode="nearest") * width
        b = uniform_filter1d(background.astype(float), width, mode="nearest") * width
        best = np.maximum(best, (n - b) / np.sqrt(np.maximum(b, 1e-9)))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("histograms")
    parser.add_argument("--test", type=int, default=1000, help="the file's last N histograms")
    args = parser.parse_args()
    with h5py.File(args.histograms, "r") as f:
        counts, z = f["bins/counts"][()], f["bins/z_mixed"][()]
        background = f["bins/background"][()]
        n_bins, offset = f["histograms/n_bins"][()], f["histograms/offset"][()]
    first_test = len(n_bins) - args.test
    train_bins = offset[first_test]
    constant = z[:train_bins].mean()
    mse = {"constant": [], "true bkg": [], "fit bkg": []}
    peak = {name: [] for name in mse}
    for i in range(first_test, len(n_bins)):
        s = slice(offset[i], offset[i] + n_bins[i])
        n, target, b = counts[s], z[s], background[s]
        x = np.arange(len(n))
        good = n > 0
        fit = np.exp(np.polyval(np.polyfit(x[good], np.log(n[good]), 3), x))
        predictions = {"constant": np.full(len(n), constant),
                       "true bkg": window_significance(n, b),
                       "fit bkg": window_significance(n, fit)}
        top = np.argmax(target)
        for name, p in predictions.items():
            mse[name].append(np.mean((p - target) ** 2))
            peak[name].append(p[top] - target[top])
    print(f"{args.test} held-out histograms, counts up to {counts.max():.0f} per bin "
          f"(sqrt: {np.sqrt(counts.max()):.0f}); z_mixed: mean {z.mean():.2f}, std {z.std():.2f}")
    for name in mse:
        print(f"{name:>9}: z-MSE {np.mean(mse[name]):8.3f}   at the highest-target bin: "
              f"bias {np.mean(peak[name]):+7.2f}, spread {np.std(peak[name]):6.2f}")


if __name__ == "__main__":
    main()
