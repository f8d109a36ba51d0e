"""Flow training, cwola vs a plain PyTorch-Python MAF of the same size, in one run
(docs/cathode.md): both train exactly EPOCHS epochs on the same sideband events, one thread,
alternating for --rounds rounds; the ratios are between the two sides' medians, of wall time
and of the training's CPU time (a single-threaded process's CPU time is what a shared, loaded
machine distorts least).

    /usr/bin/python3 bench/flow/flow_bench.py --cwola-bench build/bench/flow/cwola_flow_bench \
        --table out/lhco_qcd.h5 --epochs 10
"""
import argparse
import os
import re
import statistics
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
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
    for round_index in range(args.rounds):
        cwola = subprocess.run([args.cwola_bench, args.table, str(args.epochs), "fixed"], env=env,
                               capture_output=True, text=True, check=True).stdout
        reference = subprocess.run(
            ["/usr/bin/python3", os.path.join(HERE, "pytorch_flow_reference.py"), args.table,
             str(args.epochs)], env=env, capture_output=True, text=True, check=True).stdout
        if round_index == 0:
            print(cwola.strip())
            print(reference.strip())
        ours.append(seconds(r"cwola training: ([0-9.]+) s", cwola))
        theirs.append(seconds(r"PyTorch-Python training: ([0-9.]+) s", reference))
        ours_cpu.append(seconds(r"([0-9.]+) s of CPU", cwola))
        theirs_cpu.append(seconds(r"([0-9.]+) s of CPU", reference))
        print(f"round {round_index + 1}: cwola {ours[-1]:.2f} s ({ours_cpu[-1]:.2f} s CPU), "
              f"PyTorch-Python {theirs[-1]:.2f} s ({theirs_cpu[-1]:.2f} s CPU)")
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"flow training, {args.epochs} epochs, 1 thread, median of {args.rounds} rounds: cwola "
          f"{a:.2f} s, PyTorch-Python {b:.2f} s: cwola is {b / a:.2f}x the reference's speed")
    a, b = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    print(f"  CPU time of the training: cwola {a:.2f} s, PyTorch-Python {b:.2f} s: "
          f"{b / a:.2f}x")


if __name__ == "__main__":
    main()
