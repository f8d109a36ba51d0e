"""cwola CNN (hidden-valley) benchmark: the same data, the same number of trainings, side by side.

Runs, in one go and on this machine:
  (i)   `cwola generate` of the QCD dijet and hidden-valley jet event files (cached in
        --events-dir and reused; generation is not part of any rate);
  (ii)  cwola on jobs/hidden_valley_significance.ini at one injected significance (S/sqrt(B) =
        --significance), fixed repeats, the reduced CNN (filters 8,8,16,16, dense 32,32) and
        fixed epochs/patience, at ensemble K = 1 and at the best K of --k-values, each on 1 and
        on 2 MPI ranks (1 LibTorch thread per rank);
  (iii) bench/pytorch_cnn_reference.py, the straightforward PyTorch-Python implementation of the
        same training (numpy images made once up front, one model at a time, hand-written batch
        loop) on the same files and the same event counts (read from cwola's store), with 1
        thread and with PyTorch's default thread count;
and prints trainings/hour, training events/s (sum over tasks of epochs x training events, per
second of wall time) and the ratios cwola/PyTorch and 2-rank/1-rank, plus mean AUCs as a check
that both solve the same problem. --json writes the figures (bench/scaling_model.py reads them).

Wall times. cwola: the whole `cwola run` (start-up, reading the event files, jet images of every
task's samples, training, evaluation, store, summary). PyTorch-Python: the training loop of all
tasks (mixing, split, training, test AUC); reading the files and making the images once is timed
separately ("preparation") and printed, with the ratios it would give if included.

Usage:  /usr/bin/python3 bench/cnn_bench.py [--quick] [--cwola build/cwola] [--k-values 2,4]
        (bash bench/run_bench.sh --study cnn builds cwola first and runs this)
Not a timed test: figures depend on the machine and on what else runs on it.
"""
import argparse
import json
import os
import tempfile

import bench
from bench import HERE, ROOT

JOB = os.path.join(ROOT, "jobs", "hidden_valley_significance.ini")
CARDS = {"background": os.path.join(ROOT, "inputs", "qcd_dijet.card"),
         "signal": os.path.join(ROOT, "inputs", "hidden_valley.card")}
COUNT_COLUMNS = ("n_background_sr", "n_signal_sr", "n_background_sb", "n_signal_sb")

# The study, shared by cwola (as --set overrides) and the reference (as options). Full: the
# reduced-size job's own settings at one significance; quick: fewer events, repeats and epochs.
FULL = {"background_events": 100000, "signal_events": 10000, "luminosity_fb": 20.0,
        "test_events": 2000, "repeats": 8, "max_epochs": 25, "patience": 10, "k_values": "2,4"}
QUICK = {"background_events": 40000, "signal_events": 5000, "luminosity_fb": 20.0,
         "test_events": 1000, "repeats": 4, "max_epochs": 8, "patience": 8, "k_values": "2"}
NETWORK = {"pixels": 25, "filters": "8,8,16,16", "kernels": "5,5,3,3", "pool": "1,1,0,1",
           "dense": "32,32", "batch_size": 128, "learning_rate": 1e-3}


def settings(args):
    s = dict(QUICK if args.quick else FULL, **NETWORK, significance=args.significance)
    for key in ("background_events", "signal_events", "luminosity_fb", "test_events", "repeats",
                "max_epochs", "patience", "k_values"):
        if getattr(args, key) is not None:
            s[key] = getattr(args, key)
    return s


def event_files(args, s):
    """The two event files, made with `cwola generate` on 2 ranks unless already there."""
    os.makedirs(args.events_dir, exist_ok=True)
    files, walls = {}, {}
    for what, events in (("background", s["background_events"]),
                         ("signal", s["signal_events"])):
        card = CARDS[what]
        path = os.path.join(os.path.abspath(args.events_dir),
                            f"{os.path.splitext(os.path.basename(card))[0]}_{events}.h5")
        files[what] = path
        if os.path.exists(path):
            print(f"  {what} events: reusing {path}", flush=True)
            continue
        command = [args.mpiexec, "-np", "2", "--oversubscribe", args.cwola, "generate", "--card",
                   card, "--output", path, "--set", f"generator.events={events}"]
        _, walls[what] = bench.run_timed(command, "cwola generate")
        print(f"  {what} events: {events} generated in {walls[what]:.1f} s -> {path}", flush=True)
    return files, walls


def cwola_overrides(s, files):
    return [f"scan.hidden_valley.significance={s['significance']:g}",
            f"job.repeats={s['repeats']}",
            f"hidden_valley.background_file={files['background']}",
            f"hidden_valley.signal_file={files['signal']}",
            f"hidden_valley.luminosity_fb={s['luminosity_fb']:g}",
            f"hidden_valley.test_events={s['test_events']}",
            f"hidden_valley.image_pixels={s['pixels']}",
            "cnn.architecture=two_channel",
            f"cnn.filters={s['filters']}", f"cnn.kernels={s['kernels']}",
            f"cnn.pool={s['pool']}", f"cnn.dense={s['dense']}",
            f"training.max_epochs={s['max_epochs']}", f"training.patience={s['patience']}",
            f"training.batch_size={s['batch_size']}",
            f"training.learning_rate={s['learning_rate']:g}"]


def mean_std(values):
    n = len(values)
    mean = sum(values) / n if n else float("nan")
    std = (sum((v - mean) ** 2 for v in values) / n) ** 0.5 if n else float("nan")
    return mean, std


def run_cwola(args, ranks, k, out_dir, overrides):
    import h5py
    store = os.path.join(out_dir, f"cwola_np{ranks}_k{k}.h5")
    done, wall = bench.run_timed(bench.cwola_run_command(args, ranks, JOB, store, k, overrides),
                                 "cwola")
    figures, raw = bench.store_figures(store, done.stderr)
    ok = raw["status"] == 1
    with h5py.File(store, "r") as f:
        epochs = f["results/epochs"][()][ok]
        n_train = f["results/n_train"][()][ok]
        best_epochs = [int(e) for e in f["results/best_epoch"][()][ok]]
        torch_version = f["job/torch_version"][()]
        counts = {c: int(f[f"results/{c}"][()][ok][0]) for c in COUNT_COLUMNS} if ok.any() else {}
    if isinstance(torch_version, bytes):
        torch_version = torch_version.decode()
    aucs = [float(a) for a in raw["auc"][ok]]
    return dict(figures, tool="cwola", ranks=ranks, k=k, wall=wall,
                train_events=float(n_train.mean()) if ok.any() else 0.0,
                epoch_events=float((epochs * n_train).sum()), auc_list=aucs,
                best_epoch_list=best_epochs, torch_version=torch_version,
                auc_mean_std=mean_std(aucs), counts=counts)


def run_pytorch(args, threads, s, files, counts):
    command = [args.python, os.path.join(HERE, "pytorch_cnn_reference.py"),
               "--background-file", files["background"], "--signal-file", files["signal"],
               "--test-events", str(s["test_events"]), "--pixels", str(s["pixels"]),
               "--filters", s["filters"], "--kernels", s["kernels"], "--pool", s["pool"],
               "--dense", s["dense"], "--batch-size", str(s["batch_size"]),
               "--learning-rate", str(s["learning_rate"]), "--max-epochs", str(s["max_epochs"]),
               "--patience", str(s["patience"]),
               "--repeats", str(args.reference_repeats or s["repeats"]),
               "--threads", str(threads), "--device", args.device]
    for column in COUNT_COLUMNS:
        command += [f"--{column.replace('_', '-')}", str(counts[column])]
    done, process_wall = bench.run_timed(command, "PyTorch CNN reference",
                                         bench.python_env(threads))
    report = json.loads(done.stdout)
    tasks = report["tasks"]
    aucs = [t["auc"] for t in tasks]
    return {"tool": "pytorch", "threads": report["threads"], "default_threads": threads == 0,
            "wall": report["training_wall"], "process_wall": process_wall,
            "preparation_wall": report["preparation_wall"], "image_events": report["image_events"],
            "image_wall": report["image_wall"], "tasks": len(tasks),
            "epochs": sum(t["epochs"] for t in tasks),
            "train_events": sum(t["train_events"] for t in tasks) / max(1, len(tasks)),
            "epoch_events": sum(t["epochs"] * t["train_events"] for t in tasks),
            "epoch_list": [t["epochs"] for t in tasks], "task_wall": [t["wall"] for t in tasks],
            "best_epoch_list": [t["best_epoch"] for t in tasks],
            "auc_list": aucs, "auc_mean_std": mean_std(aucs),
            "torch_version": report["torch_version"]}


def with_preparation(run):
    """A PyTorch run's rates with its preparation counted in (whole process wall)."""
    return bench.rates(dict(run, wall=run["process_wall"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bench.add_common_arguments(
        parser, quick_help="40k/5k generated events, 1k+1k test events, 4 repeats, 8 epochs",
        k_default=None, k_help="ensemble sizes tried on 1 rank; the best one also runs on 2 "
        "(default 2,4; --quick 2); K > repeats/2 is skipped")
    parser.add_argument("--events-dir", default=os.path.join(ROOT, "out", "bench_hv"),
                        help="where the generated event files are kept and reused")
    parser.add_argument("--significance", type=float, default=6.0, help="injected S/sqrt(B)")
    parser.add_argument("--background-events", type=int, help="QCD events to generate")
    parser.add_argument("--signal-events", type=int, help="hidden-valley events to generate")
    parser.add_argument("--luminosity-fb", type=float)
    parser.add_argument("--test-events", type=int, help="per class")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--max-epochs", type=int)
    parser.add_argument("--patience", type=int)
    args = parser.parse_args()
    bench.check_tools(args)
    s = settings(args)
    k_values = [int(v) for v in s["k_values"].split(",") if v.strip()]
    skipped = [] if args.tasks_at_least_k else [
        k for k in k_values if args.max_ranks * k > s["repeats"]]
    if skipped:
        print(f"note: K = {','.join(map(str, skipped))} skipped: with {s['repeats']} repeats on "
              f"{args.max_ranks} rank(s) a batch of K > {s['repeats'] // args.max_ranks} tasks "
              f"leaves a rank idle (--tasks-at-least-k raises the repeats instead)", flush=True)
    s["k_values"] = ",".join(str(k) for k in k_values if k not in skipped)
    info = bench.machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, kernel {info['kernel']}, "
          f"BLAS {info['blas']}; device {args.device}", flush=True)
    print(f"study: hidden_valley, S/sqrt(B) = {s['significance']:g}, L = {s['luminosity_fb']:g} "
          f"fb^-1, {s['repeats']} repeats, CNN {s['filters']} / dense {s['dense']} on "
          f"{s['pixels']}^2 x 2 images, <= {s['max_epochs']} epochs, patience {s['patience']}, "
          f"batch {s['batch_size']}", flush=True)

    files, generation = event_files(args, s)
    runs = []
    overrides = cwola_overrides(s, files)
    with tempfile.TemporaryDirectory(prefix="cwola_cnn_bench_") as out_dir:
        def overrides_for(k):
            repeats = bench.repeats_for_k(args, s["repeats"], k, 1)  # one significance point
            return [o for o in overrides if not o.startswith("job.repeats=")] + [
                f"job.repeats={repeats}"]
        one_k1, best, two_k1, two_best = bench.run_cwola_series(
            runs, s["k_values"], lambda ranks, k: run_cwola(args, ranks, k, out_dir,
                                                            overrides_for(k)),
            args.max_ranks)
    counts = one_k1["counts"]
    print("  mixed sample per task (cwola's counts, used by both): " +
          ", ".join(f"{c} {counts[c]}" for c in COUNT_COLUMNS) +
          f"; {one_k1['train_events']:.0f} training events; test {s['test_events']} + "
          f"{s['test_events']}", flush=True)
    python_one = python_default = None
    if not args.skip_python:
        python_one = bench.record(runs, run_pytorch(args, 1, s, files, counts))
        if not args.single_reference:
            python_default = bench.record(runs, run_pytorch(args, 0, s, files, counts))

    bench.print_table(runs)
    print(f"  LibTorch of cwola {one_k1['torch_version']}" +
          (f", PyTorch of the reference {python_one['torch_version']}" if python_one else ""))
    if python_one is not None:
        print(f"  PyTorch-Python wall = its training loop; preparation once per process "
              f"(reading + numpy images of {python_one['image_events']} events): "
              f"{python_one['preparation_wall']:.1f} s, whole process "
              f"{python_one['process_wall']:.1f} s (1 thread)")
    bench.print_ratios(one_k1, best, two_k1, two_best, python_one, python_default,
                       [r for r in runs if r["tool"] == "cwola" and r["ranks"] == 1])
    if python_one is not None:
        bench.print_ratio(one_k1, with_preparation(python_one),
                          "cwola 1 rank K=1 / PyTorch 1 thread incl. preparation")
        if python_default is not None:
            bench.print_ratio(two_best, with_preparation(python_default),
                              f"cwola 2 ranks K={best['k']} / PyTorch default incl. preparation")
    stacked = [r for r in runs if r["tool"] == "cwola" and r["ranks"] == 1 and r["k"] > 1]
    for run in stacked:
        if run is not best:
            bench.print_ratio(run, one_k1, f"cwola K={run['k']} / K=1, 1 rank (not the best K)")
    if stacked and all(abs(r["events_per_second"] / one_k1["events_per_second"] - 1) < 0.1
                       for r in stacked):
        print("  (K > 1 within 10% of K = 1: as expected while the hidden_valley study trains "
              "the K tasks of a batch one by one, without a stacked CNN)")

    same = "n/a (1 rank only)" if two_k1 is None else one_k1["auc_list"] == two_k1["auc_list"]
    print(f"\nAUC on the pure-SR test set, mean +- std over tasks (sanity: the same problem; "
          f"cwola 1 vs 2 ranks at K=1 per task identical: {same}); s/task: cwola's "
          f"wall_seconds (images, training, evaluation), PyTorch's task loop (training, "
          f"evaluation):")
    shown = []
    for run in [one_k1, best, two_k1, two_best, python_one, python_default]:
        if run is not None and all(run is not other for other in shown):
            shown.append(run)
            mean, std = run["auc_mean_std"]
            print(f"  {bench.label(run):38s} {mean:.4f} +- {std:.4f}   epochs/task "
                  f"{run['epochs'] / max(1, run['tasks']):.1f}   s/task "
                  f"{sum(run['task_wall']) / max(1, run['tasks']):.2f}   AUCs " +
                  " ".join(f"{a:.3f}" for a in run["auc_list"]) + "   best epochs " +
                  " ".join(str(e) for e in run["best_epoch_list"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "device": args.device, "quick": args.quick,
                       "study": "hidden_valley", "settings": s, "counts": counts,
                       "event_files": files, "generation_wall": generation, "runs": runs},
                      f, indent=1)
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
