"""Benchmark: gradient check of a 64-128-10 MLP (9,610 parameters).

Compares the two methods of course_utils.nn.mlp_gradient_check on 32
digits, one thread:

- "loop": nudge one parameter at a time by +-h and rerun the forward
  pass, 2 x 9,610 forward passes (the textbook gradient check);
- "rank1": nudging W_l[i, j] moves only column j of Z_l, by h times
  column i of A_{l-1}; the effect of all the nudges of a layer on the
  loss is computed at once from that rank-1 change.

Both report the largest error relative to the largest gradient entry;
the rank-1 method computes loss differences with log1p/expm1, so it is
also the more accurate.  Times are the best of REPEATS runs, measured
in this run.  Finally a float32 check is refused, with its reason.

Run: python bench/bench_gradcheck.py
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402

from course_utils import nn  # noqa: E402
from course_utils.datasets import digits  # noqa: E402

SIZES, N, H_STEP = [64, 128, 10], 32, 1e-5
REPEATS = {"rank1": 7, "loop": 2}


def best_time(fn, repeats):
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    X_train, _, y_train, _ = digits()
    X, y = X_train[:N], y_train[:N]
    print(f"Gradient check, {SIZES} MLP, N = {N} digits, h = {H_STEP}, "
          f"1 thread, best of {REPEATS['rank1']} (rank1) and "
          f"{REPEATS['loop']} (loop)")
    for activation in ("relu", "tanh"):
        model = nn.MLP(SIZES, activation=activation, seed=0)
        size = sum(p.size for p in model.params.values())
        times = {}
        for method, repeats in REPEATS.items():
            t, error = best_time(
                lambda: nn.mlp_gradient_check(model, X, y, H_STEP, method),
                repeats)
            times[method] = t
            print(f"  {activation:4s} {size} params  {method:5s} "
                  f"{t:7.3f} s  relative error {error:.1e}")
        ratio = times["loop"] / times["rank1"]
        print(f"  {activation:4s} rank1 is {ratio:.1f}x faster than the "
              "per-parameter loop")
    model32 = nn.MLP(SIZES, dtype=np.float32)
    try:
        nn.mlp_gradient_check(model32, X.astype(np.float32), y)
    except TypeError as err:
        print(f"float32 refused: TypeError: {err}")


if __name__ == "__main__":
    main()
