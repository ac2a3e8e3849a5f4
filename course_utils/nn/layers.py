"""Layer kernels and their gradients (chapter 04).

Paired kernels follow one pattern::

    out, cache = affine_forward(X, W, b)
    dX, dW, db = affine_backward(dout, cache)

Shapes use the course letters: N samples, D input features, H hidden
units.  Samples are rows: X has shape (N, D).
"""

import numpy as np

from ._validate import _batch, _float_array


def affine_forward(X, W, b):
    """Affine layer Z = X W + b.

    X: (N, D) float64, W: (D, H), b: (H,)
    Returns Z: (N, H) and cache = (X, W, b) for affine_backward.
    """
    X = _batch("X", X)
    W = _float_array("W", W, 2, "(D, H)")
    b = _float_array("b", b, 1, "(H,)")
    D, H = W.shape
    if X.shape[1] != D:
        hint = " (did you pass W transposed?)" if X.shape[1] == H else ""
        raise ValueError(
            f"X has D = {X.shape[1]} features but W has {D} rows: W must "
            f"have shape (D, H){hint}")
    if b.shape != (H,):
        raise ValueError(
            f"b must have shape (H,) = ({H},) to match W {W.shape}, "
            f"but got {b.shape}")
    return X @ W + b, (X, W, b)


def affine_backward(dZ, cache):
    """Gradients of the affine layer Z = X W + b.

    dZ: (N, H) upstream gradient dL/dZ; cache from affine_forward.
    Returns dX: (N, D) = dZ W^T, dW: (D, H) = X^T dZ, db: (H,) = sum of
    dZ over the samples.
    """
    X, W, b = cache
    dZ = _float_array("dZ", dZ, 2, "(N, H)")
    if dZ.shape != (X.shape[0], W.shape[1]):
        raise ValueError(
            f"dZ must have the shape of Z, (N, H) = "
            f"{(X.shape[0], W.shape[1])}, but got {dZ.shape}")
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def _as_float(Z):
    """Z as a float array; integers and booleans become float64."""
    Z = np.asarray(Z)
    if Z.dtype.kind != "f":
        if Z.dtype.kind not in "iub":
            raise TypeError(f"Z must hold real numbers, not {Z.dtype}")
        Z = Z.astype(np.float64)
    return Z


def _same_shape(dout, out):
    dout = np.asarray(dout)
    if dout.shape != out.shape:
        raise ValueError(
            f"dout has shape {dout.shape} but the layer output has shape "
            f"{out.shape}: they must match")
    return dout


def relu_forward(Z):
    """ReLU A = max(Z, 0), elementwise.

    Z: any shape, float64.  Returns A (same shape) and cache = Z.
    """
    Z = _as_float(Z)
    return np.maximum(Z, 0), Z


def relu_backward(dA, cache):
    """Gradient of ReLU: dZ = dA where Z > 0, else 0.

    dA: same shape as Z; cache = Z from relu_forward.  Returns dZ.
    """
    Z = cache
    dA = _same_shape(dA, Z)
    return dA * (Z > 0)


def sigmoid(Z):
    """Logistic function 1 / (1 + exp(-Z)) without overflow.

    Z: any shape, float.  Returns an array of the same shape in (0, 1).
    """
    Z = _as_float(Z)
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + E), E / (1 + E))


def sigmoid_forward(Z):
    """Sigmoid A = 1 / (1 + exp(-Z)), elementwise.

    Z: any shape, float64.  Returns A (same shape) and cache = A.
    """
    A = sigmoid(Z)
    return A, A


def sigmoid_backward(dA, cache):
    """Gradient of the sigmoid: dZ = dA * A * (1 - A).

    dA: same shape as A; cache = A from sigmoid_forward.  Returns dZ.
    """
    A = cache
    return _same_shape(dA, A) * A * (1 - A)


def tanh_forward(Z):
    """Hyperbolic tangent A = tanh(Z), elementwise.

    Z: any shape, float64.  Returns A (same shape) and cache = A.
    """
    A = np.tanh(_as_float(Z))
    return A, A


def tanh_backward(dA, cache):
    """Gradient of tanh: dZ = dA * (1 - A**2).

    dA: same shape as A; cache = A from tanh_forward.  Returns dZ.
    """
    A = cache
    return _same_shape(dA, A) * (1 - A * A)
