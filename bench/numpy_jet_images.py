#!/usr/bin/python3
"""Plain numpy jet images, the recipe of the seeds' group's workflow (conventions note,
"Jet images"): a Python loop over jets with numpy inside each jet.

  1. if var(phi) > 0.5, shift phi by pi and wrap into [-pi, pi] (jets across the phi seam);
  2. translate to the pT-weighted centroid;
  3. rotate by the principal axis of the pT-weighted second moments onto eta;
  4. flip so that the quadrant with the largest pT sum is the first (eta', phi' > 0);
  5. sum pT into P x P pixels on [-1, 1]^2 (np.histogram2d); two jets = two channels.

Usage: numpy_jet_images.py EVENTS.h5 [--pixels 25] [--max-events N] [--compare CWOLA_TEXT]
  --compare reads the text written by `cwola images --output` (first events' images, one per
  line, J1 then J2) and prints the agreement of the two implementations.
"""
import argparse
import sys
import time

import h5py
import numpy as np


def jet_image(pt, eta, phi, pixels=25):
    """One jet's image [pixels, pixels] (rows: eta', columns: phi'); padding has pt <= 0."""
    keep = pt > 0
    pt, eta, phi = pt[keep].astype(np.float64), eta[keep].astype(np.float64), phi[keep].astype(np.float64)
    if pt.size == 0:
        return np.zeros((pixels, pixels))
    if np.var(phi) > 0.5:
        phi = np.mod(phi, 2 * np.pi) - np.pi  # phi + pi, wrapped into [-pi, pi)
    w = pt / pt.sum()
    x = eta - np.dot(w, eta)
    y = phi - np.dot(w, phi)
    sxx, syy, sxy = np.dot(pt, x * x), np.dot(pt, y * y), np.dot(pt, x * y)
    alpha = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    c, s = np.cos(alpha), np.sin(alpha)
    x, y = c * x + s * y, -s * x + c * y
    q = np.array([[pt[(x >= 0) & (y >= 0)].sum(), pt[(x >= 0) & (y < 0)].sum()],
                  [pt[(x < 0) & (y >= 0)].sum(), pt[(x < 0) & (y < 0)].sum()]])
    fx, fy = np.unravel_index(np.argmax(q), q.shape)
    if fx == 1:
        x = -x
    if fy == 1:
        y = -y
    image, _, _ = np.histogram2d(x, y, bins=pixels, range=[[-1, 1], [-1, 1]], weights=pt)
    return image


def load(path, max_events=None):
    with h5py.File(path, "r") as f:
        n = f["J1/pt"].shape[0] if max_events is None else min(max_events, f["J1/pt"].shape[0])
        return {j: {v: f[f"{j}/{v}"][:n] for v in ("pt", "eta", "phi")} for j in ("J1", "J2")}


def dijet_images(events, pixels=25):
    n = events["J1"]["pt"].shape[0]
    out = np.zeros((n, 2, pixels, pixels), dtype=np.float32)
    for i in range(n):
        for c, j in enumerate(("J1", "J2")):
            e = events[j]
            out[i, c] = jet_image(e["pt"][i], e["eta"][i], e["phi"][i], pixels)
    return out


def compare(images, cwola_text, pixels):
    ref = np.loadtxt(cwola_text, dtype=np.float64, ndmin=2).reshape(-1, 2, pixels, pixels)
    mine = images[:ref.shape[0]].astype(np.float64)
    diff = np.abs(mine - ref)
    tot_m, tot_r = mine.sum(axis=(2, 3)), ref.sum(axis=(2, 3))
    per_image = diff.reshape(-1, pixels * pixels).max(axis=1)
    scale = ref.reshape(-1, pixels * pixels).max(axis=1)
    differing = int(np.sum(per_image > 1e-3 * np.maximum(scale, 1e-12)))
    return {"events": ref.shape[0], "max_abs_pixel": float(diff.max()),
            "max_pixel": float(ref.max()),
            "max_abs_total": float(np.abs(tot_m - tot_r).max()),
            "images_differing": differing, "images": 2 * ref.shape[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("events")
    ap.add_argument("--pixels", type=int, default=25)
    ap.add_argument("--max-events", type=int)
    ap.add_argument("--compare")
    a = ap.parse_args()
    t0 = time.perf_counter()
    events = load(a.events, a.max_events)
    t1 = time.perf_counter()
    images = dijet_images(events, a.pixels)
    t2 = time.perf_counter()
    n = images.shape[0]
    print(f"numpy images: events {n} pixels {a.pixels}")
    print(f"numpy images: read_s {t1 - t0:.6f} image_s {t2 - t1:.6f} "
          f"events_per_s {n / (t2 - t1):.1f} pixel_sum {images.sum(dtype=np.float64):.6e}")
    if a.compare:
        r = compare(images, a.compare, a.pixels)
        print("numpy images: compare " + " ".join(f"{k} {v}" for k, v in r.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
