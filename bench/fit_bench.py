#!/usr/bin/python3
"""Fits per second and toys per second per core: `cwola fit` against the plain Python
reference (bench/scipy_fit_reference.py: numpy + scipy.optimize.minimize BFGS, the same
likelihood, bin integrals, parametrisation and analytic gradient) on the CMS dijet spectrum
(137 fb^-1, 42 bins, dijet 4-parameter function, Gaussian signal sigma = 5 % of the mass at
every bin centre but the outer two each side: 38 masses). A toy = Poisson-fluctuate the
fitted background, refit it, fit background + signal at each mass: 39 fits. One process,
one core each, run one after the other on the same machine. Rates are per CPU second
(process CPU time: robust on a shared, loaded machine): cwola's toy CPU time is the CPU
time of a run with N toys minus that of the same run with 0 toys.

  /usr/bin/python3 bench/fit_bench.py [--cwola build/cwola] [--toys 400] [--python-toys 20]

Prints both rates and their ratio; also checks that the two agree on the nominal fit.
"""
import argparse
import os
import resource
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scipy_fit_reference as ref  # noqa: E402

SPECTRUM = Path(os.environ.get("CWOLA_SHARED_DIR", Path(__file__).resolve().parents[1] / ".." /
                               "shared")) / "data" / "spectra" / "cms_dijet_mass_13TeV_137fb.csv"


def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cwola_once(binary, spectrum, toys, out):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    before = child_cpu()
    start = time.perf_counter()
    proc = subprocess.run([binary, "fit", "--csv", str(spectrum), "--counts", "scale",
                           "--scale", "137", "--params", "4", "--alternative", "none",
                           "--no-limits", "--toys", str(toys), "--no-plots", "--overwrite",
                           "--output", str(out)], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"cwola fit failed ({proc.returncode}):\n{proc.stderr}")
    return child_cpu() - before, time.perf_counter() - start, proc.stderr


def run_cwola(binary, spectrum, toys):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench_fit.h5"
        base_cpu, _, _ = run_cwola_once(binary, spectrum, 0, out)
        cpu, wall, log = run_cwola_once(binary, spectrum, toys, out)
        rates = re.findall(r"\(([0-9.e+]+) toys/s on 1 rank", log)
        import h5py
        with h5py.File(out, "r") as f:
            theta = f["/fit/theta"][()]
            deviance = float(f["/fit/deviance"][0])
            masses = len(f["/scan/mass"][()])
        return toys / (cpu - base_cpu), wall, theta, deviance, masses, float(rates[-1])


def run_python(spectrum, toys, seed=1):
    edges, counts = ref.read_csv(spectrum, 137.0)
    model = ref.Model(edges, 4)
    start = time.perf_counter()
    nominal = model.fit(counts)
    single = time.perf_counter() - start
    background = model.background(nominal.x)
    centre = 0.5 * (edges[1:] + edges[:-1])
    masses = centre[2:-2]
    rng = np.random.default_rng(seed)
    start = time.process_time()
    wall = time.perf_counter()
    for _ in range(toys):
        ref.toy(model, background, nominal.x, masses, 0.05, rng)
    elapsed = time.process_time() - start
    wall = time.perf_counter() - wall
    return toys / elapsed, single, nominal.x, 2 * nominal.fun, len(masses), toys / wall


def main():
    parser = argparse.ArgumentParser(description="cwola fit vs scipy: fits/s and toys/s per core")
    parser.add_argument("--cwola", default=str(Path(__file__).resolve().parents[1] / "build" / "cwola"))
    parser.add_argument("--spectrum", default=str(SPECTRUM.resolve()))
    parser.add_argument("--toys", type=int, default=400, help="cwola toys")
    parser.add_argument("--python-toys", type=int, default=20, help="scipy toys")
    args = parser.parse_args()

    c_rate, c_wall, c_theta, c_dev, c_masses, c_wall_rate = run_cwola(args.cwola, args.spectrum,
                                                                      args.toys)
    p_rate, p_single, p_theta, p_dev, p_masses, p_wall_rate = run_python(args.spectrum,
                                                                         args.python_toys)
    assert c_masses == p_masses, (c_masses, p_masses)
    fits_per_toy = 1 + c_masses
    print(f"spectrum: {args.spectrum}")
    print(f"nominal dijet4 fit: cwola deviance {c_dev:.4f}, scipy deviance {p_dev:.4f}; "
          f"theta cwola {np.array2string(c_theta, precision=5)} scipy "
          f"{np.array2string(p_theta, precision=5)}")
    print(f"{'':24s}{'cwola (C++, GSL)':>20s}{'scipy reference':>20s}{'ratio':>10s}")
    print(f"{'toys/wall-s (load!)':24s}{c_wall_rate:20.2f}{p_wall_rate:20.3f}"
          f"{c_wall_rate / p_wall_rate:10.1f}")
    print(f"{'toys/s per core':24s}{c_rate:20.2f}{p_rate:20.3f}{c_rate / p_rate:10.1f}")
    print(f"{'fits/s per core':24s}{c_rate * fits_per_toy:20.1f}{p_rate * fits_per_toy:20.2f}"
          f"{c_rate / p_rate:10.1f}")
    print(f"({args.toys} cwola toys, {args.python_toys} scipy toys, {fits_per_toy} fits per toy; "
          f"cwola wall time incl. start-up, F-test-free nominal fit and scan {c_wall:.1f} s)")


if __name__ == "__main__":
    main()
