"""Gradient checking (chapters 04-05): the analytic gradients of a
model against central differences."""

import numpy as np

from ._validate import _check_rate
from .layers import sigmoid
from .losses import softmax
from .model import _activate


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
