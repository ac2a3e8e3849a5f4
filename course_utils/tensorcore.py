"""A bit-exact model of NVIDIA tensor cores with fp16 inputs (chapter 06).

A tensor core computes D = A B + C on small tiles: A and B hold fp16
values, C and D hold fp32 (or fp16) values.  The products are exact, but
the additions are not IEEE fp32 additions.  Measured behaviour (Fasi,
Higham, Mikaitis & Pranesh, PeerJ CS 2021; Khattak & Mikaitis, "Accurate
Models of NVIDIA Tensor Cores", 2025), which this module reproduces:

1. Each product a_k b_k of two fp16 values is exact and kept
   unnormalised: significand in [1, 4), exponent e_a + e_b, where an
   fp16 subnormal counts with exponent -14 (its significand is below 1).
2. A block of n products and the accumulator c (its usual exponent
   floor(log2 |c|)) is aligned to the largest exponent E among the nonzero
   products and c (c only if nonzero).
3. Each aligned term keeps 23 + e fractional bits below 2**E (e = extra
   alignment bits); the bits shifted out are dropped (truncation of the
   magnitude, no sticky bit).
4. The terms are summed exactly, normalised once and rounded: toward zero
   to fp32 (fp32 output) or to nearest-even to fp16 (fp16 output, where c
   is rounded to fp16 first).  Subnormal results are kept.
5. Blocks are chained along K in order: a block's rounded result is the
   next block's c.

Presets (block size n, extra bits e): V100 (4, 0); T4 (4, 1); A100, Ada,
L40S (8, 1); H100, H200, B200 (16, 2).  Beside them, two teaching models:
"ideal" (exact products added one by one in k order with fp32
round-to-nearest, starting from C) and "exact" (the exact value of
A B + C rounded once to the output format).

Verified bit for bit against 5000 hardware samples of each of V100, A100,
Ada, L40S, H100, H200 and B200, for fp32 and fp16 output
(tests/data/tensorcore; there are no T4 samples).  The data confirm the
description above as it stands; the details they decide:

- the "exponent" of a product is e_a + e_b even when its significand is
  in [2, 4) (aligning to the normalised exponent fails 400-800 samples
  per GPU), while c uses its normalised exponent;
- the extra bits: e = 0, 1, 2 as listed; any other e fails 500-2500
  samples per GPU;
- fp16 output rounds the block's exact (truncated) sum to nearest fp16
  once, after rounding c to fp16.  Of the 35,000 fp16-output samples,
  rounding toward zero instead fails 17,448, leaving c unrounded 4,371,
  and rounding first toward zero to fp32 and then to fp16 only 1.

The fp16-output samples confirm this output rounding, but they barely
tell the generations apart: rounding to 11 bits hides the bits the
truncation changes.  The exact sum rounded once to fp16 reproduces
34,998 of the 35,000, and the H100 preset all 35,000 on every GPU's
inputs.  Block sizes and extra bits are decided by the fp32 outputs.

With fp16 output the alignment exponent E has a floor, as in the model
of Khattak and Mikaitis (MATLAB-tensor-core, commit b12b5a7,
Generic_BFMA_TC.m's min_exp_limit): E is raised to -19 on V100, -20 on
A100, Ada and L40S, -21 on H100, H200 and B200 when every term of a block
is smaller (T4 has no samples: its -20 is an assumption, the rule
-19 - e that fits the others; a custom TensorCoreModel takes
fp16_min_exponent, by default -19 - e).  So a block of tiny terms keeps
fewer bits: on V100 with c = 0, a = [0x0442], b = [0x0f84] (a product
just above 2**-25, half the smallest fp16 subnormal) is cut to exactly
2**-25 and rounds to even, 0x0000, not 0x0001.  The hardware samples
never reach these cases.  (The fp32-output floors never bind for fp16
inputs.)

Choices the samples (one block each, finite, no zero results) cannot
decide, documented here:

- K is padded with zeros to a multiple of n; zero products take no part
  in the alignment, so the padding changes nothing.  A zero result is +0
  (the hardware adds integers).
- C is first rounded to the output format with the model's output
  rounding: toward zero for a hardware preset with fp32 output, to
  nearest-even otherwise (overflow under round-toward-zero saturates to
  the largest finite fp32 value).  float inputs A, B are rounded to fp16
  (nearest-even, overflow to inf).
- Non-finite values follow IEEE: NaN propagates, inf * 0 = NaN,
  inf - inf = NaN, otherwise an infinite term gives an infinite result,
  and an fp16 result that overflows to inf stays inf in later blocks
  (the first overflow's sign: a later block's cannot replace it).
  From finite inputs fp32 results never overflow: products stay below
  2**32, far under the spacing of fp32 numbers near the largest.
- "ideal" with fp16 output accumulates in fp32 and rounds the final
  result to fp16.

Functions: round_to_fp16, block_fma (batches of n-term block FMAs, what
the hardware samples measure), fma_4x4x4 (one tile), tc_matmul (any
A B + C), error_report and find_disagreement (for the chapter), and
ideal_backend (which path large products take: compiled kernels or
NumPy).  MODELS names the models.

Two implementations give the same bits: NumPy array code (the reference,
and the path for small products) and compiled Numba kernels (used for
large products where Numba is installed), which add in exactly the order
described above with scalar arithmetic, never through a BLAS, so their
results do not depend on the CPU or the libraries of the machine.

Shapes use the course letters: A (M, K), B (K, N), C and D (M, N); a
block of products has n terms.
"""

import dataclasses
import importlib
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = [
    "MODELS", "TensorCoreModel", "round_to_fp16", "block_fma",
    "fma_4x4x4", "tc_matmul", "ideal_backend", "error_report",
    "ErrorReport", "find_disagreement", "Disagreement",
]


@dataclasses.dataclass(frozen=True)
class TensorCoreModel:
    """How one tensor core (or a teaching model) adds.

    kind: "hardware", "ideal" or "exact"; block_size (n) and extra_bits
    (e) only matter for kind "hardware", and so does fp16_min_exponent:
    the floor of the alignment exponent with fp16 output (None: the
    rule -19 - e; see the module docstring), read as alignment_floor.
    """

    name: str
    kind: str = "hardware"
    block_size: int = 4
    extra_bits: int = 0
    fp16_min_exponent: int = None  # None: -19 - extra_bits

    @property
    def alignment_floor(self):
        """The least alignment exponent E in fp16-output mode."""
        if self.fp16_min_exponent is not None:
            return self.fp16_min_exponent
        return -19 - self.extra_bits


_PRESETS = {
    "V100": (4, 0), "T4": (4, 1),
    "A100": (8, 1), "Ada": (8, 1), "L40S": (8, 1),
    "H100": (16, 2), "H200": (16, 2), "B200": (16, 2),
}
# The least alignment exponent with fp16 output, as the MATLAB toolbox
# sets it (T4's is an assumption: the rule -19 - e of the other presets).
_FP16_FLOORS = {
    "V100": -19, "T4": -20,
    "A100": -20, "Ada": -20, "L40S": -20,
    "H100": -21, "H200": -21, "B200": -21,
}
MODELS = {name: TensorCoreModel(name, "hardware", n, e, _FP16_FLOORS[name])
          for name, (n, e) in _PRESETS.items()}
MODELS["ideal"] = TensorCoreModel("ideal", "ideal")
MODELS["exact"] = TensorCoreModel("exact", "exact")

_OUTPUTS = {"fp32": np.float32, "fp16": np.float16}
_FP16_MIN_NORMAL = 2.0 ** -14
_EXPONENT_BITS = np.uint64(0x7FF0000000000000)
_LOW_29_BITS = np.uint64(2 ** 29 - 1)


# ---------------------------------------------------------------- checks

def _get_model(model):
    if isinstance(model, TensorCoreModel):
        if model.kind not in ("hardware", "ideal", "exact"):
            raise ValueError(
                f"TensorCoreModel kind {model.kind!r} is not one of "
                "'hardware', 'ideal', 'exact'")
        if model.kind == "hardware" and not (
                model.block_size >= 1 and 0 <= model.extra_bits <= 20):
            raise ValueError(
                f"{model}: a hardware model needs block_size >= 1 and "
                "0 <= extra_bits <= 20 (real ones use 4-16 and 0-2)")
        return model
    if isinstance(model, str) and model in MODELS:
        return MODELS[model]
    names = ", ".join(repr(name) for name in MODELS)
    raise ValueError(
        f"unknown tensor-core model {model!r}; choose one of {names} "
        "(the keys of tensorcore.MODELS), or pass a TensorCoreModel")


def _check_out(out):
    if out not in _OUTPUTS:
        raise ValueError(
            f"out={out!r} is not an output format; use out='fp32' (the "
            "usual tensor-core output) or out='fp16'")


def _as_matrix(X, name):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D matrix but has shape {X.shape}; "
            "reshape it, e.g. a vector x as x.reshape(1, -1) (one row) "
            "or x.reshape(-1, 1) (one column)")
    if not (np.issubdtype(X.dtype, np.floating)
            or np.issubdtype(X.dtype, np.integer)
            or X.dtype == np.bool_):
        raise TypeError(
            f"{name} has dtype {X.dtype}; pass real numbers (float16, "
            "float32, float64 or integers)")
    return X


# -------------------------------------------------------------- rounding

def round_to_fp16(x):
    """Round to the nearest fp16 value (ties to even).

    x: array-like of any shape, float or integer.
    Returns an array of the same shape, dtype float16.  Values beyond the
    fp16 range (|x| >= 65520) become +-inf, as IEEE rounding prescribes;
    NaN stays NaN.  The rounding is done once, from the value given.
    """
    x = np.asarray(x)
    if x.dtype == np.float16:
        return x.copy()
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    with np.errstate(over="ignore"):
        return x.astype(np.float16)


_F32_TINY = np.uint32(0x38800000)   # 2**-14, the smallest normal fp16
_F32_HUGE = np.uint32(0x477FF000)   # 65520, which rounds to inf in fp16
_FP16_CHUNK = 1 << 17               # elements per pass (cache-sized)


def _fp16_values(x):
    """Round x to the nearest fp16 value (ties to even), kept in float32.

    x: array-like of any shape.  Returns a new float32 array of that
    shape; the values are those of round_to_fp16(x) (inf beyond the
    fp16 range, NaN for NaN, signed zeros kept).

    float32 and float64 inputs take an integer trick on the float32 bit
    pattern: adding 0xFFF plus the lowest kept bit and clearing the 13
    bits below the fp16 significand rounds to nearest-even (a carry
    into the exponent is right).  That is fp16 rounding for |x| in
    [2**-14, 65520), the normal fp16 range; the other values (zeros
    aside), and for float64 input values whose float32 rounding landed
    on an fp16 midpoint (where rounding twice can differ from once), are
    redone with NumPy's conversion from the original value.  The work
    goes in cache-sized pieces.  (About twice as fast as NumPy's
    conversion to float16 and back; for a float16 result, NumPy's own
    conversion is the faster, so round_to_fp16 keeps it.)
    """
    x = np.asarray(x)
    if x.dtype == np.float16:
        return x.astype(np.float32)
    if x.dtype not in (np.float32, np.float64):
        return round_to_fp16(x).astype(np.float32)
    shape, dtype = x.shape, x.dtype
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(flat.shape, np.float32)
    bits = out.view(np.uint32)
    if flat.size == 0:
        return out.reshape(shape)
    size = min(_FP16_CHUNK, flat.size)
    t = np.empty(size, np.uint32)
    redo = []
    for i0 in range(0, flat.size, _FP16_CHUNK):
        i1 = min(i0 + _FP16_CHUNK, flat.size)
        b, u = bits[i0:i1], t[:i1 - i0]
        with np.errstate(over="ignore"):
            out[i0:i1] = flat[i0:i1]  # float64: rounded to float32
        if dtype == np.float64:
            # An fp16 midpoint m (low 13 bits 0x1000): redo unless exact.
            np.bitwise_and(b, 0x1FFF, out=u)
            if (u == 0x1000).any():
                mid = np.flatnonzero(u == 0x1000)
                exact = flat[i0:i1][mid] == out[i0:i1][mid]
                redo.append(i0 + mid[~exact])
        # Values outside [2**-14, 65520) in magnitude, zeros included:
        # |bits| - TINY, wrapping below zero, is then HUGE - TINY or more.
        np.bitwise_and(b, 0x7FFFFFFF, out=u)
        u -= _F32_TINY
        if u.max() >= _F32_HUGE - _F32_TINY:
            u += _F32_TINY
            special = np.flatnonzero((u != 0)
                                     & ((u < _F32_TINY) | (u >= _F32_HUGE)))
            redo.append(i0 + special)
        # Round to nearest even at bit 13.
        np.right_shift(b, 13, out=u)
        u &= 1
        u += 0xFFF
        b += u
        b &= 0xFFFFE000
    if redo:
        idx = np.concatenate(redo)
        with np.errstate(over="ignore"):
            out[idx] = flat[idx].astype(np.float16)
    return out.reshape(shape)


def _round_fp32_toward_zero(x):
    """float64 array -> float32 array, rounded toward zero (saturating)."""
    x = np.asarray(x, np.float64)
    with np.errstate(over="ignore"):
        y = x.astype(np.float32)
    too_big = np.abs(y.astype(np.float64)) > np.abs(x)
    y[too_big] = np.nextafter(y[too_big], np.float32(0))
    return y


def _round_output(x, model, out):
    """Round float values x to the output format (C on input)."""
    x = np.asarray(x)
    if out == "fp16":
        return round_to_fp16(x)
    if model.kind == "hardware":
        return _round_fp32_toward_zero(x)
    with np.errstate(over="ignore"):
        return x.astype(np.float32)


def _pow2_floor(x):
    """2**floor(log2|x|) for a float64 array x with normal values, 0 for 0.

    Keeps only the exponent bits of each float64.
    """
    bits = np.ascontiguousarray(x, np.float64).view(np.uint64)
    return (bits & _EXPONENT_BITS).view(np.float64)


def _factor_scale(x64):
    """2**e for each fp16 value x (held in float64), 0 for zeros.

    e is the fp16 exponent: floor(log2|x|), or -14 for subnormals.
    """
    scale = np.maximum(_pow2_floor(x64), _FP16_MIN_NORMAL)
    return np.where(x64 == 0, 0.0, scale)


# ----------------------------------------------------- hardware kernel

def _hw_block(c, a, b, top, extra_bits, out, t, acc, floor=-126):
    """One block FMA of the hardware model.

    c: float64 array of shape S holding the accumulator (an fp32 value,
       or an fp16 value when out == "fp16").
    a, b: sequences of n float64 arrays whose products a[k] * b[k]
       broadcast to shape S (the exact products of fp16 values).
    top: float32 or float64 array of shape S, 2**E for the largest
       exponent E = e_a + e_b among the block's nonzero products (0 if
       there is none).
    t, acc: float64 scratch arrays of shape S.
    floor: the least alignment exponent (E is raised to it when below;
       the fp16-output floors of the module docstring, or -126).
    Returns acc, holding the block's result (float64, shape S).

    Every aligned term is a multiple of 2**(E - 23 - e) below 2**(E + 2),
    so float64 holds each term and the block sum exactly.
    """
    inv = np.maximum(top, _pow2_floor(c), out=t)
    # A floor of 2**-126 avoids dividing by 0 when every term is zero and
    # changes nothing else: products are >= 2**-48, a c below 2**-126 is
    # a multiple of 2**-149, and units below 2**-149 cut nothing from it.
    # With fp16 output the alignment exponent has a higher floor (see
    # the module docstring); a larger unit only cuts more bits.
    np.maximum(inv, 2.0 ** max(floor, -126), out=inv)
    # inv = 1 / unit = 1 / 2**(E - 23 - e)
    np.divide(2.0 ** (23 + extra_bits), inv, out=inv)
    np.multiply(c, inv, out=acc)
    np.trunc(acc, out=acc)
    p = c  # c is no longer needed: reuse it for the products
    for k in range(len(a)):
        np.multiply(a[k], b[k], out=p)
        p *= inv
        np.trunc(p, out=p)
        acc += p
    acc /= inv
    acc += 0.0  # the sum is formed as an integer: a zero result is +0
    if out == "fp32":
        # A nonzero sum is a multiple of 2**-56 at least, or exactly c,
        # so it is a normal fp32 number after truncation to 24 bits and
        # never exceeds c or 2**70: clearing 29 bits rounds toward zero.
        bits = acc.view(np.uint64)
        bits &= ~_LOW_29_BITS
    else:
        with np.errstate(over="ignore"):
            acc[...] = acc.astype(np.float16)
    return acc


def _hw_rows(A64, B64, C64, model, out):
    """Hardware model on a block of rows: A64 (R, K), B64 (K, N),
    C64 (R, N), all float64 holding fp16 (A, B) and output values (C).
    Returns D (R, N) float64."""
    n = model.block_size
    # 2**e of every factor; their products (the products' 2**(e_a + e_b))
    # are exact in float32, which halves the cost of finding the maxima.
    SA = _factor_scale(A64).astype(np.float32)
    SB = _factor_scale(B64).astype(np.float32)
    d = C64.copy()
    t, other = np.empty_like(d), np.empty_like(d)
    top, t32 = np.empty(d.shape, np.float32), np.empty(d.shape, np.float32)
    overflow = None
    for k0 in range(0, A64.shape[1], n):
        ks = range(k0, min(k0 + n, A64.shape[1]))
        np.multiply(SA[:, k0, None], SB[k0], out=top)
        for k in ks[1:]:
            np.multiply(SA[:, k, None], SB[k], out=t32)
            np.maximum(top, t32, out=top)
        new = _hw_block(d, [A64[:, k, None] for k in ks],
                        [B64[k] for k in ks], top, model.extra_bits, out,
                        t, other, _floor(model, out))
        d, other = new, d
        overflow = _set_aside_overflow(d, overflow, out)
    return _restore_overflow(d, overflow)


def _floor(model, out):
    """The least alignment exponent of a hardware model for output out."""
    return model.alignment_floor if out == "fp16" else -126


def _set_aside_overflow(d, overflow, out):
    """With fp16 output a block can overflow to +-inf.  Later blocks add
    finite terms, so the result stays that inf: keep the first one in
    `overflow` (NaN elsewhere; a later block's overflow, whatever its
    sign, does not replace it) and give the next block a finite c (0)."""
    if out == "fp32" or np.isfinite(d).all():
        return overflow
    if overflow is None:
        overflow = np.full(d.shape, np.nan)
    inf = np.isinf(d)
    first = inf & np.isnan(overflow)
    overflow[first] = d[first]
    d[inf] = 0
    return overflow


def _restore_overflow(d, overflow):
    if overflow is None:
        return d
    return np.where(np.isnan(overflow), d, overflow)


def _by_rows(fn, M, N, target=1 << 15):
    """Concatenate fn(i, j) over row ranges [i, j) of about `target`
    outputs each (cache-sized work), run on all cores (NumPy releases
    the GIL inside its loops)."""
    rows = max(1, min(M, target // max(N, 1)))
    chunks = [(i, min(i + rows, M)) for i in range(0, M, rows)] or [(0, 0)]
    workers = min(len(chunks), os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda ij: fn(*ij), chunks))
    else:
        parts = [fn(i, j) for i, j in chunks]
    return np.concatenate(parts, axis=0)


def _both(fn, X, Y):
    """(fn(X), fn(Y)); side by side on two threads for big arrays."""
    if X.size + Y.size < 1 << 18:
        return fn(X), fn(Y)
    with ThreadPoolExecutor(2) as pool:
        return tuple(pool.map(fn, (X, Y)))


def _matmul_hardware(A16, B16, C, model, out):
    M, K = A16.shape
    N = B16.shape[1]
    jit = _compiled(M * K * N, _COLD_MIN_WORK_HARDWARE)
    if jit is not None:
        try:
            return _hardware_compiled(jit, A16, B16, C, model, out)
        except Exception:  # the compiler failed: NumPy from now on
            _compiled_failed()
    A64, B64 = _both(lambda X: X.astype(np.float64), A16, B16)
    C64 = C.astype(np.float64)
    return _by_rows(
        lambda i, j: _hw_rows(A64[i:j], B64, C64[i:j], model, out),
        *C.shape)


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


# ---------------------------------------------------------- ideal model

def _ideal_portable(A32, B32, C32):
    """D = C, then D += A[:, k] B[k, :] for k = 0, 1, ... in fp32.

    A32 (M, K), B32 (K, N), C32 (M, N): float32 (A, B hold fp16 values,
    so every product is exact in fp32).  Returns D (M, N) float32.
    """
    D = C32.copy()
    t = np.empty_like(D)
    for k in range(A32.shape[1]):
        np.multiply(A32[:, k, None], B32[k], out=t)
        D += t
    return D


def _matmul_ideal(A16, B16, C32):
    """A16, B16: fp16 values, as float16 or float32 arrays; C32 float32.
    Returns D (M, N) float32."""
    A32, B32 = _both(lambda X: X.astype(np.float32, copy=False), A16, B16)
    M, K = A32.shape
    N = B32.shape[1]
    jit = _compiled(M * K * N, _COLD_MIN_WORK_IDEAL)
    if jit is not None:
        try:
            A32, B32 = np.ascontiguousarray(A32), np.ascontiguousarray(B32)
            D = np.array(C32, np.float32, order="C")
            _split_rows(lambda i, j: jit.ideal(A32[i:j], B32, D[i:j]), M)
            return D
        except Exception:  # the compiler failed: NumPy from now on
            _compiled_failed()
    with np.errstate(over="ignore"):
        return _by_rows(
            lambda i, j: _ideal_portable(A32[i:j], B32, C32[i:j]),
            *C32.shape)


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
                _jit = importlib.import_module("course_utils._tensorcore_jit")
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


# ---------------------------------------------------------- exact model

def _round_exact_sum(terms, out):
    """Round the exact sum of float64 values to the output format.

    terms: list of float values (exact); returns a Python float.
    math.fsum rounds the exact sum once to float64; that is the correct
    result unless it lands on a midpoint of the output format, where the
    sign of the (exact) remainder decides.
    """
    dtype = _OUTPUTS[out]
    r = math.fsum(terms)
    with np.errstate(over="ignore"):
        y = dtype(r)
    if math.isfinite(r) and float(y) != r and np.isfinite(y):
        other = np.nextafter(y, dtype(math.copysign(np.inf, r - float(y))))
        if abs(float(other) - r) == abs(float(y) - r):  # a tie
            rest = math.fsum(terms + [-r])
            if rest != 0:
                y = max(y, other) if rest > 0 else min(y, other)
    return float(y)


def _matmul_exact(A16, B16, C, out):
    A64, B64 = A16.astype(np.float64), B16.astype(np.float64)
    D = np.empty(C.shape, np.float64)
    for i in range(A64.shape[0]):
        P = A64[i, :, None] * B64  # (K, N) exact products
        for j in range(B64.shape[1]):
            D[i, j] = _round_exact_sum(P[:, j].tolist() + [float(C[i, j])],
                                       out)
    return D


# ------------------------------------------------------------- public

def tc_matmul(A, B, C=None, *, model="V100", out="fp32"):
    """D = A B + C computed as a tensor core (or a teaching model) does.

    A: (M, K), B: (K, N), any float or integer dtype; values are rounded
       to fp16 first (float16 inputs are used as they are).
    C: (M, N) or anything broadcastable to it, or None for zeros; rounded
       to the output format first (see the module docstring).
    model: a key of MODELS ("V100", "A100", "H100", ..., "ideal",
       "exact") or a TensorCoreModel.
    out: "fp32" or "fp16", the format of C and D.
    Returns D: (M, N) float32 (out="fp32") or float16 (out="fp16").

    Per output element this is the chain along K of n-term blocks (zero
    padding where K is not a multiple of n), each rounded once.  Only on
    V100 (n = 4) is that the same as chaining 4x4x4 tile FMAs; A100-class
    GPUs round once per 8 products and H100-class GPUs once per 16.
    """
    model = _get_model(model)
    _check_out(out)
    A, B = _as_matrix(A, "A"), _as_matrix(B, "B")
    (M, K), (K2, N) = A.shape, B.shape
    if K != K2:
        raise ValueError(
            f"A has shape {A.shape} and B has shape {B.shape}: A's "
            f"columns ({K}) must match B's rows ({K2}). Did you mean B.T?")
    if C is None:
        C = np.zeros((M, N), np.float32)
    C = np.asarray(C)
    try:
        C = np.broadcast_to(C, (M, N))
    except ValueError:
        raise ValueError(
            f"C has shape {C.shape} but A @ B has shape {(M, N)}; pass C "
            f"with shape {(M, N)} (or one that broadcasts to it)") from None
    # "ideal" works on the fp16 values held in float32 (its GEMMs' type).
    A16, B16 = _both(_fp16_values if model.kind == "ideal" else round_to_fp16,
                     A, B)
    C_out = _round_output(C, model, out)

    bad = _nonfinite_outputs(A16, B16, C_out)
    if bad is not None:
        A16 = np.where(np.isfinite(A16), A16, 0).astype(A16.dtype)
        B16 = np.where(np.isfinite(B16), B16, 0).astype(B16.dtype)
        C_out = np.where(np.isfinite(C_out), C_out, 0).astype(C_out.dtype)

    if model.kind == "hardware":
        D = _matmul_hardware(A16, B16, C_out, model, out)
    elif model.kind == "ideal":
        D = _matmul_ideal(A16, B16, C_out.astype(np.float32, copy=False))
    else:
        D = _matmul_exact(A16, B16, C_out, out)
    with np.errstate(over="ignore"):
        D = D.astype(_OUTPUTS[out], copy=False)
    if bad is not None:
        mask, values = bad
        D[mask] = values[mask]
    return D


def _nonfinite_outputs(A16, B16, C):
    """IEEE results of the outputs that see an inf or NaN, or None.

    Returns (mask, values): mask (M, N) bool, values (M, N) float64, the
    plain float64 sum of products and C, which follows IEEE rules (NaN
    propagates, inf * 0 = NaN, inf - inf = NaN, else +-inf).
    """
    if np.isfinite(A16).all() and np.isfinite(B16).all() \
            and np.isfinite(C).all():
        return None
    A64, B64 = A16.astype(np.float64), B16.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        values = np.einsum("ik,kj->ij", A64, B64) + C
    return ~np.isfinite(values), values


def fma_4x4x4(A, B, C, model="V100", out="fp32"):
    """One tensor-core operation D = A B + C on a 4x4x4 tile.

    A, B: (4, 4) fp16 values (other floats are rounded to fp16 first),
    C: (4, 4) output values.  Returns D: (4, 4) float32 (out="fp32") or
    float16 (out="fp16").  See tc_matmul for the models.
    """
    for name, X in (("A", A), ("B", B), ("C", C)):
        if np.shape(X) != (4, 4):
            raise ValueError(
                f"fma_4x4x4 works on one 4x4 tile, but {name} has shape "
                f"{np.shape(X)}; use tc_matmul for other shapes")
    return tc_matmul(A, B, C, model=model, out=out)


def block_fma(a, b, c, model="V100", out="fp32"):
    """A batch of block FMAs d = sum_k a_k b_k + c, one per leading index.

    a, b: (..., n) fp16 values (other floats are rounded to fp16 first),
    c: (...) output values (rounded to the output format first).
    Returns d: (...) float32 (out="fp32") or float16 (out="fp16").

    A hardware model adds n terms per block; longer vectors are chained
    block by block, shorter ones padded with zeros.  This is the
    operation the hardware samples measure (n = 4, 8 or 16 terms).
    """
    model = _get_model(model)
    _check_out(out)
    a16, b16 = round_to_fp16(a), round_to_fp16(b)
    if a16.ndim == 0 or a16.shape != b16.shape:
        raise ValueError(
            f"a and b must have the same shape (..., n), but have shapes "
            f"{a16.shape} and {b16.shape}")
    lead = a16.shape[:-1]
    try:
        c = np.broadcast_to(np.asarray(c), lead)
    except ValueError:
        raise ValueError(
            f"c has shape {np.shape(c)} but one c per inner product is "
            f"needed: shape {lead}") from None
    n = a16.shape[-1]
    rows = math.prod(lead)
    a16, b16 = a16.reshape(rows, n), b16.reshape(rows, n)
    c_out = _round_output(c.reshape(rows), model, out)
    a64, b64 = a16.astype(np.float64), b16.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        ieee = (a64 * b64).sum(axis=1) + c_out
    bad = ~np.isfinite(ieee)
    a64[~np.isfinite(a64)] = 0
    b64[~np.isfinite(b64)] = 0
    c64 = np.where(np.isfinite(c_out), c_out, 0).astype(np.float64)

    jit = None if model.kind == "exact" else _compiled(rows * n, math.inf)
    if jit is not None:
        try:
            d = _block_rows_compiled(jit, a64, b64, c64, model, out)
        except Exception:  # the compiler failed: NumPy from now on
            _compiled_failed()
            jit = None
    if jit is not None:
        pass
    elif model.kind == "hardware":
        d = _block_rows_hardware(a64, b64, c64, model, out)
    elif model.kind == "ideal":
        d = c64.astype(np.float32)
        with np.errstate(over="ignore"):
            for k in range(n):
                d += (a64[:, k] * b64[:, k]).astype(np.float32)
    else:
        d = [_round_exact_sum(list(x * y) + [z], out)
             for x, y, z in zip(a64, b64, c64)]
    with np.errstate(over="ignore"):
        d = np.asarray(d, np.float64).astype(_OUTPUTS[out])
    d[bad] = ieee[bad]
    return d.reshape(lead)


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


def _block_rows_hardware(a64, b64, c64, model, out):
    """Hardware model on rows: a64, b64 (R, n) float64 holding fp16
    values, c64 (R,) float64 output values.  Returns d (R,) float64."""
    n = model.block_size
    a, b = a64.T.copy(), b64.T.copy()  # (n, R): one contiguous row per k
    scale = _factor_scale(a) * _factor_scale(b)  # 2**(e_a + e_b)
    d = c64.copy()
    t, other = np.empty_like(d), np.empty_like(d)
    overflow = None
    for k0 in range(0, a.shape[0], n):
        ks = slice(k0, k0 + n)
        new = _hw_block(d, a[ks], b[ks], scale[ks].max(axis=0),
                        model.extra_bits, out, t, other, _floor(model, out))
        d, other = new, d
        overflow = _set_aside_overflow(d, overflow, out)
    return _restore_overflow(d, overflow)


# ------------------------------------------------- chapter-06 helpers

@dataclasses.dataclass
class ErrorReport:
    """Relative errors of ways to compute D = A B + C, against float64.

    shape: (M, K, N); errors: {method: (normwise, componentwise)} where
    normwise = ||D - D64||_F / ||D64||_F and componentwise =
    max_ij |D - D64|_ij / (|A| |B| + |C|)_ij.
    """

    model: str
    shape: tuple
    errors: dict

    def __str__(self):
        M, K, N = self.shape
        width = max(len(name) for name in self.errors)
        lines = [f"Relative errors of D = A B + C, A ({M}, {K}), "
                 f"B ({K}, {N}), against float64:",
                 f"{'method':<{width}}  {'normwise':>10}  "
                 f"{'componentwise':>13}"]
        for name, (normwise, componentwise) in self.errors.items():
            lines.append(f"{name:<{width}}  {normwise:10.3e}  "
                         f"{componentwise:13.3e}")
        return "\n".join(lines)


def _fp16_accumulation(A16, B16, C16):
    """D = C, then D = fl16(D + fl16(a_k b_k)) for k in order; float16.

    NumPy's float16 arithmetic rounds each operation once to fp16.
    """
    D = C16.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(A16.shape[1]):
            D += A16[:, k, None] * B16[k]
    return D


def error_report(A, B, C=None, model="V100"):
    """Compare a tensor-core model with fp32 and fp16 arithmetic.

    A: (M, K), B: (K, N), C: (M, N) or None, any float dtype.
    Returns an ErrorReport (print it for a table) with the normwise and
    componentwise relative errors, against float64 A B + C, of:
    the model (fp16 inputs, fp32 output); fp16 inputs with float64
    accumulation (the cost of rounding the inputs alone); plain float32;
    fp16 inputs with every product and sum rounded to fp16.
    """
    spec = _get_model(model)
    A, B = _as_matrix(A, "A"), _as_matrix(B, "B")
    D = tc_matmul(A, B, C, model=spec, out="fp32")  # checks the shapes
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    C64 = np.broadcast_to(np.asarray(0.0 if C is None else C, np.float64),
                          D.shape)
    A16, B16 = round_to_fp16(A64), round_to_fp16(B64)
    results = {
        f"{spec.name} model, fp16 inputs": D,
        "fp16 inputs, float64 sums": A16.astype(np.float64)
        @ B16.astype(np.float64) + C64,
        "plain fp32": A64.astype(np.float32) @ B64.astype(np.float32)
        + C64.astype(np.float32),
        "fp16 products and sums": _fp16_accumulation(
            A16, B16, round_to_fp16(C64)),
    }
    exact = A64 @ B64 + C64
    scale = np.abs(A64) @ np.abs(B64) + np.abs(C64)
    norm = np.linalg.norm(exact)
    errors = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, X in results.items():
            diff = np.abs(X.astype(np.float64) - exact)
            normwise = np.linalg.norm(diff) / norm  # inf or NaN if D64 = 0
            ratio = np.where(diff == 0, 0.0, diff / scale)
            errors[name] = (float(normwise), float(ratio.max(initial=0)))
    return ErrorReport(spec.name, (A.shape[0], A.shape[1], B.shape[1]),
                       errors)


@dataclasses.dataclass
class Disagreement:
    """A small input where "ideal" fp32 arithmetic and a tensor core
    disagree.  a, b: (n,) float16; c: float32; ideal, hardware, exact:
    the three results (float32; exact is the exact sum rounded to
    nearest); explanation: the story in words (also what str() gives)."""

    model: str
    a: np.ndarray
    b: np.ndarray
    c: np.float32
    ideal: np.float32
    hardware: np.float32
    exact: np.float32
    explanation: str

    def __str__(self):
        return self.explanation


def _nice_fp16(rng, shape):
    """Random fp16 values that print briefly: +-(1 + m/8) * 2**s."""
    m = rng.integers(0, 8, shape)
    s = rng.integers(-10, 5, shape)
    sign = rng.choice([-1.0, 1.0], shape)
    return round_to_fp16(sign * (1 + m / 8) * np.exp2(s))


def find_disagreement(model="V100", seed=0, tries=20):
    """Find and explain an input where "ideal" and a hardware preset differ.

    Searches random one-block inputs (n = the model's block size) made
    of short fp16 values.  Returns a Disagreement; print it to read why
    the two results differ.  Raises RuntimeError if none is found.
    """
    spec = _get_model(model)
    if spec.kind != "hardware":
        raise ValueError(f"find_disagreement compares 'ideal' with a "
                         f"hardware preset, not with {spec.name!r}; try "
                         "model='V100'")
    n, rng = spec.block_size, np.random.default_rng(seed)
    for _ in range(tries):
        a, b = _nice_fp16(rng, (1000, n)), _nice_fp16(rng, (1000, n))
        c = _nice_fp16(rng, 1000).astype(np.float32)
        ideal = block_fma(a, b, c, model="ideal")
        hardware = block_fma(a, b, c, model=spec)
        differ = np.nonzero(ideal != hardware)[0]
        if differ.size:
            i = differ[0]
            return _explain(spec, a[i], b[i], c[i], ideal[i], hardware[i])
    raise RuntimeError(f"no disagreement found in {tries * 1000} tries; "
                       "try another seed")


def _explain(spec, a, b, c, ideal, hardware):
    """Build the Disagreement for one block, with its explanation."""
    n, e = spec.block_size, spec.extra_bits
    exact = block_fma(a, b, c, model="exact")
    a64, b64, c64 = a.astype(float), b.astype(float), float(c)
    products = a64 * b64
    scales = _factor_scale(a64) * _factor_scale(b64)  # 2**(e_a + e_b)
    exps = np.log2(scales[products != 0]).astype(int).tolist()
    c_exp = math.frexp(c64)[1] - 1 if c64 else None
    top = max(exps + ([c_exp] if c_exp is not None else []))
    unit = 2.0 ** (top - 23 - e)
    lost = [(k, float(p), math.trunc(p / unit) * unit)
            for k, p in enumerate(products)
            if math.trunc(p / unit) * unit != p]
    if c64 and math.trunc(c64 / unit) * unit != c64:
        lost.append(("c", c64, math.trunc(c64 / unit) * unit))
    lines = [
        f"a = {a.tolist()}",
        f"b = {b.tolist()}",
        f"c = {c64!r}",
        f"{spec.name}: blocks of {n} products, 23 + {e} = {23 + e} "
        "fractional bits kept after alignment.",
        f"The largest exponent among the terms is {top}, so every term "
        f"is cut to a multiple of 2**{top - 23 - e} (toward zero):",
    ]
    for k, before, after in lost:
        name = "c" if k == "c" else f"a[{k}]*b[{k}]"
        lines.append(f"  {name} = {before!r} becomes {after!r}")
    if not lost:
        lines.append("  (no term loses bits; the difference comes from "
                     "rounding toward zero once instead of to nearest "
                     "after every addition)")
    lines += [
        f"The hardware adds the cut terms exactly and rounds once toward "
        f"zero: {float(hardware)!r}.",
        f"'ideal' adds in order c + a[0]*b[0] + ... with fp32 "
        f"round-to-nearest after every addition: {float(ideal)!r}.",
        f"The exact sum rounded to fp32 is {float(exact)!r}.",
    ]
    return Disagreement(spec.name, a, b, np.float32(c), ideal, hardware,
                        exact, "\n".join(lines))
