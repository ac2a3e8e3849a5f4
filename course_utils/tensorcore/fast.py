"""The compiled path of the tensor-core models: which products take it,
and the calls into the Numba kernels (course_utils.tensorcore._jit).

The kernels add in exactly the order the models define, with scalar
arithmetic and never through a BLAS, so they give the NumPy path's bits
on any CPU."""

import importlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from course_utils.tensorcore.presets import _floor

__all__ = ["ideal_backend"]


# ------------------------------------------------------ compiled path
#
# The compiled kernels (course_utils/_tensorcore_jit.py, Numba) add in
# the order the model defines, so they give the NumPy path's bits on any
# CPU.  Loading Numba costs about a second of CPU time per process (more
# the first time, when it compiles and caches the kernels), so a product
# takes the compiled path only when it is large enough to pay for that,
# or once the kernels are loaded anyway.

_COLD_MIN_WORK_HARDWARE = 1 << 26  # multiply-adds: about 400^3
_COLD_MIN_WORK_IDEAL = 1 << 28     # about 650^3 (NumPy's loop is fast)
_WARM_MIN_WORK = 1 << 12
_PATH = None     # "numpy" or "compiled" forces a path (tests, benchmarks)
_THREADS = None  # threads of the compiled path; None: one per core
_jit = None      # the compiled kernels' module, or False: unusable
_jit_lock = threading.Lock()


def _load_compiled():
    """The compiled kernels' module, or None where Numba is missing or
    fails to import."""
    global _jit
    with _jit_lock:
        if _jit is None:
            try:
                _jit = importlib.import_module("course_utils.tensorcore._jit")
            except Exception:  # not installed, or broken on this system
                _jit = False
    return _jit or None


def _compiled_failed():
    """After a compiled kernel raised: re-raise it where the compiled
    path is forced, else keep to NumPy from now on."""
    global _jit
    if _PATH == "compiled":
        raise  # the exception being handled by the caller
    _jit = False


def _compiled(work, cold_min_work):
    """The compiled kernels if a product of `work` multiply-adds should
    take them, else None (the NumPy path)."""
    if _PATH == "numpy":
        return None
    if _PATH == "compiled":
        jit = _load_compiled()
        if jit is None:
            raise RuntimeError("the compiled path needs Numba")
        return jit
    if _jit is False or work < _WARM_MIN_WORK:
        return None
    if _jit is None and work < cold_min_work:
        return None
    return _load_compiled()


def _split_rows(fn, M):
    """fn(i, j) over row ranges [i, j) covering range(M), one per thread
    (the compiled kernels release the GIL)."""
    workers = max(1, min(_THREADS or os.cpu_count() or 1, M // 8))
    edges = np.linspace(0, M, workers + 1).astype(int)
    chunks = list(zip(edges[:-1], edges[1:]))
    if workers == 1:
        fn(0, M)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda ij: fn(*ij), chunks))


def ideal_backend():
    """Which path the models take for large products on this machine:
    "compiled" (Numba kernels, loaded by this call if need be) or
    "numpy" (Numba is missing or unusable).  Both give the same bits;
    small products take the NumPy path either way."""
    if _PATH == "numpy":
        return "numpy"
    return "compiled" if _load_compiled() is not None else "numpy"


def _hardware_compiled(jit, A16, B16, C, model, out):
    """The compiled hardware kernel, its rows split over the cores."""
    A32 = np.ascontiguousarray(A16, np.float32)
    B32 = np.ascontiguousarray(B16, np.float32)
    C64 = np.ascontiguousarray(C, np.float64)
    D = np.empty(C64.shape, np.float64)
    args = (model.block_size, model.extra_bits,
            max(_floor(model, out), -126), out == "fp16")
    _split_rows(lambda i, j: jit.hardware(A32[i:j], B32, C64[i:j], D[i:j],
                                          *args), A32.shape[0])
    return D


def _block_rows_compiled(jit, a64, b64, c64, model, out):
    """block_fma's rows through the compiled kernels; same contract as
    _block_rows_hardware (ideal: the fp32 sum in k order from c)."""
    a32, b32 = a64.astype(np.float32), b64.astype(np.float32)
    if model.kind == "ideal":
        d = c64.astype(np.float32)
        jit.ideal_rows(a32, b32, d)
        return d
    d = np.empty(c64.shape, np.float64)
    jit.hardware_rows(a32, b32, c64, d, model.block_size, model.extra_bits,
                      max(_floor(model, out), -126), out == "fp16")
    return d
