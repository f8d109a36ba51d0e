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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench_json")
    parser.add_argument("--task-seconds", default="",
                        help="mean per-task times (s) to project; default: measured, and 0.5, 5")
    parser.add_argument("--points", default="6,60,600", help="scan points (x 10 repeats)")
    args = parser.parse_args()
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
