"""The straightforward PyTorch-Python version of one window of cwola's sliding-window CWoLa hunt
(study = hunt, docs/hunt.md), written the way a physicist would write it: h5py tables, numpy for
the injection and the folds, one model at a time, a hand-written minibatch loop (torch.randperm +
slicing; no DataLoader), Adam, early stopping with the best state_dict kept. The benchmark
(bench/hunt_bench.py) runs it beside `cwola run` on the same window and the same number of
trainings.

Per injection seed:
  - the data table's events in the window's span [e_(w-1), e_(w+2)), plus `--injected` signal
    events drawn (numpy, without replacement) from the signal table, those in the span kept;
  - label 1 = signal region [e_w, e_(w+1)), 0 = sidebands; CWoLa-hunting event weights computed
    over the whole sample: low sideband 1, high sideband n_low/n_high, signal region 2 n_low/n_SR;
  - nested k-fold: the events cut at random into `--folds` folds; for each outer fold the other
    folds' events are cut into `--inner-folds` blocks (each block drawing evenly from every
    training fold), and inner model j trains on all blocks but j and early-stops on block j
    (weighted validation loss); features standardised on the model's training part;
  - the held-out fold is scored by the mean sigmoid output of its inner models (out of fold).
Reported per seed, on the out-of-fold scores against the truth (injected signal vs data
background): the AUC in the signal region, and over the whole span (cwola's oof_auc).

The data live as tensors from the start (on --device); the training loss is summed on the
device; the one host sync per epoch is the validation loss early stopping needs. Random numbers
are numpy's/torch's own: AUCs are statistically comparable with cwola's, not identical.

Run with any Python that has torch, numpy and h5py (Debian's /usr/bin/python3 with python3-torch
and python3-h5py). Prints one JSON object.
"""
import argparse
import json
import time

import h5py
import numpy as np
import torch

# The dense benchmark's reference network and AUC (this script's directory is on sys.path).
from pytorch_reference import add_training_arguments, auc_score, train_dense  # noqa: E402


def read_table(path, table, features, mass):
    with h5py.File(path, "r") as f:
        group = f[table]
        x = np.stack([group[c][()] for c in features], axis=1).astype(np.float32)
        m = group[mass][()].astype(np.float64)
    return x, m


def run_seed(args, seed_index, background, signal, device):
    x_bkg, m_bkg = background
    x_sig, m_sig = signal
    edges = args.edges
    w = args.window
    span_low, sr_low, sr_high, span_high = edges[w - 1], edges[w], edges[w + 1], edges[w + 2]
    rng = np.random.default_rng(args.seed + 7919 * seed_index)
    torch.manual_seed(args.seed + 7919 * seed_index)

    injected = rng.choice(len(x_sig), size=args.injected, replace=False)
    in_span_bkg = (m_bkg >= span_low) & (m_bkg < span_high)
    in_span_sig = (m_sig[injected] >= span_low) & (m_sig[injected] < span_high)
    x = np.concatenate([x_bkg[in_span_bkg], x_sig[injected][in_span_sig]])
    m = np.concatenate([m_bkg[in_span_bkg], m_sig[injected][in_span_sig]])
    truth = np.concatenate([np.zeros(in_span_bkg.sum()), np.ones(in_span_sig.sum())])
    region = np.where(m < sr_low, 0, np.where(m < sr_high, 1, 2))
    n_low, n_sr, n_high = (int((region == r).sum()) for r in range(3))
    weight = np.array([1.0, 2.0 * n_low / n_sr, n_low / n_high])[region]
    label = (region == 1).astype(np.float32)

    # Folds: a random order cut into k equal parts; an event's position in its fold, cut into
    # l parts, is its inner block (the same for every inner model of every outer fold).
    n = len(x)
    k, l = args.folds, args.inner_folds
    order = rng.permutation(n)
    fold = np.empty(n, dtype=np.int64)
    fold[order] = np.arange(n) * k // n
    position = np.empty(n, dtype=np.int64)
    sizes = np.bincount(fold, minlength=k)
    for f in range(k):
        members = order[fold[order] == f]
        position[members] = np.arange(len(members))
    block = position * l // sizes[fold]

    xt = torch.tensor(x, device=device)
    yt = torch.tensor(label, device=device)
    wt = torch.tensor(weight.astype(np.float32), device=device)
    oof = np.empty(n, dtype=np.float64)
    tasks = []
    for f in range(k):
        held = torch.tensor(np.flatnonzero(fold == f), device=device)
        score = torch.zeros(len(held), device=device)
        for j in range(l):
            train = torch.tensor(np.flatnonzero((fold != f) & (block != j)), device=device)
            val = torch.tensor(np.flatnonzero((fold != f) & (block == j)), device=device)
            x_train = xt[train]
            mean, std = x_train.mean(0), x_train.std(0)
            scale = lambda v: (v - mean) / std  # noqa: E731
            model, epochs, _ = train_dense(args, scale(x_train), yt[train], scale(xt[val]),
                                           yt[val], wt[train], wt[val])
            with torch.no_grad():
                score += torch.sigmoid(model(scale(xt[held]))) / l
            tasks.append({"seed": seed_index, "fold": f, "inner": j, "epochs": epochs,
                          "train_events": len(train)})
        oof[np.flatnonzero(fold == f)] = score.cpu().numpy()
    sr = region == 1
    return tasks, {"seed": seed_index, "n_low_sideband": n_low, "n_signal_region": n_sr,
                   "n_high_sideband": n_high, "injected_in_span": int(in_span_sig.sum()),
                   "injected_in_signal_region": int((truth[sr] == 1).sum()),
                   "truth_auc_signal_region": auc_score(oof[sr], truth[sr]),
                   "truth_auc_span": auc_score(oof, truth)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="out/lhco_qcd.h5")
    parser.add_argument("--signal", default="out/lhco_wprime.h5")
    parser.add_argument("--table", default="/TABLE")
    parser.add_argument("--features", default="mj1,delta_mj,tau21j1,tau21j2")
    parser.add_argument("--mass", default="mjj")
    parser.add_argument("--edges", default="2725,3331,4071,4975,6081,8000", help="GeV")
    parser.add_argument("--window", type=int, default=1, help="signal region [e_w, e_(w+1))")
    parser.add_argument("--injected", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--inner-folds", type=int, default=4)
    add_training_arguments(parser, hidden="32,32", max_epochs=30, seed=20261201)
    args = parser.parse_args()
    args.hidden = [int(h) for h in args.hidden.split(",") if h]
    args.edges = [float(e) for e in args.edges.split(",")]
    if not 1 <= args.window <= len(args.edges) - 3:
        parser.error(f"--window {args.window}: needs 1..{len(args.edges) - 3} for "
                     f"{len(args.edges)} edges (a window needs both sidebands)")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    started = time.perf_counter()
    features = [c.strip() for c in args.features.split(",")]
    background = read_table(args.data, args.table, features, args.mass)
    signal = read_table(args.signal, args.table, features, args.mass)
    read_seconds = time.perf_counter() - started
    tasks, samples = [], []
    for seed_index in range(args.seeds):
        seed_tasks, sample = run_seed(args, seed_index, background, signal, device)
        tasks += seed_tasks
        samples.append(sample)
    wall = time.perf_counter() - started
    print(json.dumps({"tasks": tasks, "samples": samples, "wall_seconds_in_process": wall,
                      "read_seconds": read_seconds, "threads": torch.get_num_threads(),
                      "torch_version": torch.__version__}))


if __name__ == "__main__":
    main()
