#!/usr/bin/python3
"""Reference implementation of cwola's background fit in plain Python (numpy + scipy):
the same binned Poisson likelihood, the same bin integrals (8-node Gauss-Legendre per
bin), the same parametrisation ln(dN/dm) = sum_k theta_k phi_k(x) and analytic
gradient, minimised by scipy.optimize.minimize (BFGS). A toy is: Poisson-fluctuate the
fitted background, refit the background, then fit background + Gaussian signal at every
scan mass (yield free in sign) -- as `cwola fit --toys` does.

Used by bench/fit_bench.py; run alone it prints the fit of a CSV spectrum:
  /usr/bin/python3 bench/scipy_fit_reference.py SPECTRUM.csv --scale 137 --params 4
"""
import argparse
import math
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import erf

SQRT_S = 13000.0


def read_csv(path, scale):
    rows = []
    with open(path) as handle:
        header = None
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            cells = line.split(",")
            if header is None:
                header = {name: i for i, name in enumerate(cells)}
                continue
            rows.append([float(cells[header[c]]) for c in ("mass_center", "value", "bin_width")])
    rows = np.array(rows)
    centre, value, width = rows[:, 0], rows[:, 1], rows[:, 2]
    edges = np.concatenate([[centre[0] - width[0] / 2], centre + width / 2])
    counts = value * width * scale if scale else value
    return edges, counts


def basis(mass, n_params):
    x = mass / SQRT_S
    lx = np.log(x)
    full = [np.ones_like(x), np.log1p(-x), -lx, -lx ** 2, -lx ** 3]
    return np.stack(full[:n_params], axis=-1)


class Model:
    def __init__(self, edges, n_params, nodes=8):
        t, w = np.polynomial.legendre.leggauss(nodes)
        lo, hi = edges[:-1, None], edges[1:, None]
        self.mass = 0.5 * (hi - lo) * t[None, :] + 0.5 * (hi + lo)   # [bins, nodes]
        self.weight = 0.5 * (hi - lo) * w[None, :]
        self.phi = basis(self.mass, n_params)                        # [bins, nodes, P]
        self.edges = edges
        self.n_params = n_params

    def background(self, theta):
        return (self.weight * np.exp(self.phi @ theta)).sum(axis=1)

    def objective(self, params, counts, signal):
        """Half deviance and gradient; params = theta (+ yield when signal is given)."""
        theta = params[: self.n_params]
        e = self.weight * np.exp(self.phi @ theta)
        b = e.sum(axis=1)
        lam = b + (params[-1] * signal if signal is not None else 0.0)
        if np.any(lam <= 0) or not np.all(np.isfinite(lam)):
            return 1e30, np.zeros_like(params)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_term = np.where(counts > 0, counts * np.log(counts / lam), 0.0)
        f = np.sum(lam - counts + log_term)
        r = 1.0 - counts / lam
        grad_theta = np.einsum("i,ijk,ij->k", r, self.phi, e)
        if signal is None:
            return f, grad_theta
        return f, np.concatenate([grad_theta, [np.sum(r * signal)]])

    def start(self, counts):
        centre = 0.5 * (self.edges[1:] + self.edges[:-1])
        width = np.diff(self.edges)
        y = np.log(np.maximum(counts, 0.5) / width)
        w = np.sqrt(np.maximum(counts, 1.0))
        a = basis(centre, self.n_params) * w[:, None]
        return np.linalg.lstsq(a, y * w, rcond=None)[0]

    def fit(self, counts, start=None, signal=None):
        x0 = self.start(counts) if start is None else np.array(start, dtype=float)
        if signal is not None and len(x0) == self.n_params:
            x0 = np.concatenate([x0, [0.0]])
        result = minimize(self.objective, x0, args=(counts, signal), jac=True, method="BFGS",
                          options={"gtol": 1e-6, "maxiter": 5000})
        return result


def gaussian_fractions(edges, mass, sigma):
    z = (edges - mass) / (sigma * math.sqrt(2.0))
    return 0.5 * np.diff(erf(z))


def toy(model, background, theta, masses, width_fraction, rng):
    counts = rng.poisson(background).astype(float)
    b_fit = model.fit(counts, start=theta)
    z_max = -np.inf
    for m in masses:
        s = gaussian_fractions(model.edges, m, width_fraction * m)
        sb = model.fit(counts, start=b_fit.x, signal=s)
        q0 = max(0.0, 2.0 * (b_fit.fun - sb.fun))
        z_max = max(z_max, math.copysign(math.sqrt(q0), sb.x[-1]))
    return z_max


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--scale", type=float, default=137.0)
    parser.add_argument("--params", type=int, default=4)
    args = parser.parse_args()
    edges, counts = read_csv(args.csv, args.scale)
    model = Model(edges, args.params)
    result = model.fit(counts)
    b = model.background(result.x)
    deviance = 2 * result.fun
    print(f"dijet{args.params}: theta = {result.x}, deviance = {deviance:.4f}, "
          f"pearson = {np.sum((counts - b) ** 2 / b):.4f}, converged = {result.success}")


if __name__ == "__main__":
    sys.exit(main())
