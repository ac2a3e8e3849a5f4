"""Convert the tensor-core hardware samples into one compact .npz file.

Usage: python tests/data/tensorcore/convert.py SAMPLES_DIR
where SAMPLES_DIR holds the folders V100, A100, ... described in README.md.

GPUs with the same K were measured on the same inputs, so a and b are stored
once per K.  hw_samples.npz holds bit patterns; read them with .view():
    a_K<K>, b_K<K>: (5000, K) uint16, the float16 inputs (K = 4, 8, 16);
    <GPU>_c, <GPU>_d_fp32: (5000,) uint32, float32 values;
    <GPU>_d_fp16: (5000,) uint16, the float16 result.
"""
import pathlib
import sys

import numpy as np

GPUS = ["V100", "A100", "Ada", "L40S", "H100", "H200", "B200"]


def hex_rows(path):
    lines = path.read_text().split("\n")
    rows = [[int(t, 16) for t in line.split()]
            for line in lines if line.strip()]
    return np.array(rows, np.uint32)


def bin_rows(path):
    lines = path.read_text().split("\n")
    return np.array([int(line, 2) for line in lines if line.strip()],
                    np.uint32)


def as_fp16_bits(bits32):
    """float32 bit patterns of fp16 values -> float16 bit patterns."""
    x = bits32.view(np.float32)
    x16 = x.astype(np.float16)
    assert np.array_equal(x16.astype(np.float32), x)
    return x16.view(np.uint16)


def main(src):
    arrays = {}
    for gpu in GPUS:
        d = pathlib.Path(src) / gpu
        for name in "ab":
            x = as_fp16_bits(hex_rows(d / f"{name}_{gpu}_fp16.txt"))
            key = f"{name}_K{x.shape[1]}"
            assert np.array_equal(arrays.setdefault(key, x), x)
        arrays[f"{gpu}_c"] = bin_rows(d / f"c_{gpu}_fp32.txt")
        arrays[f"{gpu}_d_fp32"] = bin_rows(d / f"d_{gpu}_fp32.txt")
        arrays[f"{gpu}_d_fp16"] = as_fp16_bits(
            bin_rows(d / f"d_{gpu}_fp16.txt"))
    out = pathlib.Path(__file__).parent / "hw_samples.npz"
    np.savez_compressed(out, **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
