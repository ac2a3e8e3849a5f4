"""Layers, losses, the MLP, optimisers and training (chapters 04-05).

Chapter 04 builds the layer kernels and their gradients; chapter 05
trains multi-layer perceptrons with them.  Every kernel here is the
finished reference version of a notebook exercise.

Shapes use the course letters: N samples, D input features, H hidden
units, C classes or outputs.  Samples are rows: X has shape (N, D).
Arrays are float64 unless a docstring says otherwise.

Paired kernels follow one pattern::

    out, cache = affine_forward(X, W, b)
    dX, dW, db = affine_backward(dout, cache)

Each loss takes the network's scores and the targets and returns
``(loss, dscores)``, the mean loss and its gradient with respect to the
scores.

The public functions check their arguments and raise ``ValueError`` or
``TypeError`` with a message that names the problem.  The training loop
checks the data once and then runs unchecked internal kernels, so that
small batches stay fast.
"""

import contextlib

import numpy as np
from tqdm.auto import tqdm

__all__ = [
    "affine_forward", "affine_backward",
    "relu_forward", "relu_backward",
    "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward",
    "sigmoid", "softmax",
    "mse_loss", "bce_loss", "softmax_cross_entropy",
    "xavier_init", "he_init",
    "MLP", "SGD", "Momentum", "RMSprop", "Adam", "train",
    "gradient_error", "mlp_gradient_check",
    "chapter04", "reference_layers",
]


# ---------------------------------------------------------------------
# Argument checks, written for students
# ---------------------------------------------------------------------

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


# ---------------------------------------------------------------------
# Layers (chapter 04)
# ---------------------------------------------------------------------

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


# ---------------------------------------------------------------------
# Losses (chapters 04-05): each returns (loss, dscores)
# ---------------------------------------------------------------------

def softmax(S):
    """Row-wise softmax of scores S: (N, C), computed without overflow.

    Returns P: (N, C) with rows that are probability vectors.
    """
    S = np.asarray(S)
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def mse_loss(y_hat, y):
    """Mean squared error L = mean((y_hat - y)**2) over all entries.

    y_hat: (N, C) or (N,) float64 predictions (the network's outputs);
    y: targets of the same shape, or (N,) when C = 1.
    Returns the loss (float) and dy_hat = 2 (y_hat - y) / y_hat.size,
    with the shape of y_hat.
    """
    y_hat = np.asarray(y_hat)
    if y_hat.ndim not in (1, 2):
        raise ValueError(
            f"y_hat must have shape (N, C) or (N,), got {y_hat.shape}")
    y_hat = _float_array("y_hat", y_hat, y_hat.ndim, "(N, C)")
    if y_hat.size == 0:
        raise ValueError("y_hat is empty: an empty batch has no loss")
    y = _targets("y", y, y_hat.shape, y_hat.dtype)
    diff = y_hat - y
    return float(np.mean(diff * diff)), 2 * diff / diff.size


def bce_loss(logits, y):
    """Binary cross-entropy computed from logits (pre-sigmoid scores).

    With A = sigmoid(logits) this is mean(-y log A - (1 - y) log(1 - A))
    over all entries, evaluated as mean(max(s, 0) - s y + log1p(e^-|s|))
    so that it never takes log(0).
    logits: (N, 1), (N, C) or (N,) float64; y: targets in [0, 1] with
    the same shape, or (N,) for (N, 1) logits.
    Returns the loss (float) and dlogits = (sigmoid(logits) - y) / size,
    with the shape of logits.
    """
    S = np.asarray(logits)
    if S.ndim not in (1, 2):
        raise ValueError(
            f"logits must have shape (N, C) or (N,), got {S.shape}")
    S = _float_array("logits", S, S.ndim, "(N, C)")
    if S.size == 0:
        raise ValueError("logits is empty: an empty batch has no loss")
    y = _targets("y", y, S.shape, S.dtype)
    if y.min() < 0 or y.max() > 1:
        raise ValueError(
            "binary cross-entropy targets y must lie in [0, 1] (class "
            f"labels 0 and 1), but they range over [{y.min()}, {y.max()}]")
    return _bce(S, y)


def _bce(S, y):
    loss = np.mean(np.maximum(S, 0) - S * y + np.log1p(np.exp(-abs(S))))
    return float(loss), (sigmoid(S) - y) / S.size


def softmax_cross_entropy(logits, y):
    """Softmax followed by cross-entropy, from logits.

    logits: (N, C) float64 scores (before the softmax); y: (N,) integer
    labels 0..C-1.  Loss = mean over samples of -log softmax(logits)[y],
    computed with the log-sum-exp shift, so it never overflows.
    Returns the loss (float) and dlogits: (N, C) = (softmax - onehot) / N.
    """
    S = _batch("logits", logits, "(N, C)")
    y = _labels(y, S.shape[0], S.shape[1])
    loss, dS, _ = _softmax_ce(S.copy(), y)
    return loss, dS


def _softmax_ce(S, y):
    """Unchecked softmax cross-entropy; overwrites S with the gradient.

    S: (N, C) C-contiguous logits; y: (N,) labels.  Returns (loss, dS,
    number of samples whose largest logit is the labelled one).
    """
    N, C = S.shape
    at_label = np.arange(0, N * C, C)      # flat index of S[n, y[n]]
    at_label += y
    S -= S.max(axis=1, keepdims=True)
    flat = S.reshape(-1)                   # a view: S is contiguous
    picked = flat.take(at_label)
    correct = np.count_nonzero(picked == 0)
    np.exp(S, out=S)
    total = S.sum(axis=1)
    loss = (np.log(total).sum() - picked.sum()) / N
    total *= N
    S /= total[:, None]                    # softmax / N
    flat[at_label] -= 1 / N
    return float(loss), S, correct


# ---------------------------------------------------------------------
# Chapter 04's exercises, answered by the reference (for graded cells)
# ---------------------------------------------------------------------

class chapter04:  # noqa: N801 - a namespace, read as nn.chapter04.name
    """The reference layers under the names and signatures of chapter
    04's exercises: ``mse_loss(Y_hat, Y)`` and ``softmax_cross_entropy(S,
    y)`` as the notebook writes them, so that a student's network still
    runs when it calls them by keyword."""

    @staticmethod
    def affine_forward(X, W, b):
        """affine_forward(X, W, b) -> (Z, cache)."""
        return affine_forward(X, W, b)

    @staticmethod
    def affine_backward(dZ, cache):
        """affine_backward(dZ, cache) -> (dX, dW, db)."""
        return affine_backward(dZ, cache)

    @staticmethod
    def relu_forward(Z):
        """relu_forward(Z) -> (A, cache)."""
        return relu_forward(Z)

    @staticmethod
    def relu_backward(dA, cache):
        """relu_backward(dA, cache) -> dZ."""
        return relu_backward(dA, cache)

    @staticmethod
    def sigmoid_forward(Z):
        """sigmoid_forward(Z) -> (A, cache)."""
        return sigmoid_forward(Z)

    @staticmethod
    def sigmoid_backward(dA, cache):
        """sigmoid_backward(dA, cache) -> dZ."""
        return sigmoid_backward(dA, cache)

    @staticmethod
    def mse_loss(Y_hat, Y):
        """mse_loss(Y_hat, Y) -> (loss, dY_hat)."""
        return mse_loss(Y_hat, Y)

    @staticmethod
    def softmax_cross_entropy(S, y):
        """softmax_cross_entropy(S, y) -> (loss, dS)."""
        return softmax_cross_entropy(S, y)


# What chapter 04's two-layer network (exercise 7) calls.
NETWORK_LAYERS = ("affine_forward", "affine_backward", "relu_forward",
                  "relu_backward", "softmax_cross_entropy")


@contextlib.contextmanager
def reference_layers(namespace, names=NETWORK_LAYERS):
    """Run a graded cell with chapter 04's reference layers in place.

    namespace: the notebook's globals(); names: the exercises' function
    names to replace, any of chapter04's (default: the five the
    two-layer network of exercise 7 calls).
    Inside the ``with`` block each of those names that `namespace`
    holds is bound to ``chapter04``'s version, so that a student's
    two-layer network, which calls the layers by name, is judged on its
    own: a mistake in a layer costs points in that layer's exercise
    only.  A name the namespace lacks stays missing, as it would be
    without the block.  The student's own functions are put back
    afterwards, also when a check inside fails.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    try:
        for name, value in saved.items():
            if value is not missing:
                namespace[name] = getattr(chapter04, name)
        yield
    finally:
        for name, value in saved.items():
            if value is not missing:
                namespace[name] = value


# ---------------------------------------------------------------------
# Initialisation (chapter 05)
# ---------------------------------------------------------------------

def _check_fans(fan_in, fan_out):
    for name, n in (("fan_in", fan_in), ("fan_out", fan_out)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")


def xavier_init(fan_in, fan_out, rng=None, dtype=np.float64):
    """The course's "Xavier" initialisation: W ~ normal(0, 1 / fan_in).

    rng: a np.random.Generator (or a seed, or None for a fresh one).
    Returns W: (fan_in, fan_out) of `dtype`.  Keeps the variance of the
    pre-activations close to that of the inputs for tanh/sigmoid layers.
    Variance 1/fan_in is strictly LeCun's initialisation (LeCun et al.,
    "Efficient BackProp", 1998); Glorot and Bengio's (2010), usually
    called Xavier, averages the two fans: 2 / (fan_in + fan_out).  The
    name is kept because chapter 05's exercise uses it.
    """
    _check_fans(fan_in, fan_out)
    rng = np.random.default_rng(rng)
    W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)
    return W.astype(dtype, copy=False)


def he_init(fan_in, fan_out, rng=None, dtype=np.float64):
    """He initialisation for ReLU layers: W ~ normal(0, 2 / fan_in).

    rng: a np.random.Generator (or a seed, or None for a fresh one).
    Returns W: (fan_in, fan_out) of `dtype`.  The factor 2 makes up for
    ReLU zeroing half of its inputs.
    """
    _check_fans(fan_in, fan_out)
    rng = np.random.default_rng(rng)
    W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)
    return W.astype(dtype, copy=False)


# ---------------------------------------------------------------------
# The multi-layer perceptron (chapter 05)
# ---------------------------------------------------------------------

_ACTIVATIONS = ("relu", "sigmoid", "tanh")
_OUTPUTS = {"softmax": ("cross_entropy",),
            "sigmoid": ("bce", "mse"),
            "identity": ("mse",), "linear": ("mse",)}


def _activate(name, Z):
    """Apply a hidden activation to Z in place and return it."""
    if name == "relu":
        return np.maximum(Z, 0, out=Z)
    if name == "tanh":
        return np.tanh(Z, out=Z)
    # sigmoid(z) = (1 + tanh(z / 2)) / 2: no overflow, four cheap calls
    Z *= 0.5
    np.tanh(Z, out=Z)
    Z += 1
    Z *= 0.5
    return Z


def _sigmoid_inplace(Z):
    """sigmoid(Z) written into Z: 1/(1+e^-z) for z >= 0, else e^z/(1+e^z)."""
    E = np.exp(-np.abs(Z))
    np.divide(np.where(Z >= 0, 1, E), 1 + E, out=Z)
    return Z


def _activation_grad(name, dA, A):
    """Multiply dA in place by the activation's derivative, written in A."""
    if name == "relu":
        dA *= A > 0
    elif name == "tanh":
        dA *= 1 - A * A
    else:
        dA *= A * (1 - A)
    return dA


class MLP:
    """A fully connected network: affine, activation, ..., affine, output.

    layer_sizes: [D, H1, ..., C], the width of every layer.
    activation: hidden activation, "relu", "sigmoid" or "tanh".
    output: "softmax" (classes, loss "cross_entropy" with labels 0..C-1),
    "sigmoid" (binary, loss "bce" or "mse" with 0/1 targets), or
    "identity" / "linear" (regression, loss "mse").  loss=None picks the
    first of these.
    init: "xavier" (normal, variance 1/fan_in: LeCun's rule, see
    xavier_init), "he" (variance 2/fan_in),
    or None for "he" with ReLU and "xavier" otherwise.  Biases start at 0.

    params: {"W1": (D, H1), "b1": (H1,), ..., "WL": (H, C), "bL": (C,)},
    float64 unless `dtype` says otherwise.  The arrays are views into one
    flat array, which train's fast path for SGD updates in one go;
    update them in place (params["W1"] -= ...).  Arrays put into params
    in their place are trained too, on the general (slower) path.
    """

    def __init__(self, layer_sizes, activation="relu", output="softmax",
                 seed=0, loss=None, init=None, dtype=np.float64):
        sizes = [int(n) for n in layer_sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                "layer_sizes must list at least an input and an output "
                f"width, all positive, e.g. [64, 128, 10]; got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {_ACTIVATIONS}, "
                f"got {activation!r}")
        if output not in _OUTPUTS:
            raise ValueError(
                f"output must be one of {tuple(_OUTPUTS)}, got {output!r}")
        loss = _OUTPUTS[output][0] if loss is None else loss
        if loss not in _OUTPUTS[output]:
            raise ValueError(
                f"output {output!r} goes with loss "
                f"{' or '.join(map(repr, _OUTPUTS[output]))}, not {loss!r}")
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError("a softmax output needs at least 2 classes")
        if init is None:
            init = "he" if activation == "relu" else "xavier"
        inits = {"xavier": xavier_init, "he": he_init}
        if init not in inits:
            raise ValueError(f"init must be 'xavier' or 'he', got {init!r}")
        if np.dtype(dtype) not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float64 or float32, not {dtype}")
        self.layer_sizes = sizes
        self.activation = activation
        self.output = "identity" if output == "linear" else output
        self.loss = loss
        self.dtype = np.dtype(dtype)
        self._names = [(f"W{l}", f"b{l}") for l in range(1, len(sizes))]
        rng = np.random.default_rng(seed)
        # All parameters live in one flat array, layer after layer, as
        # blocks [W; b] of shape (fan_in + 1, fan_out): the rows of W,
        # then b as one more row.  params holds views of the blocks.  So
        # [A, 1] @ [W; b] = A W + b is one matmul, and so is its
        # gradient, and an SGD step is one vector operation (see
        # _sgd_epoch, the fast path of train).
        self._flat = np.zeros(
            sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:])),
            dtype)
        self._blocks, self.params, start = [], {}, 0
        for (W, b), n_in, n_out in zip(self._names, sizes, sizes[1:]):
            end = start + (n_in + 1) * n_out
            block = self._flat[start:end].reshape(n_in + 1, n_out)
            block[:-1] = inits[init](n_in, n_out, rng, dtype)
            self.params[W], self.params[b] = block[:-1], block[-1]
            self._blocks.append((block, self.params[W], self.params[b]))
            start = end

    @property
    def num_layers(self):
        """Number of affine layers (hidden layers + 1)."""
        return len(self.layer_sizes) - 1

    @property
    def is_classifier(self):
        return self.output != "identity"

    def __repr__(self):
        return (f"MLP({self.layer_sizes}, activation={self.activation!r}, "
                f"output={self.output!r}, loss={self.loss!r})")

    # -- checked public methods ---------------------------------------

    def _check_X(self, X):
        X = _batch("X", X)
        D = self.layer_sizes[0]
        if X.shape[1] != D:
            raise ValueError(
                f"X has {X.shape[1]} features per sample but the network "
                f"expects D = {D}: X must have shape (N, {D})")
        return X.astype(self.dtype, copy=False)

    def _check_y(self, y, N):
        """Targets for the loss: labels (N,) or values (N, C)."""
        C = self.layer_sizes[-1]
        if self.output == "softmax":
            return _labels(y, N, C)
        y = _targets("y", y, (N, C), self.dtype)
        if self.output == "sigmoid" and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                "targets y of a sigmoid output must lie in [0, 1] (class "
                f"labels 0 and 1), but they range over "
                f"[{y.min()}, {y.max()}]")
        return y.astype(self.dtype, copy=False)

    def forward(self, X):
        """Network outputs for X: (N, D).

        Returns (N, C): class probabilities for "softmax" (rows sum to
        1), probabilities in (0, 1) for "sigmoid", raw values for
        "identity".
        """
        S = self._scores(self._check_X(X))[0]
        if self.output == "softmax":
            return softmax(S)
        if self.output == "sigmoid":
            return _sigmoid_inplace(S)
        return S

    def predict(self, X):
        """Predictions for X: (N, D).

        softmax: labels (N,) int64; sigmoid: 0/1 labels, (N,) when C = 1
        and (N, C) otherwise; identity: the outputs (N, C).
        """
        S = self._scores(self._check_X(X))[0]
        return self._predict_from_scores(S)

    def _predict_from_scores(self, S):
        if self.output == "softmax":
            return S.argmax(axis=1)
        if self.output == "sigmoid":
            labels = (S >= 0).astype(np.int64)
            return labels[:, 0] if labels.shape[1] == 1 else labels
        return S

    def loss_and_grads(self, X, y):
        """Mean loss on (X, y) and its gradient for every parameter.

        X: (N, D); y: labels (N,) for softmax, 0/1 targets (N,) or
        (N, C) for sigmoid, values (N, C) (or (N,) when C = 1) for
        identity.  Returns (loss, grads) with grads[k] shaped like
        params[k].
        """
        X = self._check_X(X)
        loss, grads, _ = self._loss_and_grads(X, self._check_y(y, len(X)))
        return loss, grads

    def evaluate(self, X, y):
        """Mean loss and accuracy (None for regression) on (X, y)."""
        X = self._check_X(X)
        return self._evaluate(X, self._check_y(y, len(X)))

    # -- unchecked internals (arguments already validated) ------------

    def _scores(self, X):
        """Forward pass to the output scores (logits).

        Returns S: (N, C) and acts = [X, A1, ..., A_{L-1}], the inputs
        of every affine layer.
        """
        p, names = self.params, self._names
        acts, A = [X], X
        for W, b in names[:-1]:
            Z = A @ p[W]
            Z += p[b]
            A = _activate(self.activation, Z)
            acts.append(A)
        W, b = names[-1]
        S = A @ p[W]
        S += p[b]
        return S, acts

    def _num_correct(self, S, y):
        if self.output == "softmax":
            return np.count_nonzero(S.argmax(axis=1) == y)
        if self.output == "sigmoid":
            return np.count_nonzero((S >= 0) == (y >= 0.5))
        return None

    def _loss_from_scores(self, S, y):
        """Loss and dS for scores S: (N, C); may overwrite S."""
        if self.output == "softmax":
            return _softmax_ce(S, y)[:2]
        if self.loss == "bce":
            return _bce(S, y)
        A = _sigmoid_inplace(S) if self.output == "sigmoid" else S
        dS = A - y
        loss = float(np.vdot(dS, dS)) / dS.size
        dS *= 2 / dS.size
        if self.output == "sigmoid":
            dS *= A * (1 - A)
        return loss, dS

    def _loss_and_grads(self, X, y):
        """Loss, grads and the number of correct predictions."""
        p, L = self.params, self.num_layers
        S, acts = self._scores(X)
        if self.output == "softmax":
            loss, dS, correct = _softmax_ce(S, y)
        else:
            correct = self._num_correct(S, y)
            loss, dS = self._loss_from_scores(S, y)
        grads = dict.fromkeys(p)
        for l in range(L - 1, -1, -1):          # layers L, ..., 1
            W, b = self._names[l]
            A = acts[l]
            grads[W] = A.T @ dS
            grads[b] = dS.sum(axis=0)
            if l > 0:
                dS = _activation_grad(self.activation, dS @ p[W].T, A)
        return loss, grads, correct

    def _packed_blocks(self):
        """The [W; b] blocks of the flat parameter array, one per layer,
        or None when params no longer holds their views (new arrays were
        put into params, or a copy of the model copied them apart)."""
        flat, p = self._flat, self.params
        for (W, b), (block, W_view, b_view) in zip(self._names, self._blocks):
            if not (p.get(W) is W_view and p.get(b) is b_view
                    and block.base is flat and W_view.base is flat
                    and b_view.base is flat):
                return None
        return [block for block, _, _ in self._blocks]

    def _evaluate(self, X, y):
        S = self._scores(X)[0]
        correct = self._num_correct(S, y)
        loss = self._loss_from_scores(S, y)[0]
        return loss, (None if correct is None else correct / y.size)

    def _loss(self, X, y):
        return self._loss_from_scores(self._scores(X)[0], y)[0]


# ---------------------------------------------------------------------
# Optimisers (chapter 05): step(params, grads) updates params in place
# ---------------------------------------------------------------------

def _check_rate(name, value):
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, "
                         f"got {value!r}")


def _check_beta(name, value):
    if not 0 <= value < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")


class SGD:
    """Plain gradient descent: p <- p - lr * g."""

    def __init__(self, lr):
        _check_rate("lr", lr)
        self.lr = lr

    def _check(self, params, grads):
        if params.keys() != grads.keys():
            raise ValueError(
                f"grads has keys {sorted(grads)} but params has "
                f"{sorted(params)}: they must match")
        for k, p in params.items():
            if grads[k].shape != p.shape:
                raise ValueError(
                    f"grads[{k!r}] has shape {grads[k].shape} but "
                    f"params[{k!r}] has shape {p.shape}")

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        lr = self.lr
        for k, p in params.items():
            p -= lr * grads[k]


class Momentum(SGD):
    """Gradient descent with momentum: v <- beta v + g; p <- p - lr v."""

    def __init__(self, lr, beta=0.9):
        super().__init__(lr)
        _check_beta("beta", beta)
        self.beta, self.v = beta, {}

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        for k, p in params.items():
            v = self.v.setdefault(k, np.zeros_like(p))
            v *= self.beta
            v += grads[k]
            p -= self.lr * v


class RMSprop(SGD):
    """RMSprop: scale each step by a running RMS of the gradient.

    s <- beta s + (1 - beta) g**2;  p <- p - lr g / (sqrt(s) + eps).
    """

    def __init__(self, lr=1e-3, beta=0.9, eps=1e-8):
        super().__init__(lr)
        _check_beta("beta", beta)
        _check_rate("eps", eps)
        self.beta, self.eps, self.s = beta, eps, {}

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        for k, p in params.items():
            g = grads[k]
            s = self.s.setdefault(k, np.zeros_like(p))
            s *= self.beta
            s += (1 - self.beta) * g * g
            p -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(SGD):
    """Adam: momentum and RMSprop with bias correction.

    m <- b1 m + (1 - b1) g; s <- b2 s + (1 - b2) g**2;
    p <- p - lr m_hat / (sqrt(s_hat) + eps), m_hat = m / (1 - b1**t),
    s_hat = s / (1 - b2**t) at step t = 1, 2, ...
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        _check_beta("beta1", beta1)
        _check_beta("beta2", beta2)
        _check_rate("eps", eps)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m, self.s, self.t = {}, {}, 0

    def step(self, params, grads):
        """Update every array in params (dict of arrays) in place."""
        self._check(params, grads)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        lr_t = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        eps_t = self.eps * np.sqrt(1 - b2 ** self.t)
        for k, p in params.items():
            g = grads[k]
            m = self.m.setdefault(k, np.zeros_like(p))
            s = self.s.setdefault(k, np.zeros_like(p))
            m *= b1
            m += (1 - b1) * g
            s *= b2
            s += (1 - b2) * g * g
            p -= lr_t * m / (np.sqrt(s) + eps_t)


# ---------------------------------------------------------------------
# Training loop (chapter 05)
# ---------------------------------------------------------------------

class _Workspace:
    """The arrays of one forward and backward pass on n samples, for
    _sgd_epoch: allocated once, then overwritten batch after batch."""

    def __init__(self, model, n):
        dtype, hidden = model.dtype, model.layer_sizes[1:-1]
        # acts[l] is the input of layer l + 1, with a trailing column of
        # ones; acts[0] is the batch itself, set for each batch.
        self.acts = [None] + [np.ones((n, h + 1), dtype) for h in hidden]
        self.Zs = [A[:, :-1] for A in self.acts[1:]]   # without the ones
        # dL/dA for acts[1:], ones column included (computed, not used)
        self.dAs = [np.empty((n, h + 1), dtype) for h in hidden]
        self.masks = [np.empty((n, h + 1), bool) for h in hidden]
        self.S = np.empty((n, model.layer_sizes[-1]), dtype)
        self.row_max = np.empty((n, 1), dtype)


def _sgd_epoch(model, blocks, Xa, y, lr, batch_size):
    """One epoch of plain SGD on packed parameters: train's fast path.

    blocks: model._packed_blocks(); Xa: (N, D + 1), the samples in the
    order to visit, with a trailing column of ones; y: their targets.
    Computes what _loss_and_grads and SGD.step do, batch after batch,
    in fewer NumPy calls: the biases ride along in the matmuls; arrays
    are allocated once; the gradient comes out already multiplied by
    -lr, so the step is one addition to the flat parameter array; and a
    softmax output keeps two numbers per sample, from which the loss and
    the number of hits are summed once per epoch.
    Returns (sum over the batches of loss * batch size, number of
    correct predictions or None for regression).
    """
    N, L, act = len(Xa), model.num_layers, model.activation
    flat = model._flat
    grad = np.empty_like(flat)
    grads, start = [], 0                # views of grad shaped like blocks
    for block in blocks:
        grads.append(grad[start:start + block.size].reshape(block.shape))
        start += block.size
    softmax = model.output == "softmax"
    if softmax:
        C = model.layer_sizes[-1]
        Y = np.eye(C, dtype=model.dtype)[y]             # one-hot labels
        at_label = np.arange(N) % batch_size * C + y    # of S[n, y[n]]
        picked = np.empty(N, model.dtype)   # S[n, y[n]] - max of S[n]
        total = np.empty(N, model.dtype)    # sum of exp(S[n] - max)
    total_loss, correct, spaces = 0.0, 0, {}
    for i in range(0, N, batch_size):
        j = min(i + batch_size, N)
        n = j - i
        if n not in spaces:
            spaces[n] = _Workspace(model, n)
        ws = spaces[n]
        acts = ws.acts
        acts[0] = A = Xa[i:j]
        for l in range(L - 1):
            np.matmul(A, blocks[l], out=ws.Zs[l])
            A = acts[l + 1]
            # relu(1) = 1 keeps the ones column, and the whole buffer is
            # contiguous, so faster than the view Zs[l]
            _activate(act, A if act == "relu" else ws.Zs[l])
        dS = S = np.matmul(A, blocks[-1], out=ws.S)
        if softmax:                     # as _softmax_ce, scaled by -lr
            # ufunc.reduce: S.max and S.sum without their Python wrappers
            S -= np.maximum.reduce(S, axis=1, keepdims=True, out=ws.row_max)
            # mode="clip" skips take's bounds check and its out buffer
            S.reshape(-1).take(at_label[i:j], out=picked[i:j], mode="clip")
            np.exp(S, out=S)
            row_total = np.add.reduce(S, axis=1, out=total[i:j])
            S /= row_total[:, None]
            S -= Y[i:j]
            S *= -lr / n
        else:
            correct += model._num_correct(S, y[i:j]) or 0
            loss, dS = model._loss_from_scores(S, y[i:j])
            total_loss += loss * n
            dS *= -lr
        for l in range(L - 1, 0, -1):   # layers L, ..., 2
            np.matmul(acts[l].T, dS, out=grads[l])
            dA = np.matmul(dS, blocks[l].T, out=ws.dAs[l - 1])
            if act == "relu":           # _activation_grad, mask reused
                dA *= np.greater(acts[l], 0, out=ws.masks[l - 1])
            else:
                _activation_grad(act, dA, acts[l])
            dS = dA[:, :-1]
        np.matmul(acts[0].T, dS, out=grads[0])
        flat += grad
    if softmax:
        total_loss = float(np.log(total).sum() - picked.sum())
        correct = np.count_nonzero(picked == 0)
    return total_loss, (correct if model.is_classifier else None)


def train(model, X, y, *, optimizer, batch_size, num_epochs, X_val=None,
          y_val=None, progress=True, seed=0, shuffle=True):
    """Train `model` (an MLP) by mini-batch gradient descent.

    X: (N, D) float64; y: labels (N,) or targets, as for
    MLP.loss_and_grads.  batch_size = N gives batch gradient descent,
    1 gives stochastic gradient descent, anything between mini-batch.
    Each epoch visits every sample once, in an order drawn from
    np.random.default_rng(seed) when shuffle is True.

    Returns the history, a dict of per-epoch lists: "loss" (mean of the
    batch losses, weighted by batch size, each taken before its update)
    and "accuracy" (the same for the predictions; classifiers only),
    plus "val_loss" and "val_accuracy" measured after each epoch when
    X_val and y_val are given.  progress=True shows a progress bar
    (tqdm.auto, so it renders as a widget in a notebook).
    With an SGD optimizer (the class itself, not a subclass) each epoch
    runs _sgd_epoch, a fused version of the same computation.
    """
    X = model._check_X(X)
    y = model._check_y(y, len(X))
    N = len(X)
    for name, n in (("batch_size", batch_size), ("num_epochs", num_epochs)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    if not hasattr(optimizer, "step"):
        raise TypeError("optimizer must have a step(params, grads) method, "
                        "e.g. SGD(lr=0.1)")
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    if X_val is not None:
        X_val = model._check_X(X_val)
        y_val = model._check_y(y_val, len(X_val))
    history = {"loss": []}
    if model.is_classifier:
        history["accuracy"] = []
    if X_val is not None:
        history["val_loss"] = []
        if model.is_classifier:
            history["val_accuracy"] = []
    # Plain SGD (not a subclass) on the packed parameters takes the fast
    # path, _sgd_epoch, which wants X with a trailing column of ones.
    blocks = model._packed_blocks() if type(optimizer) is SGD else None
    if blocks is not None:
        X = np.hstack([X, np.ones((N, 1), X.dtype)])    # (N, D + 1)
    rng = np.random.default_rng(seed)
    epochs = range(num_epochs)
    if progress:
        epochs = tqdm(epochs, desc="training", unit="epoch")
    for _ in epochs:
        if shuffle:
            order = rng.permutation(N)
            Xs, ys = X[order], y[order]
        else:
            Xs, ys = X, y
        if blocks is not None:
            total_loss, total_correct = _sgd_epoch(
                model, blocks, Xs, ys, optimizer.lr, batch_size)
        else:
            total_loss, total_correct = 0.0, 0
            for i in range(0, N, batch_size):
                Xb, yb = Xs[i:i + batch_size], ys[i:i + batch_size]
                loss, grads, correct = model._loss_and_grads(Xb, yb)
                optimizer.step(model.params, grads)
                total_loss += loss * len(Xb)
                total_correct += correct or 0
        if not np.isfinite(total_loss):
            raise FloatingPointError(
                "the loss became NaN or inf: the learning rate is "
                "probably too large, try a smaller one")
        history["loss"].append(total_loss / N)
        if model.is_classifier:
            history["accuracy"].append(total_correct / y.size)
        if X_val is not None:
            val_loss, val_acc = model._evaluate(X_val, y_val)
            history["val_loss"].append(val_loss)
            if model.is_classifier:
                history["val_accuracy"].append(val_acc)
        if progress:
            shown = {k: f"{v[-1]:.4f}" for k, v in history.items()}
            epochs.set_postfix(shown, refresh=False)
    return history


# ---------------------------------------------------------------------
# Gradient checking (chapters 04-05)
# ---------------------------------------------------------------------

def gradient_error(analytic, numeric):
    """Largest gradient error relative to the largest gradient entry.

    analytic, numeric: dicts of arrays with the same keys and shapes
    (or two arrays).  Returns max |a - n| / max(|a|, |n|), each maximum
    over every entry of every array.  Scaling by the largest entry,
    not entry by entry, keeps exact zeros (dead ReLU units) from
    turning round-off into an error of 1.  (derivatives.relative_error
    is the entry-by-entry version, for single arrays.)
    """
    if not isinstance(analytic, dict):
        analytic, numeric = {"": analytic}, {"": numeric}
    diff = max(np.max(abs(analytic[k] - numeric[k]), initial=0)
               for k in analytic)
    scale = max(max(np.max(abs(analytic[k]), initial=0),
                    np.max(abs(numeric[k]), initial=0)) for k in analytic)
    return float(diff / scale) if scale > 0 else float(diff)


def mlp_gradient_check(model, X, y, h=1e-5, method="rank1"):
    """Compare model.loss_and_grads with central differences.

    X: (N, D) float64; y: as for MLP.loss_and_grads; h: the step.
    method="rank1" (default) is vectorised: nudging one weight of layer
    l moves one column of Z_l by h times a column of A_{l-1}, so the
    effect of every nudge on the loss is computed at once from that
    rank-1 change.  method="loop" nudges one parameter at a time and
    reruns the whole forward pass (the slow textbook version).
    Returns gradient_error(analytic, numeric), about 1e-10 for a
    correct float64 gradient.  float32 is refused: its round-off limits
    the error to about 1e-3, which cannot tell a bug from noise.
    """
    if model.dtype != np.float64 or np.asarray(X).dtype == np.float32:
        raise TypeError(
            "gradient checks need float64: in float32 the best possible "
            "relative error is about 1e-3, too large to tell a bug from "
            "round-off; build the MLP with dtype=np.float64 and pass "
            "float64 data")
    if method not in ("rank1", "loop"):
        raise ValueError(f"method must be 'rank1' or 'loop', got {method!r}")
    _check_rate("h", h)
    X = model._check_X(X)
    y = model._check_y(y, len(X))
    _, analytic, _ = model._loss_and_grads(X, y)
    if method == "loop":
        numeric = _numeric_grads_loop(model, X, y, h)
    else:
        numeric = _numeric_grads_rank1(model, X, y, h)
    return gradient_error(analytic, numeric)


def _numeric_grads_loop(model, X, y, h):
    """Central differences, one parameter entry at a time."""
    numeric = {}
    for k, p in model.params.items():
        g = np.empty_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            plus = model._loss(X, y)
            p[idx] = old - h
            minus = model._loss(X, y)
            p[idx] = old
            g[idx] = (plus - minus) / (2 * h)
        numeric[k] = g
    return numeric


def _activation_delta(name, Z, dZ):
    """act(Z + dZ) - act(Z), computed without cancellation."""
    if name == "relu":
        return np.where(Z > 0, np.maximum(dZ, -Z), np.maximum(Z + dZ, 0))
    if name == "tanh":
        return np.tanh(dZ) * (1 - np.tanh(Z + dZ) * np.tanh(Z))
    return -np.expm1(-dZ) * sigmoid(Z + dZ) * sigmoid(-Z)


def _loss_delta(model, S, y, dS):
    """loss(S + dS) - loss(S) for a stack of score changes.

    S: (N, C) scores; dS: (..., N, C) changes, overwritten.  Returns
    (...,).  Each case is written with log1p/expm1 of the change, so the
    difference stays accurate even where the loss itself is large.
    """
    if model.output == "softmax":
        picked = dS[..., np.arange(len(y)), y]
        P = np.expm1(dS, out=dS)
        P *= softmax(S)
        lse = np.log1p(P.sum(axis=-1))
        lse -= picked
        return lse.mean(axis=-1)
    if model.loss == "bce":
        change = np.log1p(sigmoid(S) * np.expm1(dS)) - y * dS
        return change.mean(axis=(-2, -1))
    if model.output == "sigmoid":
        A = sigmoid(S)
        dA = -np.expm1(-dS) * sigmoid(S + dS) * sigmoid(-S)
    else:
        A, dA = S, dS
    return (dA * (2 * (A - y) + dA)).mean(axis=(-2, -1))


def _numeric_grads_rank1(model, X, y, h, max_elements=2 ** 18):
    """Central differences for every parameter, vectorised per layer.

    Nudging W_l[i, j] (or b_l[j], with a column of ones for A_{l-1})
    by s changes only column j of Z_l, by s * A_{l-1}[:, i].  That
    column change is pushed through the rest of the network for all
    (i, j) at once; rows i are taken in chunks to bound the memory.
    """
    p, L, act = model.params, model.num_layers, model.activation
    # Pre-activations Z_l and layer inputs A_{l-1} of the clean pass.
    Zs, acts, A = [], [X], X
    for l in range(1, L + 1):
        Z = A @ p[f"W{l}"] + p[f"b{l}"]
        Zs.append(Z)
        if l < L:
            A = _activate(act, Z.copy())
            acts.append(A)
    S = Zs[-1]
    numeric = {}
    for l in range(1, L + 1):
        A_in = acts[l - 1]
        ones = np.ones((A_in.shape[0], 1))
        A_aug = np.hstack([A_in, ones]).T           # (fan_in + 1, N)
        Z = Zs[l - 1]                               # (N, fan_out)
        fan_out = Z.shape[1]
        widest = max(model.layer_sizes[l + 1:], default=fan_out)
        per_row = fan_out * Z.shape[0] * widest
        rows = max(1, max_elements // per_row)
        g = np.empty((A_aug.shape[0], fan_out))
        for r in range(0, A_aug.shape[0], rows):
            cols = A_aug[r:r + rows]                # (R, N)
            change = [_nudged_loss(model, l, Z, Zs, cols * s, S, y)
                      for s in (h, -h)]
            g[r:r + rows] = (change[0] - change[1]) / (2 * h)
        numeric[f"W{l}"], numeric[f"b{l}"] = g[:-1], g[-1]
    return numeric


def _nudged_loss(model, l, Z, Zs, dcol, S, y):
    """Loss changes when column j of Z_l moves by dcol[i], for all i, j.

    Z: (N, H) pre-activations of layer l; dcol: (R, N).
    Returns (R, H): the change of the loss for each (i, j).
    """
    p, L, act = model.params, model.num_layers, model.activation
    if l == L:
        # Only one output column moves: dS[i, j] = dcol[i] e_j.
        C = Z.shape[1]
        dS = np.zeros(dcol.shape[:1] + (C,) + Z.shape)  # (R, C, N, C)
        for j in range(C):
            dS[:, j, :, j] = dcol
        return _loss_delta(model, S, y, dS)
    # dA_l has one nonzero column j: (R, H, N).
    dA = _activation_delta(act, Z.T[None], dcol[:, None, :])
    # dZ_{l+1} = dA[:, j] outer W_{l+1}[j]: (R, H, N, H').
    dZ = dA[..., None] * p[f"W{l + 1}"][None, :, None, :]
    for m in range(l + 1, L):
        dA = _activation_delta(act, Zs[m - 1], dZ)
        dZ = dA @ p[f"W{m + 1}"]
    return _loss_delta(model, S, y, dZ)
