"""Benchmark: the tensor-core model of course_utils.tensorcore.

Rows (every time is the best of a few rounds in which the compared
functions run in turn; ratios use times measured in this same run):
- np.matmul on float32 at 1024^3 and 512^3, the baselines;
- the "ideal" model at 1024^3, on the path ideal_backend() picks and on
  the portable path, checked bit for bit against each other; and the
  BLAS paths alone ("blas" where the probe passed, "blas-spread") on
  inputs already rounded, each against np.matmul timed in the same rounds;
  and the CPU time (all threads) of np.matmul with BLAS on one thread and
  of "ideal": the work done, which a busy machine disturbs less;
- the hardware presets at 512^3 (V100, A100, H100), spot-checked against
  block_fma (the kernel that the hardware samples test);
- a plain-Python 4x4x4 tile loop, the version a student writes, timed on
  16^3 and extrapolated per product.

Run: python bench/bench_tensorcore.py   (10-40 s on 2 cores)
"""

import math
import os
import platform
import time

import numpy as np

from course_utils import tensorcore as tc


def best_times(fns, repeats, clock=time.perf_counter):
    """Run the functions in turn, `repeats` rounds (so that machine noise
    hits them alike); return each one's best time and last result."""
    times = [math.inf] * len(fns)
    results = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = clock()
            results[i] = fn()
            times[i] = min(times[i], clock() - start)
    return times, results


def blas_name():
    try:
        from threadpoolctl import threadpool_info
        info = [f"{d['internal_api']} {d['version']} ({d['num_threads']} "
                f"threads, {d.get('architecture')})"
                for d in threadpool_info() if d["user_api"] == "blas"]
        if info:
            return "; ".join(info)
    except ImportError:
        pass
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    return f"{blas['name']} {blas['version']}"


def rz32(x):
    """Round a Python float toward zero to fp32 (normal range)."""
    if x == 0:
        return 0.0
    m, e = math.frexp(x)
    return math.ldexp(math.trunc(m * 2 ** 24) / 2 ** 24, e)


def student_matmul(A, B, extra_bits=0):
    """V100 model, plain Python: 4x4x4 tiles, one block of 4 per tile.

    A, B: lists of lists of fp16 values (Python floats), sizes multiples
    of 4.  Returns D as a list of lists (fp32 values).
    """
    M, K, N = len(A), len(B), len(B[0])
    D = [[0.0] * N for _ in range(M)]
    for i0 in range(0, M, 4):
        for j0 in range(0, N, 4):
            for k0 in range(0, K, 4):  # one fma_4x4x4 per (i0, j0, k0)
                for i in range(i0, i0 + 4):
                    for j in range(j0, j0 + 4):
                        c = D[i][j]
                        terms, exps = [], []
                        for k in range(k0, k0 + 4):
                            a, b = A[i][k], B[k][j]
                            if a * b != 0:
                                ea = max(math.frexp(a)[1] - 1, -14)
                                eb = max(math.frexp(b)[1] - 1, -14)
                                exps.append(ea + eb)
                            terms.append(a * b)
                        if c != 0:
                            exps.append(math.frexp(c)[1] - 1)
                        if not exps:
                            continue
                        unit = 2.0 ** (max(exps) - 23 - extra_bits)
                        total = sum(math.trunc(t / unit) * unit
                                    for t in terms + [c])
                        D[i][j] = rz32(total)
    return D


def main():
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, {platform.machine()}")
    print(f"BLAS: {blas_name()}")
    print(f"ideal backend: {tc.ideal_backend()}")
    rows = []  # (case, seconds, baseline seconds, products, check)

    n = 1024
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    A32, B32 = A.astype(np.float32), B.astype(np.float32)
    (base, t_ideal), (_, D_ideal) = best_times(
        [lambda: A32 @ B32, lambda: tc.tc_matmul(A, B, model="ideal")], 7)
    A16, B16 = tc.round_to_fp16(A), tc.round_to_fp16(B)
    (t_port,), (D_port,) = best_times([lambda: tc._matmul_ideal(
        A16, B16, np.zeros((n, n), np.float32), backend="portable")], 1)
    same = np.array_equal(D_ideal.view(np.uint32), D_port.view(np.uint32))
    rows.append((f"np.matmul float32 {n}^3", base, base, n ** 3, ""))
    rows.append((f"ideal ({tc.ideal_backend()}) {n}^3", t_ideal, base,
                 n ** 3, "bit-exact" if same else "DIFFERS"))
    # The BLAS paths alone, on inputs already rounded (held in float32),
    # against a baseline timed in the same rounds.
    A32h, B32h = A16.astype(np.float32), B16.astype(np.float32)
    C0 = np.zeros((n, n), np.float32)
    paths = [name for name in ("blas", "blas-spread")
             if name == "blas-spread" or tc.ideal_backend() == "blas"]
    times, results = best_times(
        [lambda: A32 @ B32] + [lambda p=p: tc._matmul_ideal(
            A32h, B32h, C0, backend=p) for p in paths], 5)
    for name, t, D in zip(paths, times[1:], results[1:]):
        ok = np.array_equal(D.view(np.uint32), D_port.view(np.uint32))
        rows.append((f"  GEMMs ({name}) {n}^3", t, times[0], n ** 3,
                     "bit-exact" if ok else "DIFFERS"))
    rows.append((f"ideal (portable) {n}^3", t_port, base, n ** 3,
                 "reference"))
    # CPU time (all threads) with BLAS on one thread: the work each one
    # does, which a busy machine disturbs less than the wall clock.
    try:
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1, user_api="blas"):
            (cpu_base, cpu_ideal), _ = best_times(
                [lambda: A32 @ B32,
                 lambda: tc.tc_matmul(A, B, model="ideal")], 5,
                clock=time.process_time)
        rows.append((f"CPU: np.matmul 1 thread {n}^3", cpu_base, cpu_base,
                     n ** 3, "CPU time"))
        rows.append((f"CPU: ideal ({tc.ideal_backend()}) {n}^3", cpu_ideal,
                     cpu_base, n ** 3, "CPU time"))
    except ImportError:
        pass

    n = 512
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    A32, B32 = A.astype(np.float32), B.astype(np.float32)
    A16, B16 = tc.round_to_fp16(A), tc.round_to_fp16(B)
    models = ["V100", "A100", "H100"]
    times, results = best_times(
        [lambda: A32 @ B32] + [lambda m=m: tc.tc_matmul(A16, B16, model=m)
                               for m in models], 5)
    base = times[0]
    rows.append((f"np.matmul float32 {n}^3", base, base, n ** 3, ""))
    spots = rng.integers(0, n, (2, 64))
    for model, t, D in zip(models, times[1:], results[1:]):
        d = tc.block_fma(A16[spots[0]], B16[:, spots[1]].T, 0.0,
                         model=model)
        ok = np.array_equal(D[spots[0], spots[1]], d)
        rows.append((f"{model} preset {n}^3", t, base, n ** 3,
                     "spot-checked" if ok else "DIFFERS"))

    m = 16
    As = tc.round_to_fp16(rng.standard_normal((m, m))).astype(float)
    Bs = tc.round_to_fp16(rng.standard_normal((m, m))).astype(float)
    (t_small,), (D_small,) = best_times(
        [lambda: student_matmul(As.tolist(), Bs.tolist())], 3)
    ok = np.array_equal(np.array(D_small, np.float32),
                        tc.tc_matmul(As, Bs, model="V100"))
    per_product = t_small / m ** 3
    rows.append((f"plain-Python V100 tiles {n}^3*", per_product * n ** 3,
                 base, n ** 3, "bit-exact" if ok else "DIFFERS"))

    print()
    header = (f"{'case':<32} {'time (s)':>9} {'vs np.matmul':>13} "
              f"{'products/s':>11}  check")
    print(header)
    print("-" * len(header))
    for case, seconds, baseline, products, check in rows:
        print(f"{case:<32} {seconds:9.4f} {seconds / baseline:12.2f}x "
              f"{products / seconds:11.3g}  {check}")
    print(f"* timed on {m}^3 ({m ** 3} products), extrapolated per "
          "product")


if __name__ == "__main__":
    main()
