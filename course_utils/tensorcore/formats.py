"""fp16 and fp32 values: rounding to the input and output formats, and
the exponents the models align to (see course_utils.tensorcore)."""

import numpy as np

__all__ = ["round_to_fp16"]

_OUTPUTS = {"fp32": np.float32, "fp16": np.float16}
_FP16_MIN_NORMAL = 2.0 ** -14
_EXPONENT_BITS = np.uint64(0x7FF0000000000000)
_LOW_29_BITS = np.uint64(2 ** 29 - 1)


def _check_out(out):
    if out not in _OUTPUTS:
        raise ValueError(
            f"out={out!r} is not an output format; use out='fp32' (the "
            "usual tensor-core output) or out='fp16'")


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


def _all_finite(X):
    """Whether X holds no inf or NaN; min and max propagate both, so two
    reductions decide it without an array of flags."""
    if X.size == 0:
        return True
    with np.errstate(invalid="ignore"):
        return bool(np.isfinite(X.min()) and np.isfinite(X.max()))
