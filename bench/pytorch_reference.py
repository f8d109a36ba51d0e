"""The straightforward PyTorch-Python version of cwola's Gaussian CWoLa study, written the way a
physicist would write it: numpy samples, one model at a time, a hand-written minibatch loop
(torch.randperm + slicing; no DataLoader), Adam, early stopping with the best state_dict kept,
AUC on a truth-labelled test set. On a GPU it is written as a careful physicist would: the data
live on the device, the training loss is summed on the device, and the only host sync in an
epoch is the validation loss that early stopping needs. The benchmark (bench/bench.py) runs it beside cwola on the
same problem and the same number of trainings.

Same problem as jobs/quickstart.ini: two d-dimensional Gaussians (signal mean `--mean` in every
dimension, background 0, unit covariance), mixtures M1 (signal fraction f1, label 1) and M2
(f2 = 1 - f1, label 0) of `--events-per-mixture` events each, 20% of the mixed events for
validation, network d-64-64-1 with ReLU, BCE with logits, Adam(lr), batch 256, early stopping
with patience on the validation loss. Random numbers are numpy's/torch's own: per-task AUCs are
statistically comparable with cwola's, not identical.

Run with any Python that has torch and numpy (bench.py's --python; Debian's /usr/bin/python3
with python3-torch by default). Prints one JSON object.
"""
import argparse
import copy
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The harness's rank-sum AUC (numpy only; this script's directory is on sys.path).
from bench import auc_score  # noqa: E402,F401  (also imported from here by the other references)


def make_mixture(rng, fraction, n, mean, dims):
    n_signal = int(round(fraction * n))
    signal = rng.normal(mean, 1.0, size=(n_signal, dims))
    background = rng.normal(0.0, 1.0, size=(n - n_signal, dims))
    return np.concatenate([signal, background])


class Net(nn.Module):
    def __init__(self, dims, hidden):
        super().__init__()
        layers = []
        width = dims
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(1)


def train_dense(args, x_train, y_train, x_val, y_val, w_train=None, w_val=None):
    """One dense network (Net): Adam, (weighted) BCE with logits in minibatches, early stopping
    on the validation loss with the best weights kept. The data stay on their device; the
    validation loss is the one host sync per epoch. Returns (model in eval mode, epochs run,
    mean training loss of the last epoch)."""
    device = x_train.device
    model = Net(x_train.shape[1], args.hidden).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    best_loss, best_state, wait, epochs = math.inf, None, 0, 0
    n = len(x_train)
    train_losses = []  # per epoch, kept on the device: no host sync inside the epoch
    for _ in range(args.max_epochs):
        model.train()
        order = torch.randperm(n, device=device)
        running = torch.zeros((), device=device)
        for start in range(0, n, args.batch_size):
            index = order[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(
                model(x_train[index]), y_train[index],
                weight=None if w_train is None else w_train[index])
            loss.backward()
            optimizer.step()
            running += loss.detach() * len(index)
        train_losses.append(running / n)
        model.eval()
        with torch.no_grad():
            # Early stopping needs the value on the host: the one sync per epoch.
            val_loss = F.binary_cross_entropy_with_logits(model(x_val), y_val,
                                                          weight=w_val).item()
        epochs += 1
        if val_loss < best_loss:
            best_loss, best_state, wait = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            wait += 1
            if wait >= args.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return model, epochs, float(train_losses[-1])


def add_training_arguments(parser, hidden, max_epochs, seed):
    """The dense references' network and optimiser options (their defaults differ by study)."""
    parser.add_argument("--hidden", default=hidden)
    parser.add_argument("--max-epochs", type=int, default=max_epochs)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=0, help="0: PyTorch's default")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=seed)


def run_task(args, f1, seed, device):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    f2 = 1.0 - f1
    m1 = make_mixture(rng, f1, args.events_per_mixture, args.mean, args.dims)
    m2 = make_mixture(rng, f2, args.events_per_mixture, args.mean, args.dims)
    x = np.concatenate([m1, m2]).astype(np.float32)
    y = np.concatenate([np.ones(len(m1)), np.zeros(len(m2))]).astype(np.float32)
    perm = rng.permutation(len(x))
    n_val = int(0.2 * len(x))
    x_val, y_val = torch.tensor(x[perm[:n_val]]), torch.tensor(y[perm[:n_val]])
    x_train, y_train = torch.tensor(x[perm[n_val:]]), torch.tensor(y[perm[n_val:]])
    test_signal = rng.normal(args.mean, 1.0, size=(args.test_events, args.dims))
    test_background = rng.normal(0.0, 1.0, size=(args.test_events, args.dims))
    x_test = torch.tensor(np.concatenate([test_signal, test_background]).astype(np.float32))
    truth = np.concatenate([np.ones(args.test_events), np.zeros(args.test_events)])

    x_train, y_train = x_train.to(device), y_train.to(device)
    x_val, y_val = x_val.to(device), y_val.to(device)
    model, epochs, final_train_loss = train_dense(args, x_train, y_train, x_val, y_val)
    with torch.no_grad():
        scores = torch.sigmoid(model(x_test.to(device))).cpu().numpy()
    return {"f1": f1, "auc": float(auc_score(scores, truth)), "epochs": epochs,
            "train_events": len(x_train), "final_train_loss": final_train_loss}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--f1", default="0.5,0.6,0.7,0.8,0.9,1.0")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--dims", type=int, default=4)
    parser.add_argument("--mean", type=float, default=0.5)
    parser.add_argument("--events-per-mixture", type=int, default=20000)
    parser.add_argument("--test-events", type=int, default=20000)
    add_training_arguments(parser, hidden="64,64", max_epochs=40, seed=20261122)
    args = parser.parse_args()
    args.hidden = [int(h) for h in args.hidden.split(",") if h]
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    started = time.perf_counter()
    tasks = []
    for point, f1 in enumerate(float(v) for v in args.f1.split(",")):
        for repeat in range(args.repeats):
            tasks.append(run_task(args, f1, args.seed + 1000 * point + repeat, device))
    wall = time.perf_counter() - started
    print(json.dumps({"tasks": tasks, "wall_seconds_in_process": wall,
                      "threads": torch.get_num_threads(), "torch_version": torch.__version__}))


if __name__ == "__main__":
    main()
