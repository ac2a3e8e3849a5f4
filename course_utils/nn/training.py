"""The training loop (chapter 05).

``train`` checks the data once and then runs unchecked internal kernels,
so that small batches stay fast; with plain SGD it updates the model's
packed parameters block by block.
"""

import numpy as np
from tqdm.auto import tqdm

from .model import _activate, _activation_grad
from .optimisers import SGD


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
