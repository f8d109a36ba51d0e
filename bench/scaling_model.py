"""Scaling model for cwola on many devices, fed with the benchmark's measurements.

Projects the parallel efficiency E(P) = (work done) / (P x wall time) of a study with 10
repeats per scan point on P = 8, 64, 512 devices (one rank per GPU), for dynamic
self-scheduling (cwola's MPI fetch-and-add queue) and, for comparison, static block and cyclic
assignments. Wall time on P ranks is modelled as

    T(P) = S0 + s_log * log2(P)                 start-up: processes, LibTorch, collective store
         + makespan of the task schedule         task times drawn from the measured ones
         + (tasks per rank) * (w + q)            store write w and two queue atomics q per task
         + E0                                    end: barrier, summary at rank 0

Measured (from bench.json, the 1-rank K=1 cwola run): the per-task wall times (their spread comes
from early stopping), the store write time per task w, and S0 + E0 (wall minus tasks minus
writes). Assumed (stated in the output): s_log = 0.5 s per doubling for MPI wire-up and the
collective HDF5 create at scale, q = 20 us per remote atomic, and a device speed that scales all
task times by one factor (the shape of the distribution is kept). Without a GPU measurement the
GPU per-task time is a scenario, printed with each table.

Usage: /usr/bin/python3 bench/scaling_model.py out/bench.json [--task-seconds 0.5,5]
       /usr/bin/python3 bench/scaling_model.py --stages [--task-seconds 5]
       /usr/bin/python3 bench/scaling_model.py --hunt out/hunt_bench.json [--hunt-size 12,6,10,5,4]

--hunt projects a full-size hunt (docs/hunt.md: windows x injections x seeds x folds x inner
folds trainings) on 64 and 512 devices from bench/hunt_bench.py's figures: the measured CPU
per-training time at K = 1 and at the best K, and GPU scenarios from the one H100 measurement
(cost per training minibatch at K = 1, 8, 60, times the hunt's minibatches per training); for
the reduced trainings as measured and for full-size ones (--full-size-factor). A stacked batch
of K trainings lasts as long as its longest member.

--stages models a two-stage job (docs/stages.md): U upstream trainings (pretrain, each
`--upstream-factor` times a task's length), then per upstream task M downstream tasks that read
it (fine-tunes), handed out in id order by the dynamic queue. "barrier": no downstream task
starts before every upstream task is done; "dependency": a downstream task starts when the one
task it reads is done. A rank that takes a task whose input is not ready waits for it (as cwola
does). Task times are drawn from a log-normal with the measured relative spread (0.5 if no
bench.json is given).
"""
import argparse
import heapq
import json
import math
import random

ASSUMED_LOG_STARTUP = 0.5  # s per doubling of ranks
ASSUMED_QUEUE_SECONDS = 20e-6  # one remote MPI fetch-and-add, per atomic


def makespan(durations, ranks, scheduler):
    """Finish time of the last rank for tasks in queue order (point-major, as in cwola)."""
    if scheduler == "dynamic":
        free = [0.0] * ranks  # a heap of the times ranks become free
        for d in durations:
            t = heapq.heappop(free)
            heapq.heappush(free, t + d)
        return max(free)
    loads = [0.0] * ranks
    n = len(durations)
    for i, d in enumerate(durations):
        r = (i * ranks) // n if scheduler == "block" else i % ranks
        loads[r] += d
    return max(loads)


def efficiency(relative, mean_task, n_tasks, ranks, scheduler, fixed, write, rng):
    # Task times drawn independently from the measured ones (queue order does not matter).
    durations = [mean_task * relative[rng.randrange(len(relative))] for _ in range(n_tasks)]
    work = sum(durations)
    span = makespan(durations, ranks, scheduler)
    per_rank = math.ceil(n_tasks / ranks)
    wall = fixed + ASSUMED_LOG_STARTUP * math.log2(ranks) + span + per_rank * (
        write + 2 * ASSUMED_QUEUE_SECONDS)
    return work / (ranks * wall), wall


def staged_makespan(up, down, per_up, ranks, sync):
    """Finish time of a two-stage job on `ranks` ranks: upstream durations `up`, then
    `per_up` downstream tasks per upstream task (durations `down`, upstream-major order)."""
    free = [(0.0, r) for r in range(ranks)]
    heapq.heapify(free)
    up_end = []
    for d in up:
        t, r = heapq.heappop(free)
        up_end.append(t + d)
        heapq.heappush(free, (t + d, r))
    all_up = max(up_end)
    end = all_up
    for i, d in enumerate(down):
        t, r = heapq.heappop(free)
        ready = all_up if sync == "barrier" else up_end[i // per_up]
        finish = max(t, ready) + d
        end = max(end, finish)
        heapq.heappush(free, (finish, r))
    return end


def stages_main(args):
    spread = 0.5
    if args.bench_json:
        with open(args.bench_json) as f:
            bench = json.load(f)
        base = next(r for r in bench["runs"] if r["tool"] == "cwola" and r["ranks"] == 1 and
                    r["k"] == 1)
        mean = sum(base["task_wall"]) / len(base["task_wall"])
        spread = math.sqrt(sum((t / mean - 1) ** 2 for t in base["task_wall"]) /
                           len(base["task_wall"]))
    sigma = math.sqrt(math.log(1 + spread ** 2))
    rng = random.Random(7)
    draw = lambda scale: scale * rng.lognormvariate(-sigma ** 2 / 2, sigma)  # noqa: E731
    task = float(args.task_seconds.split(",")[0]) if args.task_seconds else 5.0
    print("two-stage scaling model (bench/scaling_model.py --stages): U upstream tasks of "
          f"{args.upstream_factor:g} x {task:g} s mean, M = {args.per_upstream} downstream tasks "
          f"of {task:g} s mean per upstream task; relative spread {spread:.2f} (log-normal)")
    print("  %-8s %-6s %10s %10s %10s %8s" % ("U", "P", "barrier", "dependency", "ideal",
                                             "gain"))
    for upstream in (int(u) for u in args.upstreams.split(",")):
        for ranks in (8, 64, 512):
            walls = {"barrier": 0.0, "dependency": 0.0}
            ideal = 0.0
            trials = 20
            for _ in range(trials):
                up = [draw(args.upstream_factor * task) for _ in range(upstream)]
                down = [draw(task) for _ in range(upstream * args.per_upstream)]
                for sync in walls:
                    walls[sync] += staged_makespan(up, down, args.per_upstream, ranks, sync) / trials
                # lower bound: total work over ranks, or the longest chain
                chain = max(up[i] + max(down[i * args.per_upstream:(i + 1) * args.per_upstream])
                            for i in range(upstream))
                ideal += max((sum(up) + sum(down)) / ranks, chain) / trials
            print("  %-8d %-6d %9.1fs %9.1fs %9.1fs %7.1f%%" % (
                upstream, ranks, walls["barrier"], walls["dependency"], ideal,
                100 * (walls["barrier"] / walls["dependency"] - 1)))


# --hunt: the one GPU measurement there is (README, "GPU": one H100, jobs/quickstart.ini, 60
# trainings of 32,000 training events, whole-command walls by ensemble size K). With ~10 epochs
# of 125 minibatches per training (the CPU runs' mean epochs; assumed the same on the GPU) they
# give a cost per training-minibatch that a launch-bound GPU pays whatever the events per batch.
H100_QUICKSTART_WALL = {1: 137.3, 8: 32.1, 60: 8.0}  # s for 60 trainings
H100_QUICKSTART_STEPS = 60 * 10 * 125  # training minibatches of the 60 trainings (assumed)


def batch_durations(relative, per_training, k, n_trainings, rng):
    """Durations of the stacked batches of k trainings: a batch lasts as long as its longest
    member (early stopping), scaled so that its mean is k x the measured per-training time at k
    (whose measurement already holds that effect)."""
    draws = [max(relative[rng.randrange(len(relative))] for _ in range(k))
             for _ in range(2000)]
    mean_max = sum(draws) / len(draws)
    n_batches = math.ceil(n_trainings / k)
    return [k * per_training * max(relative[rng.randrange(len(relative))] for _ in range(k)) /
            mean_max for _ in range(n_batches)]


def hunt_wall(durations, ranks, fixed, write, n_trainings):
    """Wall time of the dynamic queue over `durations` (one per handed-out batch) on `ranks`."""
    span = makespan(durations, ranks, "dynamic")
    per_rank = math.ceil(n_trainings / ranks)
    batches_per_rank = math.ceil(len(durations) / ranks)
    return (fixed + ASSUMED_LOG_STARTUP * math.log2(ranks) + span + per_rank * write +
            batches_per_rank * 2 * ASSUMED_QUEUE_SECONDS)


def hunt_main(args):
    """Projects a full-size hunt (windows x injections x seeds x folds x inner folds trainings)
    on P devices from bench/hunt_bench.py's figures (docs/hunt.md)."""
    with open(args.bench_json) as f:
        bench = json.load(f)
    cwola = [r for r in bench["runs"] if r["tool"] == "cwola" and r["ranks"] == 1]
    base = next(r for r in cwola if r["k"] == 1)
    best = max(cwola, key=lambda r: r["tasks"] / r["wall"])
    mean = sum(base["task_wall"]) / len(base["task_wall"])
    relative = [t / mean for t in base["task_wall"]]
    spread = math.sqrt(sum((x - 1) ** 2 for x in relative) / len(relative))
    write = base["store_write_seconds"] / max(1, base["tasks"])
    fixed = max(0.0, base["wall"] - sum(base["task_wall"]) - base["store_write_seconds"])
    windows, injections, seeds, folds, inner = (int(v) for v in args.hunt_size.split(","))
    n = windows * injections * seeds * folds * inner
    batch = bench["problem"]["batch_size"]
    steps = (sum(base["epoch_list"]) / len(base["epoch_list"])) * math.ceil(
        base["train_events"] / batch)
    print(f"hunt scaling model (bench/scaling_model.py --hunt {args.bench_json}):")
    print(f"  full-size hunt: {windows} windows x {injections} injections x {seeds} seeds x "
          f"{folds} x {inner} folds = {n} trainings")
    print(f"  measured (1 rank, 1 core, K=1): {mean:.3f} s per training (relative spread "
          f"{spread:.2f}, max/mean {max(relative):.2f}), {steps:.0f} minibatches per training "
          f"({base['train_events']} training events, {base['epochs'] / base['tasks']:.1f} "
          f"epochs), store write {1e3 * write:.2f} ms, start-up + end {fixed:.2f} s")
    # Scenarios: (name, K, seconds per training at that K on one device).
    scenarios = [("CPU core, measured", 1, mean)]
    if best is not base:
        scenarios.append(("CPU core, measured", best["k"],
                          max(1e-9, best["wall"] - fixed) / best["tasks"]))
    gpu_fixed = fixed + args.gpu_startup
    for k, wall in sorted(H100_QUICKSTART_WALL.items()):
        per_step = wall / H100_QUICKSTART_STEPS
        scenarios.append(("GPU, assumed", k, per_step * steps))
    per_step = ", ".join(f"K={k} {1e3 * w / H100_QUICKSTART_STEPS:.2f} ms"
                         for k, w in sorted(H100_QUICKSTART_WALL.items()))
    print(f"  GPU assumption: an H100-class GPU is launch-bound on these networks; per "
          f"training-minibatch {per_step}"
          f" (README's quickstart walls / {H100_QUICKSTART_STEPS} minibatches), start-up "
          f"+{args.gpu_startup:g} s (CUDA context)")
    print(f"  assumed: +{ASSUMED_LOG_STARTUP} s start-up per doubling of ranks, "
          f"{1e6 * ASSUMED_QUEUE_SECONDS:.0f} us per queue atomic (2 per batch); dynamic "
          f"scheduling; a batch lasts as long as its longest member")
    stacked = [size for r in cwola if r["k"] > 1 for size in r.get("stack_sizes", [])]
    if stacked:
        print(f"  GPU rows with K > 1 assume that K trainings train as one stack; measured "
              f"stacks: mean {sum(stacked) / len(stacked):.2f} trainings at K = "
              f"{', '.join(str(r['k']) for r in cwola if r['k'] > 1)} (only equal sample "
              f"sizes stack), so today's GPU figure is near the K = 1 rows")
    rng = random.Random(13)
    for size, factor in (("reduced-size trainings (as measured)", 1.0),
                         (f"full-size trainings (x{args.full_size_factor:g} minibatches per "
                          f"training, assumed)", args.full_size_factor)):
        print(f"\n{size}:")
        print("  %-20s %4s %10s %11s %8s %11s %8s" % ("device", "K", "s/training", "wall P=64",
                                                     "eff.", "wall P=512", "eff."))
        for name, k, per_training in scenarios:
            t = per_training * factor
            row = []
            for ranks in (64, 512):
                trials = []
                for _ in range(10):
                    durations = batch_durations(relative, t, k, n, rng)
                    wall = hunt_wall(durations, ranks, gpu_fixed if name.startswith("GPU")
                                     else fixed, write, n)
                    trials.append((wall, sum(durations) / (ranks * wall)))
                row.append(sum(w for w, _ in trials) / len(trials))
                row.append(sum(e for _, e in trials) / len(trials))
            print("  %-20s %4d %10.3f %10.1fs %7.0f%% %10.1fs %7.0f%%" % (
                name, k, t, row[0], 100 * row[1], row[2], 100 * row[3]))
    print("\n  wall: start-up + the dynamic queue's makespan + store writes; eff.: work / (P x "
          "wall) at the same K. K > trainings / P leaves devices idle (auto bounds K by it).")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hunt", action="store_true", help="project a full-size hunt from "
                        "bench/hunt_bench.py's JSON (docs/hunt.md)")
    parser.add_argument("--hunt-size", default="12,6,10,5,4", help="--hunt: windows, "
                        "injections, seeds, folds, inner folds (default: CMS sets A+B, 6 "
                        "injections, 10 seeds, 5 x 4 = 14,400 trainings)")
    parser.add_argument("--full-size-factor", type=float, default=66.0, help="--hunt: "
                        "minibatches of a full-size training over a measured reduced one "
                        "(default 66: 33x the events per window from 200M instead of 6M "
                        "generated events, 2x the epochs at <= 100 epochs, patience 10)")
    parser.add_argument("--gpu-startup", type=float, default=5.0, help="--hunt: extra start-up "
                        "of a GPU run (CUDA context, s; an assumption)")
    parser.add_argument("bench_json", nargs="?", default="")
    parser.add_argument("--stages", action="store_true", help="two-stage model: barrier vs "
                        "dependency hand-out")
    parser.add_argument("--upstreams", default="8,64,512", help="--stages: upstream task counts")
    parser.add_argument("--per-upstream", type=int, default=8, help="--stages: downstream tasks "
                        "per upstream task")
    parser.add_argument("--upstream-factor", type=float, default=4.0, help="--stages: upstream "
                        "task length over a downstream task's")
    parser.add_argument("--task-seconds", default="",
                        help="mean per-task times (s) to project; default: measured, and 0.5, 5")
    parser.add_argument("--points", default="6,60,600", help="scan points (x 10 repeats)")
    args = parser.parse_args()
    if args.stages:
        stages_main(args)
        return
    if args.hunt:
        if not args.bench_json:
            parser.error("--hunt needs the JSON of bench/hunt_bench.py (out/hunt_bench.json)")
        hunt_main(args)
        return
    if not args.bench_json:
        parser.error("bench_json is needed (or --stages)")
    with open(args.bench_json) as f:
        bench = json.load(f)
    base = next(r for r in bench["runs"] if r["tool"] == "cwola" and r["ranks"] == 1 and
                r["k"] == 1)
    task_wall = base["task_wall"]
    mean = sum(task_wall) / len(task_wall)
    relative = [t / mean for t in task_wall]
    spread = math.sqrt(sum((x - 1) ** 2 for x in relative) / len(relative))
    write = base["store_write_seconds"] / max(1, base["tasks"])
    fixed = max(0.0, base["wall"] - sum(task_wall) - base["store_write_seconds"])
    print("scaling model (bench/scaling_model.py): measured on this machine, 1 rank, K=1:")
    print(f"  per-task wall {mean:.3f} s mean, relative spread {spread:.2f} (early stopping), "
          f"max/mean {max(relative):.2f}")
    print(f"  store write {1e3 * write:.2f} ms per task; start-up + end {fixed:.2f} s")
    print(f"  assumed: +{ASSUMED_LOG_STARTUP} s start-up per doubling of ranks, "
          f"{1e6 * ASSUMED_QUEUE_SECONDS:.0f} us per queue atomic (2 per task)")
    scenarios = ([float(v) for v in args.task_seconds.split(",")] if args.task_seconds
                 else [mean, 0.5, 5.0])
    rng = random.Random(1)
    for mean_task in scenarios:
        print(f"\nmean task time {mean_task:.3f} s per device"
              + (" (measured CPU)" if mean_task == mean else " (scenario)"))
        print("  %-12s %-9s %8s %8s %8s   wall at P=512" % ("tasks", "schedule", "P=8", "P=64",
                                                           "P=512"))
        for points in [int(p) for p in args.points.split(",")]:
            n_tasks = 10 * points
            for scheduler in ("dynamic", "cyclic", "block"):
                values = []
                wall_512 = 0.0
                for ranks in (8, 64, 512):
                    trials = [efficiency(relative, mean_task, n_tasks, ranks, scheduler, fixed,
                                         write, rng) for _ in range(20)]
                    values.append(sum(e for e, _ in trials) / len(trials))
                    wall_512 = sum(w for _, w in trials) / len(trials)
                print("  %-12s %-9s %7.0f%% %7.0f%% %7.0f%%   %.1f s" % (
                    f"{points}x10={n_tasks}", scheduler, *(100 * v for v in values), wall_512))


if __name__ == "__main__":
    main()
