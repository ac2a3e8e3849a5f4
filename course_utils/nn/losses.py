"""Losses (chapters 04-05) and the softmax.

Each loss takes the network's scores and the targets and returns
``(loss, dscores)``, the mean loss and its gradient with respect to the
scores.
"""

import numpy as np

from ._validate import _batch, _float_array, _labels, _targets
from .layers import sigmoid


def softmax(S):
    """Row-wise softmax of scores S: (N, C), computed without overflow.

    Returns P: (N, C) with rows that are probability vectors.
    """
    S = np.asarray(S)
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _outputs(name, a):
    """A network's outputs for a loss: a non-empty finite float array of
    shape (N, C) or (N,), or a ValueError naming the problem."""
    a = np.asarray(a)
    if a.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (N, C) or (N,), got {a.shape}")
    a = _float_array(name, a, a.ndim, "(N, C)")
    if a.size == 0:
        raise ValueError(f"{name} is empty: an empty batch has no loss")
    return a


def mse_loss(y_hat, y):
    """Mean squared error L = mean((y_hat - y)**2) over all entries.

    y_hat: (N, C) or (N,) float64 predictions (the network's outputs);
    y: targets of the same shape, or (N,) when C = 1.
    Returns the loss (float) and dy_hat = 2 (y_hat - y) / y_hat.size,
    with the shape of y_hat.
    """
    y_hat = _outputs("y_hat", y_hat)
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
    S = _outputs("logits", logits)
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
