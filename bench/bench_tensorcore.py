"""Benchmark: the tensor-core models of course_utils.tensorcore.

Every time is the median of --repeats rounds (spread: the fastest and
slowest round) in which the compared functions run in turn, so that
machine noise hits them alike; every ratio divides medians of this same
run (in the all-cores rounds, an untimed pause after each call lets the
BLAS's spinning threads sleep before the next case).  Rows:
- "ideal" at 1024^3 against np.matmul float32, both on one thread (the
  goal: within 1.5x), then both on all cores, and on the NumPy path;
  wall time, and CPU time (which a busy machine disturbs less);
- every hardware preset at 512^3 on all cores, fp32 and fp16 output
  (the goal: 1e9 products per second on 2 cores), in wall time and in
  CPU time of all threads (products per CPU-second, which a shared
  machine disturbs less), and V100 on the NumPy path;
- bit-exactness: the compiled path against the NumPy path (all of
  "ideal" 1024^3, 32 rows of each preset), and both paths against all
  70,000 hardware samples (tests/data/tensorcore);
- cold start: a fresh Python process that imports the module and runs
  its first compiled product (Numba's import and its on-disk cache);
- a plain-Python 4x4x4 tile loop, the version a student writes, timed on
  16^3 and extrapolated per product.

Run: python bench/bench_tensorcore.py [--repeats 7]   (1-3 min on 2 cores)
"""

import argparse
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

from course_utils import tensorcore as tc
from course_utils.tensorcore import fast

ROOT = pathlib.Path(__file__).resolve().parent.parent


# After a call, OpenBLAS's threads spin on their cores for a while
# (about 2**28 cycles) before they sleep: a case timed right after a
# multi-threaded np.matmul would share its cores with them.  Where the
# BLAS runs on all cores, each call is followed by this untimed pause.
BLAS_SETTLE_S = 0.25


def timed(fns, repeats, clock=time.perf_counter, settle=0.0):
    """Run the functions in turn, `repeats` rounds; return each one's
    times (a list per function) and last result.  ``settle``: seconds
    of untimed pause after each call."""
    times = [[] for _ in fns]
    results = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = clock()
            results[i] = fn()
            times[i].append(clock() - start)
            if settle:
                time.sleep(settle)
    return times, results


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_name():
    try:
        from threadpoolctl import threadpool_info
        info = [f"{d['internal_api']} {d['version']} (core type "
                f"{d.get('architecture')}, {d['num_threads']} threads)"
                for d in threadpool_info() if d["user_api"] == "blas"]
        if info:
            return "; ".join(info)
    except ImportError:
        pass
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    return f"{blas['name']} {blas['version']} (core type unknown)"


def machine():
    try:
        import numba
        jit = f"numba {numba.__version__}"
    except ImportError:
        jit = "no numba"
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(
        os, "sched_getaffinity") else cores
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [f"CPU: {cpu_model()}, {cores} cores ({usable} usable), "
            f"{platform.machine()}",
            f"BLAS: {blas_name()}",
            f"numpy {np.__version__}, {jit}, Python "
            f"{platform.python_version()}; compiled path: "
            f"{tc.ideal_backend()}",
            f"load average at start: {load}"]


def same_bits(x, y):
    return x.dtype == y.dtype and np.array_equal(
        x.view(np.uint8), y.view(np.uint8))


class forced:
    """Run the models on one path ("numpy" or "compiled") and threads."""

    def __init__(self, path, threads=None):
        self.new = path, threads

    def __enter__(self):
        self.old = fast._PATH, fast._THREADS
        fast._PATH, fast._THREADS = self.new

    def __exit__(self, *exc):
        fast._PATH, fast._THREADS = self.old


def one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(1, user_api="blas")
    except ImportError:
        sys.exit("the one-thread baseline needs threadpoolctl")


def rz32(x):
    """Round a Python float toward zero to fp32 (normal range)."""
    import math
    if x == 0:
        return 0.0
    m, e = math.frexp(x)
    return math.ldexp(math.trunc(m * 2 ** 24) / 2 ** 24, e)


def student_matmul(A, B, extra_bits=0):
    """V100 model, plain Python: 4x4x4 tiles, one block of 4 per tile.

    A, B: lists of lists of fp16 values (Python floats), sizes multiples
    of 4.  Returns D as a list of lists (fp32 values).
    """
    import math
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


COLD_START = """
import resource, time
t0 = time.perf_counter()
import numpy as np
from course_utils import tensorcore as tc
t1 = time.perf_counter()
A = np.ones((512, 512), np.float16)
tc.tc_matmul(A, A, model="H100")
t2 = time.perf_counter()
tc.tc_matmul(A, A, model="ideal")
t3 = time.perf_counter()
r = resource.getrusage(resource.RUSAGE_SELF)
print(t1 - t0, t2 - t1, t3 - t2, r.ru_utime + r.ru_stime)
"""


def cold_start(repeats):
    """Fresh processes: import, first hardware product (512^3, which
    loads the compiled kernels), first "ideal" product."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", COLD_START], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        runs.append([float(x) for x in out.stdout.split()])
    return [statistics.median(col) for col in zip(*runs)]


def fmt(times):
    return (f"{statistics.median(times):9.4f} "
            f"[{min(times):.4f}-{max(times):.4f}]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    R = args.repeats
    print("\n".join(machine()))
    rng = np.random.default_rng(0)
    rows = []  # (case, times, baseline times, products, note)

    n = 1024
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    A32, B32 = A.astype(np.float32), B.astype(np.float32)
    A16, B16 = tc.round_to_fp16(A), tc.round_to_fp16(B)
    with forced("compiled"):
        tc.tc_matmul(A16[:8], B16[:, :8], model="ideal")  # load, compile
    with forced("numpy"):
        D_ref = tc.tc_matmul(A16, B16, model="ideal")
    for clock, what in ((time.perf_counter, ""), (time.process_time,
                                                  "CPU: ")):
        with one_blas_thread(), forced("compiled", threads=1):
            (base, ideal), (_, D) = timed(
                [lambda: A32 @ B32,
                 lambda: tc.tc_matmul(A16, B16, model="ideal")], R, clock)
        note = "bit-exact" if same_bits(D, D_ref) else "DIFFERS"
        rows.append((f"{what}np.matmul f32 {n}^3, 1 thread", base, base,
                     n ** 3, "baseline"))
        rows.append((f"{what}ideal {n}^3, 1 thread", ideal, base, n ** 3,
                     note))
    with forced("compiled"):
        (base, ideal), (_, D) = timed(
            [lambda: A32 @ B32,
             lambda: tc.tc_matmul(A16, B16, model="ideal")], R,
            settle=BLAS_SETTLE_S)
    rows.append((f"np.matmul f32 {n}^3, all cores", base, base, n ** 3,
                 "baseline"))
    rows.append((f"ideal {n}^3, all cores", ideal, base, n ** 3,
                 "bit-exact" if same_bits(D, D_ref) else "DIFFERS"))
    with forced("numpy"):
        (numpy_ideal,), _ = timed(
            [lambda: tc.tc_matmul(A16, B16, model="ideal")], min(R, 3))
    rows.append((f"ideal {n}^3, NumPy path", numpy_ideal, base, n ** 3,
                 "reference"))

    n = 512
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    A32, B32 = A.astype(np.float32), B.astype(np.float32)
    A16, B16 = tc.round_to_fp16(A), tc.round_to_fp16(B)
    presets = [m for m, spec in tc.MODELS.items() if spec.kind == "hardware"]
    cases = [(m, out) for out in ("fp32", "fp16") for m in presets]
    with forced("compiled"):
        times, results = timed(
            [lambda: A32 @ B32] + [
                lambda m=m, out=out: tc.tc_matmul(A16, B16, model=m, out=out)
                for m, out in cases], R, settle=BLAS_SETTLE_S)
        cpu, _ = timed([lambda m=m, out=out: tc.tc_matmul(
            A16, B16, model=m, out=out) for m, out in cases], min(R, 3),
            time.process_time)
    rows.append((f"np.matmul f32 {n}^3, all cores", times[0], times[0],
                 n ** 3, "baseline"))
    for (m, out), t, D in zip(cases, times[1:], results[1:]):
        with forced("numpy"):
            ref = tc.tc_matmul(A16[:32], B16, model=m, out=out)
        note = "bit-exact (32 rows)" if same_bits(D[:32], ref) else "DIFFERS"
        rows.append((f"{m} {out} {n}^3, all cores", t, times[0], n ** 3,
                     note))
    with forced("numpy"):
        (numpy_v100,), _ = timed(
            [lambda: tc.tc_matmul(A16, B16, model="V100")], min(R, 3))
    rows.append((f"V100 fp32 {n}^3, NumPy path", numpy_v100, times[0],
                 n ** 3, "reference"))
    for (m, out), t in zip(cases, cpu):
        rows.append((f"CPU: {m} {out} {n}^3, all cores", t, None, n ** 3,
                     "CPU time of all threads: products per CPU-s"))

    m = 16
    As = tc.round_to_fp16(rng.standard_normal((m, m))).astype(float)
    Bs = tc.round_to_fp16(rng.standard_normal((m, m))).astype(float)
    (t_small,), (D_small,) = timed(
        [lambda: student_matmul(As.tolist(), Bs.tolist())], 3)
    ok = np.array_equal(np.array(D_small, np.float32),
                        tc.tc_matmul(As, Bs, model="V100"))
    rows.append((f"plain-Python V100 tiles {n}^3*",
                 [t * (n / m) ** 3 for t in t_small], times[0], n ** 3,
                 "bit-exact" if ok else "DIFFERS"))

    print()
    header = (f"{'case':<34} {'median s [fastest-slowest]':>28} "
              f"{'vs baseline':>11} {'products/s':>10}  check")
    print(header)
    print("-" * len(header))
    for case, t, baseline, products, check in rows:
        ratio = (f"{statistics.median(t) / statistics.median(baseline):10.2f}x"
                 if baseline else " " * 11)
        print(f"{case:<34} {fmt(t):>28} {ratio} "
              f"{products / statistics.median(t):10.3g}  {check}")
    print(f"* timed on {m}^3 ({m ** 3} products), extrapolated per product")

    print("\nHardware samples reproduced bit for bit "
          "(tests/data/tensorcore):")
    with np.load(ROOT / "tests" / "data" / "tensorcore"
                 / "hw_samples.npz") as npz:
        data = dict(npz)
    for path in ("numpy", "compiled"):
        good = total = 0
        with forced(path):
            for gpu, K in [("V100", 4), ("A100", 8), ("Ada", 8),
                           ("L40S", 8), ("H100", 16), ("H200", 16),
                           ("B200", 16)]:
                a = data[f"a_K{K}"].view(np.float16)
                b = data[f"b_K{K}"].view(np.float16)
                c = data[f"{gpu}_c"].view(np.float32)
                for out, bits in (("fp32", np.uint32), ("fp16", np.uint16)):
                    d = data[f"{gpu}_d_{out}"].view(bits)
                    got = tc.block_fma(a, b, c, model=gpu, out=out)
                    good += int((got.view(bits) == d).sum())
                    total += d.size
        print(f"  {path:<8} path: {good} of {total}")

    imp, first_hw, first_ideal, cpu = cold_start(min(R, 3))
    print(f"\nCold start (fresh process, median of {min(R, 3)}; Numba's "
          f"cache warm): import {imp:.2f} s, first H100 512^3 product "
          f"{first_hw:.2f} s (loads Numba and the kernels), first ideal "
          f"512^3 {first_ideal:.2f} s; {cpu:.2f} s CPU in all")
    print(f"load average at end: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
