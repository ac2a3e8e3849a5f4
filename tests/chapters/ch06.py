"""Chapter 06, tensor cores: its grading batch as data.

The wrong students carry one plausible mistake in every exercise (the
k-th wrong version of each); "alt" and "alt2" answer every exercise
correctly in other styles (loops, other names, other containers, lists
for tuples) and keep full marks.  The V100 exercise is graded against
the real hardware outputs that ship in the assignment folder, so this
also checks that they reach the grading kernel.

More mistakes (IN_PROCESS) are graded in the test's process, by the
solution notebook's graded cells with their hidden tests, the code
nbgrader runs; that keeps the graded batch small.  The release's visible
test cells are also run, as Validate runs them, on every student: what
they print must agree with grading (a visible failure is a graded
failure, with the same message), and mistakes a learner can see for
themselves (fp16 sums, C rounded to fp16, float16 buffers, signed zeros,
subnormal alignment) must show a failure that names them, never a tick.
See tests/chapters/__init__.py for the fields.
"""
import nbformat

from chapter_grading import Failed, wrong_students
from chapters import chapter, visible
from nbgrader_course import grade_id

ASSIGNMENT = "06_tensor_cores"
POINTS = 26

# Exercise (its solution cell's grade id) -> graded cells and points.
EXERCISES = {
    "fp16_fields": {"test_fp16_fields": 2, "test_fp16_from_fields": 2},
    "relative_error": {"test_relative_error": 2},
    "fma_4x4x4": {"test_fma_4x4x4_values": 2, "test_fma_4x4x4_order": 2},
    "tiled_matmul": {"test_tiled_matmul_values": 2,
                     "test_tiled_matmul_padding": 2,
                     "test_tiled_matmul_chain": 2},
    "v100_block_fma": {"test_v100_block_fma_hardware": 3,
                       "test_v100_block_fma_cases": 2},
    "mystery_gpu": {"test_mystery_block_size": 1,
                    "test_mystery_extra_bits": 1},
    "update_loss_scale": {"test_loss_scale_overflow": 1,
                          "test_loss_scale_growth": 2},
}

_V100_START = '''
def v100_block_fma(a, b, c):
    a = np.asarray(a, dtype=np.float16).astype(np.float64)
    b = np.asarray(b, dtype=np.float16).astype(np.float64)
    c = float(np.float32(c))

    def exponent(x):
        return max(math.frexp(x)[1] - 1, -14)
'''
_TILED_START = '''
def tiled_matmul(A, B, C=None, fma=fma_4x4x4):
    A = np.asarray(A, dtype=np.float16)
    B = np.asarray(B, dtype=np.float16)
    M, K = A.shape
    N = B.shape[1]
    Mp, Kp, Np = (-(-n // 4) * 4 for n in (M, K, N))
    A_pad = np.zeros((Mp, Kp), np.float16)
    A_pad[:M, :K] = A
    B_pad = np.zeros((Kp, Np), np.float16)
    B_pad[:K, :N] = B
    D = np.zeros((Mp, Np), np.float32)
    if C is not None:
        D[:M, :N] = C
'''

_V100_EXPS = '''
    exps = [exponent(x) + exponent(y) for x, y in zip(a, b) if x * y != 0]
    if c != 0:
        exps.append(math.frexp(c)[1] - 1)
    if not exps:
        return np.float32(0.0)
'''
_V100_END = '''
    unit = 2.0 ** (max(exps) - 23)
    total = math.trunc(c / unit)
    for x, y in zip(a, b):
        total += math.trunc(x * y / unit)
    exact = total * unit
    d = np.float32(exact)
    if abs(float(d)) > abs(exact):
        d = np.nextafter(d, np.float32(0))
    return d
'''
_TILED_LOOP = '''
    for i in range(0, Mp, 4):
        for j in range(0, Np, 4):
            tile = D[i:i + 4, j:j + 4].astype(np.float32)
            for k in range(0, Kp, 4):
                tile = fma(A_pad[i:i + 4, k:k + 4],
                           B_pad[k:k + 4, j:j + 4], tile)
            D[i:i + 4, j:j + 4] = tile
    return D[:M, :N]
'''

# Plausible wrong answers: (what, solution cell source, expected score).
WRONG = {
    "fp16_fields": [
        ("exponent bias off by one (14), by arithmetic", '''
def fp16_fields(x):
    x = float(np.float16(x))
    sign = 1 if math.copysign(1.0, x) < 0 else 0
    x = abs(x)
    if x == 0:
        return sign, 0, 0
    if math.isinf(x):
        return sign, 31, 0
    m, e = math.frexp(x)
    m, e = 2 * m, e - 1
    if e < -14:
        return sign, 0, int(x / 2.0 ** -24)
    return sign, e + 14, int((m - 1) * 1024)


def fp16_from_fields(sign, exponent, fraction):
    if exponent == 0:
        value = 2.0 ** -13 * fraction / 1024
    else:
        value = 2.0 ** (exponent - 14) * (1 + fraction / 1024)
    return -value if sign else value
''', 0),
        ("subnormals given the implicit leading 1", '''
def fp16_fields(x):
    bits = int(np.array(x, dtype=np.float16).view(np.uint16))
    return bits >> 15, (bits >> 10) & 0x1F, bits & 0x3FF


def fp16_from_fields(sign, exponent, fraction):
    value = 2.0 ** (exponent - 15) * (1 + fraction / 1024)
    return -value if sign else value
''', 2),
        ("exponent field not masked (keeps the sign bit)", '''
def fp16_fields(x):
    bits = int(np.array(x, dtype=np.float16).view(np.uint16))
    return bits >> 15, bits >> 10, bits & 0x3FF


def fp16_from_fields(sign, exponent, fraction):
    if exponent == 0:
        value = 2.0 ** -14 * (fraction / 1024)
    else:
        value = 2.0 ** (exponent - 15) * (1 + fraction / 1024)
    return -value if sign else value
''', 2),
        ("subnormal exponent -15 instead of -14", '''
def fp16_fields(x):
    bits = int(np.array(x, dtype=np.float16).view(np.uint16))
    return bits >> 15, (bits >> 10) & 0x1F, bits & 0x3FF


def fp16_from_fields(sign, exponent, fraction):
    if exponent == 0:
        value = 2.0 ** -15 * (fraction / 1024)
    else:
        value = 2.0 ** (exponent - 15) * (1 + fraction / 1024)
    return -value if sign else value
''', 2),
    ],
    "relative_error": [
        ("divides by ||D|| instead of ||D_exact||", '''
def relative_error(D, D_exact):
    D = np.asarray(D, dtype=np.float64)
    D_exact = np.asarray(D_exact, dtype=np.float64)
    return float(np.linalg.norm(D - D_exact) / np.linalg.norm(D))
''', 0),
        ("computed in float32", '''
def relative_error(D, D_exact):
    D = np.asarray(D, dtype=np.float32)
    D_exact = np.asarray(D_exact, dtype=np.float32)
    return float(np.linalg.norm(D - D_exact) / np.linalg.norm(D_exact))
''', 0),
        ("largest entry instead of the Frobenius norm", '''
def relative_error(D, D_exact):
    D = np.asarray(D, dtype=np.float64)
    D_exact = np.asarray(D_exact, dtype=np.float64)
    return float(np.abs(D - D_exact).max() / np.abs(D_exact).max())
''', 0),
        ("squared norms (no square root)", '''
def relative_error(D, D_exact):
    D = np.asarray(D, dtype=np.float64)
    D_exact = np.asarray(D_exact, dtype=np.float64)
    return float(np.sum((D - D_exact) ** 2) / np.sum(D_exact ** 2))
''', 0),
    ],
    "fma_4x4x4": [
        ("products rounded to fp16", '''
def fma_4x4x4(A, B, C):
    A16 = np.asarray(A, dtype=np.float16)
    B16 = np.asarray(B, dtype=np.float16)
    D = np.array(C, dtype=np.float32)
    for k in range(4):
        D += (A16[:, k, None] * B16[None, k, :]).astype(np.float32)
    return D
''', 0),
        ("accumulation in float64", '''
def fma_4x4x4(A, B, C):
    A64 = np.asarray(A, dtype=np.float16).astype(np.float64)
    B64 = np.asarray(B, dtype=np.float16).astype(np.float64)
    D = np.array(C, dtype=np.float64)
    for k in range(4):
        D += A64[:, k, None] * B64[None, k, :]
    return D.astype(np.float32)
''', 0),
        ("C added after the products", '''
def fma_4x4x4(A, B, C):
    A32 = np.asarray(A, dtype=np.float16).astype(np.float32)
    B32 = np.asarray(B, dtype=np.float16).astype(np.float32)
    return A32 @ B32 + np.asarray(C, dtype=np.float32)
''', 0),
        ("delegates to the reference tile", '''
def fma_4x4x4(A, B, C):
    return tc.fma_4x4x4(A, B, C, model="ideal")
''', 0),
        ("sums the products in reverse order", '''
def fma_4x4x4(A, B, C):
    A32 = np.asarray(A, dtype=np.float16).astype(np.float32)
    B32 = np.asarray(B, dtype=np.float16).astype(np.float32)
    D = np.array(C, dtype=np.float32)
    for k in (3, 2, 1, 0):
        D += A32[:, k, None] * B32[None, k, :]
    return D
''', 0),
    ],
    "tiled_matmul": [
        ("no padding (edge tiles too small)", '''
def tiled_matmul(A, B, C=None, fma=fma_4x4x4):
    A = np.asarray(A, dtype=np.float16)
    B = np.asarray(B, dtype=np.float16)
    M, K = A.shape
    N = B.shape[1]
    D = np.zeros((M, N), np.float32)
    if C is not None:
        D[:] = C
    for i in range(0, M, 4):
        for j in range(0, N, 4):
            tile = D[i:i + 4, j:j + 4].copy()
            for k in range(0, K, 4):
                tile = fma(A[i:i + 4, k:k + 4], B[k:k + 4, j:j + 4], tile)
            D[i:i + 4, j:j + 4] = tile
    return D
''', 4),
        ("tiles chained in the wrong order", _TILED_START + '''
    for i in range(0, Mp, 4):
        for j in range(0, Np, 4):
            tile = D[i:i + 4, j:j + 4].copy()
            for k in reversed(range(0, Kp, 4)):
                tile = fma(A_pad[i:i + 4, k:k + 4],
                           B_pad[k:k + 4, j:j + 4], tile)
            D[i:i + 4, j:j + 4] = tile
    return D[:M, :N]
''', 0),
        ("tile results summed separately instead of chained",
         _TILED_START + '''
    for i in range(0, Mp, 4):
        for j in range(0, Np, 4):
            total = D[i:i + 4, j:j + 4].copy()
            for k in range(0, Kp, 4):
                total += fma(A_pad[i:i + 4, k:k + 4],
                             B_pad[k:k + 4, j:j + 4],
                             np.zeros((4, 4), np.float32))
            D[i:i + 4, j:j + 4] = total
    return D[:M, :N]
''', 0),
        ("ignores the fma argument (its own tile arithmetic)",
         _TILED_START + '''
    A32, B32 = A_pad.astype(np.float32), B_pad.astype(np.float32)
    for i in range(0, Mp, 4):
        for j in range(0, Np, 4):
            tile = D[i:i + 4, j:j + 4].copy()
            for k in range(Kp):
                tile += A32[i:i + 4, k, None] * B32[None, k, j:j + 4]
            D[i:i + 4, j:j + 4] = tile
    return D[:M, :N]
''', 2),
        ("returns the padded result", _TILED_START + '''
    for i in range(0, Mp, 4):
        for j in range(0, Np, 4):
            tile = D[i:i + 4, j:j + 4].copy()
            for k in range(0, Kp, 4):
                tile = fma(A_pad[i:i + 4, k:k + 4],
                           B_pad[k:k + 4, j:j + 4], tile)
            D[i:i + 4, j:j + 4] = tile
    return D
''', 4),
    ],
    "v100_block_fma": [
        ("round to nearest where toward zero is asked", _V100_START + '''
    exps = [exponent(x) + exponent(y) for x, y in zip(a, b) if x * y != 0]
    if c != 0:
        exps.append(math.frexp(c)[1] - 1)
    if not exps:
        return np.float32(0.0)
    unit = 2.0 ** (max(exps) - 23)
    total = math.trunc(c / unit)
    for x, y in zip(a, b):
        total += math.trunc(x * y / unit)
    return np.float32(total * unit)
''', 0),
        ("no truncation at the alignment (exact sum)", _V100_START + '''
    exact = math.fsum([c] + [x * y for x, y in zip(a, b)])
    d = np.float32(exact)
    if abs(float(d)) > abs(exact):
        d = np.nextafter(d, np.float32(0))
    return d
''', 0),
        ("products aligned by their normalised exponent", _V100_START + '''
    exps = [math.frexp(x * y)[1] - 1 for x, y in zip(a, b) if x * y != 0]
    if c != 0:
        exps.append(math.frexp(c)[1] - 1)
    if not exps:
        return np.float32(0.0)
    unit = 2.0 ** (max(exps) - 23)
    total = math.trunc(c / unit)
    for x, y in zip(a, b):
        total += math.trunc(x * y / unit)
    exact = total * unit
    d = np.float32(exact)
    if abs(float(d)) > abs(exact):
        d = np.nextafter(d, np.float32(0))
    return d
''', 0),
        ("c left out of the alignment", _V100_START + '''
    exps = [exponent(x) + exponent(y) for x, y in zip(a, b) if x * y != 0]
    if not exps:
        return np.float32(c)
    unit = 2.0 ** (max(exps) - 23)
    total = math.trunc(c / unit)
    for x, y in zip(a, b):
        total += math.trunc(x * y / unit)
    exact = total * unit
    d = np.float32(exact)
    if abs(float(d)) > abs(exact):
        d = np.nextafter(d, np.float32(0))
    return d
''', 0),
        ("delegates to the reference model", '''
def v100_block_fma(a, b, c):
    return tc.block_fma(a, b, c, model="V100")
''', 0),
    ],
    "mystery_gpu": [
        ("H100's numbers (16, 2)", '''
mystery_block_size = 16
mystery_extra_bits = 2
''', 1),
        ("A100's numbers (8, 1)", '''
mystery_block_size = 8
mystery_extra_bits = 1
''', 1),
        ("V100's numbers (4, 0)", '''
mystery_block_size = 4
mystery_extra_bits = 0
''', 0),
        ("the two swapped", '''
mystery_block_size = 2
mystery_extra_bits = 8
''', 0),
    ],
    "update_loss_scale": [
        ("scale grown on an overflow step", '''
def update_loss_scale(scale, grads_finite, good_steps, growth_interval=2000,
                      growth_factor=2.0, backoff_factor=0.5):
    good_steps += 1
    if good_steps >= growth_interval:
        scale, good_steps = scale * growth_factor, 0
    if not grads_finite:
        return scale * backoff_factor, 0, False
    return scale, good_steps, True
''', 0),
        ("count not restarted after growing", '''
def update_loss_scale(scale, grads_finite, good_steps, growth_interval=2000,
                      growth_factor=2.0, backoff_factor=0.5):
    if not grads_finite:
        return scale * backoff_factor, 0, False
    good_steps += 1
    if good_steps % growth_interval == 0:
        scale = scale * growth_factor
    return scale, good_steps, True
''', 1),
        ("grows one step late", '''
def update_loss_scale(scale, grads_finite, good_steps, growth_interval=2000,
                      growth_factor=2.0, backoff_factor=0.5):
    if not grads_finite:
        return scale * backoff_factor, 0, False
    if good_steps >= growth_interval:
        return scale * growth_factor, 0, True
    return scale, good_steps + 1, True
''', 1),
        ("applies the step even on overflow", '''
def update_loss_scale(scale, grads_finite, good_steps, growth_interval=2000,
                      growth_factor=2.0, backoff_factor=0.5):
    if not grads_finite:
        return scale * backoff_factor, 0, True
    good_steps += 1
    if good_steps >= growth_interval:
        return scale * growth_factor, 0, True
    return scale, good_steps, True
''', 0),
        ("count kept on overflow", '''
def update_loss_scale(scale, grads_finite, good_steps, growth_interval=2000,
                      growth_factor=2.0, backoff_factor=0.5):
    if not grads_finite:
        return scale * backoff_factor, good_steps, False
    good_steps += 1
    if good_steps >= growth_interval:
        return scale * growth_factor, 0, True
    return scale, good_steps, True
''', 0),
    ],
}

# More mistakes, as in WRONG, graded in this process: the graded cells of
# the solution notebook, hidden tests included, run exactly as nbgrader's
# autograde runs them (see _run_cells).  This keeps the nbgrader batch at
# five wrong students.
IN_PROCESS = {
    "fp16_fields": [
        ("sign from x < 0 (-0.0 gets sign 0)", '''
def fp16_fields(x):
    x = float(np.float16(x))
    sign = 1 if x < 0 else 0
    bits = int(np.array(abs(x), dtype=np.float16).view(np.uint16))
    return sign, bits >> 10, bits & 0x3FF


def fp16_from_fields(sign, exponent, fraction):
    if exponent == 0:
        magnitude = 2.0 ** -14 * (fraction / 1024)
    else:
        magnitude = 2.0 ** (exponent - 15) * (1 + fraction / 1024)
    return -magnitude if sign else magnitude
''', 2),
        ("sign applied to an integer (-0 comes out as +0)", '''
def fp16_fields(x):
    bits = int(np.array(x, dtype=np.float16).view(np.uint16))
    return bits >> 15, (bits >> 10) & 0x1F, bits & 0x3FF


def fp16_from_fields(sign, exponent, fraction):
    if exponent == 0:
        return (-1) ** sign * fraction * 2.0 ** -24
    return (-1) ** sign * (1024 + fraction) * 2.0 ** (exponent - 25)
''', 2),
    ],
    "fma_4x4x4": [
        ("fp16 accumulation", '''
def fma_4x4x4(A, B, C):
    A16 = np.asarray(A, dtype=np.float16)
    B16 = np.asarray(B, dtype=np.float16)
    D = np.array(C, dtype=np.float16)
    for k in range(4):
        D = D + A16[:, k, None] * B16[None, k, :]
    return D.astype(np.float32)
''', 0),
        ("C rounded to fp16", '''
def fma_4x4x4(A, B, C):
    A32 = np.asarray(A, dtype=np.float16).astype(np.float32)
    B32 = np.asarray(B, dtype=np.float16).astype(np.float32)
    D = np.asarray(C, dtype=np.float16).astype(np.float32)
    for k in range(4):
        D = D + A32[:, k, None] * B32[None, k, :]
    return D
''', 0),
        ("a float16 D buffer", '''
def fma_4x4x4(A, B, C):
    A32 = np.asarray(A, dtype=np.float16).astype(np.float32)
    B32 = np.asarray(B, dtype=np.float16).astype(np.float32)
    D = np.array(C, dtype=np.float16)
    for k in range(4):
        D += A32[:, k, None] * B32[None, k, :]
    return D
''', 0),
    ],
    "tiled_matmul": [
        ("C rounded to fp16", _TILED_START.replace(
            "D[:M, :N] = C", "D[:M, :N] = np.asarray(C, np.float16)")
         + _TILED_LOOP, 0),
        ("a float16 D buffer", _TILED_START.replace(
            "D = np.zeros((Mp, Np), np.float32)",
            "D = np.zeros((Mp, Np), np.float16)") + _TILED_LOOP, 0),
    ],
    "v100_block_fma": [
        ("zero products take part in the alignment", _V100_START + '''
    exps = [exponent(x) + exponent(y) for x, y in zip(a, b)]
    if c != 0:
        exps.append(math.frexp(c)[1] - 1)
''' + _V100_END, 0),
        ("c's exponent floored at -14 like an fp16 factor's",
         _V100_START + '''
    exps = [exponent(x) + exponent(y) for x, y in zip(a, b) if x * y != 0]
    if c != 0:
        exps.append(exponent(c))
    if not exps:
        return np.float32(0.0)
''' + _V100_END, 0),
        ("subnormal factors with their normalised exponent (no -14)",
         _V100_START.replace("max(math.frexp(x)[1] - 1, -14)",
                             "math.frexp(x)[1] - 1")
         + _V100_EXPS + _V100_END, 3),
        ("a block of zero products returns c (-0.0 stays -0.0)",
         _V100_START + _V100_EXPS.replace("return np.float32(0.0)",
                                          "return np.float32(c)")
         + _V100_END, 3),
        ("subnormal exponent -15 instead of -14", _V100_START.replace(
            "max(math.frexp(x)[1] - 1, -14)",
            "math.frexp(x)[1] - 1 if abs(x) >= 2.0 ** -14 else -15")
         + _V100_EXPS + _V100_END, 3),
        ("products tested for zero in fp16 (tiny ones underflow)",
         _V100_START + '''
    a16, b16 = np.float16(a), np.float16(b)
    exps = [exponent(x) + exponent(y) for x, y, x16, y16
            in zip(a, b, a16, b16) if x16 * y16 != 0]
    if c != 0:
        exps.append(math.frexp(c)[1] - 1)
    if not exps:
        return np.float32(0.0)
''' + _V100_END, 3),
    ],
}

# Correct answers in another style: each must keep full marks.
ALT = {
    "fp16_fields": '''
def fp16_fields(x):
    x = float(np.float16(x))
    sign = int(math.copysign(1.0, x) < 0)
    x = abs(x)
    if math.isinf(x):
        return sign, 31, 0
    if x < 2.0 ** -14:  # zero and subnormals
        return sign, 0, round(x * 2 ** 24)
    m, e = math.frexp(x)  # x = m * 2**e, 0.5 <= m < 1
    return sign, e - 1 + 15, round((2 * m - 1) * 1024)


def fp16_from_fields(sign, exponent, fraction):
    if exponent == 0:
        value = math.ldexp(fraction, -24)
    else:
        value = math.ldexp(1024 + fraction, exponent - 25)
    return math.copysign(value, -1.0 if sign else 1.0)
''',
    "relative_error": '''
def relative_error(D, D_exact):
    diff = np.array(D, dtype=float) - np.array(D_exact, dtype=float)
    return math.sqrt((diff ** 2).sum()) / math.sqrt(
        (np.array(D_exact, dtype=float) ** 2).sum())
''',
    "fma_4x4x4": '''
def fma_4x4x4(A, B, C):
    D = np.empty((4, 4), np.float32)
    for i in range(4):
        for j in range(4):
            d = np.float32(C[i][j])
            for k in range(4):
                d = np.float32(d + np.float32(A[i][k]) * np.float32(B[k][j]))
            D[i, j] = d
    return D
''',
    "tiled_matmul": '''
def tiled_matmul(A, B, C=None, fma=fma_4x4x4):
    A, B = np.asarray(A, np.float16), np.asarray(B, np.float16)
    M, N = A.shape[0], B.shape[1]
    pad = lambda n: (4 - n % 4) % 4
    A = np.pad(A, ((0, pad(M)), (0, pad(A.shape[1]))))
    B = np.pad(B, ((0, pad(B.shape[0])), (0, pad(N))))
    C = np.zeros((M, N), np.float32) if C is None else np.asarray(C)
    C = np.pad(C.astype(np.float32), ((0, pad(M)), (0, pad(N))))
    rows = []
    for I in range(A.shape[0] // 4):
        row = []
        for J in range(B.shape[1] // 4):
            acc = C[4 * I:4 * I + 4, 4 * J:4 * J + 4]
            for k in range(A.shape[1] // 4):
                acc = fma(A[4 * I:4 * I + 4, 4 * k:4 * k + 4],
                          B[4 * k:4 * k + 4, 4 * J:4 * J + 4], acc)
            row.append(acc)
        rows.append(row)
    return np.block(rows).astype(np.float32)[:M, :N]
''',
    "v100_block_fma": '''
from fractions import Fraction


def v100_block_fma(a, b, c):
    def exponent(x):
        return max(math.floor(math.log2(abs(x))), -14)
    terms = [Fraction(float(x)) * Fraction(float(y))
             for x, y in zip(np.float16(a), np.float16(b))]
    exps = [exponent(float(x)) + exponent(float(y))
            for x, y in zip(np.float16(a), np.float16(b))
            if float(x) * float(y) != 0]
    c = Fraction(float(np.float32(c)))
    if c != 0:
        exps.append(math.frexp(float(c))[1] - 1)
    if not exps:
        return np.float32(0)
    unit = Fraction(2) ** (max(exps) - 23)
    s = sum(int(t / unit) * unit for t in terms + [c])
    d = np.float32(float(s))
    if abs(Fraction(float(d))) > abs(s):
        d = np.nextafter(d, np.float32(0))
    return d
''',
    "mystery_gpu": '''
mystery_block_size = np.int64(8)
mystery_extra_bits = 2.0
''',
    "update_loss_scale": '''
def update_loss_scale(scale, grads_finite, good_steps, growth_interval=2000,
                      growth_factor=2.0, backoff_factor=0.5):
    apply_step = bool(grads_finite)
    if apply_step:
        good_steps = good_steps + 1
        if good_steps == growth_interval:
            scale, good_steps = scale * growth_factor, 0
    else:
        scale, good_steps = scale * backoff_factor, 0
    return (scale, good_steps, apply_step)
''',
}
# Correct answers in a third style (other containers, names and loops;
# lists where tuples are asked): each must keep full marks too.
ALT2 = {
    "fp16_fields": '''
import struct


def fp16_fields(x):
    (word,) = struct.unpack("<H", struct.pack("<e", float(x)))
    return [word >> 15, (word >> 10) % 32, word % 1024]


def fp16_from_fields(sign, exponent, fraction):
    word = (sign << 15) | (exponent << 10) | fraction
    return np.array([word], dtype=np.uint16).view(np.float16)[0]
''',
    "relative_error": '''
def relative_error(D, D_exact):
    num = den = 0.0
    for row, row_exact in zip(np.asarray(D), np.asarray(D_exact)):
        for d, e in zip(row, row_exact):
            num += (float(d) - float(e)) ** 2
            den += float(e) ** 2
    return (num / den) ** 0.5
''',
    "fma_4x4x4": '''
def fma_4x4x4(A, B, C):
    A = np.asarray(A, np.float16).astype(np.float32)
    B = np.asarray(B, np.float16).astype(np.float32)
    acc = np.asarray(C, np.float32).copy()
    for k in range(4):
        acc = acc + np.outer(A[:, k], B[k, :])
    return acc
''',
    "tiled_matmul": '''
def tiled_matmul(A, B, C=None, fma=fma_4x4x4):
    A = np.asarray(A, np.float16)
    B = np.asarray(B, np.float16)
    rows, inner, cols = A.shape[0], A.shape[1], B.shape[1]
    up = lambda n: n + (-n) % 4
    big_A = np.zeros((up(rows), up(inner)), np.float16)
    big_B = np.zeros((up(inner), up(cols)), np.float16)
    big_A[:rows, :inner], big_B[:inner, :cols] = A, B
    out = np.zeros((up(rows), up(cols)), np.float32)
    if C is not None:
        out[:rows, :cols] = np.asarray(C, np.float32)
    tiles = {}
    r = 0
    while r < up(rows):
        c = 0
        while c < up(cols):
            tiles[r, c] = out[r:r + 4, c:c + 4]
            k = 0
            while k < up(inner):
                tiles[r, c] = fma(big_A[r:r + 4, k:k + 4],
                                  big_B[k:k + 4, c:c + 4], tiles[r, c])
                k += 4
            c += 4
        r += 4
    for (r, c), tile in tiles.items():
        out[r:r + 4, c:c + 4] = tile
    return out[:rows, :cols]
''',
    "v100_block_fma": '''
def v100_block_fma(a, b, c):
    # integers: an fp16 value is m * 2**(q - 10), m a whole number below
    # 2048 and q its exponent (-14 for subnormals)
    def split(x):
        bits = int(np.float16(x).view(np.uint16))
        field, m = (bits >> 10) & 31, bits & 1023
        q = field - 15 if field else -14
        if field:
            m += 1024
        return (-1) ** (bits >> 15) * m, q
    terms = []  # (integer, exponent of its unit, alignment exponent)
    for x, y in zip(a, b):
        (mx, qx), (my, qy) = split(x), split(y)
        if mx * my:
            terms.append((mx * my, qx + qy - 20, qx + qy))
    c = np.float32(c)
    if c != 0:
        frac, exp2 = np.frexp(c)
        terms.append((int(frac * 2 ** 24), int(exp2) - 24, int(exp2) - 1))
    if not terms:
        return np.float32(0)
    top = max(t[2] for t in terms)
    low = top - 23
    total = 0
    for value, unit, _ in terms:
        shift = unit - low
        if shift >= 0:
            total += value << shift
        else:  # cut toward zero
            total += (abs(value) >> -shift) * (1 if value > 0 else -1)
    s = math.ldexp(total, low)  # exact: fewer than 53 bits
    d = np.float32(s)
    if abs(float(d)) > abs(s):
        d = np.nextafter(d, np.float32(0))
    return d
''',
    "mystery_gpu": '''
mystery_block_size, mystery_extra_bits = 2 ** 3, 2
''',
    "update_loss_scale": '''
def update_loss_scale(scale, grads_finite, good_steps, growth_interval=2000,
                      growth_factor=2.0, backoff_factor=0.5):
    if grads_finite and good_steps + 1 == growth_interval:
        return [scale * growth_factor, 0, True]
    if grads_finite:
        return [scale, good_steps + 1, True]
    return [scale * backoff_factor, 0, False]
''',
}
STYLES = {"alt": ALT, "alt2": ALT2}
N_WRONG = max(len(v) for v in WRONG.values())



def students(right):
    """The other correct styles, then the wrong students."""
    styles = [(name, dict(right, **{ex: src.strip() + "\n"
                                    for ex, src in answers.items()}))
              for name, answers in STYLES.items()]
    return styles + wrong_students(right, WRONG, N_WRONG)


RIGHT = list(STYLES)
MESSAGES = [
    # round to nearest where toward zero is asked
    ("wrong0", "test_v100_block_fma_cases", "rounded toward zero", ()),
    # no padding: the tile recorder names the fix
    ("wrong0", "test_tiled_matmul_padding", "pad A, B and C with zeros", ()),
    # tiles chained in the wrong order
    ("wrong1", "test_tiled_matmul_chain", "wrong order", ()),
    # float32 relative error
    ("wrong1", "test_relative_error", "compute in float64", ()),
    # accumulation in float64 (the order case)
    ("wrong1", "test_fma_4x4x4_order", "round to float32 after every", ()),
    # products rounded to fp16: the message names that mistake
    ("wrong0", "test_fma_4x4x4_values", "The products were rounded to fp16",
     ()),
    # scale grown on an overflow step
    ("wrong0", "test_loss_scale_overflow", "backoff_factor", ()),
    # delegation refused, in words
    ("wrong3", "test_fma_4x4x4_values", "The point of this exercise", ()),
    ("wrong4", "test_v100_block_fma_hardware", "The point of this exercise",
     ()),
    # subnormals with an implicit 1
    ("wrong1", "test_fp16_from_fields", "Subnormal numbers", ()),
    ("wrong2", "test_fp16_fields", "fp16_fields", ()),
]
BLOCKS = True
FEEDBACK = ("wrong0", ("v100_block_fma", "Test failed"), ())
# Not yet: visible tests print a tick where the hidden tests fail (fp16
# products or sums, tiles) without saying the value is checked when graded.
VALIDATE_AGREES = False

# Mistakes a visible test must catch: (exercise, mistake) -> (the cells
# whose visible test must fail, words of the message the learner reads).
VISIBLE_MISTAKES = {
    ("fma_4x4x4", "fp16 accumulation"):
        ("all", "rounded to fp16 (fp16 accumulation)"),
    ("fma_4x4x4", "C rounded to fp16"):
        ("all", "C was rounded to fp16"),
    ("fma_4x4x4", "a float16 D buffer"):
        ("all", "returned float16 values; the result should be float32"),
    ("tiled_matmul", "C rounded to fp16"):
        ("all", "do not round it to fp16"),
    ("tiled_matmul", "a float16 D buffer"):
        ("all", "returned float16 values"),
    ("fma_4x4x4", "products rounded to fp16"):
        (["test_fma_4x4x4_values"], "The products were rounded to fp16"),
    ("fma_4x4x4", "sums the products in reverse order"):
        (["test_fma_4x4x4_order"], "in that order"),
    ("fp16_fields", "sign from x < 0 (-0.0 gets sign 0)"):
        (["test_fp16_fields"], "-0.0 has the sign bit set"),
    ("fp16_fields", "sign applied to an integer (-0 comes out as +0)"):
        (["test_fp16_from_fields"], "zero is -0.0"),
    ("v100_block_fma", "zero products take part in the alignment"):
        (["test_v100_block_fma_cases"], "Only the NONZERO products"),
    ("v100_block_fma", "c's exponent floored at -14 like an fp16 factor's"):
        (["test_v100_block_fma_cases"], "does not apply to it"),
    ("v100_block_fma",
     "subnormal factors with their normalised exponent (no -14)"):
        (["test_v100_block_fma_cases"],
         "counts with the exponent -14 (not its normalised exponent)"),
    ("v100_block_fma", "subnormal exponent -15 instead of -14"):
        (["test_v100_block_fma_cases"], "the exponent -14, not -15"),
    ("v100_block_fma",
     "a block of zero products returns c (-0.0 stays -0.0)"):
        (["test_v100_block_fma_cases"], "also when c is -0.0"),
    ("v100_block_fma", "products tested for zero in fp16 (tiny ones "
                       "underflow)"):
        (["test_v100_block_fma_cases"], "not in fp16, where this product"),
}


TICK = "\u2713"
FORMAT_OK = "format ok; the value is checked when graded"


def check_every_failure_is_a_block(graded):
    """Do the students with mistakes read what is wrong, not a traceback
    from inside course_utils, in every cell they fail?"""
    for student in ("wrong0", "wrong1", "wrong2", "wrong3"):
        for text in chapter("ch06").messages(graded, student).values():
            assert text.startswith("\u2717 Test failed: "), text
            assert "Traceback" not in text, text


def check_visible_failures_are_graded_failures(graded):
    """Does every visible test that fails in Validate fail when graded,
    with the same message (so no visible check says one thing and
    grading another)?"""
    ch06 = chapter("ch06")
    for student, shown in visible("ch06").items():
        cells = ch06.cells(graded, student)
        messages = ch06.messages(graded, student, joined=True)
        for cell, text in shown.items():
            if not isinstance(text, Failed):
                continue
            assert cells[cell][0] == 0, (student, cell, text)
            assert " ".join(text.split()) in messages[cell], (student, cell)


def check_right_answers_see_only_ticks():
    """Do the solution and the other correct styles (lists for tuples
    included) pass every visible test, with a tick or the format note?"""
    for student in ["solution", *STYLES]:
        for cell, text in visible("ch06")[student].items():
            assert not isinstance(text, Failed), (student, cell, text)
            assert text.startswith(TICK) or FORMAT_OK in text, (student, cell)


def check_format_only_checks_say_so():
    """Do the mystery-GPU cells, which check only the format in the
    release, say so instead of showing a tick, for right and wrong values
    alike?"""
    for student in ["solution", "wrong0", "wrong3"]:
        for cell in EXERCISES["mystery_gpu"]:
            text = visible("ch06")[student][cell]
            assert not isinstance(text, Failed) and TICK not in text, text
            name = cell.replace("test_mystery_", "mystery_")
            assert text.strip() == f"{name}: {FORMAT_OK}", text


def check_graded_value_checks_say_right(graded):
    """When graded, do the mystery-GPU cells check the value and say so?"""
    nb = nbformat.read(chapter("ch06").autograded(graded, "solution"), 4)
    printed = {grade_id(c): "".join(o.get("text", "") for o in c.outputs)
               for c in nb.cells if c.cell_type == "code"}
    for cell in EXERCISES["mystery_gpu"]:
        name = cell.replace("test_mystery_", "mystery_")
        assert f"{TICK} {name}: right" in printed[cell], printed[cell]


CHECKS = [check_every_failure_is_a_block,
          check_visible_failures_are_graded_failures,
          check_right_answers_see_only_ticks,
          check_format_only_checks_say_so,
          check_graded_value_checks_say_right]
