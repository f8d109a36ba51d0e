"""Transfer learning's two performance questions (issue 16), measured in one run.

(b) Stacking the fine-tunes. A small transfer job in the style of jobs/hidden_valley_transfer.ini
    (docs/hidden_valley.md, "Transfer learning"): stage `pretrain` (1 supervised task on the
    Λ_D = 20 GeV benchmark), stage `scratch` (CWoLa from random weights, --scratch-repeats per
    point) and stage `finetune` (reads pretrain; cnn.fine_tune = head: frozen convolutions, fresh
    dense head; S/√B = 0, 2, 4 × --repeats). It runs on 1 rank with run.ensemble = 1 and with each
    K of --k-values. Only tasks of one point share a stack (their mixed-sample sizes are equal;
    a point's repeats are consecutive task ids, so a batch of K = repeats is one stack). Prints
    the fine-tune stage's wall time (Σ over its tasks of the store's results/wall_seconds: a
    stacked batch's wall is split over its tasks, so the sum is the stage's training time),
    fine-tunes per hour, the ratio K / K = 1, the stack sizes actually trained (--verbose log),
    and max |ΔAUC| and the epoch counts per task against K = 1. Stacking may change results by
    rounding only: the bench fails beyond --auc-tolerance (default 2e-3, the per-task stacking
    tolerance of docs/performance.md and docs/stages.md). training.min_delta (--min-delta) keeps
    near-tied validation losses from picking another best epoch (docs/performance.md).
(a) How pretraining uses the ranks. The same job at K = 1 on 2 ranks (run.stage_sync =
    dependency): the pretraining is one task, trained by one rank alone (CNN tasks are not
    data-parallel; only the bump-hunt network averages gradients over ranks). Prints the
    pretrain task's wall time and rank, and per rank its tasks, busy time (Σ wall_seconds), the
    time it waited for earlier stages (--verbose log) and the rest of the command's wall
    (start-up, reading the event files, the final barrier), the tasks the other rank trained
    while the pretraining ran (log time stamps, 1 s resolution), and checks that every per-task
    result equals the 1-rank K = 1 run (the scheduler never changes results).

    CWOLA_BIN=build/cwola /usr/bin/python3 bench/finetune_stack_bench.py [--k-values 4]
        [--repeats 4 --scratch-repeats 1 --max-epochs 8] [--background out/hv_qcd.h5
        --signal out/hv_signal.h5 --pretrain-signal out/hv_signal_ld20.h5]

Event files: the commands in the header of jobs/hidden_valley_transfer.ini (a 5000-event
Λ_D = 20 file is enough at the default --supervised-events). Not a timed test: figures depend on
the machine and on what else runs on it.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
STAGES = ("pretrain", "scratch", "finetune")  # declaration order = task-id order
POINTS = (0, 2, 4)                              # S/√B of the scratch and fine-tune scans


def job_text(args):
    """The transfer job: jobs/hidden_valley_transfer.ini at bench size, scratch declared before
    finetune so that on 2 ranks the other rank has independent work while the pretraining runs."""
    points = ", ".join(str(p) for p in POINTS)
    return f"""# written by bench/finetune_stack_bench.py
[job]
name = finetune_stack_bench
study = hidden_valley
seed = 20261216

[hidden_valley]
background_file = {os.path.abspath(args.background)}
signal_file = {os.path.abspath(args.signal)}
luminosity_fb = 20
test_events = {args.test_events}
image_pixels = 25

[cnn]
architecture = two_channel
filters = 8, 8, 16, 16
dense = 32, 32

[model]
output_bias = prior

[training]
max_epochs = {args.max_epochs}
batch_size = 128
patience = 10
min_delta = {args.min_delta}

[metrics]
untrained_baseline = false

[stage.pretrain]
repeats = 1
hidden_valley.signal_file = {os.path.abspath(args.pretrain_signal)}
hidden_valley.labels = supervised
hidden_valley.supervised_events = {args.supervised_events}

[stage.scratch]
repeats = {args.scratch_repeats}
scan.hidden_valley.significance = {points}

[stage.finetune]
reads = pretrain
tasks = per_task_of pretrain
repeats = {args.repeats}
scan.hidden_valley.significance = {points}
cnn.fine_tune = head

[run]
threads = 1
stage_sync = dependency
"""


def stage_ranges(args):
    """Global task ids of each stage: the stages' tasks in declaration order."""
    sizes = {"pretrain": 1, "scratch": len(POINTS) * args.scratch_repeats,
             "finetune": len(POINTS) * args.repeats}
    ranges, start = {}, 0
    for name in STAGES:
        ranges[name] = range(start, start + sizes[name])
        start += sizes[name]
    return ranges


def run(args, job, store, ranks, k):
    command = (["mpiexec", "-np", str(ranks), "--oversubscribe", "--bind-to", "none"]
               if ranks > 1 else [])
    command += [args.cwola, "run", "--job", job, "--output", store, "--overwrite", "--no-plots",
                "--verbose", "--threads", "1", "--set", f"run.ensemble={k}"]
    started = time.perf_counter()
    done = subprocess.run(command, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"finetune_stack_bench: cwola failed (exit {done.returncode}):\n"
                 f"{' '.join(command)}\n{done.stderr[-3000:]}")
    import h5py
    with h5py.File(store, "r") as f:
        r = {name: f["results/" + name][()] for name in
             ("status", "auc", "epochs", "best_epoch", "wall_seconds", "rank")}
    if not (r["status"] == 1).all():
        sys.exit(f"finetune_stack_bench: not every task finished in {store}")
    return {"ranks": ranks, "k": k, "wall": wall, "log": done.stderr,
            "command": " ".join(command), **r}


def stack_sizes(log):
    return [int(v) for v in re.findall(r"stacked training of (\d+) task", log)]


def stage_wall(result, tasks):
    return float(sum(result["wall_seconds"][t] for t in tasks))


def compare(reference, other, tasks):
    """max |ΔAUC| and the tasks whose epoch counts or best epochs differ."""
    delta = max(abs(float(other["auc"][t]) - float(reference["auc"][t])) for t in tasks)
    differ = [t for t in tasks if other["epochs"][t] != reference["epochs"][t]
              or other["best_epoch"][t] != reference["best_epoch"][t]]
    return delta, differ


def rank_timeline(result):
    """Per rank: the log's 'task N done' times and its 'waited for earlier stages' seconds."""
    done, waited = {}, {}
    for line in result["log"].splitlines():
        m = re.match(r"(\d\d:\d\d:\d\d) cwola debug: \[rank (\d+)/\d+\] task (\d+) done", line)
        if m:
            done[int(m.group(3))] = (int(m.group(2)),
                                     datetime.strptime(m.group(1), "%H:%M:%S"))
        m = re.search(r"\[rank (\d+)/\d+\] ran \d+ task\(s\) on this rank; store writes [0-9.]+ s;"
                      r" waited for earlier stages ([0-9.]+) s", line)
        if m:
            waited[int(m.group(1))] = float(m.group(2))
    return done, waited


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cwola", default=os.environ.get("CWOLA_BIN", "build/cwola"))
    parser.add_argument("--background", default="out/hv_qcd.h5")
    parser.add_argument("--signal", default="out/hv_signal.h5", help="the target (Λ_D = 10)")
    parser.add_argument("--pretrain-signal", default="out/hv_signal_ld20.h5")
    parser.add_argument("--k-values", default="4",
                        help="run.ensemble values against K = 1 (numbers or auto)")
    parser.add_argument("--repeats", type=int, default=4, help="fine-tunes per S/√B point")
    parser.add_argument("--scratch-repeats", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=8)
    parser.add_argument("--min-delta", type=float, default=1e-4)
    parser.add_argument("--supervised-events", type=int, default=1500, help="per class")
    parser.add_argument("--test-events", type=int, default=1000, help="per class")
    parser.add_argument("--auc-tolerance", type=float, default=2e-3)
    parser.add_argument("--no-two-ranks", action="store_true", help="skip (a)")
    parser.add_argument("--keep", help="directory for the job and stores (default: a temp dir)")
    args = parser.parse_args()
    for path in (args.cwola, args.background, args.signal, args.pretrain_signal):
        if not os.path.exists(path):
            sys.exit(f"finetune_stack_bench: {path} not found (see the usage at the top)")
    work = args.keep or tempfile.mkdtemp(prefix="finetune_stack_bench_")
    os.makedirs(work, exist_ok=True)
    job = os.path.join(work, "finetune_stack_bench.ini")
    with open(job, "w") as f:
        f.write(job_text(args))
    ranges = stage_ranges(args)
    finetune, all_tasks = ranges["finetune"], range(ranges["finetune"].stop)
    print(f"job {job}: 1 pretrain (supervised, {args.supervised_events} + "
          f"{args.supervised_events} events), {len(ranges['scratch'])} scratch, {len(finetune)} "
          f"fine-tunes (cnn.fine_tune = head; S/√B = {POINTS} x {args.repeats}), "
          f"≤ {args.max_epochs} epochs, min_delta {args.min_delta}, 1 thread per rank")

    # (b) the fine-tune stage at K = 1 and stacked, 1 rank.
    runs = [run(args, job, os.path.join(work, f"np1_k{k}.h5"), 1, k)
            for k in ["1"] + args.k_values.split(",")]
    base = runs[0]
    base_wall = stage_wall(base, finetune)
    print("\n(b) fine-tune stage, 1 rank")
    print("%-6s %10s %14s %8s %12s %14s %14s %14s" % (
        "K", "wall [s]", "fine-tunes/h", "ratio", "whole [s]", "stacks", "max|ΔAUC| ft",
        "max|ΔAUC| rest"))
    failed = []
    others = [t for t in all_tasks if t not in finetune]
    for r in runs:
        wall = stage_wall(r, finetune)
        delta, differ = compare(base, r, finetune)
        delta_rest, differ_rest = compare(base, r, others)
        print("%-6s %10.1f %14.0f %7.2fx %12.1f %14s %14.1e %14.1e" % (
            r["k"], wall, len(finetune) * 3600 / wall, base_wall / wall, r["wall"],
            ",".join(str(s) for s in stack_sizes(r["log"])) or "-", delta, delta_rest))
        chose = re.search(r"ensemble = auto: .*", r["log"])
        if r["k"] == "auto" and chose:
            print("       " + chose.group(0))
        if differ or differ_rest:
            print(f"       tasks with other epochs / best epochs than K = 1: {differ + differ_rest}")
        if delta > args.auc_tolerance:
            failed.append(f"K = {r['k']}: fine-tune max |ΔAUC| {delta:.2e} > {args.auc_tolerance}")
    print("wall = Σ results/wall_seconds of the fine-tune tasks; whole = the command's wall "
          "(start-up, event files, all three stages, store); ratio = K = 1 wall / this wall;\n"
          "stacks = sizes of the stacked trainings in task order (--verbose log; a stack of 1 is "
          "a batch whose tasks share no\nsample size); max|ΔAUC| against K = 1 over the "
          "fine-tunes (ft: checked, tolerance %.0e) and over the pretrain and scratch tasks\n"
          "(rest: reported; a fully trained CNN in a stack goes through grouped convolutions, "
          "whose rounding an unconverged\nnetwork can amplify, docs/performance.md)."
          % args.auc_tolerance)
    print("per-task fine-tune AUC at K = 1: " +
          " ".join("%.4f" % base["auc"][t] for t in finetune))

    # (a) the pretraining on 2 ranks, K = 1, dependency hand-out.
    if not args.no_two_ranks:
        two = run(args, job, os.path.join(work, "np2_k1.h5"), 2, 1)
        pretrain = ranges["pretrain"][0]
        owner = int(two["rank"][pretrain])
        done, waited = rank_timeline(two)
        pretrain_done = done[pretrain][1]
        pretrain_start = pretrain_done - timedelta(seconds=float(two["wall_seconds"][pretrain]))
        print("\n(a) pretraining on 2 ranks (K = 1, stage_sync = dependency): whole command "
              "%.1f s" % two["wall"])
        print("pretrain task %d: %.1f s on rank %d (one task on one rank: not data-parallel)" % (
            pretrain, two["wall_seconds"][pretrain], owner))
        for rank in sorted(set(int(v) for v in two["rank"])):
            mine = [t for t in all_tasks if int(two["rank"][t]) == rank]
            busy = float(sum(two["wall_seconds"][t] for t in mine))
            names = {s: sum(1 for t in mine if t in ranges[s]) for s in STAGES}
            # Tasks whose training overlapped the pretraining's: [done - wall, done].
            during = [t for t in mine if t != pretrain and done[t][1] > pretrain_start and
                      done[t][1] - timedelta(seconds=float(two["wall_seconds"][t]))
                      < pretrain_done]
            print("rank %d: %2d tasks (%s), busy %.1f s, waited for earlier stages %.1f s, "
                  "rest of the wall %.1f s; trained while the pretraining ran "
                  "(%s-%s): %s" % (
                      rank, len(mine), ", ".join(f"{n} {s}" for s, n in names.items() if n),
                      busy, waited.get(rank, float("nan")),
                      two["wall"] - busy - waited.get(rank, 0.0),
                      pretrain_start.strftime("%H:%M:%S"), pretrain_done.strftime("%H:%M:%S"),
                      " ".join(f"{t}({next(s for s in STAGES if t in ranges[s])})"
                               for t in during) or "none"))
        delta, differ = compare(base, two, all_tasks)
        print("2 ranks vs 1 rank at K = 1: max |ΔAUC| %.1e, tasks with other epochs: %s" % (
            delta, differ or "none"))
        if delta != 0.0 or differ:
            failed.append(f"2 ranks differ from 1 rank at K = 1 (max |ΔAUC| {delta:.2e})")
    print("\ncommands:\n  " + "\n  ".join(r["command"] for r in runs +
                                         ([] if args.no_two_ranks else [two])))
    if failed:
        sys.exit("finetune_stack_bench: FAILED: " + "; ".join(failed))


if __name__ == "__main__":
    main()
