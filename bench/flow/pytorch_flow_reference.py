"""The reference side of the flow benchmark (docs/cathode.md): a plain PyTorch-Python
conditional MAF of the same size as cwola's (4 MADE blocks with affine transforms, hidden
64-64, m_jj as context into the first hidden layer, reversals between blocks, the same
min-max + logit + standardisation preprocessing, soft-clamped log-scales), trained on the same
sideband events (window 1 of jobs/hunt_reduced.ini) with Adam 1e-3, batch 256, for exactly
EPOCHS epochs with a validation NLL after each: what a physicist would write.

    /usr/bin/python3 bench/flow/pytorch_flow_reference.py TABLE.h5 EPOCHS
"""
import math
import sys
import time

import h5py
import numpy as np
import torch

FEATURES = ["mj1", "delta_mj", "tau21j1", "tau21j2"]
LIMIT = 5.0
MARGIN = 0.05


class Made(torch.nn.Module):
    def __init__(self, d, c, h):
        super().__init__()
        deg_in = torch.arange(1, d + 1)
        deg_h = (torch.arange(h) % max(d - 1, 1)) + 1 if d > 1 else torch.zeros(h, dtype=torch.long)
        deg_out = torch.cat([deg_in, deg_in])
        self.register_buffer("m0", (deg_h[:, None] >= deg_in[None, :]).float())
        self.register_buffer("m1", (deg_h[:, None] >= deg_h[None, :]).float())
        self.register_buffer("m2", (deg_out[:, None] > deg_h[None, :]).float())
        self.l0 = torch.nn.Linear(d, h)
        self.l1 = torch.nn.Linear(h, h)
        self.l2 = torch.nn.Linear(h, 2 * d)
        self.ctx = torch.nn.Linear(c, h)
        self.d = d

    def params(self, x, c):
        h = torch.relu(torch.nn.functional.linear(x, self.l0.weight * self.m0, self.l0.bias)
                       + self.ctx(c))
        h = torch.relu(torch.nn.functional.linear(h, self.l1.weight * self.m1, self.l1.bias))
        out = torch.nn.functional.linear(h, self.l2.weight * self.m2, self.l2.bias)
        return out[:, :self.d], LIMIT * torch.tanh(out[:, self.d:] / LIMIT)

    def forward(self, x, c):
        shift, log_scale = self.params(x, c)
        return (x - shift) * torch.exp(-log_scale), -log_scale.sum(1)


class Maf(torch.nn.Module):
    def __init__(self, d, c, h, blocks):
        super().__init__()
        self.blocks = torch.nn.ModuleList([Made(d, c, h) for _ in range(blocks)])

    def log_prob(self, y, c):
        log_det = torch.zeros(y.shape[0])
        for i, block in enumerate(self.blocks):
            if i > 0:
                y = y.flip(1)
            y, ld = block(y, c)
            log_det = log_det + ld
        return log_det - 0.5 * (y ** 2).sum(1) - 0.5 * math.log(2 * math.pi) * y.shape[1]


def main():
    path, epochs = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(1)
    torch.manual_seed(1)
    with h5py.File(path, "r") as f:
        x = np.stack([f["TABLE"][name][:] for name in FEATURES], 1)
        m = f["TABLE"]["mjj"][:]
    sideband = ((m >= 2725) & (m < 3331)) | ((m >= 4071) & (m < 4975))
    x, m = x[sideband], m[sideband]
    order = np.random.default_rng(1).permutation(len(m))
    n_train, n_val = len(m) * 6 // 10, len(m) // 5
    tr, va = order[:n_train], order[n_train:n_train + n_val]
    lo, hi = x[tr].min(0), x[tr].max(0)
    low, width = lo - MARGIN * (hi - lo), (hi - lo) * (1 + 2 * MARGIN)

    def logit(v):
        s = np.clip((v - low) / width, 1e-6, 1 - 1e-6)
        return np.log(s) - np.log1p(-s), -(np.log(width).sum() + (np.log(s) + np.log1p(-s)).sum(1))

    lt, _ = logit(x[tr])
    mean, std = lt.mean(0), lt.std(0)

    def prepare(index):
        l, jac = logit(x[index])
        y = torch.tensor((l - mean) / std, dtype=torch.float32)
        c = torch.tensor(((m[index] - m[tr].mean()) / m[tr].std())[:, None], dtype=torch.float32)
        return y, c, torch.tensor(jac - np.log(std).sum(), dtype=torch.float32)

    ytr, ctr, jtr = prepare(tr)
    yva, cva, jva = prepare(va)
    flow = Maf(4, 1, 64, 4)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
    start = time.perf_counter()
    cpu_start = time.process_time()
    for epoch in range(epochs):
        flow.train()
        perm = torch.randperm(len(ytr))
        for b in range(0, len(ytr), 256):
            i = perm[b:b + 256]
            loss = -(flow.log_prob(ytr[i], ctr[i]) + jtr[i]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        flow.eval()
        with torch.no_grad():
            val = -(flow.log_prob(yva, cva) + jva).mean().item()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(f"PyTorch-Python training: {seconds:.2f} s, {seconds / epochs:.3f} s per epoch, "
          f"{cpu:.2f} s of CPU ({n_train} training, {n_val} validation events; last validation NLL {val:.4f})")


if __name__ == "__main__":
    main()
