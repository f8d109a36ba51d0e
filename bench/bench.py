"""cwola benchmark harness: the same study, the same number of trainings, side by side.

Runs, in one go and on this machine:
  (a) cwola on jobs/quickstart.ini (or a smaller version with --quick) at ensemble K = 1 and
      at the best K of --k-values, each on 1 and on 2 MPI ranks (1 LibTorch thread per rank);
  (b) bench/pytorch_reference.py, the straightforward PyTorch-Python implementation of the same
      study (one model at a time, hand-written batch loop), with 1 thread and with PyTorch's
      default thread count;
and prints trainings/hour, training events/s (epochs x training events per second of wall
time), and the ratios cwola/PyTorch and 2-rank/1-rank. Also writes the figures as JSON
(--json) for bench/scaling_model.py.

Usage:  /usr/bin/python3 bench/bench.py [--quick] [--cwola build/cwola] [--k-values 2,4,8]
                                        [--device cuda --python /path/to/python-with-cuda-torch]
        (bash bench/run_bench.sh builds cwola first and runs this)
Not a timed test: figures depend on the machine and on what else runs on it.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", HDF5_USE_FILE_LOCKING="FALSE")


def auc_score(scores, truth):
    """Area under the ROC curve via the rank-sum (Mann-Whitney) formula; NaN with one class.
    Shared by the harnesses and the PyTorch references."""
    import numpy as np

    truth = np.asarray(truth).astype(bool)
    n_pos = int(truth.sum())
    n_neg = len(truth) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def need_module(name, package):
    try:
        __import__(name)
    except ImportError:
        sys.exit(f"bench: Python module '{name}' is missing for {sys.executable} (the benchmark "
                 f"reads the store / runs the PyTorch reference with it); install it with "
                 f"'apt-get install -y --no-install-recommends {package}' and run with "
                 f"/usr/bin/python3")


def check_tools(args):
    """Exits with what to install when h5py/numpy, Debian's PyTorch or cwola is missing."""
    need_module("h5py", "python3-h5py")
    need_module("numpy", "python3-numpy")
    if not args.skip_python:
        probe = subprocess.run([args.python, "-c", "import numpy, torch"], capture_output=True)
        if probe.returncode != 0:
            sys.exit(f"bench: the reference needs torch and numpy, which '{args.python}' cannot "
                     f"import (on Debian: 'apt-get install -y --no-install-recommends "
                     f"python3-torch'; on a GPU machine: --python PATH of the Python with the "
                     f"CUDA PyTorch), or pass --skip-python")
        if args.device == "cuda":
            probe = subprocess.run([args.python, "-c",
                                    "import torch, sys; sys.exit(not torch.cuda.is_available())"],
                                   capture_output=True)
            if probe.returncode != 0:
                sys.exit(f"bench: --device cuda but torch of '{args.python}' sees no GPU; "
                         f"give --python PATH of a CUDA PyTorch")
    if not os.access(args.cwola, os.X_OK):
        sys.exit(f"bench: no cwola executable at {args.cwola} (build it first, e.g. "
                 f"'bash bench/run_bench.sh', or pass --cwola PATH)")


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"],
                          capture_output=True, text=True).stdout
    value = re.search(r"^Value: (.*)$", blas, re.M)
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "blas": value.group(1) if value else "unknown"}


# Scan points of jobs/quickstart.ini (gaussian.f1) and the reference's default --f1: a run has
# repeats x POINTS trainings.
POINTS = 6


def study_settings(quick, repeats=None, reference_repeats=None):
    """--set overrides of jobs/quickstart.ini, and the same study for the PyTorch reference.
    repeats overrides the job's (10, --quick 4); reference_repeats the reference's (default: the
    same), which only changes how many trainings its rate is measured over."""
    cwola, python = [], []
    if quick:
        cwola += ["gaussian.events_per_mixture=10000", "gaussian.test_events=10000"]
        python += ["--events-per-mixture", "10000", "--test-events", "10000"]
        repeats = repeats or 4
    repeats = repeats or 10
    cwola.append(f"job.repeats={repeats}")
    python += ["--repeats", str(reference_repeats or repeats)]
    return cwola, python


def repeats_for_k(args, base, k, points):
    """The repeats of a cwola run at ensemble size k: base, or with --tasks-at-least-k enough
    that the run has >= k trainings (a stacked batch of k models needs k tasks)."""
    if getattr(args, "tasks_at_least_k", False):
        return max(base, -(-k // points))
    return base


def cwola_run_command(args, ranks, job, store, k, overrides):
    """`cwola run` of `job` on `ranks` ranks (1 LibTorch thread each) at ensemble size k."""
    command = ([args.mpiexec, "-np", str(ranks), "--oversubscribe", "--bind-to", "core"]
               if ranks > 1 or args.mpi_for_one else [])
    command += [args.cwola, "run", "--job", job, "--output", store, "--overwrite", "--no-plots",
                "--verbose", "--threads", "1", "--device", args.device, "--set",
                f"run.ensemble={k}"]
    for item in overrides:
        command += ["--set", item]
    return command


def run_timed(command, what, env=None):
    """Runs command; exits with its stderr if it fails. Returns (completed process, wall s)."""
    started = time.perf_counter()
    done = subprocess.run(command, env=ENV if env is None else env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bench: {what} failed (exit {done.returncode}):\n{' '.join(command)}\n"
                 f"{done.stderr[-3000:]}")
    return done, wall


def store_figures(store, stderr):
    """The figures of a finished cwola store that every study has, over done tasks: count,
    epochs, per-task wall and store-write time (from the --verbose log in stderr), and the raw
    columns (status, point, auc, job text) for study-specific figures."""
    import h5py
    with h5py.File(store, "r") as f:
        status = f["results/status"][()]
        epochs = f["results/epochs"][()]
        task_wall = f["results/wall_seconds"][()]
        raw = {"status": status, "point": f["tasks/point"][()], "auc": f["results/auc"][()],
               "text": f["job/text"][()].decode()}
    writes = [float(w) for w in re.findall(r"store writes ([0-9.]+) s", stderr)]
    done = status == 1
    return {"tasks": int(done.sum()), "epochs": int(epochs[done].sum()),
            "epoch_list": [int(e) for e in epochs[done]],
            "task_wall": [float(w) for w in task_wall[done]],
            "store_write_seconds": sum(writes)}, raw


def run_cwola(args, ranks, k, out_dir, overrides):
    store = os.path.join(out_dir, f"cwola_np{ranks}_k{k}.h5")
    command = cwola_run_command(args, ranks, os.path.join(ROOT, "jobs", "quickstart.ini"), store,
                                k, overrides)
    done, wall = run_timed(command, "cwola")
    import numpy as np
    figures, raw = store_figures(store, done.stderr)
    status, point, auc, text = raw["status"], raw["point"], raw["auc"], raw["text"]
    events = int(re.search(r"^events_per_mixture = (\d+)", text, re.M).group(1))
    fraction = float(re.search(r"^validation_fraction = ([0-9.]+)", text, re.M).group(1))
    n_train = 2 * events - int(fraction * 2 * events)
    return {"tool": "cwola", "ranks": ranks, "k": k, "wall": wall, "tasks": figures["tasks"],
            "epochs": figures["epochs"], "train_events": n_train,
            "epoch_list": figures["epoch_list"], "task_wall": figures["task_wall"],
            "store_write_seconds": figures["store_write_seconds"],
            "auc_by_point": {int(p): float(np.mean(auc[(point == p) & (status == 1)]))
                             for p in sorted(set(point))}}


def python_env(threads):
    """The environment of a PyTorch reference run; threads 0 leaves PyTorch its default."""
    env = dict(ENV)
    if threads == 0:
        env.pop("OMP_NUM_THREADS", None)
    return env


def run_pytorch(args, threads, overrides):
    command = [args.python, os.path.join(HERE, "pytorch_reference.py"), "--device",
               args.device, "--threads", str(threads), *overrides]
    env = python_env(threads)
    done, wall = run_timed(command, "PyTorch reference", env)
    report = json.loads(done.stdout)
    import numpy as np
    tasks = report["tasks"]
    f1s = sorted({t["f1"] for t in tasks})
    return {"tool": "pytorch", "threads": report["threads"], "default_threads": threads == 0,
            "wall": wall, "tasks": len(tasks),
            "epochs": sum(t["epochs"] for t in tasks), "train_events": tasks[0]["train_events"],
            "epoch_list": [t["epochs"] for t in tasks], "torch_version": report["torch_version"],
            "auc_by_point": {i: float(np.mean([t["auc"] for t in tasks if t["f1"] == f]))
                             for i, f in enumerate(f1s)}}


def rates(run):
    run["trainings_per_hour"] = 3600.0 * run["tasks"] / run["wall"]
    # Σ epochs x training events; "epoch_events" where tasks differ in their training events.
    run["events_per_second"] = run.get("epoch_events",
                                       run["epochs"] * run["train_events"]) / run["wall"]
    return run


def label(run):
    if run["tool"] == "cwola":
        return f"cwola  {run['ranks']} rank(s)  K={run['k']}"
    default = " (default)" if run.get("default_threads") else ""
    return f"PyTorch-Python  {run['threads']} thread(s){default}"


def record(runs, run):
    """Adds the rates to a finished run, appends it to runs and prints its progress line."""
    runs.append(rates(run))
    print(f"  {label(run):34s} {run['wall']:7.1f} s  {run['tasks']:4d} trainings  "
          f"{run['epochs']:5d} epochs", flush=True)
    return run


def print_table(runs):
    print("\n%-36s %9s %9s %12s %14s" % ("run", "wall [s]", "trainings", "trainings/h",
                                        "events/s"))
    for run in runs:
        print("%-36s %9.1f %9d %12.0f %14.3g" % (label(run), run["wall"], run["tasks"],
                                                run["trainings_per_hour"],
                                                run["events_per_second"]))


def print_ratio(a, b, what):
    """One line of a / b in trainings/h and events/s; nothing when a run is missing."""
    if a is None or b is None:
        return
    print(f"  {what:58s} {a['trainings_per_hour'] / b['trainings_per_hour']:5.2f}x "
          f"trainings/h, {a['events_per_second'] / b['events_per_second']:5.2f}x events/s")


def run_cwola_series(runs, k_values, run_one, max_ranks=2):
    """cwola at K = 1 and at each K > 1 of k_values ("2,4,8") on 1 rank, then K = 1 and the best
    K (by events/s) on 2 ranks unless max_ranks is 1 (one GPU); run_one(ranks, k) returns a run.
    Returns (1 rank K=1, 1 rank best K, 2 ranks K=1, 2 ranks best K), all recorded in runs; the
    2-rank ones are None with max_ranks 1."""
    one_k1 = record(runs, run_one(1, 1))
    tried = [one_k1]
    for k in [int(v) for v in str(k_values).split(",") if v.strip()]:
        if k > 1:
            tried.append(record(runs, run_one(1, k)))
    best = max(tried, key=lambda r: r["events_per_second"])
    if max_ranks < 2:
        return one_k1, best, None, None
    two_k1 = record(runs, run_one(2, 1))
    two_best = two_k1 if best["k"] == 1 else record(runs, run_one(2, best["k"]))
    return one_k1, best, two_k1, two_best


def print_ratios(one_k1, best, two_k1, two_best, python_one, python_default, runs_at_k=None):
    """The ratio lines: 2 ranks / 1 rank, best K / K=1, cwola / PyTorch per core and machine."""
    print("\nratios (same run, same machine):")
    stacked = best is not one_k1  # else the best-K lines would repeat the K=1 ones
    print_ratio(two_k1, one_k1, "cwola 2 ranks / 1 rank, K=1")
    if stacked:
        print_ratio(two_best, best, f"cwola 2 ranks / 1 rank, K={best['k']}")
        print_ratio(best, one_k1, f"cwola K={best['k']} / K=1, 1 rank")
    print_ratio(one_k1, python_one, "cwola 1 rank K=1 / PyTorch 1 thread (per core / device)")
    if stacked:
        print_ratio(best, python_one, f"cwola 1 rank K={best['k']} / PyTorch 1 thread (per core)")
    for run in runs_at_k if runs_at_k else []:
        if run is not one_k1 and run is not best:
            print_ratio(run, python_one, f"cwola 1 rank K={run['k']} / PyTorch 1 thread")
    print_ratio(two_best, python_default,
                f"cwola 2 ranks K={best['k']} / PyTorch default threads (machine)")
    print_ratio(two_best, python_one, f"cwola 2 ranks K={best['k']} / PyTorch 1 thread")


def add_common_arguments(parser, quick_help, k_default, k_help):
    """The options every study's benchmark takes (cwola, MPI, K values, device, output)."""
    parser.add_argument("--cwola", default=os.environ.get("CWOLA_BIN",
                                                          os.path.join(ROOT, "build", "cwola")))
    parser.add_argument("--mpiexec", default="mpiexec")
    parser.add_argument("--mpi-for-one", action="store_true",
                        help="start the 1-rank runs under mpiexec too")
    parser.add_argument("--k-values", default=k_default, help=k_help)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--skip-python", action="store_true")
    parser.add_argument("--python", default=os.environ.get("CWOLA_BENCH_PYTHON", "/usr/bin/python3"),
                        help="the Python (with torch and numpy) that runs the PyTorch reference "
                             "(default: $CWOLA_BENCH_PYTHON or /usr/bin/python3); this harness "
                             "itself needs numpy and h5py")
    parser.add_argument("--json", default="", help="write all figures here")
    parser.add_argument("--max-ranks", type=int, default=2, choices=[1, 2],
                        help="1: only 1-rank cwola runs (one GPU: device = cuda refuses two "
                             "ranks on one GPU)")
    parser.add_argument("--single-reference", action="store_true",
                        help="run the reference once, with 1 thread, not also with PyTorch's "
                             "default thread count (on a GPU the threads barely matter)")
    parser.add_argument("--tasks-at-least-k", action="store_true",
                        help="raise a cwola run's repeats so that it has >= K trainings "
                             "(needed for K = 64, 256); rates stay per training")
    parser.add_argument("--reference-repeats", type=int,
                        help="repeats of the reference (default: cwola's base repeats)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, quick_help="4 repeats, 10k events per mixture",
                         k_default="2,4,8",
                         k_help="ensemble sizes tried on 1 rank; the best one also runs on 2")
    parser.add_argument("--repeats", type=int, help="repeats per scan point (default 10, "
                        "--quick 4); 6 scan points")
    args = parser.parse_args()
    check_tools(args)
    cwola_overrides, python_overrides = study_settings(args.quick, args.repeats,
                                                       args.reference_repeats)
    base_repeats = int(cwola_overrides[-1].split("=")[1])

    def overrides_for(k):
        repeats = repeats_for_k(args, base_repeats, k, POINTS)
        return cwola_overrides[:-1] + [f"job.repeats={repeats}"]
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, kernel {info['kernel']}, "
          f"BLAS {info['blas']}; device {args.device}", flush=True)

    runs = []
    with tempfile.TemporaryDirectory(prefix="cwola_bench_") as out_dir:
        one_k1, best, two_k1, two_best = run_cwola_series(
            runs, args.k_values, lambda ranks, k: run_cwola(args, ranks, k, out_dir,
                                                            overrides_for(k)),
            args.max_ranks)
        python_one = python_default = None
        if not args.skip_python:
            python_one = record(runs, run_pytorch(args, 1, python_overrides))
            if not args.single_reference:
                python_default = record(runs, run_pytorch(args, 0, python_overrides))

    print_table(runs)
    print_ratios(one_k1, best, two_k1, two_best, python_one, python_default,
                 [r for r in runs if r["tool"] == "cwola" and r["ranks"] == 1])

    print("\nmean AUC per scan point (sanity: the same problem):")
    for run in [one_k1, best, python_one]:
        if run is not None and not (run is best and best is one_k1):
            print(f"  {label(run):34s} " + "  ".join(f"{v:.4f}" for v in
                                                    run["auc_by_point"].values()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "device": args.device, "quick": args.quick,
                       "runs": runs}, f, indent=1)
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
