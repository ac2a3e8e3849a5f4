"""The multi-layer perceptron and its initialisations (chapter 05)."""

import numpy as np

from ._validate import _batch, _labels, _targets
from .losses import _bce, _softmax_ce, softmax


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
