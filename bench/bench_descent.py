"""Iterations and wall time to ||grad|| <= 1e-8 for every descent method.

Two problems:
- seed 4x4: F(x) = ||A x - b||^2 on the chapter-02 system (kappa of the
  Hessian 2 A^T A is about 174); CG runs on the normal equations.
- SPD 200x200: f(x) = 1/2 x^T S x - c^T x with cond(S) = 1e3.

CG is the baseline: "x CG" is a method's iteration count over CG's.
Every method gets L and mu (the Hessian's extreme eigenvalues) and uses
its lr=None default.  Run: python bench/bench_descent.py [--repeat R]
"""

import argparse
import os
import time

import numpy as np

from course_utils.datasets import seed_linear_system, spd_system
from course_utils.descent import (
    METHODS,
    conjugate_gradient,
    gradient_descent,
)

TOL = 1e-8
MAX_ITER = 100_000


def quadratic(H, c):
    """f(x) = 1/2 x^T H x - c^T x with its gradient and (L, mu)."""
    eig = np.linalg.eigvalsh(H)

    def f(x):
        return float(0.5 * x @ (H @ x) - c @ x)

    return dict(H=H, c=c, f=f, grad=lambda x: H @ x - c,
                L=float(eig[-1]), mu=float(eig[0]))


def problems():
    A, b, _ = seed_linear_system()
    # ||Ax - b||^2 = x^T (A^T A) x - 2 b^T A x + b^T b: the same
    # iterates as 1/2 x^T H x - c^T x with H = 2 A^T A, c = 2 A^T b.
    seed = quadratic(2.0 * A.T @ A, 2.0 * A.T @ b)
    S, c = spd_system(n=200, cond=1e3, seed=0)
    return {"seed 4x4": seed, "SPD 200x200": quadratic(S, c)}


def run(problem, method):
    x0 = np.zeros(len(problem["c"]))
    if method == "cg":
        return conjugate_gradient(problem["H"], problem["c"], x0, tol=TOL,
                                  max_iter=MAX_ITER)
    return gradient_descent(problem["grad"], x0, method=method, tol=TOL,
                            max_iter=MAX_ITER, f=problem["f"],
                            L=problem["L"], mu=problem["mu"])


def measure(problem, method, repeat):
    """Return (iterations, best wall time in ms, converged)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = run(problem, method)
        best = min(best, time.perf_counter() - start)
    return result.n_iter, 1e3 * best, result.converged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per cell; the best time is kept")
    args = parser.parse_args()

    cases = problems()
    methods = ("cg",) + METHODS
    table = {name: {m: measure(p, m, args.repeat) for m in methods}
             for name, p in cases.items()}

    names = list(cases)
    kappas = [cases[n]["L"] / cases[n]["mu"] for n in names]
    print(f"tol = {TOL:g} on ||grad||, x0 = 0; best of {args.repeat} "
          f"runs; numpy {np.__version__}, {os.cpu_count()} CPU cores")
    print("kappa: " + ", ".join(f"{n} {k:.0f}"
                                for n, k in zip(names, kappas)))
    head = "| method      |"
    rule = "|-------------|"
    for name in names:
        head += f" {name + ' iters':>17} | x CG  | ms     |"
        rule += "-------------------|-------|--------|"
    print(head)
    print(rule)
    for method in methods:
        line = f"| {method + (' (base)' if method == 'cg' else ''):<11} |"
        for name in names:
            n_iter, ms, ok = table[name][method]
            ratio = n_iter / table[name]["cg"][0]
            mark = "" if ok else "!"
            line += f" {n_iter:>16}{mark:1} | {ratio:5.1f} | {ms:6.1f} |"
        print(line)
    if any(not cell[2] for row in table.values() for cell in row.values()):
        print(f"! = did not reach tol within max_iter = {MAX_ITER}")


if __name__ == "__main__":
    main()
