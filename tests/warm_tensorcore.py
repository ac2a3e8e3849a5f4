"""Compile the tensor-core kernels into Numba's on-disk cache.

tests/conftest.py runs this in the background as the test session
starts, so that the test workers load the kernels instead of each
compiling the same code at once, 10-15 s of CPU apiece.
"""
import numpy as np

from course_utils import tensorcore as tc
from course_utils.tensorcore import fast


def main():
    if fast.ideal_backend() != "compiled":
        return
    fast._PATH = "compiled"
    x = np.ones((4, 4), np.float16)
    for model in ("ideal", "V100"):
        for out in ("fp32", "fp16"):
            tc.tc_matmul(x, x, model=model, out=out)
            tc.block_fma(x, x, np.zeros(4), model=model, out=out)


if __name__ == "__main__":
    main()
