"""Tests of course_utils.tensorcore, the tensor-core model of chapter 06.

Oracles: real hardware results (tests/data/tensorcore), a plain-Python
transcription of the model with exact fractions, a plain-Python loop of
np.float32 additions for "ideal", and hand-worked vectors.
"""

import contextlib
import math
import pathlib
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_utils import tensorcore as tc
from course_utils.tensorcore import fast, formats

DATA = pathlib.Path(__file__).parent / "data" / "tensorcore"
GPUS = {"V100": 4, "A100": 8, "Ada": 8, "L40S": 8,
        "H100": 16, "H200": 16, "B200": 16}
FP32_MAX = np.finfo(np.float32).max


@pytest.fixture(scope="module")
def samples():
    with np.load(DATA / "hw_samples.npz") as npz:
        return dict(npz)


def hw_sample(samples, gpu):
    """a, b: (5000, K) float16, c: (5000,) float32 and both results."""
    K = GPUS[gpu]
    return (samples[f"a_K{K}"].view(np.float16),
            samples[f"b_K{K}"].view(np.float16),
            samples[f"{gpu}_c"].view(np.float32),
            samples[f"{gpu}_d_fp32"].view(np.float32),
            samples[f"{gpu}_d_fp16"].view(np.float16))


def assert_same_bits(got, expected):
    """Same dtype, shape and bit patterns (so -0 != +0, NaN == NaN)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    unsigned = np.uint32 if got.dtype == np.float32 else np.uint16
    bad = np.nonzero(got.view(unsigned) != expected.view(unsigned))
    assert bad[0].size == 0, (
        f"{bad[0].size} of {got.size} values differ, first at "
        f"{tuple(int(i[0]) for i in bad)}: got {got[bad][0]!r}, "
        f"expected {expected[bad][0]!r}")


PATHS = ["numpy", "compiled"]


@contextlib.contextmanager
def forced(path, threads=None):
    """Run the models on one path: "numpy" or "compiled" (Numba)."""
    old = fast._PATH, fast._THREADS
    fast._PATH, fast._THREADS = path, threads
    try:
        yield
    finally:
        fast._PATH, fast._THREADS = old


@pytest.fixture(params=PATHS)
def path(request):
    with forced(request.param):
        yield request.param


# ------------------------------------------------------ hardware data

@pytest.mark.parametrize("gpu", GPUS)
@pytest.mark.parametrize("out", ["fp32", "fp16"])
def test_block_fma_matches_every_hardware_sample(samples, gpu, out, path):
    """Does block_fma reproduce all 5000 samples of a GPU bit for bit,
    on the NumPy and on the compiled path?"""
    a, b, c, d32, d16 = hw_sample(samples, gpu)
    d = tc.block_fma(a, b, c, model=gpu, out=out)
    assert_same_bits(d, d32 if out == "fp32" else d16)


@pytest.mark.parametrize("gpu", ["V100", "A100", "H100"])
def test_tc_matmul_matches_hardware_samples(samples, gpu, path):
    """Does tc_matmul agree with the hardware on the samples' diagonal?"""
    a, b, c, d32, _ = hw_sample(samples, gpu)
    rows = slice(0, 300)
    D = tc.tc_matmul(a[rows], b[rows].T, np.diag(c[rows]), model=gpu)
    # Off the diagonal C is 0; on it, D[i, i] is sample i.
    assert_same_bits(np.diag(D).copy(), d32[rows])


def test_models_name_every_preset():
    """Does MODELS hold every preset with its block size and extra bits?"""
    expected = {"V100": (4, 0), "T4": (4, 1), "A100": (8, 1),
                "Ada": (8, 1), "L40S": (8, 1), "H100": (16, 2),
                "H200": (16, 2), "B200": (16, 2)}
    for name, (n, e) in expected.items():
        model = tc.MODELS[name]
        assert (model.kind, model.block_size, model.extra_bits) == \
            ("hardware", n, e)
    assert tc.MODELS["ideal"].kind == "ideal"
    assert tc.MODELS["exact"].kind == "exact"


# ------------------------------------- plain-Python model, exact maths

def fp16_exponent(x):
    """e with x = m * 2**e, 1 <= |m| < 2; -14 for fp16 subnormals."""
    return max(math.frexp(x)[1] - 1, -14)


def nearest(value, dtype, toward_zero=False):
    """Round the Fraction `value` to dtype (float32 or float16)."""
    if dtype == np.float16 and abs(value) >= 65520:
        return math.copysign(math.inf, value)
    y = dtype(float(value))
    with np.errstate(over="ignore"):
        candidates = [y, np.nextafter(y, dtype(-np.inf)),
                      np.nextafter(y, dtype(np.inf))]
    candidates = [x for x in candidates if np.isfinite(x)]
    if toward_zero:
        below = [x for x in candidates if abs(Fraction(float(x))) <=
                 abs(value) and (x == 0 or (x > 0) == (value > 0))]
        return max(below, key=lambda x: abs(float(x)))
    unsigned = np.uint32 if dtype == np.float32 else np.uint16
    return min(candidates,
               key=lambda x: (abs(Fraction(float(x)) - value),
                              int(np.array(x).view(unsigned)) & 1))


def reference_block(a, b, c, extra_bits, out, floor=-126):
    """The module docstring's description, one block, exact fractions.

    floor: the least alignment exponent (the model's fp16-output floor
    when out is "fp16")."""
    if math.isinf(c):  # an fp16 overflow: later terms are finite
        return c
    exponents = [fp16_exponent(x) + fp16_exponent(y)
                 for x, y in zip(a, b) if x * y != 0]
    if c != 0:
        exponents.append(math.frexp(c)[1] - 1)
    if not exponents:
        return c + 0.0  # a zero result is +0
    top = max(max(exponents), floor if out == "fp16" else -126)
    unit = Fraction(2) ** (top - 23 - extra_bits)

    def cut(v):  # keep whole multiples of unit, toward zero
        return int(Fraction(v) / unit) * unit

    total = sum(cut(x * y) for x, y in zip(a, b)) + cut(c)
    if out == "fp32":
        return float(nearest(total, np.float32, toward_zero=True))
    return float(nearest(total, np.float16))


def reference_matmul(A, B, C, model, out):
    """tc_matmul by plain loops over the reference block."""
    n, e = model.block_size, model.extra_bits
    D = np.empty(C.shape, np.float32 if out == "fp32" else np.float16)
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            a, b = A[i].astype(float), B[:, j].astype(float)
            d = float(C[i, j])
            for k0 in range(0, len(a), n):
                d = reference_block(a[k0:k0 + n], b[k0:k0 + n], d, e, out,
                                    model.alignment_floor)
            D[i, j] = d
    return D


# The sampled values are exact in their format: hypothesis's arrays()
# rejects an element that is not, and a run that drew sqrt(3) into many
# cells failed its filtering health check.
fp16_values = st.one_of(
    st.floats(width=16, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 2.0 ** -24, -(2.0 ** -20), 65504.0,
                     1.0, 1.5, float(np.float16(3.0 ** 0.5))]))
fp32_values = st.one_of(
    st.floats(width=32, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.0, float(np.float32(-1e-40)),
                     2.0 ** -126, float(np.float32(1e30))]))


@st.composite
def matmul_inputs(draw, max_k=20):
    M, K, N = (draw(st.integers(1, 3)), draw(st.integers(1, max_k)),
               draw(st.integers(1, 3)))
    A = draw(arrays(np.float16, (M, K), elements=fp16_values))
    B = draw(arrays(np.float16, (K, N), elements=fp16_values))
    C = draw(arrays(np.float32, (M, N), elements=fp32_values))
    return A, B, C


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(matmul_inputs(), st.sampled_from(["V100", "T4", "A100", "H100"]),
       st.sampled_from(["fp32", "fp16"]))
def test_tc_matmul_matches_plain_python_model(inputs, model, out):
    """Does the vectorised kernel follow the written model exactly,
    for any K (chained blocks), zeros, subnormals and extreme values?"""
    A, B, C = inputs
    C_out = C if out == "fp32" else tc.round_to_fp16(C)
    expected = reference_matmul(A, B, C_out, tc.MODELS[model], out)
    assert_same_bits(tc.tc_matmul(A, B, C, model=model, out=out), expected)


@pytest.mark.parametrize("M, K, N", [(9, 37, 11), (300, 21, 230)])
@pytest.mark.parametrize("out", ["fp32", "fp16"])
def test_block_fma_and_tc_matmul_agree(M, K, N, out, path):
    """Do the row kernel and the matrix kernel (tiled over rows and
    threads for the larger shape) give the same bits?"""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((M, K)) * np.exp2(rng.integers(-20, 9, (M, K)))
    B = rng.standard_normal((K, N))
    C = rng.standard_normal((M, N))
    A[2, 5:] = 0
    for model in ["V100", "A100", "H100", "ideal"]:
        D = tc.tc_matmul(A, B, C, model=model, out=out)
        d = tc.block_fma(np.broadcast_to(A[:, None, :], (M, N, K)),
                         np.broadcast_to(B.T[None], (M, N, K)), C,
                         model=model, out=out)
        assert_same_bits(D, d)


# ------------------------------------------------------- ideal model

def reference_ideal(A, B, C):
    """c + a[0] b[0] + a[1] b[1] + ..., np.float32 scalar additions."""
    D = np.empty(C.shape, np.float32)
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            d = np.float32(C[i, j])
            for k in range(A.shape[1]):
                d = np.float32(d + np.float32(A[i, k]) * np.float32(B[k, j]))
            D[i, j] = d
    return D


@settings(max_examples=80, deadline=None)
@given(matmul_inputs(max_k=12))
def test_ideal_matches_float32_loop(inputs):
    """Is "ideal" sequential fp32 addition in k order, from C?"""
    A, B, C = inputs
    with np.errstate(over="ignore"):
        expected = reference_ideal(A, B, C)
    assert_same_bits(tc.tc_matmul(A, B, C, model="ideal"), expected)


def large_ideal_case(seed=2, shape=(130, 150, 120)):
    """fp16 A (M, K), B (K, N) spanning magnitudes, fp32 C, with -0 in C
    that must stay (row 1, column 0) or not (row 0)."""
    M, K, N = shape
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((M, K)) * np.exp2(rng.integers(-24, 10, (M, K)))
    A[:, 7] = 0
    B = rng.standard_normal((K, N))
    C = rng.standard_normal((M, N)).astype(np.float32)
    C[0, :] = -0.0  # -0 + (+0) ... gives +0
    A16, B16 = tc.round_to_fp16(A), tc.round_to_fp16(B)
    # Row 1, column 0: -0 + (-0) + (-0) ... which stays -0.
    A16[1] = -0.0
    B16[:, 0] = abs(B16[:, 0])
    C[1, 0] = -0.0
    return A16, B16, C


def test_ideal_matches_the_loop_reference_on_both_paths():
    """Do the NumPy and the compiled "ideal" give the float32 loop's bits
    (checked in full on a slice), with C = -0 kept where every term is -0?"""
    A16, B16, C = large_ideal_case()
    with forced("numpy"):
        expected = tc.tc_matmul(A16, B16, C, model="ideal")
    rows = slice(0, 4)
    assert_same_bits(expected[rows], reference_ideal(A16[rows], B16, C[rows]))
    assert np.signbit(expected[1, 0]) and not np.signbit(expected[0, 0])
    with forced("compiled"):
        assert_same_bits(tc.tc_matmul(A16, B16, C, model="ideal"), expected)


# ------------------------------------------- compiled path vs NumPy

def awkward_inputs(seed, shape):
    """A (M, K), B (K, N) float64 and C (M, N) float32 with what the
    kernels treat specially: zero rows and columns, fp16 subnormals (and
    values that round to them or to zero), products from 2**-48 to near
    2**32, fp32 subnormals in C, -0 and +0 in C, exact cancellation."""
    M, K, N = shape
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((M, K)) * np.exp2(rng.integers(-27, 16, (M, K)))
    B = rng.standard_normal((K, N)) * np.exp2(rng.integers(-27, 16, (K, N)))
    C = (rng.standard_normal((M, N))
         * np.exp2(rng.integers(-150, 40, (M, N)))).astype(np.float32)
    A[:, K // 2] = 0
    B[:, N // 3] = 0
    C[rng.random((M, N)) < 0.1] = -0.0
    C[rng.random((M, N)) < 0.1] = 0.0
    C.flat[::7] = np.float32(3e-41)  # fp32 subnormal
    A[M // 2] = -0.0               # a row of -0: -0 + ... sign rules
    if K >= 2:
        A[-1, :2], B[:2, -1] = [1.5, 1.5], [2.0, -2.0]  # exact cancellation
    return A, B, C


MODELS_TO_COMPARE = ["V100", "T4", "A100", "Ada", "H100", "B200", "ideal",
                     tc.TensorCoreModel("n3 e5", "hardware", 3, 5, -200),
                     tc.TensorCoreModel("n5 e1 F-10", "hardware", 5, 1, -10)]


@pytest.mark.parametrize("shape", [
    (1, 1, 1), (3, 7, 2), (17, 67, 129), (33, 130, 300), (5, 300, 1100),
    (70, 9, 20)])
@pytest.mark.parametrize("out", ["fp32", "fp16"])
def test_compiled_path_gives_the_numpy_bits(shape, out):
    """Do the compiled kernels give the NumPy path's bits for every model
    and output on awkward inputs and shapes (K across block, chunk and
    pass sizes, rows and columns not multiples of the kernels' groups)?"""
    A, B, C = awkward_inputs(sum(shape), shape)
    for model in MODELS_TO_COMPARE:
        with forced("numpy"):
            expected = tc.tc_matmul(A, B, C, model=model, out=out)
        with forced("compiled"):
            got = tc.tc_matmul(A, B, C, model=model, out=out)
        assert_same_bits(got, expected)


@pytest.mark.parametrize("out", ["fp32", "fp16"])
def test_compiled_block_fma_gives_the_numpy_bits(out):
    """Does block_fma's compiled path agree with NumPy, row by row?"""
    A, B, C = awkward_inputs(4, (300, 37, 1))
    a, b = A, np.tile(B.T, (300, 1))
    b[::3] = np.roll(b[::3], 1, axis=1)
    for model in MODELS_TO_COMPARE:
        with forced("numpy"):
            expected = tc.block_fma(a, b, C[:, 0], model=model, out=out)
        with forced("compiled"):
            got = tc.block_fma(a, b, C[:, 0], model=model, out=out)
        assert_same_bits(got, expected)


def test_compiled_path_keeps_ieee_values_and_overflow():
    """Are inf and NaN inputs, fp16 overflow (the first one's sign kept
    in later blocks) and huge C the same on both paths?"""
    A, B, C = awkward_inputs(9, (20, 24, 30))
    A[0, 3], B[5, 7], C[4, 4] = np.inf, np.nan, -np.inf
    A[1, :8], B[:8, 1] = 300, 300          # 8 * 90000: overflows fp16
    A[2, :4], B[:4, 2] = 300, 300
    A[2, 4:8], B[4:8, 2] = -300, 300       # +inf then -inf: stays +inf
    C[6, 6] = FP32_MAX
    for model in MODELS_TO_COMPARE:
        for out in ["fp32", "fp16"]:
            with forced("numpy"), np.errstate(over="ignore"):
                expected = tc.tc_matmul(A, B, C, model=model, out=out)
            with forced("compiled"), np.errstate(over="ignore"):
                got = tc.tc_matmul(A, B, C, model=model, out=out)
            assert_same_bits(got, expected)
    assert expected[2, 2] == np.inf  # the first overflow's sign
    assert np.isnan(expected[0, 7]) and np.isinf(expected[4, 4])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(matmul_inputs(), st.sampled_from(["V100", "A100", "H100", "ideal"]),
       st.sampled_from(["fp32", "fp16"]))
def test_compiled_path_matches_plain_python_model(inputs, model, out):
    """Is the compiled path, forced on tiny inputs with subnormals,
    signed zeros and extreme values, the written model?"""
    A, B, C = inputs
    C_out = C if out == "fp32" else tc.round_to_fp16(C)
    if model == "ideal":
        with np.errstate(over="ignore"):
            expected = reference_ideal(A, B, C_out)
        if out == "fp16":
            expected = expected.astype(np.float16)
    else:
        expected = reference_matmul(A, B, C_out, tc.MODELS[model], out)
    with forced("compiled"), np.errstate(over="ignore"):
        assert_same_bits(tc.tc_matmul(A, B, C, model=model, out=out),
                         expected)


def test_compiled_path_with_one_thread_or_many():
    """Does the split of rows over threads leave the bits alone?"""
    A, B, C = awkward_inputs(3, (90, 100, 70))
    with forced("numpy"):
        expected = {m: tc.tc_matmul(A, B, C, model=m) for m in ("ideal",
                                                                 "H100")}
    for threads in (1, 3, 8):
        with forced("compiled", threads):
            for m, D in expected.items():
                assert_same_bits(tc.tc_matmul(A, B, C, model=m), D)


def test_large_products_take_the_compiled_path_small_ones_numpy(
        monkeypatch):
    """Before Numba is loaded, do only products large enough to pay for
    loading it take the compiled path, and afterwards smaller ones too?"""
    monkeypatch.setattr(fast, "_jit", None)
    assert fast._compiled(1 << 20, fast._COLD_MIN_WORK_IDEAL) is None
    assert fast._jit is None  # nothing was imported for it
    jit = fast._compiled(fast._COLD_MIN_WORK_IDEAL, fast._COLD_MIN_WORK_IDEAL)
    assert jit is not None and fast._jit is jit
    assert fast._compiled(1 << 20, fast._COLD_MIN_WORK_IDEAL) is jit
    assert fast._compiled(16, fast._COLD_MIN_WORK_IDEAL) is None
    assert tc.ideal_backend() == "compiled"


def test_numpy_fallback_without_numba(monkeypatch):
    """Where the compiled kernels cannot be imported (no Numba), does
    every model still run, on the NumPy path, with the same bits?"""
    A, B, C = awkward_inputs(5, (40, 50, 60))
    with forced("compiled"):
        expected = {m: tc.tc_matmul(A, B, C, model=m) for m in ("ideal",
                                                                 "V100")}
    monkeypatch.setattr(fast, "_jit", None)
    monkeypatch.setitem(sys.modules, "course_utils.tensorcore._jit", None)
    monkeypatch.setattr(fast, "_COLD_MIN_WORK_IDEAL", 1)
    monkeypatch.setattr(fast, "_COLD_MIN_WORK_HARDWARE", 1)
    assert tc.ideal_backend() == "numpy"
    assert fast._jit is False
    for m, D in expected.items():
        assert_same_bits(tc.tc_matmul(A, B, C, model=m), D)


def test_a_failing_compiled_kernel_falls_back_to_numpy(monkeypatch):
    """If a compiled kernel raises (a compiler problem on some system),
    does the call still give the right bits, from NumPy from then on?"""
    class Broken:
        def __getattr__(self, name):
            def kernel(*args):
                raise RuntimeError("no compiler here")
            return kernel

    A, B, C = awkward_inputs(6, (30, 40, 50))
    with forced("numpy"):
        expected = tc.tc_matmul(A, B, C, model="A100")
    monkeypatch.setattr(fast, "_jit", Broken())
    assert_same_bits(tc.tc_matmul(A, B, C, model="A100"), expected)
    assert fast._jit is False


def test_compiled_kernels_do_no_matrix_products():
    """The compiled kernels must add in the model's order themselves: no
    call may hand the sums to a BLAS (whose order varies by CPU)."""
    source = pathlib.Path(fast.__file__).with_name("_jit.py")
    code = source.read_text()
    for name in ("np.dot", "matmul", "einsum", "@ ", "np.sum", ".sum(",
                 "vdot", "tensordot", "inner("):
        assert name not in code, name


def test_the_package_reexports_every_public_name():
    """Does course_utils.tensorcore give every public name of its modules
    (the same objects), so the chapter's imports keep working?"""
    import importlib
    from course_utils.tensorcore import chapter, presets, tile
    exported = set()
    for module in (presets, formats, tile, fast, chapter):
        for name in module.__all__:
            assert getattr(tc, name) is getattr(module, name), name
            exported.add(name)
    assert exported == set(tc.__all__)
    assert importlib.import_module("course_utils.tensorcore") is tc
    from course_utils.tensorcore import MODELS, tc_matmul  # noqa: F401
    from course_utils import tensorcore_checks
    assert tensorcore_checks.tc is tc


def test_no_blas_layout_is_modelled():
    """The models add in their own order on every CPU: no file of the
    package may model (or probe for) a BLAS kernel's layout."""
    folder = pathlib.Path(tc.__file__).parent
    files = sorted(folder.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "tile.py", "_jit.py"}
    for f in files:
        text = f.read_text().lower()
        for word in ("openblas", "sgemm", "haswell", "skylake", "mkl",
                     "threadpoolctl", "microkernel"):
            assert word not in text, (f.name, word)


# ---------------------------------------------- hand-worked vectors

def test_round_toward_zero_separates_hardware_from_ideal():
    """Does the hardware round once toward zero where ideal rounds to
    nearest?"""
    # c = 1 + 3*2**-23 and one product 1 * 1.  Aligned to E = 0 (23 bits
    # kept) both are exact; the exact sum is 2 + 1.5 * 2**-22, and in
    # [2, 4) the fp32 spacing is 2**-22.  Toward zero: 2 + 2**-22.
    # To nearest (a tie between 2 + 2**-22 and 2 + 2**-21, even wins):
    # 2 + 2**-21.
    c = np.float32(1 + 3 * 2.0 ** -23)
    a, b = [1, 0, 0, 0], [1, 0, 0, 0]
    assert tc.block_fma(a, b, c, model="V100") == 2 + 2.0 ** -22
    assert tc.block_fma(a, b, c, model="ideal") == 2 + 2.0 ** -21
    assert tc.block_fma(a, b, c, model="exact") == 2 + 2.0 ** -21


def test_extra_alignment_bits_keep_small_terms():
    """Do e = 0, 1, 2 extra bits keep more of a small term?"""
    # c = 1 (E = 0) and one product -1.5 * 2**-12 * 2**-12 = -1.5*2**-24.
    # V100 (23 bits): the unit is 2**-23, -0.75 unit -> 0, result 1.
    # T4 (24 bits): unit 2**-24, -1.5 units -> -1 unit: 1 - 2**-24, an
    # fp32 number (spacing 2**-24 below 1).
    # H100 (25 bits): unit 2**-25, -3 units are kept: 1 - 1.5 * 2**-24,
    # rounded toward zero to 1 - 2**-23.
    a = [-1.5 * 2.0 ** -12, 0, 0, 0]
    b = [2.0 ** -12, 0, 0, 0]
    assert tc.block_fma(a, b, 1.0, model="V100") == 1.0
    assert tc.block_fma(a, b, 1.0, model="T4") == 1 - 2.0 ** -24
    assert tc.block_fma(a + [0] * 12, b + [0] * 12, 1.0, model="H100") \
        == 1 - 2.0 ** -23


def test_block_size_decides_where_rounding_happens():
    """Do blocks of 4 round between blocks where one block of 8 does not?"""
    # Products: 1, 2**-24, 0, 0 | 2**-24, 0, 0, 0 and c = 0; e = 1 keeps
    # 2**-24 next to 1.  T4 (n = 4): block 1 gives 1 + 2**-24, cut toward
    # zero to 1; block 2 gives the same again: 1.  A100 (n = 8): one
    # block, 1 + 2 * 2**-24 = 1 + 2**-23 exactly.
    a = [1, 2.0 ** -12, 0, 0, 2.0 ** -12, 0, 0, 0]
    assert tc.block_fma(a, a, 0.0, model="T4") == 1.0
    assert tc.block_fma(a, a, 0.0, model="A100") == 1 + 2.0 ** -23
    D = tc.tc_matmul(np.array([a]), np.array([a]).T, model="T4")
    assert D[0, 0] == 1.0


def test_products_are_aligned_before_normalisation():
    """Is a product 1.5 * 1.5 = 2.25 aligned with exponent 0 + 0, not 1?"""
    # Exponent 0: V100 keeps multiples of 2**-23, so the term -2**-23
    # (2**-12 * -2**-11) survives: 2.25 - 2**-23, rounded toward zero in
    # [2, 4) (spacing 2**-22) to 2.25 - 2**-22.  Aligned to the
    # normalised exponent 1, it would be cut to 0, giving 2.25.
    a, b = [1.5, 2.0 ** -12, 0, 0], [1.5, -(2.0 ** -11), 0, 0]
    assert tc.block_fma(a, b, 0.0, model="V100") == 2.25 - 2.0 ** -22


def test_fp16_output_rounds_c_and_result_to_nearest():
    """With fp16 output, is c rounded to nearest-even fp16 first?"""
    # c = 1 + 2**-11 is halfway between fp16 1 and 1 + 2**-10: even wins,
    # 1.  The product 2**-11 * 1 is then added exactly: 1 + 2**-11 again,
    # rounded to nearest-even: 1.
    c = np.float32(1 + 2.0 ** -11)
    d = tc.block_fma([2.0 ** -11, 0, 0, 0], [1, 0, 0, 0], c, out="fp16")
    assert d.dtype == np.float16 and d == 1.0
    assert tc.block_fma([0, 0, 0, 0], [0, 0, 0, 0], c) == c


def test_subnormal_results_are_kept(path):
    """Is a tiny fp16 result kept as a subnormal rather than flushed?"""
    # 2**-12 * 2**-12 = 2**-24, the smallest fp16 subnormal; exact.
    d = tc.block_fma([2.0 ** -12, 0, 0, 0], [2.0 ** -12, 0, 0, 0], 0.0,
                     model="H100", out="fp16")
    assert d == np.float16(2.0 ** -24)


def test_fma_4x4x4_is_one_tile_of_tc_matmul():
    """Does fma_4x4x4 give the tc_matmul result on one 4x4x4 tile?"""
    rng = np.random.default_rng(4)
    A, B, C = (rng.standard_normal((4, 4)) for _ in range(3))
    for model in ["V100", "ideal"]:
        assert_same_bits(tc.fma_4x4x4(A, B, C, model=model),
                         tc.tc_matmul(A, B, C, model=model))


# ---------------------------------------------------- rounding, IEEE

def test_round_to_fp16():
    """Does round_to_fp16 round to nearest-even and overflow to inf?"""
    x = [1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 65519.0, 65520.0, -1e6,
         2.0 ** -25, 3 * 2.0 ** -26, np.nan]
    y = tc.round_to_fp16(x)
    assert y.dtype == np.float16
    expected = [1.0, 1 + 2.0 ** -9, 65504.0, np.inf, -np.inf, 0.0,
                2.0 ** -24, np.nan]
    np.testing.assert_array_equal(y, np.array(expected, np.float16))
    assert tc.round_to_fp16(np.float32(0.1)) == np.float16(0.1)


def fp16_edge_cases_f32():
    """float32 values around every place where rounding to fp16 decides:
    every fp16 value and every midpoint between neighbours (both signs),
    each with its float32 neighbours up to 3 ulps away; the subnormal
    and overflow thresholds; zeros, infinities, NaNs with payloads,
    float32 subnormals; and a sweep of every 4093rd bit pattern."""
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    h = h[np.isfinite(h)].astype(np.float64)
    h = np.unique(h)
    mids = (h[1:] + h[:-1]) / 2  # exact in float64 and in float32
    centres = np.concatenate([h, mids, [65520.0, -65520.0, 2.0 ** -25,
                                        2.0 ** -14 - 2.0 ** -25]])
    centres = centres.astype(np.float32).view(np.int32)
    steps = np.arange(-3, 4, dtype=np.int32)
    near = (centres[:, None] + steps).ravel()
    sweep = np.arange(0, 1 << 32, 4093, dtype=np.uint64).astype(np.uint32)
    special = np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000,
                        0xFFC00000, 0x7F800001, 0x7FFFFFFF, 0xFFFFFFFF,
                        0x7FBFFFFF, 1, 0x807FFFFF, 0x477FEFFF, 0x477FF000,
                        0x477FF001, 0x387FFFFF, 0x38800000, 0x33000000,
                        0x33000001, 0x32FFFFFF], np.uint32)
    bits = np.concatenate([near.view(np.uint32), sweep, special])
    return bits.view(np.float32)


def assert_fp16_rounding(x):
    with np.errstate(over="ignore", invalid="ignore"):
        expected = x.astype(np.float16)
    assert_same_bits(tc.round_to_fp16(x), expected)
    assert_same_bits(formats._fp16_values(x), expected.astype(np.float32))


def test_fp16_bit_trick_matches_numpy_on_float32_edge_cases():
    """Is the integer rounding trick NumPy's float32 -> float16 rounding
    bit for bit (ties to even, subnormals, overflow to inf, signed zeros,
    NaN), as whole arrays, odd shapes and views?"""
    x = fp16_edge_cases_f32()
    assert x.size > 1_000_000  # several cache-sized pieces
    assert_fp16_rounding(x)
    assert_fp16_rounding(x[:12345].reshape(5, 2469)[:, ::2])
    scalar = formats._fp16_values(np.float32(-0.0))
    assert scalar.shape == () and np.signbit(scalar)
    assert_fp16_rounding(np.zeros((0, 3), np.float32))
    rng = np.random.default_rng(8)
    assert_fp16_rounding(
        (rng.standard_normal(300_000)
         * np.exp2(rng.integers(-30, 20, 300_000))).astype(np.float32))


def test_fp16_bit_trick_matches_numpy_on_float64():
    """float64 input: rounding to float32 first may land on an fp16
    midpoint; is the result still rounded once, from the float64 value?"""
    centres = fp16_edge_cases_f32()
    centres = centres[np.isfinite(centres)][:400_000].astype(np.float64)
    tiny = np.ldexp(1.0, np.frexp(centres)[1] - 40)  # far below fp32 ulp
    rng = np.random.default_rng(9)
    x = np.concatenate([centres, centres + tiny, centres - tiny,
                        rng.standard_normal(100_000)
                        * np.exp2(rng.integers(-30, 20, 100_000)),
                        [np.nan, np.inf, -np.inf, 1e300, -1e-300, -0.0,
                         65519.99999999, 65520.0, 65520.00000001]])
    assert_fp16_rounding(x)
    # the double-rounding trap: the float32 rounding is a midpoint
    m = 1 + 2.0 ** -11
    assert tc.round_to_fp16(m + 2.0 ** -40) == np.float16(1 + 2.0 ** -10)
    assert tc.round_to_fp16(np.float32(m + 2.0 ** -40)) == np.float16(1)


def test_ieee_policy_for_non_finite_values():
    """Do NaN, inf * 0 and inf - inf give NaN, and inf stay inf?"""
    for model in ["V100", "ideal", "exact"]:
        run = lambda a, b, c=0.0: tc.tc_matmul(  # noqa: E731
            [a], np.array([b]).T, [[c]], model=model)[0, 0]
        assert np.isnan(run([np.nan, 1], [1, 1]))
        assert np.isnan(run([np.inf, 1], [0, 1]))
        assert np.isnan(run([np.inf, 1], [1, 1], -np.inf))
        assert run([np.inf, 1], [1, 1], 5.0) == np.inf
        assert run([1e5, 1], [-1, 1]) == -np.inf  # 1e5 -> inf in fp16
        assert run([1, 1], [1, 1], np.nan) != run([1, 1], [1, 1], np.nan)


def test_fp16_overflow_stays_inf_in_later_blocks(path):
    """Does an fp16 block result that overflows to inf stay inf?"""
    # Block 1: 300 * 300 = 90000 > 65504 rounds to inf in fp16; block 2
    # adds the finite -100: inf.
    a = [300, 0, 0, 0, 1, 0, 0, 0]
    b = [300, 0, 0, 0, -100, 0, 0, 0]
    assert tc.block_fma(a, b, 0.0, model="V100", out="fp16") == np.inf
    D = tc.tc_matmul([a], np.array([b]).T, model="V100", out="fp16")
    assert D[0, 0] == np.inf
    assert tc.block_fma(a, b, 0.0, model="V100") == 89900.0


def test_c_overflow_saturates_under_round_toward_zero():
    """Is C beyond fp32 rounded toward zero (to the largest finite value)
    for hardware fp32 output, and to nearest (inf) for ideal?"""
    one = np.ones((1, 1))
    assert tc.tc_matmul(one, one, [[1e39]], model="V100")[0, 0] == FP32_MAX
    assert tc.tc_matmul(one, one, [[-1e39]], model="V100")[0, 0] \
        == -FP32_MAX
    assert tc.tc_matmul(one, one, [[1e39]], model="ideal")[0, 0] == np.inf


def test_huge_c_absorbs_the_products(path):
    """Does C = largest fp32 stay finite?  Products of fp16 values are
    below 2**32, far under half its spacing (2**103), so no model
    overflows from finite inputs."""
    A16, B16, C = large_ideal_case(seed=5)
    C[3, 4] = FP32_MAX
    A16[3], B16[:, 4] = 60000, 60000
    for model in ["ideal", "V100"]:
        assert tc.tc_matmul(A16, B16, C, model=model)[3, 4] == FP32_MAX


# -------------------------------------------------------- messages

@pytest.mark.parametrize("call, message", [
    (lambda: tc.tc_matmul(np.ones((2, 3)), np.ones((2, 3))), "B.T"),
    (lambda: tc.tc_matmul(np.ones(3), np.ones((3, 2))), "reshape"),
    (lambda: tc.tc_matmul(np.ones((2, 3)), np.ones((3, 2)), np.ones(3)),
     "shape"),
    (lambda: tc.tc_matmul(np.ones((1, 1)), np.ones((1, 1)), model="v100"),
     "'V100'"),
    (lambda: tc.tc_matmul(np.ones((1, 1)), np.ones((1, 1)), out="fp64"),
     "out='fp32'"),
    (lambda: tc.fma_4x4x4(np.ones((4, 8)), np.ones((8, 4)),
                          np.ones((4, 4))), "tc_matmul"),
    (lambda: tc.block_fma(np.ones(4), np.ones(3), 0.0), "same shape"),
    (lambda: tc.block_fma(np.ones((2, 4)), np.ones((2, 4)), np.ones(3)),
     "one c per inner product"),
    (lambda: tc.find_disagreement("ideal"), "V100"),
    (lambda: tc.tc_matmul(np.ones((1, 1)), np.ones((1, 1)),
                          model=tc.TensorCoreModel("mine", "hardware", 0)),
     "block_size >= 1"),
])
def test_errors_tell_the_student_what_to_do(call, message):
    """Are bad inputs refused with a message that says how to fix them?"""
    with pytest.raises(ValueError, match=message):
        call()


# -------------------------------------------------- chapter helpers

def test_error_report_orders_the_methods():
    """Does error_report show fp32 beating the fp16-input methods, and
    the tensor core close to fp16 inputs with float64 sums?"""
    rng = np.random.default_rng(6)
    report = tc.error_report(rng.standard_normal((16, 64)),
                             rng.standard_normal((64, 8)),
                             rng.standard_normal((16, 8)))
    errors = report.errors
    model = errors["V100 model, fp16 inputs"]
    rounding = errors["fp16 inputs, float64 sums"]
    assert errors["plain fp32"][0] < 1e-5 < rounding[0]
    assert abs(model[0] - rounding[0]) < 0.1 * rounding[0]
    assert errors["fp16 products and sums"][0] > model[0]
    text = str(report)
    assert "normwise" in text and "plain fp32" in text


@pytest.mark.parametrize("model", ["V100", "A100", "H100"])
def test_find_disagreement_explains_a_real_difference(model):
    """Does find_disagreement return an input where ideal and the
    hardware preset really differ, with both results and an explanation?"""
    found = tc.find_disagreement(model, seed=0)
    assert found.ideal != found.hardware
    assert found.hardware == tc.block_fma(found.a, found.b, found.c,
                                          model=model)
    assert found.ideal == tc.block_fma(found.a, found.b, found.c,
                                       model="ideal")
    assert model in str(found) and "toward zero" in str(found)


# ------------------------------------- fp16 output: the alignment floor

FP16_FLOORS = {"V100": -19, "T4": -20, "A100": -20, "Ada": -20,
               "L40S": -20, "H100": -21, "H200": -21, "B200": -21}


def fp16_bits(*patterns):
    return np.array(patterns, np.uint16).view(np.float16)


def test_fp16_floors_of_the_presets():
    """Are the fp16-output alignment floors those of the MATLAB toolbox
    (T4 assumed), and -19 - e for a custom model?"""
    for name, floor in FP16_FLOORS.items():
        assert tc.MODELS[name].alignment_floor == floor
    custom = tc.TensorCoreModel("custom", "hardware", 4, 3)
    assert custom.alignment_floor == -22


def test_issue_example_rounds_to_even_after_the_floor():
    """V100, fp16 output, c = 0, a = [0x0442], b = [0x0f84]: the product,
    just above 2**-25, is cut to 2**-25 at the floor, a tie: 0x0000."""
    a, b = fp16_bits(0x0442), fp16_bits(0x0F84)
    d = tc.block_fma(a, b, 0.0, model="V100", out="fp16")
    assert d.dtype == np.float16 and d.view(np.uint16) == 0x0000
    D = tc.tc_matmul(a[None], b[:, None], model="V100", out="fp16")
    assert D.view(np.uint16)[0, 0] == 0x0000
    # Without the floor (fp32 output, the same product) bits are kept.
    assert tc.block_fma(a, b, 0.0, model="V100") > 2.0 ** -25


def _no_floor(model):
    spec = tc.MODELS[model]
    return tc.TensorCoreModel(model + " without floor", "hardware",
                              spec.block_size, spec.extra_bits, -126)


def _floor_inputs(model, blocks):
    """a, b (2 * n,) or (n,) float16: a midpoint of the fp16 subnormals
    plus a tiny product 2**(F - 24 - e), one unit below the floor's.

    One block: 2**-25 (half of 2**-24) + tiny.  Two blocks: block 1
    gives c = 2**-23, block 2 adds 2**-25 + tiny: 2.5 * 2**-24 + tiny.
    With the floor the tiny product is cut: a tie, rounded to even
    (0x0000, then 0x0002); without it the sum rounds up (0x0001, 0x0003).
    """
    spec = tc.MODELS[model]
    n, F, e = spec.block_size, spec.alignment_floor, spec.extra_bits
    a = np.zeros(blocks * n, np.float16)
    b = np.zeros(blocks * n, np.float16)
    k = (blocks - 1) * n
    if blocks == 2:
        a[0], b[0] = 2.0 ** -12, 2.0 ** -11           # 2**-23
    a[k], b[k] = 2.0 ** -12, 2.0 ** -13               # 2**-25
    a[k + 1], b[k + 1] = 2.0 ** -24, 2.0 ** (F - e)   # 2**(F - 24 - e)
    assert float(a[k + 1]) * float(b[k + 1]) == 2.0 ** (F - 24 - e)
    return a, b


@pytest.mark.parametrize("blocks", [1, 2])
@pytest.mark.parametrize("model", list(FP16_FLOORS))
def test_fp16_floor_cuts_tiny_terms(model, blocks, path):
    """In one block and across two chained blocks of tiny terms, does
    every preset cut at the floor with fp16 output (the toolbox's
    answer), where an unfloored model would round the other way, both
    as the plain-Python model does?"""
    a, b = _floor_inputs(model, blocks)
    floored, free = (0x0000, 0x0001) if blocks == 1 else (0x0002, 0x0003)
    d = tc.block_fma(a, b, 0.0, model=model, out="fp16")
    assert d.view(np.uint16) == floored
    D = tc.tc_matmul(a[None], b[:, None], model=model, out="fp16")
    assert D.view(np.uint16)[0, 0] == floored
    d = tc.block_fma(a, b, 0.0, model=_no_floor(model), out="fp16")
    assert d.view(np.uint16) == free
    C = np.zeros((1, 1), np.float16)
    for spec, bits in ((tc.MODELS[model], floored),
                       (_no_floor(model), free)):
        expected = reference_matmul(a[None], b[:, None], C, spec, "fp16")
        assert expected.view(np.uint16)[0, 0] == bits
    # fp32 output has no such floor (it never binds for fp16 inputs).
    assert_same_bits(tc.block_fma(a[None], b[None], 0.0, model=model),
                     tc.block_fma(a[None], b[None], 0.0,
                                  model=_no_floor(model)))


def test_first_fp16_overflow_is_kept(path):
    """+inf from block 1, then -inf from block 2: is it still +inf (an
    overflowed result stays the inf it became)?"""
    a = [256, 0, 0, 0, -256, 0, 0, 0]
    b = [256, 0, 0, 0, 256, 0, 0, 0]
    assert tc.block_fma(a, b, 0.0, model="V100", out="fp16") == np.inf
    D = tc.tc_matmul([a], np.array([b]).T, model="V100", out="fp16")
    assert D[0, 0] == np.inf
    assert tc.block_fma([-256, 0, 0, 0, 256, 0, 0, 0], b, 0.0,
                        model="V100", out="fp16") == -np.inf
