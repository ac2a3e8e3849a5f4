"""Chapter 06's tools on top of the models: error_report (how far a
model, fp32 and fp16 arithmetic land from the exact product) and
find_disagreement (a small input where "ideal" and a GPU differ, with
the story of why)."""

import dataclasses
import math

import numpy as np

from course_utils.tensorcore.formats import _factor_scale, round_to_fp16
from course_utils.tensorcore.presets import _get_model
from course_utils.tensorcore.tile import _as_matrix, block_fma, tc_matmul

__all__ = ["error_report", "ErrorReport", "find_disagreement",
           "Disagreement"]


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
