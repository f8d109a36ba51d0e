#!/usr/bin/env python3
"""Attention-network training throughput, side by side on one machine, 1 thread each:
`cwola assign` (LibTorch C++) and bench/pytorch_attention_reference.py (plain PyTorch-Python),
same SPANet file, events, epochs, network size and loss. Prints events/s of each and the ratio.
  CWOLA_BIN=build/cwola /usr/bin/python3 bench/attention_bench.py --max-events 2000 --epochs 1
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/work/shared/data/spanet/full_hadronic_ttbar_example.h5"
SPEC = "/work/shared/data/spanet/full_hadronic_ttbar.yaml"


def run(cmd, pattern):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    sys.stdout.write(out)
    return float(re.search(pattern, out).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--spec", default=SPEC)
    ap.add_argument("--max-events", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args()
    cwola = os.environ.get("CWOLA_BIN", os.path.join(ROOT, "build", "cwola"))
    ours = run([cwola, "assign", "--spec", args.spec, "--data", args.data, "--max-events",
                str(args.max_events), "--epochs", str(args.epochs), "--threads", "1"],
               r"trained on .*?, ([0-9.]+) events/s")
    ref = run([sys.executable, os.path.join(ROOT, "bench", "pytorch_attention_reference.py"),
               "--data", args.data, "--max-events", str(args.max_events), "--epochs",
               str(args.epochs), "--threads", "1"], r"([0-9.]+) events/s")
    print(f"attention training events/s per core: cwola {ours:.1f}, PyTorch-Python {ref:.1f}, "
          f"ratio {ours / ref:.2f}x (target >= 1.5x)")


if __name__ == "__main__":
    main()
