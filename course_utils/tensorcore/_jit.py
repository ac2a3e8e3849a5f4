"""Compiled (Numba) kernels of course_utils.tensorcore (see its fast module).

Imported by tensorcore only when a product is large enough to pay for
it; if Numba is missing or fails, tensorcore keeps its NumPy path.  Each
kernel adds in exactly the order the model defines, with plain scalar
arithmetic (no BLAS), so its bits do not depend on the CPU or libraries:

- "ideal": every output starts from C and adds its products one by one
  in k order, rounding to fp32 after each addition.  The products of
  fp16 values are exact in fp32, so a fused multiply-add gives the same
  bits as a multiply and an add; the only fast-math freedom allowed is
  that contraction (never reassociation).
- hardware presets: per output and block, the alignment exponent E is
  found, every term is cut toward zero to a multiple of
  2**(E - 23 - e) (exact in float64), the cut terms are summed exactly
  (float64 integers) and the sum is rounded once.

Inputs are finite (tensorcore handles inf and NaN itself) and C-ordered.
Compiled code is cached on disk where Numba finds a writable place (next
to this file, else its user cache); where none is, it compiles in memory.
"""

import numpy as np
import numba

_FLAGS = {"nogil": True, "error_model": "numpy",
          "fastmath": {"contract"}}


def _jit(fn):
    try:
        return numba.njit(cache=True, **_FLAGS)(fn)
    except RuntimeError:  # "cannot cache function": no writable place
        return numba.njit(**_FLAGS)(fn)


# ---------------------------------------------------------------- ideal

_KC = 128   # K per chunk: the chunk's rows of B stay in cache (L2)
_JC = 1024  # columns per chunk


@_jit
def ideal(A, B, D):
    """D += A B in k order, fp32 (see the module docstring).

    A (M, K), B (K, N): float32 holding fp16 values; D (M, N) float32
    holding C on entry.  Rows in groups of four and k in steps of four
    share every load of B and D; each output still sees its products in
    k order, one rounding per addition."""
    M, K = A.shape
    N = B.shape[1]
    for k0 in range(0, K, _KC):
        k1 = min(k0 + _KC, K)
        k4 = k0 + (k1 - k0) // 4 * 4
        for j0 in range(0, N, _JC):
            j1 = min(j0 + _JC, N)
            i = 0
            while i < M:
                rows = 4 if i + 4 <= M else 1
                d0 = D[i, j0:j1]
                d1 = D[i + rows // 4, j0:j1]
                d2 = D[i + 2 * (rows // 4), j0:j1]
                d3 = D[i + 3 * (rows // 4), j0:j1]
                for k in range(k0, k4, 4):
                    b0 = B[k, j0:j1]
                    b1 = B[k + 1, j0:j1]
                    b2 = B[k + 2, j0:j1]
                    b3 = B[k + 3, j0:j1]
                    if rows == 4:
                        a00, a01 = A[i, k], A[i, k + 1]
                        a02, a03 = A[i, k + 2], A[i, k + 3]
                        a10, a11 = A[i + 1, k], A[i + 1, k + 1]
                        a12, a13 = A[i + 1, k + 2], A[i + 1, k + 3]
                        a20, a21 = A[i + 2, k], A[i + 2, k + 1]
                        a22, a23 = A[i + 2, k + 2], A[i + 2, k + 3]
                        a30, a31 = A[i + 3, k], A[i + 3, k + 1]
                        a32, a33 = A[i + 3, k + 2], A[i + 3, k + 3]
                        for j in range(j1 - j0):
                            x0, x1, x2, x3 = b0[j], b1[j], b2[j], b3[j]
                            d0[j] = (((d0[j] + a00 * x0) + a01 * x1)
                                     + a02 * x2) + a03 * x3
                            d1[j] = (((d1[j] + a10 * x0) + a11 * x1)
                                     + a12 * x2) + a13 * x3
                            d2[j] = (((d2[j] + a20 * x0) + a21 * x1)
                                     + a22 * x2) + a23 * x3
                            d3[j] = (((d3[j] + a30 * x0) + a31 * x1)
                                     + a32 * x2) + a33 * x3
                    else:
                        a00, a01 = A[i, k], A[i, k + 1]
                        a02, a03 = A[i, k + 2], A[i, k + 3]
                        for j in range(j1 - j0):
                            d0[j] = (((d0[j] + a00 * b0[j]) + a01 * b1[j])
                                     + a02 * b2[j]) + a03 * b3[j]
                for k in range(k4, k1):
                    bk = B[k, j0:j1]
                    for r in range(rows):
                        a = A[i + r, k]
                        dr = D[i + r, j0:j1]
                        for j in range(j1 - j0):
                            dr[j] = dr[j] + a * bk[j]
                i += rows


@_jit
def ideal_rows(a, b, d):
    """d[r] += sum_k a[r, k] b[r, k] in k order, fp32 (block_fma).

    a, b (R, n) float32 holding fp16 values; d (R,) float32."""
    R, n = a.shape
    for r in range(R):
        s = d[r]
        for k in range(n):
            s = s + a[r, k] * b[r, k]
        d[r] = s


# ------------------------------------------------------------- hardware
#
# Per output and block: E = the largest exponent among the nonzero
# products (e_a + e_b) and c (floor(log2|c|)), raised to the floor; every
# term is cut to a multiple of unit = 2**(E - 23 - e): term * (1 / unit)
# is exact in float64 and np.trunc cuts it; the cut terms add exactly
# (integers below 2**53) and acc * unit is the exact block sum.  Powers
# of two are handled through their float64 bit patterns (exponent field
# only), which avoids divisions: 1 / 2**E has the bits (2046 << 52) minus
# those of 2**E.

_EXP64 = np.uint64(0x7FF0000000000000)
_CLEAR29 = np.uint64(0xFFFFFFFFE0000000)
_ONE_OVER = np.uint64(2046 << 52)   # bits(1 / x) = this - bits(x), x = 2**E
_FP16_TINY = np.uint64((1023 - 14) << 52)   # bits of 2**-14
_W = 512     # columns per chunk
_R = 16      # rows per group: their running sums stay in cache
_KCH = 64    # inner dimension per pass (rounded up to whole blocks)


_NONE = -1000   # the exponent of a zero: below every floor, even as a sum


@_jit
def fp16_exponents(X):
    """e for fp16 values X (float32, C-ordered 2-D): floor(log2|x|), -14
    for subnormals, _NONE for zeros (int32)."""
    out = np.empty(X.shape, np.int32)
    bits = X.ravel().view(np.uint32)
    flat = out.ravel()
    for t in range(bits.size):
        e = np.int32((bits[t] >> np.uint32(23)) & np.uint32(0xFF)) - 127
        e = max(e, np.int32(-14))
        if bits[t] & np.uint32(0x7FFFFFFF) == 0:
            e = np.int32(_NONE)
        flat[t] = e
    return out


@_jit
def _hw_blocks(a, ea, B, EB, j0, k0, k1, d, n, extra_bits, floor_exp,
               fp16, work, top):
    """Chain the blocks k0 .. k1 (k0 a multiple of n) of one row a (K,)
    against columns j0 .. j0 + W of B.

    ea, EB: the exponents of a's and B's entries (fp16_exponents);
    d (W,) float64: the running result (C at the first block);
    floor_exp: the least alignment exponent; work: five float64 scratch
    rows of at least W; top: int32 scratch of at least W."""
    W = d.size
    cval, unit, inv, acc = work[0, :W], work[1, :W], work[2, :W], work[3, :W]
    iulp = work[4, :W]
    E = top[:W]
    cbits, ubits, ibits = (cval.view(np.uint64), unit.view(np.uint64),
                           inv.view(np.uint64))
    iubits = iulp.view(np.uint64)
    dbits = d.view(np.uint64)
    shift = 23 + extra_bits
    for kb in range(k0, k1, n):
        kb1 = min(kb + n, k1)
        # c and its exponent (none for c = 0).  An fp16 overflow (inf)
        # stays as it is; its block gets c = 0.
        for j in range(W):
            x = dbits[j]
            biased = np.int64((x >> np.uint64(52)) & np.uint64(0x7FF))
            if biased == 0x7FF:
                x = np.uint64(0)
            e = biased - 1023 if x << np.uint64(1) != 0 else _NONE
            cbits[j] = x
            E[j] = max(e, floor_exp)
        # The largest product exponent, four k at a time.  A zero factor's
        # exponent (_NONE) keeps its sums far below every floor, so zeros
        # need no test.
        k = kb
        while k + 4 <= kb1:
            e0, e1, e2, e3 = ea[k], ea[k + 1], ea[k + 2], ea[k + 3]
            f0, f1 = EB[k, j0:j0 + W], EB[k + 1, j0:j0 + W]
            f2, f3 = EB[k + 2, j0:j0 + W], EB[k + 3, j0:j0 + W]
            for j in range(W):
                E[j] = max(max(max(E[j], e0 + f0[j]), max(e1 + f1[j],
                           e2 + f2[j])), e3 + f3[j])
            k += 4
        for k in range(k, kb1):
            e_a = ea[k]
            eb = EB[k, j0:j0 + W]
            for j in range(W):
                E[j] = max(E[j], e_a + eb[j])
        for j in range(W):
            ibits[j] = np.uint64(1023 + shift - E[j]) << np.uint64(52)
            ubits[j] = np.uint64(1023 - shift + E[j]) << np.uint64(52)
        for j in range(W):
            acc[j] = np.trunc(cval[j] * inv[j])
        # The cut terms are integers below 2**53: their sum is exact in
        # any order, so four products go into one pass.
        k = kb
        while k + 4 <= kb1:
            x0, x1 = np.float64(a[k]), np.float64(a[k + 1])
            x2, x3 = np.float64(a[k + 2]), np.float64(a[k + 3])
            b0, b1 = B[k, j0:j0 + W], B[k + 1, j0:j0 + W]
            b2, b3 = B[k + 2, j0:j0 + W], B[k + 3, j0:j0 + W]
            for j in range(W):
                s = inv[j]
                acc[j] += ((np.trunc(x0 * b0[j] * s)
                            + np.trunc(x1 * b1[j] * s))
                           + (np.trunc(x2 * b2[j] * s)
                              + np.trunc(x3 * b3[j] * s)))
            k += 4
        for k in range(k, kb1):
            x = np.float64(a[k])
            b = B[k, j0:j0 + W]
            for j in range(W):
                acc[j] += np.trunc(x * b[j] * inv[j])
        for j in range(W):
            cval[j] = acc[j] * unit[j] + 0.0  # exact; +0 for a zero sum
        if not fp16:
            # The exact sum, normal in fp32 unless it is c itself (see
            # tensorcore): clearing 29 low bits rounds it toward zero.
            for j in range(W):
                dbits[j] = cbits[j] & _CLEAR29
            continue
        # Nearest-even fp16: v / ulp rounded to an integer, times ulp,
        # ulp = 2**(max(e_v, -14) - 10).
        for j in range(W):
            m = max(cbits[j] & _EXP64, _FP16_TINY)
            ubits[j] = m - np.uint64(10 << 52)
            iubits[j] = _ONE_OVER + np.uint64(10 << 52) - m
        for j in range(W):
            v = cval[j]
            r = np.rint(v * iulp[j]) * unit[j]
            if abs(r) > 65504.0:
                r = np.inf if v > 0 else -np.inf
            if abs(d[j]) < np.inf:
                d[j] = r


@_jit
def hardware(A, B, C, D, n, extra_bits, floor_exp, fp16):
    """D = the hardware model's A B + C (see tensorcore).  A (M, K),
    B (K, N) float32 holding fp16 values; C, D (M, N) float64;
    floor_exp: the least alignment exponent (-126 or above)."""
    M, K = A.shape
    N = B.shape[1]
    SA, SB = fp16_exponents(A), fp16_exponents(B)
    kch = max(1, -(-_KCH // n)) * n
    work = np.empty((5, min(_W, N)))
    top = np.empty(min(_W, N), np.int32)
    state = np.empty((_R, min(_W, N)))
    for j0 in range(0, N, _W):
        W = min(_W, N - j0)
        for i0 in range(0, M, _R):
            rows = min(_R, M - i0)
            for r in range(rows):
                state[r, :W] = C[i0 + r, j0:j0 + W]
            for k0 in range(0, K, kch):
                k1 = min(k0 + kch, K)
                for r in range(rows):
                    _hw_blocks(A[i0 + r], SA[i0 + r], B, SB, j0, k0, k1,
                               state[r, :W], n, extra_bits, floor_exp,
                               fp16, work, top)
            for r in range(rows):
                D[i0 + r, j0:j0 + W] = state[r, :W]


@_jit
def hardware_rows(a, b, c, d, n, extra_bits, floor_exp, fp16):
    """d[r] = the hardware model's sum_k a[r, k] b[r, k] + c[r].
    a, b (R, K) float32 holding fp16 values; c, d (R,) float64."""
    R, K = a.shape
    sa, sb = fp16_exponents(a), fp16_exponents(b)
    work = np.empty((5, 1))
    top = np.empty(1, np.int32)
    dw = np.empty(1)
    for r in range(R):
        dw[0] = c[r]
        _hw_blocks(a[r], sa[r], b[r].reshape((K, 1)), sb[r].reshape((K, 1)),
                   0, 0, K, dw, n, extra_bits, floor_exp, fp16, work,
                   top)
        d[r] = dw[0]
