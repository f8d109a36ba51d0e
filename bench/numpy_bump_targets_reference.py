"""The plain numpy/scipy version of the bump-hunt targets (docs/bump_hunt_network.md): what a
physicist would write. For each bin j and width W, the Gaussian template of sigma = W bins
centred on j (integrated over the bins, truncated at 8 sigma and at the histogram's ends,
normalised to sum 1) is fitted over the true background b by minimising the binned Poisson NLL
in mu with scipy.optimize.minimize_scalar (Brent, bounded below by -min(b/s)(1 - 1e-9));
q0 = 2(NLL(0) - NLL(mu_hat)), z = sign(mu_hat) sqrt(q0); the mixed target is the maximum over
the widths.

Used by bench/bump_targets_bench.py (timing) and tests/stats/test_bump_histograms.py (values).
Run alone: /usr/bin/python3 bench/numpy_bump_targets_reference.py FILE.h5 [--histograms N]
computes the targets of the first N histograms of a `cwola generate` histogram file and prints
the largest difference to the stored ones and the histograms/s."""
import argparse
import math
import sys
import time

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import erf

BOUND_EPSILON = 1e-9


def template(bins, centre, width):
    """Gaussian of sigma = width bins around the centre of bin `centre`, integrated per bin."""
    reach = int(math.ceil(8.0 * width))
    first = max(0, centre - reach)
    last = min(bins - 1, centre + reach)
    d = np.arange(first, last + 1) - centre
    scale = 1.0 / (width * math.sqrt(2.0))
    values = 0.5 * (erf((d + 0.5) * scale) - erf((d - 0.5) * scale))
    return first, values / values.sum()


def fit_z(counts, background, signal):
    """sign(mu_hat) sqrt(q0) of the one-parameter Poisson fit (scipy Brent)."""
    def nll(mu):
        expected = background + mu * signal
        return np.sum(expected - counts * np.log(expected))

    positive = signal > 0
    lower = -np.min(background[positive] / signal[positive]) * (1.0 - BOUND_EPSILON)
    guess = float(np.dot(signal, counts - background) / np.dot(signal, signal))
    upper = max(10.0 * abs(guess), 10.0 * math.sqrt(np.sum(background)), 10.0)
    result = minimize_scalar(nll, bounds=(lower, upper), method="bounded",
                             options={"xatol": 1e-10 * max(1.0, abs(guess)), "maxiter": 500})
    mu = result.x
    q0 = max(2.0 * (nll(0.0) - nll(mu)), 0.0)
    return math.copysign(math.sqrt(q0), mu)


def targets(counts, background, widths=(1, 2, 3, 4)):
    """z[width][bin] and the mixed-width maximum."""
    bins = len(counts)
    z = np.empty((len(widths), bins))
    for k, width in enumerate(widths):
        for j in range(bins):
            first, s = template(bins, j, width)
            z[k, j] = fit_z(counts[first:first + len(s)], background[first:first + len(s)], s)
    return z, z.max(axis=0)


def read_histograms(path, count):
    import h5py
    with h5py.File(path, "r") as f:
        n_bins = f["/histograms/n_bins"][:count]
        offset = f["/histograms/offset"][:count]
        end = int(offset[-1] + n_bins[-1])
        counts = f["/bins/counts"][:end]
        background = f["/bins/background"][:end]
        widths = [int(w) for w in f["/generator/target_widths"][()]]
        stored = {w: f[f"/bins/z_w{w}"][:end] for w in widths}
        stored["mixed"] = f["/bins/z_mixed"][:end]
    return n_bins, offset, counts, background, widths, stored


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file")
    parser.add_argument("--histograms", type=int, default=20)
    args = parser.parse_args()
    n_bins, offset, counts, background, widths, stored = read_histograms(args.file, args.histograms)
    start = time.perf_counter()
    worst = 0.0
    for n, o in zip(n_bins, offset):
        z, mixed = targets(counts[o:o + n], background[o:o + n], widths)
        for k, w in enumerate(widths):
            worst = max(worst, float(np.max(np.abs(z[k] - stored[w][o:o + n]))))
        worst = max(worst, float(np.max(np.abs(mixed - stored["mixed"][o:o + n]))))
    seconds = time.perf_counter() - start
    print(f"{len(n_bins)} histograms in {seconds:.3f} s ({len(n_bins) / seconds:.2f} histograms/s); "
          f"largest |z_scipy - z_cwola| = {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
