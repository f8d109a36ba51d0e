"""BDT ensemble training, cwola vs scikit-learn's HistGradientBoostingClassifier, in one run
(docs/trees.md, "Speed: cwola vs scikit-learn").

One generated problem written to table files both sides read: class 1 = signal N(1, 1) in the
first 4 features, class 0 = background N(0, 1), plus --noise pure-noise features N(0, 1) for
both (Finke et al.'s robustness setting); --events of class 1 and 2 x as many of class 0 (so the
class weights matter), a labelled test file of --test-events per class. The same settings on
both sides: at most --rounds rounds (sklearn's max_iter), 31 leaves, learning rate 0.1, 255
bins, early stopping after 10 rounds without a lower validation log-loss on a 20 % validation
fraction, classes weighted to equal total weight, --members boosters per ensemble whose
probabilities are averaged, --tasks ensembles (independent trainings: cwola tasks, one sklearn
ensemble each), one thread per process (OMP_NUM_THREADS=1).

cwola: `cwola run` of a user_samples job with model.classifier = bdt (XGBoost hist, C API) on
1 rank and on 2 ranks (its tasks are dealt to the ranks: the stacking over ranks).
sklearn: the plain Python loop a physicist would write (h5py, numpy, one
HistGradientBoostingClassifier per member, random_state = member).

Prints wall times, the per-ensemble training time, the ratios measured in this run, and the
test AUC of both sides (they must agree within --auc-tolerance: the settings match).

    CWOLA_BIN=build/cwola /usr/bin/python3 bench/bdt_bench.py [--tasks 4 --members 10]

Needs python3-sklearn (a benchmark-only dependency: bash scripts/setup.sh bench).
"""
import os
import resource

# One thread for sklearn's OpenMP and BLAS, set before anything can load them.
os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import ENV, auc_score, machine, need_module  # noqa: E402

ROUNDS_DEFAULT = 200
LEAVES = 31
LEARNING_RATE = 0.1
PATIENCE = 10
BINS = 255
VALIDATION = 0.2


def write_tables(directory, events, test_events, noise, seed):
    """class1.h5, class0.h5, test.h5: groups /TABLE of 1-D float64 columns x0..; test has label."""
    import h5py
    import numpy as np

    rng = np.random.default_rng(seed)
    dims = 4 + noise

    def sample(n, signal):
        x = rng.standard_normal((n, dims))
        if signal:
            x[:, :4] += 1.0
        return x

    def write(name, x, label=None):
        path = os.path.join(directory, name)
        with h5py.File(path, "w") as f:
            for c in range(dims):
                f[f"TABLE/x{c}"] = x[:, c]
            if label is not None:
                f["TABLE/label"] = label
        return path

    one = write("class1.h5", sample(events, True))
    zero = write("class0.h5", sample(2 * events, False))
    test_x = np.vstack([sample(test_events, True), sample(test_events, False)])
    test_y = np.concatenate([np.ones(test_events), np.zeros(test_events)])
    test = write("test.h5", test_x, test_y)
    return one, zero, test, [f"x{c}" for c in range(dims)]


def cwola_job(one, zero, test, columns, args):
    return f"""
[job]
name = bdt_bench
study = user_samples
seed = 20261202
repeats = {args.tasks}

[user]
format = table
mode = files
table = /TABLE
features = {", ".join(columns)}
class1_file = {one}
class0_file = {zero}
test_file = {test}

[model]
classifier = bdt

[bdt]
rounds = {args.rounds}
max_leaves = {LEAVES}
learning_rate = {LEARNING_RATE}
patience = {PATIENCE}
ensemble = {args.members}
max_bins = {BINS}
threads = 1

[training]
validation_fraction = {VALIDATION}
balance = classes

[run]
threads = 1
progress_seconds = 0
"""


def run_cwola(cwola, ranks, job, store):
    command = ["mpiexec", "-np", str(ranks), "--oversubscribe", "--bind-to", "none", cwola, "run",
               "--job", job, "--output", store, "--no-plots", "--threads", "1"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"bench: cwola failed ({' '.join(command)}):\n{done.stderr[-3000:]}")
    import h5py
    import numpy as np

    with h5py.File(store, "r") as s:
        status = s["results/status"][:]
        if not np.all(status == 1):
            sys.exit(f"bench: cwola tasks not done: {s['results/failure_reason'][:]}")
        auc = s["results/auc"][:]
        task_seconds = s["results/wall_seconds"][:]
        rounds = s["results/epochs"][:] if "results/epochs" in s else None
    return {"wall": wall, "cpu": cpu, "auc": auc, "task_seconds": task_seconds, "rounds": rounds}


def run_sklearn(one, zero, test, columns, args):
    """The reference: one HistGradientBoostingClassifier per member, probabilities averaged."""
    import h5py
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    def read(path, label=False):
        with h5py.File(path, "r") as f:
            x = np.column_stack([f[f"TABLE/{c}"][:] for c in columns])
            return x, (f["TABLE/label"][:] if label else None)

    started, cpu_started = time.perf_counter(), time.process_time()
    x1, _ = read(one)
    x0, _ = read(zero)
    x = np.vstack([x1, x0])
    y = np.concatenate([np.ones(len(x1)), np.zeros(len(x0))])
    test_x, test_y = read(test, label=True)
    aucs, task_seconds, rounds = [], [], []
    for task in range(args.tasks):
        task_started = time.perf_counter()
        probability = np.zeros(len(test_x))
        for member in range(args.members):
            model = HistGradientBoostingClassifier(
                max_iter=args.rounds, max_leaf_nodes=LEAVES, learning_rate=LEARNING_RATE,
                max_bins=BINS, early_stopping=True, validation_fraction=VALIDATION,
                n_iter_no_change=PATIENCE, scoring="loss", class_weight="balanced",
                random_state=task * args.members + member)
            model.fit(x, y)
            probability += model.predict_proba(test_x)[:, 1]
            rounds.append(model.n_iter_)
        task_seconds.append(time.perf_counter() - task_started)
        aucs.append(auc_score(probability / args.members, test_y))
    return {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu_started,
            "auc": np.array(aucs),
            "task_seconds": np.array(task_seconds), "rounds": np.array(rounds)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cwola", default=os.environ.get("CWOLA_BIN", "build/cwola"))
    parser.add_argument("--events", type=int, default=10000, help="class-1 events (class 0: 2x)")
    parser.add_argument("--test-events", type=int, default=20000, help="per class")
    parser.add_argument("--noise", type=int, default=0, help="pure-noise features added")
    parser.add_argument("--tasks", type=int, default=4, help="ensembles (cwola tasks)")
    parser.add_argument("--members", type=int, default=10, help="boosters per ensemble")
    parser.add_argument("--rounds", type=int, default=ROUNDS_DEFAULT)
    parser.add_argument("--auc-tolerance", type=float, default=0.005)
    args = parser.parse_args()
    need_module("h5py", "python3-h5py")
    need_module("numpy", "python3-numpy")
    need_module("sklearn", "python3-sklearn")
    if not os.access(args.cwola, os.X_OK):
        sys.exit(f"bench: no cwola executable at {args.cwola} (build it, or pass --cwola PATH)")
    import numpy as np
    import sklearn
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # and once more at run time: one core for each side

    directory = tempfile.mkdtemp(prefix="cwola_bdt_bench_")
    try:
        one, zero, test, columns = write_tables(directory, args.events, args.test_events,
                                                args.noise, 20261202)
        job = os.path.join(directory, "bdt.ini")
        with open(job, "w") as f:
            f.write(cwola_job(one, zero, test, columns, args))
        info = machine()
        print(f"machine: {info['cpu']}, {info['cores']} cores; scikit-learn {sklearn.__version__}")
        print(f"problem: {args.events} + {2 * args.events} training events (classes weighted), "
              f"{len(columns)} features ({args.noise} noise), test {args.test_events} + "
              f"{args.test_events}; {args.tasks} ensembles x {args.members} members, <= "
              f"{args.rounds} rounds, {LEAVES} leaves, learning rate {LEARNING_RATE}, {BINS} bins, "
              f"patience {PATIENCE} on {VALIDATION:.0%} validation; 1 thread per process")
        one_rank = run_cwola(args.cwola, 1, job, os.path.join(directory, "one.h5"))
        reference = run_sklearn(one, zero, test, columns, args)
        two_ranks = run_cwola(args.cwola, 2, job, os.path.join(directory, "two.h5"))
        identical = np.array_equal(one_rank["auc"], two_ranks["auc"])
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    def member_round(run):
        """Training seconds per member and boosting round (the two sides stop early apart)."""
        return np.mean(run["task_seconds"]) / (args.members * np.mean(run["rounds"]))

    def line(name, run):
        print(f"{name:<22} wall {run['wall']:6.2f} s, CPU {run['cpu']:6.2f} s; per ensemble "
              f"{np.mean(run['task_seconds']):5.2f} s, {np.mean(run['rounds']):.0f} rounds (mean), "
              f"{1e3 * member_round(run):.2f} ms per member-round; test AUC "
              f"{np.mean(run['auc']):.4f} +- {np.std(run['auc']):.4f} over {len(run['auc'])} "
              f"ensembles")

    line("cwola, 1 rank", one_rank)
    line("cwola, 2 ranks", two_ranks)
    line("sklearn HGB, 1 thread", reference)
    per_ensemble = np.mean(reference["task_seconds"]) / np.mean(one_rank["task_seconds"])
    print(f"training per ensemble: sklearn / cwola = {per_ensemble:.2f} (cwola {per_ensemble:.2f}x "
          f"the speed of sklearn, one core each)")
    print(f"per member-round: sklearn / cwola = {member_round(reference) / member_round(one_rank):.2f}")
    print(f"whole command (process start, reading, store): sklearn / cwola 1 rank = "
          f"{reference['wall'] / one_rank['wall']:.2f} in wall time, "
          f"{reference['cpu'] / one_rank['cpu']:.2f} in CPU time")
    print(f"cwola 2 ranks / 1 rank: speed-up {one_rank['wall'] / two_ranks['wall']:.2f} on "
          f"{args.tasks} ensembles; per-task results identical: {identical}")
    difference = abs(np.mean(one_rank["auc"]) - np.mean(reference["auc"]))
    verdict = "agree" if difference <= args.auc_tolerance else "DISAGREE"
    print(f"mean test AUC: cwola {np.mean(one_rank['auc']):.4f}, sklearn "
          f"{np.mean(reference['auc']):.4f}: |difference| {difference:.4f} -> {verdict} within "
          f"{args.auc_tolerance}")
    if verdict != "agree" or not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
