"""The straightforward PyTorch-Python version of cwola's hidden-valley (CNN) CWoLa-hunting
training, written the way a physicist would write it: h5py + numpy, jet images made once up
front with the numpy recipe (bench/numpy_jet_images.py), one model at a time, a hand-written
minibatch loop (torch.randperm + slicing; no DataLoader), Adam, early stopping with the best
state_dict kept, AUC on a truth-labelled test set. The CNN benchmark (bench/cnn_bench.py) runs it
beside `cwola run` (study hidden_valley) on the same event files and the same numbers of events.

What it mirrors (src/studies/hidden_valley_study.cpp, src/models/cnn_jet_network.cpp):
  - events: the two jet event files of `cwola generate` (J1|J2/{pt,eta,phi,MASK}, EVENT/mjj);
    signal region (SR) and sideband (SB) by m_jj windows (lo <= m < hi);
  - a fixed test set shared by all tasks: the first `--test-events` of a permutation of each
    file's SR events (background truth 0, signal truth 1); the mixed samples of the tasks are
    drawn from the rest;
  - per task: n_background_sr + n_signal_sr SR events labelled 1, n_background_sb + n_signal_sb
    SB events labelled 0 (cwola's counts, passed in by the bench), 80/20 train/validation split;
  - 2-channel 25x25 jet images (J1, J2), each jet's pixels divided by its constituents' pT sum
    (cwola's image_normalisation = jet_pt);
  - CNN: Conv2d('same') + ReLU per layer, 2x2 max-pool after the layers with pool = 1, Flatten,
    Dense + ReLU per width, Linear to 1 logit; BCE with logits, Adam(lr), early stopping on the
    validation loss with patience, the best epoch's weights for the test AUC.
Random numbers are numpy's/torch's own: per-task AUCs are statistically comparable with
cwola's, not identical. The image recipe differs from cwola's in small ways (see
bench/README.md, "Event generation and jet images").

Run with any Python that has torch, numpy and h5py (cnn_bench.py's --python; Debian's
/usr/bin/python3 with python3-torch by default). Prints one JSON object:
preparation (reading + images) and training are timed separately.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from numpy_jet_images import jet_image  # noqa: E402
from pytorch_reference import auc_score  # noqa: E402


def ints(text):
    return [int(v) for v in text.split(",") if v.strip()]


def floats(text):
    return [float(v) for v in text.split(",") if v.strip()]


def read_events(path):
    """Jet constituents (padding: pt = 0) and m_jj of one event file."""
    with h5py.File(path, "r") as f:
        events = {"mjj": f["EVENT/mjj"][()]}
        for jet in ("J1", "J2"):
            pt = f[f"{jet}/pt"][()]
            if f"{jet}/MASK" in f:
                pt = np.where(f[f"{jet}/MASK"][()], pt, 0.0).astype(np.float32)
            events[jet] = {"pt": pt, "eta": f[f"{jet}/eta"][()], "phi": f[f"{jet}/phi"][()]}
    return events


def make_images(events, rows, pixels, normalise):
    """Two-channel images [len(rows), 2, P, P] of the events `rows` (Python loop, numpy inside)."""
    out = np.zeros((len(rows), 2, pixels, pixels), dtype=np.float32)
    for i, r in enumerate(rows):
        for c, jet in enumerate(("J1", "J2")):
            e = events[jet]
            image = jet_image(e["pt"][r], e["eta"][r], e["phi"][r], pixels)
            if normalise:
                total = e["pt"][r][e["pt"][r] > 0].sum(dtype=np.float64)
                if total > 0:
                    image = image / total
            out[i, c] = image
    return out


class CNN(nn.Module):
    def __init__(self, pixels, filters, kernels, pool, dense):
        super().__init__()
        layers = []
        channels, size = 2, pixels
        for f, k, p in zip(filters, kernels, pool):
            layers += [nn.Conv2d(channels, f, k, padding=k // 2), nn.ReLU()]
            if p:
                layers.append(nn.MaxPool2d(2))
                size //= 2
            channels = f
        layers.append(nn.Flatten())
        width = channels * size * size
        for d in dense:
            layers += [nn.Linear(width, d), nn.ReLU()]
            width = d
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(1)


def predict(model, x, batch_size):
    """Logits of x in chunks (no_grad), on x's device."""
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def run_task(args, repeat, images, pools, test_x, test_truth, device):
    seed = args.seed + 1 + repeat
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    started = time.perf_counter()
    # The mixed sample: SR (label 1) and SB (label 0) events drawn without replacement.
    parts, labels = [], []
    for pool, count, label in ((pools["bg_sr"], args.n_background_sr, 1),
                               (pools["sig_sr"], args.n_signal_sr, 1),
                               (pools["bg_sb"], args.n_background_sb, 0),
                               (pools["sig_sb"], args.n_signal_sb, 0)):
        if count > len(pool):
            sys.exit(f"pytorch_cnn_reference: {count} events requested but the pool has "
                     f"{len(pool)}; generate more events or lower the counts")
        parts.append(rng.permutation(pool)[:count])
        labels.append(np.full(count, label, dtype=np.float32))
    rows = np.concatenate(parts)
    y = np.concatenate(labels)
    perm = rng.permutation(len(rows))
    n_val = int(args.validation_fraction * len(rows) + 0.5)  # as llround
    val, train = perm[:n_val], perm[n_val:]
    x_train = torch.from_numpy(images[rows[train]]).to(device)
    y_train = torch.from_numpy(y[train]).to(device)
    x_val = torch.from_numpy(images[rows[val]]).to(device)
    y_val = torch.from_numpy(y[val]).to(device)

    model = CNN(args.pixels, args.filters, args.kernels, args.pool, args.dense).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    loss_fn = nn.BCEWithLogitsLoss()
    best_loss, best_state, best_epoch, wait, epochs = math.inf, None, -1, 0, 0
    n = len(x_train)
    for epoch in range(args.max_epochs):
        model.train()
        order = torch.randperm(n, device=device)
        for start in range(0, n, args.batch_size):
            index = order[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
        model.eval()
        val_loss = loss_fn(predict(model, x_val, args.eval_batch_size), y_val).item()
        epochs += 1
        if val_loss < best_loss:
            best_loss, best_epoch, wait = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            wait += 1
            if wait >= args.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    scores = torch.sigmoid(predict(model, test_x, args.eval_batch_size)).cpu().numpy()
    return {"repeat": repeat, "auc": float(auc_score(scores, test_truth)), "epochs": epochs,
            "best_epoch": best_epoch + 1, "train_events": n, "validation_events": n_val,
            "wall": time.perf_counter() - started}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--background-file", required=True, help="QCD jet event file")
    parser.add_argument("--signal-file", required=True, help="hidden-valley jet event file")
    for name in ("n-background-sr", "n-signal-sr", "n-background-sb", "n-signal-sb"):
        parser.add_argument(f"--{name}", type=int, required=True,
                            help="events of the mixed sample (cwola's store column "
                                 f"{name.replace('-', '_')})")
    parser.add_argument("--test-events", type=int, default=2000, help="per class")
    parser.add_argument("--signal-region", default="4700,5500", help="m_jj lo,hi (GeV)")
    parser.add_argument("--sideband", default="4400,4700,5500,5800",
                        help="m_jj lo1,hi1,lo2,hi2 (GeV)")
    parser.add_argument("--pixels", type=int, default=25)
    parser.add_argument("--image-normalisation", default="jet_pt", choices=["jet_pt", "none"])
    parser.add_argument("--filters", default="8,8,16,16")
    parser.add_argument("--kernels", default="5,5,3,3")
    parser.add_argument("--pool", default="1,1,0,1")
    parser.add_argument("--dense", default="32,32")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--eval-batch-size", type=int, default=8192)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--validation-fraction", type=float, default=0.2)
    parser.add_argument("--max-epochs", type=int, default=25)
    parser.add_argument("--patience", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: PyTorch's default")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=20240620)
    args = parser.parse_args()
    args.filters, args.kernels, args.pool = ints(args.filters), ints(args.kernels), ints(args.pool)
    args.dense = ints(args.dense)
    if not (len(args.filters) == len(args.kernels) == len(args.pool)):
        sys.exit("pytorch_cnn_reference: --filters, --kernels and --pool need one entry per layer")
    sr, sb = floats(args.signal_region), floats(args.sideband)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    # Preparation, once: read both files, select SR/SB, fix the test set, make all images.
    started = time.perf_counter()
    background, signal = read_events(args.background_file), read_events(args.signal_file)
    read_wall = time.perf_counter() - started
    rng = np.random.default_rng(args.seed)
    selected, pools, test_rows, test_truth = [], {}, [], []
    offset = 0
    for name, events in (("bg", background), ("sig", signal)):
        m = events["mjj"]
        in_sr = np.flatnonzero((m >= sr[0]) & (m < sr[1]))
        in_sb = np.flatnonzero(((m >= sb[0]) & (m < sb[1])) | ((m >= sb[2]) & (m < sb[3])))
        in_sr = rng.permutation(in_sr)
        if len(in_sr) < args.test_events:
            sys.exit(f"pytorch_cnn_reference: {name} has {len(in_sr)} SR events, fewer than "
                     f"--test-events {args.test_events}")
        rows = np.concatenate([in_sr, in_sb])  # rows of this file that get an image
        selected.append((events, rows))
        # Indices into the image array of all selected events (this file's block at `offset`).
        sr_index = offset + np.arange(len(in_sr))
        test_rows.append(sr_index[:args.test_events])
        test_truth.append(np.full(args.test_events, 1 if name == "sig" else 0))
        pools[f"{name}_sr"] = sr_index[args.test_events:]
        pools[f"{name}_sb"] = offset + len(in_sr) + np.arange(len(in_sb))
        offset += len(rows)
    images = np.concatenate([make_images(events, rows, args.pixels,
                                         args.image_normalisation == "jet_pt")
                             for events, rows in selected])
    test_x = torch.from_numpy(images[np.concatenate(test_rows)]).to(device)
    test_truth = np.concatenate(test_truth)
    preparation_wall = time.perf_counter() - started

    started = time.perf_counter()
    tasks = [run_task(args, repeat, images, pools, test_x, test_truth, device)
             for repeat in range(args.repeats)]
    training_wall = time.perf_counter() - started
    print(json.dumps({"tasks": tasks, "training_wall": training_wall,
                      "preparation_wall": preparation_wall, "read_wall": read_wall,
                      "image_events": int(len(images)),
                      "image_wall": preparation_wall - read_wall,
                      "threads": torch.get_num_threads(), "device": str(device),
                      "torch_version": torch.__version__}))


if __name__ == "__main__":
    main()
