"""Flow training, cwola vs a plain PyTorch-Python MAF of the same size, in one run
(docs/cathode.md): both train exactly EPOCHS epochs on the same sideband events, one thread.

    /usr/bin/python3 bench/flow/flow_bench.py --cwola-bench build/bench/flow/cwola_flow_bench \
        --table out/lhco_qcd.h5 --epochs 10
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def seconds(pattern, text):
    match = re.search(pattern, text)
    if not match:
        sys.exit(f"no timing in output:\n{text}")
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cwola-bench", default="build/bench/flow/cwola_flow_bench")
    parser.add_argument("--table", default="out/lhco_qcd.h5")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cwola = subprocess.run([args.cwola_bench, args.table, str(args.epochs), "fixed"], env=env,
                           capture_output=True, text=True, check=True).stdout
    reference = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "pytorch_flow_reference.py"),
                                args.table, str(args.epochs)], env=env, capture_output=True,
                               text=True, check=True).stdout
    print(cwola.strip())
    print(reference.strip())
    ours = seconds(r"cwola training: ([0-9.]+) s", cwola)
    theirs = seconds(r"PyTorch-Python training: ([0-9.]+) s", reference)
    print(f"flow training, {args.epochs} epochs, 1 thread: cwola {ours:.2f} s, PyTorch-Python "
          f"{theirs:.2f} s: cwola is {theirs / ours:.2f}x the reference's speed")


if __name__ == "__main__":
    main()
