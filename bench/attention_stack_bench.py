#!/usr/bin/env python3
"""Does stacking K attention networks in one forward/backward pay on this machine? (issue 15)

Times one training step (forward, a loss of the same shape as cwola's, backward) of K attention
networks (models/attention_network.cpp: embedding + gated blocks, central encoder with an event
token, one branch per particle, pairing head, class head; not the detection head) two ways,
1 thread:

- alone:   K copies of bench/pytorch_attention_reference.py's network (torch.nn.TransformerEncoder),
           one after the other, each on its own minibatch;
- stacked: one network whose weights carry a leading member axis [K, ...]: linear layers as
           baddbmm on [K, N*S, D], attention with the members folded into the batch
           ([K*N*heads, S, D/heads] bmm), layer norm per member, post-norm ReLU encoder layers
           (the math of torch.nn.TransformerEncoderLayer, dropout 0). This is what a C++
           EnsembleAttentionNetwork would run.

Prints events/s (K x batch per step) for K = 1, 2, 4, 8 and the ratio stacked / alone. Checks
first that member k of the stack computes the network k alone computes (max |diff| printed).

    /usr/bin/python3 bench/attention_stack_bench.py                  # both settings below
    /usr/bin/python3 bench/attention_stack_bench.py --setting study  # D 32, 2 + 1 layers

Settings: `study` is jobs/dihiggs_attention.ini (D = 32, 4 heads, 1 gated block, 2 central
layers, 1 per branch, batch 128, 10 jet slots, 2 particles x 2 daughters); `default` is the
network's defaults (D = 64, 2 gated blocks, 4 + 2 layers). Not a timed test: the figures depend on
the machine and on what else runs on it.
"""
import argparse
import math
import os
import sys
import time

# One BLAS thread, as `cwola run` (set before torch loads OpenBLAS).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_attention_reference as ref  # noqa: E402

SETTINGS = {
    "study": dict(d=32, heads=4, blocks=1, layers=2, branch_layers=1),
    "default": dict(d=64, heads=4, blocks=2, layers=4, branch_layers=2),
}
FEATURES, JETS, PARTICLES, DAUGHTERS = 5, 10, 2, 2


class Reference(ref.AttentionNetwork):
    """The reference network with a configurable number of gated blocks. The detection head (two
    small linear layers per branch token, untrained at the study's lambda_d = 0) is left out of
    both arms."""

    def __init__(self, s):
        super().__init__(FEATURES, s["d"], s["heads"], s["layers"], s["branch_layers"], PARTICLES,
                         DAUGHTERS, [[0, 1]], [True, True, False, False, False], [True] * 5)
        self.embedding = nn.ModuleList([ref.GatedResidual(s["d"]) for _ in range(s["blocks"])])


def stack(tensors):
    return nn.Parameter(torch.stack([t.detach() for t in tensors]))


class StackedLinear(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.w = stack([l.weight for l in layers])  # [K, out, in]
        self.b = stack([l.bias for l in layers])    # [K, out]

    def forward(self, x):  # [K, ..., in]
        shape = x.shape
        y = torch.baddbmm(self.b.unsqueeze(1), x.reshape(shape[0], -1, shape[-1]),
                          self.w.transpose(1, 2))
        return y.view(*shape[:-1], -1)


class StackedNorm(nn.Module):
    def __init__(self, norms):
        super().__init__()
        self.w = stack([n.weight for n in norms])
        self.b = stack([n.bias for n in norms])
        self.eps = norms[0].eps

    def forward(self, x):  # [K, N, S, D]
        y = F.layer_norm(x, x.shape[-1:], eps=self.eps)
        view = [x.shape[0]] + [1] * (x.dim() - 2) + [x.shape[-1]]
        return y * self.w.view(view) + self.b.view(view)


class StackedEncoderLayer(nn.Module):
    def __init__(self, layers, heads):
        super().__init__()
        att = [l.self_attn for l in layers]
        self.heads = heads
        self.in_proj_w = stack([a.in_proj_weight for a in att])
        self.in_proj_b = stack([a.in_proj_bias for a in att])
        self.out_proj = StackedLinear([a.out_proj for a in att])
        self.linear1 = StackedLinear([l.linear1 for l in layers])
        self.linear2 = StackedLinear([l.linear2 for l in layers])
        self.norm1 = StackedNorm([l.norm1 for l in layers])
        self.norm2 = StackedNorm([l.norm2 for l in layers])

    def forward(self, x, padding):  # x [K, N, S, D], padding [N, S] (true = masked)
        k, n, s, d = x.shape
        h = self.heads
        qkv = torch.baddbmm(self.in_proj_b.unsqueeze(1), x.reshape(k, n * s, d),
                            self.in_proj_w.transpose(1, 2))
        q, kk, v = qkv.view(k, n, s, 3, h, d // h).permute(3, 0, 1, 4, 2, 5).unbind(0)
        q = q.reshape(k * n * h, s, d // h) / math.sqrt(d // h)
        bias = torch.zeros(n, s).masked_fill(padding, float("-inf"))
        bias = bias.view(1, n, 1, 1, s).expand(k, n, h, 1, s).reshape(k * n * h, 1, s)
        scores = torch.baddbmm(bias, q, kk.reshape(k * n * h, s, d // h).transpose(1, 2))
        att = torch.bmm(torch.softmax(scores, -1), v.reshape(k * n * h, s, d // h))
        att = att.view(k, n, h, s, d // h).transpose(2, 3).reshape(k, n, s, d)
        x = self.norm1(x + self.out_proj(att))
        return self.norm2(x + self.linear2(torch.relu(self.linear1(x))))


class StackedNetwork(nn.Module):
    def __init__(self, nets, heads):
        super().__init__()
        first = nets[0]
        self.d = first.d
        self.group = first.group
        for name in ("log_mask", "norm_mask"):
            self.register_buffer(name, getattr(first, name))
        self.register_buffer("mean", torch.stack([m.mean for m in nets]).unsqueeze(1).unsqueeze(1))
        self.register_buffer("std", torch.stack([m.std for m in nets]).unsqueeze(1).unsqueeze(1))
        self.input = StackedLinear([m.input for m in nets])
        self.blocks = nn.ModuleList([
            nn.ModuleList([StackedLinear([m.embedding[b].first for m in nets]),
                           StackedLinear([m.embedding[b].gated for m in nets]),
                           StackedNorm([m.embedding[b].norm for m in nets])])
            for b in range(len(first.embedding))])
        self.event_token = stack([m.event_token for m in nets])
        self.central = nn.ModuleList(
            [StackedEncoderLayer([m.central.layers[i] for m in nets], heads)
             for i in range(len(first.central.layers))])
        self.branch_tokens = nn.ParameterList(
            [stack([m.branch_tokens[p] for m in nets]) for p in range(PARTICLES)])
        self.branches = nn.ModuleList([
            nn.ModuleList([StackedEncoderLayer([m.branches[p].layers[i] for m in nets], heads)
                           for i in range(len(first.branches[p].layers))])
            for p in range(PARTICLES)])
        self.projections = nn.ModuleList([
            nn.ModuleList([StackedLinear([m.projections[p][q] for m in nets])
                           for q in range(DAUGHTERS)]) for p in range(PARTICLES)])
        self.class_hidden = StackedLinear([m.class_hidden for m in nets])
        self.class_output = StackedLinear([m.class_output for m in nets])

    def with_token(self, layers, token, x, mask):  # x [K, N, J, D]
        k, n = x.shape[:2]
        seq = torch.cat([token.view(k, 1, 1, -1).expand(k, n, 1, -1), x], 2)
        pad = torch.cat([torch.zeros(n, 1, dtype=torch.bool), ~mask], 1)
        for layer in layers:
            seq = layer(seq, pad)
        return seq

    def forward(self, jets, mask):  # jets [K, N, J, F], mask [N, J] (shared here)
        k, n, j, _ = jets.shape
        logged = torch.where(self.log_mask, torch.log1p(jets.clamp_min(0)), jets)
        x = (logged - self.mean) / self.std
        h = self.input(x)
        for first, gated, norm in self.blocks:
            h = norm(h + F.glu(gated(F.elu(first(h))), -1))
        h = h * mask.unsqueeze(-1)
        central = self.with_token(self.central, self.event_token, h, mask)
        event, enc = central[:, :, 0], central[:, :, 1:]
        idx = torch.arange(j)
        allowed = mask.view(n, j, 1) & mask.view(n, 1, j) & (idx.view(j, 1) != idx.view(1, j))
        outs = []
        for p in range(PARTICLES):
            y = self.with_token(self.branches[p], self.branch_tokens[p], enc, mask)[:, :, 1:]
            y1, y2 = [proj(y) for proj in self.projections[p]]
            raw = torch.matmul(y1, y2.transpose(-1, -2)) / self.d  # [K, N, J, J]
            logits = (raw + raw.transpose(-1, -2)) / 2
            logits = logits.masked_fill(~allowed, float("-inf"))
            outs.append(torch.log_softmax(logits.reshape(k, n, -1), -1).view(raw.shape))
        cls = self.class_output(torch.relu(self.class_hidden(event))).squeeze(-1)
        return outs, cls


def batch(n, gen):
    jets_count = torch.randint(4, JETS + 1, (n,), generator=gen)
    mask = torch.arange(JETS).view(1, -1) < jets_count.view(-1, 1)
    jets = torch.rand(n, JETS, FEATURES, generator=gen) * 100 * mask.unsqueeze(-1)
    targets = torch.stack([torch.randperm(4, generator=gen) for _ in range(n)]).view(n, 2, 2)
    labels = torch.randint(0, 2, (n,), generator=gen).float()
    return jets, mask, targets, labels


def loss_of(outs, cls, targets, labels):
    """cwola's loss for lambda_a = lambda_c = 1 (all targets complete): the reference's."""
    return ref.loss_fn(outs, cls, targets, labels, 2, 1.0, 1.0)


def step_alone(nets, data):
    for net, (jets, mask, targets, labels) in zip(nets, data):
        outs, cls = net(jets, mask)
        loss_of(outs, cls, targets, labels).backward()


def step_stacked(stacked, data):
    jets, mask, targets, labels = data
    outs, cls = stacked(jets, mask)
    # Members are independent: the sum of their losses gives each member its own gradient.
    total = sum(loss_of([o[k] for o in outs], cls[k], targets, labels) for k in range(cls.shape[0]))
    total.backward()


def timed(fn, repeat):
    fn()  # warm up
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def run(setting, ks, batch_size, seconds):
    s = SETTINGS[setting]
    gen = torch.Generator().manual_seed(1)
    print(f"setting {setting}: D = {s['d']}, {s['heads']} heads, {s['blocks']} gated blocks, "
          f"{s['layers']} + {s['branch_layers']} layers, batch {batch_size}, J = {JETS}")
    print(f"{'K':>3} {'alone ev/s':>11} {'stacked ev/s':>13} {'stacked/alone':>14} "
          f"{'max|diff|':>10}")
    for k in ks:
        torch.manual_seed(k)
        nets = [Reference(s) for _ in range(k)]
        stacked = StackedNetwork(nets, s["heads"])
        jets, mask, targets, labels = batch(batch_size, gen)
        # Members share the events here (as tasks of one stack share a point's events).
        with torch.no_grad():
            outs, cls = stacked(jets.expand(k, -1, -1, -1), mask)
            diff = 0.0
            for m, net in enumerate(nets):
                o, c = net(jets, mask)
                diff = max(diff, (c - cls[m]).abs().max().item())
                for a, b in zip(o, outs):
                    finite = torch.isfinite(a)
                    diff = max(diff, (a[finite] - b[m][finite]).abs().max().item())
        data_alone = [(jets, mask, targets, labels)] * k
        data_stacked = (jets.expand(k, -1, -1, -1).contiguous(), mask, targets, labels)
        one = timed(lambda: step_alone(nets, data_alone), 1)
        repeat = max(2, int(seconds / max(one, 1e-3)))
        alone = min(timed(lambda: step_alone(nets, data_alone), repeat) for _ in range(2))
        stack_t = min(timed(lambda: step_stacked(stacked, data_stacked), repeat) for _ in range(2))
        events = k * batch_size
        print(f"{k:>3} {events / alone:>11.0f} {events / stack_t:>13.0f} {alone / stack_t:>14.2f} "
              f"{diff:>10.1e}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--setting", choices=["study", "default", "both"], default="both")
    ap.add_argument("--k-values", default="1,2,4,8")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seconds", type=float, default=2.0, help="per timing (two taken, min kept)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ks = [int(k) for k in args.k_values.split(",")]
    for setting in (["study", "default"] if args.setting == "both" else [args.setting]):
        run(setting, ks, args.batch_size, args.seconds)


if __name__ == "__main__":
    main()
