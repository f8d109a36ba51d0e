"""Benchmark of the bump-hunt network's training across ranks (docs/bump_hunt_network.md):
trains Znet3 with `cwola bumpnet` on the same generated histograms on 1 and 2 ranks (same global
batch) and prints, from the output files' timing datasets, the training throughput (histograms
trained per second, epochs included), the allreduce time per step and the inference rate.

    CWOLA_BIN=build/cwola /usr/bin/python3 bench/bumpnet_bench.py --train 512 --epochs 2
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..")
CWOLA = os.environ.get("CWOLA_BIN", os.path.join(SOURCE, "build", "cwola"))
MPIEXEC = os.environ.get("CWOLA_MPIEXEC", "mpiexec")
FLAGS = os.environ.get("CWOLA_MPIEXEC_FLAGS", "--oversubscribe --bind-to none").split()


def run(ranks, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    command = [MPIEXEC, "-np", str(ranks), *FLAGS, CWOLA, *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=int, default=512, help="training histograms")
    parser.add_argument("--test", type=int, default=256, help="held-out histograms")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64, help="global minibatch")
    parser.add_argument("--network", default="znet3")
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "bump.h5")
        run(1, "generate", "--card", os.path.join(SOURCE, "inputs", "bump_histograms.card"),
            "--output", data, "--set", f"generator.histograms={a.train + a.test}")
        rows = []
        for ranks in (1, 2):
            out = os.path.join(tmp, f"np{ranks}.h5")
            run(ranks, "bumpnet", "--card", os.path.join(SOURCE, "jobs", "bumpnet_reduced.ini"),
                "--data", data, "--output", out, "--set", f"bumpnet.networks={a.network}",
                "--set", f"bumpnet.train_histograms={a.train}",
                "--set", f"bumpnet.test_histograms={a.test}",
                "--set", f"bumpnet.epochs={a.epochs}", "--set", f"bumpnet.batch_size={a.batch}")
            with h5py.File(out, "r") as f:
                t = f[f"/{a.network}/timing"]
                seconds = t["train_seconds"][0]
                steps = int(t["steps"][0])
                rows.append((ranks, a.train * a.epochs / seconds, seconds, steps,
                             t["reduce_seconds"][0] / max(steps, 1),
                             a.test / t["inference_seconds"][0]))
    print(f"{a.network}: {a.train} training histograms x {a.epochs} epochs, global batch "
          f"{a.batch}, OMP threads 1 per rank")
    print("ranks  trained histograms/s  train s  steps  allreduce ms/step  inference histograms/s")
    for ranks, rate, seconds, steps, reduce, inference in rows:
        print(f"{ranks:5d}  {rate:20.1f}  {seconds:7.2f}  {steps:5d}  {1e3 * reduce:17.3f}  "
              f"{inference:22.1f}")
    print(f"speed-up 2 vs 1 rank: {rows[1][1] / rows[0][1]:.2f}x")


if __name__ == "__main__":
    main()
