"""Argument checks shared by the kernels: each raises ValueError or
TypeError with a message, written for students, that names the problem."""

import numpy as np


def _float_array(name, a, ndim, letters):
    """Return `a` as a finite float array with `ndim` axes, or raise."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        a = a.astype(np.float64)
    elif a.dtype.kind != "f":
        raise TypeError(
            f"{name} must hold real numbers, but its dtype is {a.dtype}")
    if a.ndim != ndim:
        hint = ""
        if ndim == 2 and a.ndim == 1:
            hint = (f": for one sample use {name}.reshape(1, -1), for one "
                    f"feature {name}.reshape(-1, 1)")
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape {letters}, "
            f"but got shape {a.shape}{hint}")
    if not np.isfinite(a).all():
        raise ValueError(
            f"{name} contains NaN or inf: check the data and the "
            "learning rate (a diverging run produces inf)")
    return a


def _batch(name, X, letters="(N, D)"):
    """Check a data matrix X: (N, D) with N >= 1."""
    X = _float_array(name, X, 2, letters)
    if X.shape[0] == 0:
        raise ValueError(
            f"{name} has no samples (N = 0): an empty batch has no "
            "loss and no gradient")
    return X


def _labels(y, N, C):
    """Check integer class labels y: (N,) with values 0..C-1."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[0] == N and y.shape[1] == C > 1:
        raise ValueError(
            f"y has shape {y.shape}, which looks one-hot: pass integer "
            "labels of shape (N,), e.g. y.argmax(axis=1)")
    if y.ndim != 1:
        hint = ": use y.ravel()" if y.shape == (N, 1) else ""
        raise ValueError(
            f"y must be integer labels of shape (N,) = ({N},), "
            f"but got shape {y.shape}{hint}")
    if y.shape[0] != N:
        raise ValueError(
            f"y has {y.shape[0]} labels but there are {N} samples")
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"labels y must be integers 0..{C - 1}, but their dtype is "
            f"{y.dtype}: use y.astype(int)")
    if N and (y.min() < 0 or y.max() >= C):
        bad = y.min() if y.min() < 0 else y.max()
        raise ValueError(
            f"label {bad} is out of range for {C} classes: labels must "
            f"be 0..{C - 1}")
    return y


def _targets(name, y, shape, dtype=np.float64):
    """Check real targets y: `shape`, or (N,) when shape is (N, 1)."""
    y = np.asarray(y)
    if y.dtype.kind in "iub":
        y = y.astype(dtype)
    elif y.dtype.kind != "f":
        raise TypeError(f"{name} must hold real numbers, not {y.dtype}")
    if y.shape != shape:
        if y.shape == shape[:1] and shape[1:] == (1,):
            y = y[:, None]
        else:
            raise ValueError(
                f"{name} has shape {y.shape} but the predictions have "
                f"shape {shape}: they must match, or broadcasting "
                "silently builds an (N, N) matrix")
    if not np.isfinite(y).all():
        raise ValueError(f"{name} contains NaN or inf")
    return y


def _check_rate(name, value):
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, "
                         f"got {value!r}")
