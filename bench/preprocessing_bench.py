#!/usr/bin/python3
"""Event generation and jet-image benchmark (issue 5), in the style of bench.py.

  1. `cwola generate --card inputs/qcd_dijet.card --set generator.events=N` at 1 and 2 ranks:
     generated events/s, events/s per core and the 2-rank/1-rank speed-up (wall clock of the
     whole mpiexec, start-up and file writing included; the files of both runs must agree).
  2. `cwola images` (C++, 1 thread) against bench/numpy_jet_images.py (the seeds' recipe in
     plain numpy, Python loop over jets) on the same events: events/s of the imaging alone
     (reading excluded), the ratio, and the agreement of the first events' images.

Usage: /usr/bin/python3 bench/preprocessing_bench.py [--events 40000] [--image-events 5000]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from bench import ENV, ROOT, machine

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_jet_images as nji  # noqa: E402

CWOLA = os.path.join(ROOT, "build", "cwola")
CARD = os.path.join(ROOT, "inputs", "qcd_dijet.card")


def generate(ranks, events, out):
    cmd = ["mpiexec", "--oversubscribe", "-np", str(ranks), CWOLA, "generate", "--card", CARD,
           "--output", out, "--overwrite", "--set", f"generator.events={events}"]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=ENV, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=40000, help="generated events per run")
    ap.add_argument("--image-events", type=int, default=5000)
    ap.add_argument("--pixels", type=int, default=25)
    ap.add_argument("--compare-events", type=int, default=100)
    a = ap.parse_args()
    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        files = {}
        for ranks in (1, 2):
            files[ranks] = os.path.join(tmp, f"qcd_{ranks}.h5")
            wall = generate(ranks, a.events, files[ranks])
            rows.append((ranks, wall))
        with h5py.File(files[1], "r") as f1, h5py.File(files[2], "r") as f2:
            stored = f1["EVENT/mjj"].shape[0]
            same = all(np.array_equal(f1[k][...], f2[k][...])
                       for k in ("J1/pt", "J1/eta", "J2/phi", "EVENT/mjj"))
        print(f"\n== event generation: {a.events} generated events, {stored} stored "
              f"(files of 1 and 2 ranks identical: {same})")
        print(f"{'ranks':>5} {'wall s':>8} {'events/s':>10} {'events/s/core':>14} {'speed-up':>9}")
        base = rows[0][1]
        for ranks, wall in rows:
            print(f"{ranks:>5} {wall:>8.2f} {a.events / wall:>10.0f} "
                  f"{a.events / wall / ranks:>14.0f} {base / wall:>9.2f}")

        events = files[2]
        dump = os.path.join(tmp, "images.txt")
        out = subprocess.run([CWOLA, "images", "--events", events, "--pixels", str(a.pixels),
                              "--max-events", str(a.image_events), "--threads", "1",
                              "--output", dump, "--dump", str(a.compare_events)],
                             env=ENV, check=True, capture_output=True, text=True).stdout
        got = re.search(r"image_s (\S+) events_per_s (\S+) pixel_sum (\S+)", out)
        cpp_s, cpp_rate, cpp_sum = float(got.group(1)), float(got.group(2)), float(got.group(3))
        ev = nji.load(events, a.image_events)
        t0 = time.perf_counter()
        images = nji.dijet_images(ev, a.pixels)
        np_s = time.perf_counter() - t0
        n = images.shape[0]
        np_rate = n / np_s
        cmp = nji.compare(images, dump, a.pixels)
        np_sum = float(images.sum(dtype=np.float64))
        print(f"\n== jet images: {n} events x 2 jets, {a.pixels}x{a.pixels} pixels, 1 core "
              f"(reading excluded)")
        print(f"{'implementation':<28} {'image s':>8} {'events/s':>10} {'pixel sum (GeV)':>16}")
        print(f"{'cwola images (C++, 1 thr)':<28} {cpp_s:>8.3f} {cpp_rate:>10.0f} {cpp_sum:>16.6e}")
        print(f"{'numpy (seeds recipe)':<28} {np_s:>8.3f} {np_rate:>10.0f} {np_sum:>16.6e}")
        print(f"C++/numpy speed ratio: {cpp_rate / np_rate:.1f}")
        print(f"agreement, first {cmp['events']} events: max |pixel diff| "
              f"{cmp['max_abs_pixel']:.3g} GeV (largest pixel {cmp['max_pixel']:.4g} GeV), "
              f"max |image pT sum diff| {cmp['max_abs_total']:.3g} GeV, images differing "
              f"(> 1e-3 of the image max) {cmp['images_differing']}/{cmp['images']}; "
              f"all {n} events: relative pixel-sum diff {abs(cpp_sum - np_sum) / cpp_sum:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
