"""Cost of per-event scores and the payoff of stacking k-fold tasks, measured with the bench
harness's own runner (bench/bench.py: same cwola command line, 1 LibTorch thread per rank).

  scores: the quickstart (bench.py --quick size: 6 points x 4 repeats, 10k events per
          mixture, 20k test events) on 2 ranks, K = 1, with [metrics] keep_scores = false and
          = true (test_set = per_point), alternated twice (off, on, off, on) so load drifts
          hit both alike. Prints each wall time, the ratio of the sums, and the scores artifact's size
          per million scores.
  kfold:  a k-fold quickstart point (f1 = 0.8, folds = 5, inner_folds = 4: 20 trainings per
          repeat, 2 repeats = 40 trainings, 4k events per mixture) on 1 rank at K = 1 and
          K = 8; prints trainings/h and the ratio, and the out-of-fold AUCs of both.

Usage:  /usr/bin/python3 bench/scores_bench.py [--part scores|kfold|all] [--cwola build/cwola]
Not a timed test: figures depend on the machine and on what else runs on it.
"""
import argparse
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the harness: cwola_run_command, run_timed)

QUICK = ["job.repeats=4", "gaussian.events_per_mixture=10000", "gaussian.test_events=10000"]
KFOLD = ["job.repeats=2", "gaussian.events_per_mixture=4000", "gaussian.test_events=5000",
         "training.folds=5", "training.inner_folds=4", "scan.gaussian.f1=0.8"]


def run(args, ranks, k, store, overrides, writes=None):
    """Wall seconds of one cwola run; appends its ranks' summed store-write seconds (from the
    --verbose log) to `writes` if given."""
    command = bench.cwola_run_command(args, ranks, os.path.join(bench.ROOT, "jobs",
                                                                "quickstart.ini"),
                                      store, k, overrides)
    done, wall = bench.run_timed(command, "cwola")
    if writes is not None:
        writes.append(sum(float(w) for w in re.findall(r"store writes ([0-9.]+) s", done.stderr)))
    return wall


def scores_part(args, out):
    import h5py
    walls = {"off": [], "on": []}
    writes = {"off": [], "on": []}
    for round_ in range(2):
        for mode in ("off", "on"):
            store = os.path.join(out, f"scores_{mode}_{round_}.h5")
            extra = (["metrics.keep_scores=true", "metrics.test_set=per_point"]
                     if mode == "on" else [])
            walls[mode].append(run(args, 2, 1, store, QUICK + extra, writes[mode]))
            print(f"  keep_scores {mode:3s} round {round_}: {walls[mode][-1]:6.2f} s, store "
                  f"writes {writes[mode][-1]:.3f} s (both ranks)", flush=True)
    on, off = sum(walls["on"]), sum(walls["off"])
    print(f"\nquickstart (quick size, 2 ranks, K=1): keep_scores on / off = {on / off:.3f} "
          f"(sums {on:.2f} s / {off:.2f} s); store writes on - off = "
          f"{(sum(writes['on']) - sum(writes['off'])) / 2:.3f} s per run, "
          f"{100 * (sum(writes['on']) - sum(writes['off'])) / off:.2f} % of the wall")
    with_scores = os.path.join(out, "scores_on_1.h5")
    without = os.path.join(out, "scores_off_1.h5")
    with h5py.File(with_scores, "r") as f:
        n_scores = int(f["artifacts/scores/rows"][()].sum())
        ensemble = f["summary/ensemble_auc"][()]
        members = f["summary/auc_mean"][()]
    growth = os.path.getsize(with_scores) - os.path.getsize(without)
    print(f"scores artifact: {n_scores} scores, store +{growth / 1e6:.2f} MB = "
          f"{growth / n_scores:.2f} bytes per score = {growth / n_scores:.2f} MB per million "
          f"scores (float32 score + int8 label, uncompressed)")
    print("ensemble AUC per point: " + "  ".join(f"{v:.4f}" for v in ensemble))
    print("member mean AUC       : " + "  ".join(f"{v:.4f}" for v in members))


def kfold_part(args, out):
    import h5py
    rates = {}
    training = {}
    for k in (1, 8):
        store = os.path.join(out, f"kfold_k{k}.h5")
        wall = run(args, 1, k, store, KFOLD)
        with h5py.File(store, "r") as f:
            tasks = int((f["results/status"][()] == 1).sum())
            oof = f["summary/oof_auc_mean"][()]
            # Time inside the tasks (a stack's wall shared by its members), without start-up.
            training[k] = float(f["results/wall_seconds"][()].sum())
        rates[k] = 3600.0 * tasks / wall
        print(f"  k-fold, 1 rank, K={k}: {wall:6.2f} s, {tasks} trainings, "
              f"{rates[k]:7.0f} trainings/h, in tasks {training[k]:6.2f} s, out-of-fold AUC "
              f"{oof[0]:.4f}", flush=True)
    print(f"\nk-fold tasks, 1 rank: K=8 / K=1 = {rates[8] / rates[1]:.2f}x trainings/h "
          f"(whole command), {training[1] / training[8]:.2f}x in the tasks")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", default="all", choices=["scores", "kfold", "all"])
    parser.add_argument("--cwola", default=os.path.join(bench.ROOT, "build", "cwola"))
    parser.add_argument("--mpiexec", default="mpiexec")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    args.mpi_for_one = False
    args.skip_python = True
    bench.check_tools(args)
    with tempfile.TemporaryDirectory(prefix="cwola_scores_bench_") as out:
        if args.part in ("scores", "all"):
            scores_part(args, out)
        if args.part in ("kfold", "all"):
            kfold_part(args, out)


if __name__ == "__main__":
    main()
