"""cwola hunt benchmark: one window of the sliding-window CWoLa hunt, side by side with PyTorch.

Runs, in one go and on this machine, the same window of jobs/hunt_reduced.ini (window 1: signal
region [3331, 4071) GeV, span [2725, 4975)), one injection (300 W' events), nested 5 x 4 k-fold
(20 trainings per injection seed), 2 seeds = 40 trainings, network 4-32-32-1, Adam 1e-3, batch
256, <= 30 epochs, patience 5:
  (a) `cwola run` on 1 rank x 1 LibTorch thread at run.ensemble K = 1 and at each K of
      --k-values (a batch of K folds and inner folds trains as stacks of the tasks whose sample
      sizes are equal), then on 2 ranks at K = 1 and at the best K;
  (b) bench/pytorch_hunt_reference.py, the straightforward PyTorch-Python nested k-fold loop on
      the same window, with 1 thread and with PyTorch's default thread count;
and prints trainings/hour, training events/s (sum over trainings of epochs x training events,
per second of wall time), the ratios cwola/PyTorch (per core and machine) and K/K=1, and the
truth AUC of the injected signal against the background on the out-of-fold scores (in the
signal region and over the span) as a check that both solve the same problem. Wall times are
whole commands (start-up, reading the tables, training, scoring, store, summary) for both.
Figures go to --json (default out/hunt_bench.json), which bench/scaling_model.py --hunt reads.
--rounds N repeats every run N times and reports each configuration's median-wall run (on a
shared machine single runs swing by tens of percent). The --verbose log's stack sizes are
printed: only tasks of equal training, validation and test sizes share a stack.

Usage:  /usr/bin/python3 bench/hunt_bench.py [--cwola build/cwola] [--k-values 4,8]
            [--data out/lhco_qcd.h5 --signal out/lhco_wprime.h5] [--seeds 2] [--rounds 3]
        Data: mpiexec -np 2 build/cwola generate --card inputs/lhco_qcd.card
                  --output out/lhco_qcd.h5 --set generator.events=6000000
              build/cwola generate --card inputs/lhco_wprime.card --output out/lhco_wprime.h5
                  --set generator.events=6000
Not a timed test: figures depend on the machine and on what else runs on it.
"""
import argparse
import json
import os
import re
import sys
import tempfile

import bench
from bench import HERE, ROOT

JOB = os.path.join(ROOT, "jobs", "hunt_reduced.ini")

# The problem, shared by cwola (--set overrides of the job) and the reference (options).
PROBLEM = {"window": 1, "injected": 300, "folds": 5, "inner_folds": 4, "hidden": "32,32",
           "max_epochs": 30, "patience": 5, "batch_size": 256, "learning_rate": 1e-3,
           "edges": "2725,3331,4071,4975,6081,8000", "features": "mj1,delta_mj,tau21j1,tau21j2"}


def cwola_overrides(args):
    p = PROBLEM
    return [f"hunt.data_file={os.path.abspath(args.data)}",
            f"hunt.signal_file={os.path.abspath(args.signal)}",
            f"hunt.edges={p['edges']}", f"hunt.features={p['features']}",
            f"scan.hunt.window={p['window']}", f"scan.hunt.injected_signal={p['injected']}",
            f"job.repeats={args.seeds}", f"training.folds={p['folds']}",
            f"training.inner_folds={p['inner_folds']}", f"model.hidden={p['hidden']}",
            f"training.max_epochs={p['max_epochs']}", f"training.patience={p['patience']}",
            f"training.batch_size={p['batch_size']}",
            f"training.learning_rate={p['learning_rate']}"]


def reference_options(args):
    p = PROBLEM
    return ["--data", args.data, "--signal", args.signal, "--edges", p["edges"],
            "--features", p["features"], "--window", str(p["window"]),
            "--injected", str(p["injected"]), "--seeds", str(args.seeds),
            "--folds", str(p["folds"]), "--inner-folds", str(p["inner_folds"]),
            "--hidden", p["hidden"], "--max-epochs", str(p["max_epochs"]),
            "--patience", str(p["patience"]), "--batch-size", str(p["batch_size"]),
            "--learning-rate", str(p["learning_rate"])]


def split_sizes(n, parts):
    """Sizes of the parts of range(n) cut as cwola cuts it (event i of an order goes to part
    i * parts // n): data::assign_folds and data::fold_indices."""
    sizes = [0] * parts
    for i in range(n):
        sizes[i * parts // n] += 1
    return sizes


def training_events(mixed, folds, inner_folds, fold, inner):
    """Training events of k-fold model (fold, inner): all events but the held-out fold and the
    inner validation block (position * inner_folds // fold size == inner) of every other fold."""
    fold_sizes = split_sizes(mixed, folds)
    validation = sum(split_sizes(s, inner_folds)[inner]
                     for f, s in enumerate(fold_sizes) if f != fold)
    return mixed - fold_sizes[fold] - validation


def out_of_fold_aucs(store):
    """Per injection seed, from the scores artifact: the out-of-fold scores (each fold scored by the mean of
    its inner models) and their truth AUC in the signal region and over the span."""
    import h5py
    import numpy as np
    with h5py.File(store, "r") as f:
        scores_group = f["artifacts/scores"]
        score, label, mass = (scores_group[c][()] for c in ("score", "label", "mass"))
        count, fold = f["artifacts/scores/rows"][()], f["tasks/fold"][()]
        seed = f["results/injection_seed"][()]
        low, high = f["results/signal_region_low"][()], f["results/signal_region_high"][()]
        oof_auc_mean = float(f["summary/oof_auc_mean"][0])
    samples = []
    for s in sorted(set(seed.astype(int))):
        rows = np.flatnonzero(seed == s)
        parts = []
        for k in sorted(set(fold[rows])):
            members = [r for r in rows if fold[r] == k]
            n = int(count[members[0]])
            parts.append((np.mean([score[r, :n] for r in members], axis=0),
                          label[members[0], :n], mass[members[0], :n]))
        scores = np.concatenate([p[0] for p in parts])
        truth = np.concatenate([p[1] for p in parts])
        masses = np.concatenate([p[2] for p in parts])
        sr = (masses >= low[rows[0]]) & (masses < high[rows[0]])
        samples.append({"seed": int(s), "truth_auc_signal_region": bench.auc_score(scores[sr], truth[sr]),
                        "truth_auc_span": bench.auc_score(scores, truth),
                        "injected_in_signal_region": int(truth[sr].sum())})
    return samples, oof_auc_mean


def run_cwola(args, ranks, k, out_dir):
    import h5py
    store = os.path.join(out_dir, f"hunt_np{ranks}_k{k}.h5")
    command = bench.cwola_run_command(args, ranks, JOB, store, k, cwola_overrides(args))
    done, wall = bench.run_timed(command, "cwola")
    figures, raw = bench.store_figures(store, done.stderr)
    with h5py.File(store, "r") as f:
        status = f["results/status"][()]
        epochs = f["results/epochs"][()]
        mixed = (f["results/n_signal_region"][()] + f["results/n_low_sideband"][()] +
                 f["results/n_high_sideband"][()]).astype(int)
        fold, inner = f["tasks/fold"][()], f["tasks/inner_fold"][()]
        held_out = f["artifacts/scores/rows"][()]
    ok = status == 1
    train = [training_events(int(mixed[t]), PROBLEM["folds"], PROBLEM["inner_folds"],
                             int(fold[t]), int(inner[t])) for t in range(len(status)) if ok[t]]
    # Check the fold arithmetic against the store: the held-out fold's size.
    for t in range(len(status)):
        expected = split_sizes(int(mixed[t]), PROBLEM["folds"])[int(fold[t])]
        if ok[t] and expected != int(held_out[t]):
            sys.exit(f"hunt_bench: task {t} scored {held_out[t]} held-out events, the fold "
                     f"arithmetic says {expected}: data::assign_folds changed; update "
                     f"training_events()")
    samples, oof_auc_mean = out_of_fold_aucs(store)
    # What stacking achieved: the sizes of the stacks trained (--verbose log). Only tasks of
    # equal training, validation and test sizes share a stack (DenseClassifierStudy::run_stacked).
    stacks = [int(v) for v in re.findall(r"stacked training of (\d+) task", done.stderr)]
    epoch_events = sum(int(e) * n for e, n in zip(epochs[ok], train))
    return {"tool": "cwola", "ranks": ranks, "k": k, "wall": wall, "tasks": figures["tasks"],
            "epochs": figures["epochs"], "train_events": round(sum(train) / len(train)),
            "epoch_events": epoch_events, "epoch_list": figures["epoch_list"],
            "task_wall": figures["task_wall"],
            "store_write_seconds": figures["store_write_seconds"], "samples": samples,
            "oof_auc_mean": oof_auc_mean, "stack_sizes": stacks, "command": " ".join(command)}


def run_pytorch(args, threads):
    command = [args.python, os.path.join(HERE, "pytorch_hunt_reference.py"), "--device",
               args.device, "--threads", str(threads), *reference_options(args)]
    done, wall = bench.run_timed(command, "PyTorch hunt reference", bench.python_env(threads))
    report = json.loads(done.stdout)
    tasks = report["tasks"]
    return {"tool": "pytorch", "threads": report["threads"], "default_threads": threads == 0,
            "wall": wall, "tasks": len(tasks), "epochs": sum(t["epochs"] for t in tasks),
            "train_events": round(sum(t["train_events"] for t in tasks) / len(tasks)),
            "epoch_events": sum(t["epochs"] * t["train_events"] for t in tasks),
            "epoch_list": [t["epochs"] for t in tasks], "samples": report["samples"],
            "wall_in_process": report["wall_seconds_in_process"],
            "torch_version": report["torch_version"], "command": " ".join(command)}


def median_runs(all_runs):
    """One run per configuration: the one of median wall time, with every round's wall kept
    (walls). Order: first appearance."""
    keys, groups = [], {}
    for run in all_runs:
        key = (run["tool"], run.get("ranks"), run.get("k"), run.get("default_threads"))
        if key not in groups:
            keys.append(key)
            groups[key] = []
        groups[key].append(run)
    chosen = []
    for key in keys:
        group = sorted(groups[key], key=lambda r: r["wall"])
        run = dict(group[(len(group) - 1) // 2])
        run["walls"] = [r["wall"] for r in groups[key]]
        chosen.append(run)
    return chosen


def print_table(runs):
    """bench.print_table with the range of the rounds' walls."""
    print("\n%-36s %9s %13s %9s %12s %14s" % ("run", "wall [s]", "rounds [s]", "trainings",
                                              "trainings/h", "events/s"))
    for run in runs:
        walls = run.get("walls", [run["wall"]])
        print("%-36s %9.1f %13s %9d %12.0f %14.3g" % (
            bench.label(run), run["wall"], f"{min(walls):.1f}-{max(walls):.1f}", run["tasks"],
            run["trainings_per_hour"], run["events_per_second"]))


def mean_std(values):
    import numpy as np
    return float(np.mean(values)), float(np.std(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench.add_common_arguments(parser, quick_help="1 seed (20 trainings) instead of 2",
                               k_default="4,8",
                               k_help="ensemble sizes tried on 1 rank; the best one also runs "
                                      "on 2")
    parser.add_argument("--data", default=os.path.join(ROOT, "out", "lhco_qcd.h5"))
    parser.add_argument("--signal", default=os.path.join(ROOT, "out", "lhco_wprime.h5"))
    parser.add_argument("--seeds", type=int, help="injection seeds (default 2; 20 trainings "
                        "each)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every run this often "
                        "and report each configuration's median (a shared machine)")
    parser.set_defaults(json=os.path.join(ROOT, "out", "hunt_bench.json"))
    args = parser.parse_args()
    args.seeds = args.seeds or (1 if args.quick else 2)
    bench.check_tools(args)
    for path in (args.data, args.signal):
        if not os.path.exists(path):
            sys.exit(f"hunt_bench: no event table at {path} (make it with `cwola generate`, "
                     f"see the usage at the top of bench/hunt_bench.py, or pass --data/--signal)")
    info = bench.machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, kernel {info['kernel']}, "
          f"BLAS {info['blas']}; device {args.device}", flush=True)
    print(f"problem: window {PROBLEM['window']} of {PROBLEM['edges']} GeV, "
          f"{PROBLEM['injected']} injected, {PROBLEM['folds']} x {PROBLEM['inner_folds']} folds, "
          f"{args.seeds} seed(s) = {args.seeds * PROBLEM['folds'] * PROBLEM['inner_folds']} "
          f"trainings, 4-{PROBLEM['hidden'].replace(',', '-')}-1, <= {PROBLEM['max_epochs']} "
          f"epochs, patience {PROBLEM['patience']}", flush=True)

    # Round 1 runs the series (K = 1, each K on 1 rank; K = 1 and the best K on 2 ranks) and the
    # reference; later rounds (--rounds) repeat the same runs in the same order, and each
    # configuration is then represented by its run of median wall time: on a shared machine
    # single runs swing by tens of percent.
    all_runs = []
    with tempfile.TemporaryDirectory(prefix="cwola_hunt_bench_") as out_dir:
        for round_index in range(args.rounds):
            if args.rounds > 1:
                print(f"round {round_index + 1} of {args.rounds}", flush=True)
            runs = []
            if round_index == 0:
                best_k = bench.run_cwola_series(
                    runs, args.k_values, lambda ranks, k: run_cwola(args, ranks, k, out_dir),
                    args.max_ranks)[1]["k"]
                series = [(r["ranks"], r["k"]) for r in runs]
            else:
                for ranks, k in series:
                    bench.record(runs, run_cwola(args, ranks, k, out_dir))
            if not args.skip_python:
                bench.record(runs, run_pytorch(args, 1))
                if not args.single_reference:
                    bench.record(runs, run_pytorch(args, 0))
            for run in runs:
                run["round"] = round_index
            all_runs += runs
    runs = median_runs(all_runs)
    find = lambda tool, **key: next((r for r in runs if r["tool"] == tool and all(  # noqa: E731
        r.get(k) == v for k, v in key.items())), None)
    one_k1 = find("cwola", ranks=1, k=1)
    best = find("cwola", ranks=1, k=best_k)  # the best K of round 1, as the series chose it
    two_k1 = find("cwola", ranks=2, k=1)
    two_best = find("cwola", ranks=2, k=best_k)
    python_one = find("pytorch", default_threads=False)
    python_default = find("pytorch", default_threads=True)
    if args.rounds > 1:
        print(f"\nmedian of {args.rounds} rounds per configuration (\"rounds\": the walls' "
              f"min-max)")

    print_table(runs)
    bench.print_ratios(one_k1, best, two_k1, two_best, python_one, python_default,
                       [r for r in runs if r["tool"] == "cwola" and r["ranks"] == 1])

    print("\nout-of-fold truth AUC, injected signal vs background (sanity: the same problem; "
          "mean ± std over seeds):")
    print("  %-34s %18s %18s %9s %7s" % ("run", "signal region", "span", "epochs/tr",
                                         "inj. SR"))
    for run in runs:
        sr = mean_std([s["truth_auc_signal_region"] for s in run["samples"]])
        span = mean_std([s["truth_auc_span"] for s in run["samples"]])
        injected = sum(s["injected_in_signal_region"] for s in run["samples"]) / len(
            run["samples"])
        print("  %-34s %9.4f ± %.4f %9.4f ± %.4f %9.1f %7.0f" % (
            bench.label(run), *sr, *span, run["epochs"] / run["tasks"], injected))
    if one_k1 is not None:
        print(f"  (cwola's own summary column oof_auc_mean, 1 rank K=1: "
              f"{one_k1['oof_auc_mean']:.4f})")
    print("\nstacks actually trained (sizes of the stacked trainings in the --verbose log; "
          "only tasks of equal training/validation/test sizes share a stack):")
    for run in runs:
        if run["tool"] == "cwola" and run["k"] > 1:
            sizes = run["stack_sizes"]
            histogram = {s: sizes.count(s) for s in sorted(set(sizes))}
            mean = sum(sizes) / len(sizes) if sizes else float("nan")
            print(f"  {bench.label(run):34s} {len(sizes)} stacks, mean size {mean:.2f}, "
                  f"size: count {histogram}")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"machine": info, "device": args.device, "problem": PROBLEM,
                       "seeds": args.seeds, "rounds": args.rounds, "runs": runs,
                       "all_runs": all_runs}, f, indent=1)
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
