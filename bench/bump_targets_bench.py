"""Bump-hunt training histograms: generation + profile-likelihood targets, histograms/s per
core, cwola (1 rank, `cwola generate` with process = bump_histograms) against the plain
numpy/scipy version of the same targets (numpy_bump_targets_reference.py: Brent's method per
bin and width), measured side by side in one run on the same histograms.

cwola's figure is its own timing of generation + targets (the log line "... generated with
targets in X s"), without process start-up and file writing (printed apart). The scipy figure
times the targets alone, on the first histograms of cwola's file (generation excluded, which
only favours it), and checks that both give the same z.

Run: /usr/bin/python3 bench/bump_targets_bench.py [--histograms 20000 --python-histograms 20]
(CWOLA_BIN selects the executable; default build/cwola). Figures in out/bump_targets_bench.json."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpy as np  # noqa: E402

import numpy_bump_targets_reference as reference  # noqa: E402

ROOT = os.path.dirname(HERE)
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", HDF5_USE_FILE_LOCKING="FALSE")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--histograms", type=int, default=20000, help="histograms cwola makes")
    parser.add_argument("--python-histograms", type=int, default=20,
                        help="histograms the scipy reference fits (it is much slower)")
    parser.add_argument("--cwola", default=os.environ.get("CWOLA_BIN", os.path.join(ROOT, "build", "cwola")))
    parser.add_argument("--json", default=os.path.join(ROOT, "out", "bump_targets_bench.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        output = os.path.join(tmp, "bump.h5")
        start = time.perf_counter()
        done = subprocess.run([args.cwola, "generate", "--card",
                               os.path.join(ROOT, "inputs", "bump_histograms.card"),
                               "--output", output, "--set", f"generator.histograms={args.histograms}"],
                              env=ENV, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"cwola generate failed ({done.returncode}):\n{done.stderr}")
        log = done.stdout + done.stderr
        match = re.search(r"generated with targets in ([0-9.]+) s.*file written in ([0-9.]+) s", log)
        if not match:
            sys.exit(f"no timing line in cwola's log:\n{log}")
        cwola_seconds, write_seconds = float(match.group(1)), float(match.group(2))
        cwola_rate = args.histograms / cwola_seconds

        n_bins, offset, counts, background, widths, stored = reference.read_histograms(
            output, args.python_histograms)
        start = time.perf_counter()
        worst = 0.0
        for n, o in zip(n_bins, offset):
            z, _ = reference.targets(counts[o:o + n], background[o:o + n], widths)
            for k, w in enumerate(widths):
                worst = max(worst, float(np.max(np.abs(z[k] - stored[w][o:o + n]))))
        python_seconds = time.perf_counter() - start
        python_rate = len(n_bins) / python_seconds
        mean_bins = float(np.mean(n_bins))

    figures = {
        "histograms_cwola": args.histograms,
        "cwola_seconds": cwola_seconds,
        "cwola_histograms_per_s": cwola_rate,
        "cwola_write_seconds": write_seconds,
        "cwola_wall_seconds": wall,
        "histograms_python": len(n_bins),
        "python_mean_bins": mean_bins,
        "python_seconds": python_seconds,
        "python_histograms_per_s": python_rate,
        "ratio": cwola_rate / python_rate,
        "max_abs_z_difference": worst,
        "target_widths": widths,
    }
    print(f"cwola (1 rank, generation + targets for W = {widths} and mixed): "
          f"{args.histograms} histograms in {cwola_seconds:.2f} s = {cwola_rate:.0f} histograms/s "
          f"(file written in {write_seconds:.2f} s; whole command {wall:.2f} s)")
    print(f"numpy/scipy (targets only, Brent per bin and width): {len(n_bins)} histograms "
          f"({mean_bins:.0f} bins on average) in {python_seconds:.2f} s = {python_rate:.2f} histograms/s")
    print(f"ratio cwola / numpy-scipy: {cwola_rate / python_rate:.0f}x per core; "
          f"largest |z difference| on the common histograms: {worst:.1e}")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(figures, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
