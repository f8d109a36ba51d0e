#!/usr/bin/python3
"""Copies an event file (cwola generate's layout: one dataset per column under /TABLE) and adds
columns noise0 .. noise{n-1} of independent N(0, 1) values, the same distribution for every
event: pure-noise features for the robustness check of docs/trees.md.

    scripts/add_noise_columns.py IN.h5 OUT.h5 [--columns 10] [--seed 1]"""
import argparse
import shutil

import h5py
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--table", default="/TABLE")
    args = parser.parse_args()
    shutil.copyfile(args.input, args.output)
    random = np.random.default_rng(args.seed)
    with h5py.File(args.output, "r+") as f:
        table = f[args.table]
        events = next(iter(table.values())).shape[0]
        for c in range(args.columns):
            table.create_dataset(f"noise{c}", data=random.standard_normal(events))


if __name__ == "__main__":
    main()
