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

The package: presets (TensorCoreModel, MODELS), formats (fp16 and fp32
rounding), tile (tc_matmul, fma_4x4x4, block_fma: the NumPy reference),
fast (when and how the compiled kernels run), _jit (the Numba kernels)
and chapter (error_report, find_disagreement).  Every public name is
importable from course_utils.tensorcore itself.

Shapes use the course letters: A (M, K), B (K, N), C and D (M, N); a
block of products has n terms.
"""

from course_utils.tensorcore.presets import MODELS, TensorCoreModel
from course_utils.tensorcore.formats import round_to_fp16
from course_utils.tensorcore.tile import block_fma, fma_4x4x4, tc_matmul
from course_utils.tensorcore.fast import ideal_backend
from course_utils.tensorcore.chapter import (
    Disagreement, ErrorReport, error_report, find_disagreement)

__all__ = [
    "MODELS", "TensorCoreModel", "round_to_fp16", "block_fma",
    "fma_4x4x4", "tc_matmul", "ideal_backend", "error_report",
    "ErrorReport", "find_disagreement", "Disagreement",
]
