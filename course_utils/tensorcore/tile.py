"""The models' operations on NumPy arrays: tc_matmul, fma_4x4x4 and
block_fma.  The NumPy code here is the reference (and the path for small
products and where Numba is missing); large products go to the compiled
kernels of course_utils.tensorcore.fast, which give the same bits."""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from course_utils.tensorcore import fast
from course_utils.tensorcore.formats import (
    _LOW_29_BITS, _OUTPUTS, _all_finite, _check_out, _factor_scale,
    _fp16_values, _pow2_floor, _round_output, round_to_fp16)
from course_utils.tensorcore.presets import _floor, _get_model

__all__ = ["tc_matmul", "fma_4x4x4", "block_fma"]


# ---------------------------------------------------------------- checks

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
    jit = fast._compiled(M * K * N, fast._COLD_MIN_WORK_HARDWARE)
    if jit is not None:
        try:
            return fast._hardware_compiled(jit, A16, B16, C, model, out)
        except Exception:  # the compiler failed: NumPy from now on
            fast._compiled_failed()
    A64, B64 = _both(lambda X: X.astype(np.float64), A16, B16)
    C64 = C.astype(np.float64)
    return _by_rows(
        lambda i, j: _hw_rows(A64[i:j], B64, C64[i:j], model, out),
        *C.shape)


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
    jit = fast._compiled(M * K * N, fast._COLD_MIN_WORK_IDEAL)
    if jit is not None:
        try:
            A32, B32 = np.ascontiguousarray(A32), np.ascontiguousarray(B32)
            D = np.array(C32, np.float32, order="C")
            fast._split_rows(lambda i, j: jit.ideal(A32[i:j], B32, D[i:j]), M)
            return D
        except Exception:  # the compiler failed: NumPy from now on
            fast._compiled_failed()
    with np.errstate(over="ignore"):
        return _by_rows(
            lambda i, j: _ideal_portable(A32[i:j], B32, C32[i:j]),
            *C32.shape)


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
    if _all_finite(A16) and _all_finite(B16) and _all_finite(C):
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

    jit = None if model.kind == "exact" else fast._compiled(rows * n, math.inf)
    if jit is not None:
        try:
            d = fast._block_rows_compiled(jit, a64, b64, c64, model, out)
        except Exception:  # the compiler failed: NumPy from now on
            fast._compiled_failed()
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
