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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
