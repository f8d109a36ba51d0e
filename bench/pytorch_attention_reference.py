#!/usr/bin/env python3
"""The plain PyTorch-Python version of cwola's attention network (models/attention_network.cpp)
and its training loop (training/attention_trainer.cpp): same layers, loss, AdamW, clipping and
batch loop, on the same SPANet file and epochs. Prints training events/s; bench/attention_bench.py
runs it beside `cwola assign`. Needs Debian's python3-torch and python3-h5py (/usr/bin/python3).
"""
import argparse
import itertools
import math
import time

import h5py
import numpy as np
import torch
from torch import nn


class GatedResidual(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.first = nn.Linear(d, d)
        self.gated = nn.Linear(d, 2 * d)
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        return self.norm(x + nn.functional.glu(self.gated(nn.functional.elu(self.first(x))), -1))


def encoder(d, heads, layers):
    layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=2 * d, dropout=0.0)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class AttentionNetwork(nn.Module):
    def __init__(self, features, d, heads, layers, branch_layers, particles, daughters, symmetric,
                 log_mask, norm_mask):
        super().__init__()
        self.d = d
        self.register_buffer("log_mask", torch.tensor(log_mask))
        self.register_buffer("norm_mask", torch.tensor(norm_mask))
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("std", torch.ones(features))
        self.input = nn.Linear(features, d)
        self.embedding = nn.ModuleList([GatedResidual(d) for _ in range(2)])
        self.event_token = nn.Parameter(torch.randn(d) * 0.02)
        self.central = encoder(d, heads, layers)
        self.branch_tokens = nn.ParameterList(
            [nn.Parameter(torch.randn(d) * 0.02) for _ in range(particles)])
        self.branches = nn.ModuleList([encoder(d, heads, branch_layers) for _ in range(particles)])
        self.projections = nn.ModuleList(
            [nn.ModuleList([nn.Linear(d, d) for _ in range(daughters)]) for _ in range(particles)])
        self.class_hidden = nn.Linear(d, d)
        self.class_output = nn.Linear(d, 1)
        self.daughters = daughters
        group = []
        for perm in itertools.permutations(range(daughters)):
            if all(perm[k] == k or any(k in s and perm[k] in s for s in symmetric)
                   for k in range(daughters)):
                group.append(perm)
        self.group = group

    def fit(self, jets, mask):
        x = torch.where(self.log_mask, torch.log1p(jets.clamp_min(0)), jets)[mask]
        spread = x.std(0, unbiased=False)
        self.mean.copy_(torch.where(self.norm_mask, x.mean(0), torch.zeros_like(spread)))
        self.std.copy_(torch.where(self.norm_mask & (spread > 1e-6), spread, torch.ones_like(spread)))

    def with_token(self, enc, token, x, mask):
        n = x.shape[0]
        seq = torch.cat([token.view(1, 1, -1).expand(n, 1, -1), x], 1)
        pad = torch.cat([torch.zeros(n, 1, dtype=torch.bool), ~mask], 1)
        return enc(seq.transpose(0, 1), src_key_padding_mask=pad).transpose(0, 1)

    def forward(self, jets, mask):
        n, j, _ = jets.shape
        x = (torch.where(self.log_mask, torch.log1p(jets.clamp_min(0)), jets) - self.mean) / self.std
        h = self.input(x)
        for block in self.embedding:
            h = block(h)
        h = h * mask.unsqueeze(-1)
        central = self.with_token(self.central, self.event_token, h, mask)
        event, enc = central[:, 0], central[:, 1:]
        k = self.daughters
        allowed = torch.ones(1, dtype=torch.bool)
        idx = torch.arange(j)
        axes = []
        for a in range(k):
            shape = [n] + [1] * k
            shape[a + 1] = j
            allowed = allowed & mask.view(shape)
            shape[0] = 1
            axes.append(idx.view(shape))
        for a in range(k):
            for b in range(a + 1, k):
                allowed = allowed & (axes[a] != axes[b])
        spec = "nid,njd->nij" if k == 2 else "nid,njd,nkd->nijk"
        outs = []
        for p, branch in enumerate(self.branches):
            y = self.with_token(branch, self.branch_tokens[p], enc, mask)[:, 1:]
            raw = torch.einsum(spec, *[proj(y) for proj in self.projections[p]]) / self.d
            logits = sum(raw.permute(0, *[q + 1 for q in perm]) for perm in self.group) / len(self.group)
            logits = logits.masked_fill(~allowed, float("-inf"))
            outs.append(torch.log_softmax(logits.reshape(n, -1), 1).view(raw.shape))
        return outs, self.class_output(torch.relu(self.class_hidden(event))).squeeze(-1)


def loss_fn(outs, cls, targets, labels, group_size, lam_a, lam_c):
    n = cls.shape[0]
    p_count = len(outs)
    j = outs[0].shape[1]
    ev = torch.arange(n)
    known = [(targets[:, b] >= 0).all(1) for b in range(p_count)]
    cost = [[None] * p_count for _ in range(p_count)]
    for b in range(p_count):
        flat = torch.zeros(n, dtype=torch.long)
        for k in range(targets.shape[2]):
            flat = flat * j + targets[:, b, k].clamp_min(0)
        for a in range(p_count):
            picked = outs[a].reshape(n, -1)[ev, flat]
            cost[a][b] = torch.where(known[b], -(picked + math.log(group_size)), torch.zeros_like(picked))
    perms = list(itertools.permutations(range(p_count)))
    totals = torch.stack([sum(cost[a][perm[a]] for a in range(p_count)) for perm in perms])
    best = totals.argmin(0, keepdim=True)
    terms = []
    for a in range(p_count):
        c = torch.stack([cost[a][perm[a]] for perm in perms]).gather(0, best).squeeze(0)
        kn = torch.stack([known[perm[a]] for perm in perms]).gather(0, best).squeeze(0).float()
        if lam_a != 0:
            terms.append(lam_a * c.sum() / kn.sum().clamp_min(1.0))
    if lam_c != 0:
        terms.append(lam_c * nn.functional.binary_cross_entropy_with_logits(cls, labels))
    return torch.stack(terms).mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", required=True)
    ap.add_argument("--particles", default="t1,t2")
    ap.add_argument("--daughters", default="q1,q2,b")
    ap.add_argument("--features", default="mass:log,pt:log,eta:norm,phi:norm,btag:none")
    ap.add_argument("--max-events", type=int, default=0)
    ap.add_argument("--train-fraction", type=float, default=0.8)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    feats = [f.split(":") for f in args.features.split(",")]
    particles = args.particles.split(",")
    daughters = args.daughters.split(",")
    with h5py.File(args.data, "r") as f:
        n = f["INPUTS/Source/MASK"].shape[0] if args.max_events == 0 else args.max_events
        mask = torch.from_numpy(f["INPUTS/Source/MASK"][:n].astype(bool))
        jets = torch.from_numpy(np.stack([f["INPUTS/Source/" + name][:n] for name, _ in feats], -1)
                                .astype(np.float32)) * mask.unsqueeze(-1)
        targets = torch.from_numpy(np.stack([np.stack([f[f"TARGETS/{p}/{d}"][:n] for d in daughters], -1)
                                             for p in particles], 1).astype(np.int64))
    labels = (targets >= 0).flatten(1).all(1).float()
    n_train = int(math.floor(args.train_fraction * n))
    symmetric = [[0, 1]]
    net = AttentionNetwork(len(feats), args.hidden, 4, 4, 2, len(particles), len(daughters), symmetric,
                           [k == "log" for _, k in feats], [k != "none" for _, k in feats])
    net.fit(jets[:n_train], mask[:n_train])
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=2e-4)
    net.train()
    start = time.perf_counter()
    gen = np.random.default_rng(1)
    for epoch in range(args.epochs):
        order = torch.from_numpy(gen.permutation(n_train))
        total = 0.0
        batches = 0
        for s in range(0, n_train, args.batch_size):
            idx = order[s:s + args.batch_size]
            opt.zero_grad()
            outs, cls = net(jets[idx], mask[idx])
            loss = loss_fn(outs, cls, targets[idx], labels[idx], len(net.group), 1.0, 0.0)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 0.5)
            opt.step()
            total += loss.item()
            batches += 1
        print(f"pytorch: epoch {epoch} loss {total / batches:.4f}", flush=True)
    seconds = time.perf_counter() - start
    print(f"pytorch: trained {n_train} events x {args.epochs} epochs in {seconds:.1f} s, "
          f"{n_train * args.epochs / seconds:.0f} events/s")


if __name__ == "__main__":
    main()
