"""Checks for chapter 06's graded cells (tensor cores, mixed precision).

The graded cells of solutions/06_tensor_cores compare a student's
functions with course_utils.tensorcore and with real hardware results,
bit for bit.  These helpers keep those cells short and their messages
plain; failures go through course_utils.checks like every chapter's.

- ``same_bits(got, expected, name, hint, mistakes)``: equal shape, dtype
  and bits; a result that matches a known mistake gets that mistake's hint
- ``fma_mistakes(A, B, C)``: what the usual wrong tile operations give
- ``load_samples(gpu)``: the hardware samples shipped with the chapter
- ``fp16_fields_reference(x)``: the three fields, from the bit pattern
- ``TileRecorder(kind)``: an fma for tiled_matmul that checks every tile
  it gets and records the calls
"""
from pathlib import Path

import numpy as np

from course_utils import tensorcore as tc
from course_utils.checks import _fail

__all__ = ["same_bits", "fma_mistakes", "load_samples",
           "fp16_fields_reference", "TileRecorder", "SAMPLES_FILE"]

SAMPLES_FILE = "tensorcore_samples.npz"
_K = {"V100": 4, "A100": 8, "Ada": 8, "L40S": 8,
      "H100": 16, "H200": 16, "B200": 16}


def same_bits(got, expected, name, hint="", mistakes=()):
    """Fail unless got has expected's shape and the same float values,
    bit for bit (so -0.0 differs from 0.0).  Returns got as an array.

    got: what the student returned; expected: float32 or float16 array.
    name: how to call the value; hint: a sentence added to a mismatch.
    mistakes: (result, sentence) pairs: when got equals exactly one of
    these results bit for bit, its sentence replaces the hint, so the
    message names the mistake that was made.
    """
    expected = np.asarray(expected)
    if got is None:
        _fail(f"{name} returned None: did you forget `return`?")
    try:
        arr = np.asarray(got)
    except Exception:
        _fail(f"{name} returned {type(got).__name__}, not numbers")
    if arr.dtype == object or arr.dtype.kind not in "fiub":
        _fail(f"{name} returned {type(got).__name__} values of dtype "
              f"{arr.dtype}; return float numbers")
    if arr.shape != expected.shape:
        _fail(f"{name} has shape {arr.shape}; expected shape "
              f"{expected.shape}")
    if arr.dtype != expected.dtype:
        if arr.dtype.kind == "f" and arr.dtype.itemsize < \
                expected.dtype.itemsize:
            # a narrower float has already rounded what it holds
            _fail(f"{name} returned {arr.dtype} values; the result should "
                  f"be {expected.dtype}. An array of dtype {arr.dtype} "
                  f"rounds every value stored in it to {arr.dtype}: keep "
                  f"the running sums in {expected.dtype}.")
        if arr.dtype.kind == "f" and arr.dtype.itemsize > \
                expected.dtype.itemsize:
            rounded = arr.astype(expected.dtype)
            if not np.array_equal(rounded.astype(arr.dtype), arr,
                                  equal_nan=True):
                _fail(f"{name} has dtype {arr.dtype} and values that are "
                      f"not {expected.dtype} numbers: return "
                      f"{expected.dtype} (round as the text says, e.g. "
                      f"np.float32(x) or .astype(np.{expected.dtype}))")
        arr = arr.astype(expected.dtype)
    if not _bits_equal(arr, expected):
        bad = int((_bits(arr) != _bits(expected)).sum())
        named = {sentence for result, sentence in mistakes
                 if _bits_equal(arr, np.asarray(result, expected.dtype))}
        if len(named) == 1:  # several would be a guess: keep the hint
            hint = named.pop()
        _fail(f"{name} differs from the expected result in {bad} of "
              f"{arr.size} entries (compared bit for bit). {hint}".strip())
    return arr


def _bits(x):
    unsigned = {4: np.uint32, 2: np.uint16}[x.dtype.itemsize]
    return np.ascontiguousarray(x).view(unsigned)


def _bits_equal(x, y):
    """Equal bit patterns, any NaN equal to any NaN."""
    if x.shape != y.shape:
        return False
    nan = np.isnan(x) & np.isnan(y)
    return bool(((_bits(x) == _bits(y)) | nan).all())


def fma_mistakes(A, B, C):
    """[(D, sentence)]: what the usual wrong versions of the ideal tile
    D = A B + C return, each with the sentence that names the mistake.

    A, B: (4, 4) float16 (or values rounded to it), C: (4, 4) float32.
    """
    A16, B16 = np.asarray(A, np.float16), np.asarray(B, np.float16)
    A32, B32 = A16.astype(np.float32), B16.astype(np.float32)
    C32 = np.asarray(C, np.float32)

    def chain(D, term, order=range(4)):
        for k in order:
            D = D + term(k)
        return D

    def exact(k):  # products of fp16 values are exact in float32
        return A32[:, k, None] * B32[None, k, :]

    with np.errstate(over="ignore", invalid="ignore"):
        out = [
            (chain(C32.astype(np.float16),
                   lambda k: A16[:, k, None] * B16[None, k, :]),
             "The sums were rounded to fp16 (fp16 accumulation): keep D "
             "in float32 and add in float32; only A and B are fp16."),
            (chain(C32.astype(np.float16).astype(np.float32), exact),
             "C was rounded to fp16: C is float32 and must stay float32 "
             "(only A and B are fp16)."),
            (chain(C32, lambda k: (A16[:, k, None] * B16[None, k, :])
                   .astype(np.float32)),
             "The products were rounded to fp16: convert A and B to "
             "float32 before multiplying, so that the products are exact."),
            (chain(C32.astype(np.float64), lambda k: (
                A32[:, k, None] * B32[None, k, :]).astype(np.float64)),
             "The sums were computed in float64 and rounded once: round "
             "to float32 after every addition."),
            (A32 @ B32 + C32,
             "C was added after the products: start from C and add the "
             "products for k = 0, 1, 2, 3 one at a time."),
            (chain(C32, exact, order=range(3, -1, -1)),
             "The products were added in reverse order: add them for "
             "k = 0, 1, 2, 3, in that order."),
        ]
    return [(np.asarray(D).astype(np.float32), text) for D, text in out]


def load_samples(gpu="V100", folder="."):
    """Real outputs of one GPU: a, b (1000, K) float16, c (1000,) float32,
    d_fp32 (1000,) float32, d_fp16 (1000,) float16."""
    path = Path(folder) / SAMPLES_FILE
    if not path.exists():
        _fail(f"{SAMPLES_FILE} is missing: it ships next to this notebook "
              f"(with LICENCE); put it back in the notebook's folder")
    K = _K[gpu]
    with np.load(path) as npz:
        return (npz[f"a_K{K}"].view(np.float16),
                npz[f"b_K{K}"].view(np.float16),
                npz[f"{gpu}_c"].view(np.float32),
                npz[f"{gpu}_d_fp32"].view(np.float32),
                npz[f"{gpu}_d_fp16"].view(np.float16))


def fp16_fields_reference(x):
    """(sign, exponent, fraction) of np.float16(x), from its bits."""
    bits = int(np.asarray(x, np.float16).view(np.uint16))
    return bits >> 15, (bits >> 10) & 0x1F, bits & 0x3FF


class TileRecorder:
    """An fma for tiled_matmul: checks each tile and records the call.

    kind: a model of course_utils.tensorcore ("ideal", "V100", ...).
    calls: list of (A_tile, B_tile, C_tile) copies, in call order.
    """

    def __init__(self, kind="ideal"):
        self.kind = kind
        self.calls = []
        self.results = []
        self.__name__ = f"fma_{kind}"

    def __call__(self, A, B, C):
        for name, X in (("A", A), ("B", B), ("C", C)):
            if np.shape(X) != (4, 4):
                _fail(f"tiled_matmul passed fma a tile of {name} with "
                      f"shape {np.shape(X)}; every tile must be (4, 4): "
                      f"pad A, B and C with zeros to multiples of 4 first")
        A, B = np.asarray(A), np.asarray(B)
        if A.dtype != np.float16 or B.dtype != np.float16:
            _fail(f"tiled_matmul passed fma tiles of dtype {A.dtype} and "
                  f"{B.dtype}; A and B tiles must be float16")
        C = np.asarray(C, np.float32)
        self.calls.append((A.copy(), B.copy(), C.copy()))
        D = tc.tc_matmul(A, B, C, model=self.kind)
        self.results.append(D.copy())
        return D
