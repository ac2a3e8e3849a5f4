"""Chapter 05's exercises, finished: an MLP as a dict of arrays.

The functions a student writes in chapter 05, in the functional style of
the exercises (parameters are a dict {"W1": (D, H1), "b1": (H1,), ...},
samples are rows).  They compute exactly what ``course_utils.nn``'s
``MLP``, ``SGD``, ``Momentum``, ``Adam`` and ``train`` compute, with the
same random draws; tests/test_mlp.py checks that they agree.

- ``xavier_init(fan_in, fan_out, rng)`` and ``init_params(sizes, rng)``
- ``bce_loss(a, y)``: binary cross-entropy of sigmoid outputs (clipped)
- ``minibatches(N, batch_size, rng)``: one shuffled epoch of indices
- ``sgd_update``, ``momentum_update``, ``adam_update``: in-place steps
- ``train_mlp(X, y, sizes, ...)`` and ``predict(params, X)``
- ``reference_run(...)`` and ``check_against_reference(...)``: what a
  correct train_mlp returns (nn.MLP and nn.train on the same draws),
  and the graded comparison that names the usual mistake.
- ``correct_helpers(namespace)``: run a student's train_mlp with these
  helpers in place of the student's own (also where the student's is
  missing), so that a graded cell judges one function at a time.
"""
import contextlib

import numpy as np

from course_utils import nn

__all__ = [
    "xavier_init", "init_params", "bce_loss", "minibatches",
    "sgd_update", "momentum_update", "adam_update", "train_mlp",
    "predict", "correct_helpers", "check_trained", "reference_run",
    "check_against_reference",
]

CLIP = 1e-12


def xavier_init(fan_in, fan_out, rng):
    """W: (fan_in, fan_out) = rng.standard_normal(...) * sqrt(1 / fan_in).

    The exercise's name; variance 1/fan_in is LeCun's initialisation
    (Glorot and Bengio's, "Xavier", uses 2 / (fan_in + fan_out)).
    """
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)


def init_params(layer_sizes, rng):
    """{"W1": (D, H1), "b1": (H1,), ...}: Xavier weights, zero biases.

    layer_sizes: [D, H1, ..., C]; the weights are drawn W1 first.
    """
    params = {}
    for l, (n_in, n_out) in enumerate(zip(layer_sizes, layer_sizes[1:]), 1):
        params[f"W{l}"] = xavier_init(n_in, n_out, rng)
        params[f"b{l}"] = np.zeros(n_out)
    return params


def bce_loss(a, y):
    """Mean binary cross-entropy of sigmoid outputs and its gradient.

    a: (N, 1) outputs in [0, 1] (clipped to [1e-12, 1 - 1e-12]); y: 0/1
    targets of the same shape (else ValueError).  Returns (loss, da),
    da: (N, 1).
    """
    a = np.clip(np.asarray(a, dtype=float), CLIP, 1 - CLIP)
    y = np.asarray(y, dtype=float)
    if a.shape != y.shape:
        # (N, 1) against (N,) would broadcast to (N, N) without a word
        raise ValueError(
            f"bce_loss: the outputs a have shape {a.shape} but the targets "
            f"y have shape {y.shape}: they must match; pass the targets "
            f"as a column, y.reshape(-1, 1)")
    N = a.shape[0]
    loss = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / N
    da = (a - y) / (a * (1 - a)) / N
    return float(loss), da


def minibatches(N, batch_size, rng):
    """rng.permutation(N) cut into consecutive batches (last may be short)."""
    order = rng.permutation(N)
    return [order[i:i + batch_size] for i in range(0, N, batch_size)]


def sgd_update(params, grads, lr):
    """p -= lr * g for every array of params, in place."""
    for k, p in params.items():
        p -= lr * grads[k]


def momentum_update(params, grads, velocity, lr, beta=0.9):
    """v = beta v + g; p -= lr v, in place (velocity: dict, filled here)."""
    for k, p in params.items():
        velocity[k] = v = beta * velocity.get(k, 0) + grads[k]
        p -= lr * v


def adam_update(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999,
                eps=1e-8):
    """One Adam step (arXiv 1412.6980, Algorithm 1), in place.

    state: {"t": 0, "m": {}, "v": {}} at first; t is incremented before
    the bias corrections.
    """
    state["t"] += 1
    t = state["t"]
    for k, p in params.items():
        g = grads[k]
        m = beta1 * state["m"].get(k, 0) + (1 - beta1) * g
        v = beta2 * state["v"].get(k, 0) + (1 - beta2) * g * g
        state["m"][k], state["v"][k] = m, v
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p -= lr * m_hat / (np.sqrt(v_hat) + eps)


def _forward(params, X):
    """Scores S: (N, C) and the hidden activations [X, A1, ...]."""
    L = len(params) // 2
    acts = [X]
    for l in range(1, L):
        acts.append(nn.sigmoid(acts[-1] @ params[f"W{l}"] + params[f"b{l}"]))
    return acts[-1] @ params[f"W{L}"] + params[f"b{L}"], acts


def train_mlp(X, y, layer_sizes, *, lr, num_epochs, batch_size, rng):
    """Mini-batch SGD for a sigmoid MLP; returns (params, losses).

    X: (N, D); y: (N,) integer labels (0/1 when layer_sizes[-1] == 1:
    sigmoid output with binary cross-entropy; else softmax
    cross-entropy).  losses: one per epoch, the mean of the batch losses
    (each before its update) weighted by batch size.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    params = init_params(layer_sizes, rng)
    L = len(layer_sizes) - 1
    losses = []
    for _ in range(num_epochs):
        total = 0.0
        for idx in minibatches(len(X), batch_size, rng):
            S, acts = _forward(params, X[idx])
            if layer_sizes[-1] == 1:
                a = nn.sigmoid(S)
                loss, da = bce_loss(a, y[idx].reshape(-1, 1))
                dS = da * a * (1 - a)
            else:
                loss, dS = nn.softmax_cross_entropy(S, y[idx])
            total += loss * len(idx)
            grads = {}
            for l in range(L, 0, -1):
                A = acts[l - 1]
                grads[f"W{l}"] = A.T @ dS
                grads[f"b{l}"] = dS.sum(axis=0)
                if l > 1:
                    dS = (dS @ params[f"W{l}"].T) * A * (1 - A)
            sgd_update(params, grads, lr)
        losses.append(total / len(X))
    return params, losses


def predict(params, X):
    """Labels (N,): argmax of the scores, or scores >= 0 for one unit."""
    S, _ = _forward(params, np.asarray(X, dtype=float))
    if S.shape[1] == 1:
        return (S[:, 0] >= 0).astype(np.int64)
    return S.argmax(axis=1)


_HELPERS = ("xavier_init", "init_params", "bce_loss", "minibatches",
            "sgd_update", "momentum_update", "adam_update", "predict")


@contextlib.contextmanager
def correct_helpers(namespace, names=_HELPERS):
    """Temporarily put this module's helpers into `namespace` (a dict).

    A graded cell of train_mlp runs inside it, so that a mistake in an
    earlier exercise (init_params, bce_loss, ...) is not counted again
    there.  Every name is bound, also one the student's notebook lacks
    (its cell had a syntax error, or was never run): the judged
    function then finds a correct helper either way, as nbgrader runs
    it.  The student's own functions are put back afterwards, and a
    name that was missing is removed again.

    Should the judged function still fail because a helper is not
    defined (a grader that cannot bind a missing name in the student's
    kernel), the cell fails with a message naming that helper instead
    of a bare NameError.
    """
    __tracebackhide__ = True
    names = list(names)
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    try:
        for name in names:
            namespace[name] = globals()[name]
        yield
    except NameError as err:
        absent = [name for name in names if saved[name] is missing
                  and f"'{name}'" in str(err)]
        if not absent:
            raise
        from course_utils.checks import _fail
        name = absent[0]
        _fail(f"{name} is not defined in your notebook: its cell has an "
              f"error or has not been run. This test replaces {name} "
              f"with a correct version, but it needs your cell to "
              f"define it. Fix {name}'s cell and run it.")
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def check_trained(result, layer_sizes, num_epochs, name="train_mlp(...)"):
    """Check that train_mlp returned (params, losses) of the right form.

    result: what the student's train_mlp returned.  Raises
    AssertionError with a message for a learner (missing return, a
    missing key, a wrong shape, the wrong number of losses), so that the
    graded cell fails with that message rather than with an error from
    deep inside a forward pass.  Returns (params, losses).
    """
    __tracebackhide__ = True
    from course_utils.checks import _fail

    if not (isinstance(result, tuple) and len(result) == 2):
        _fail(f"{name} should return a pair (params, losses), but returned "
              f"{type(result).__name__}: did you forget `return`?")
    params, losses = result
    if not isinstance(params, dict):
        _fail(f"the params of {name} should be a dict, not "
              f"{type(params).__name__}")
    for l, (n_in, n_out) in enumerate(zip(layer_sizes, layer_sizes[1:]), 1):
        for key, shape in ((f"W{l}", (n_in, n_out)), (f"b{l}", (n_out,))):
            if key not in params:
                _fail(f"the params of {name} have no {key!r}")
            if np.shape(params[key]) != shape:
                _fail(f"params[{key!r}] of {name} has shape "
                      f"{np.shape(params[key])}, expected {shape}")
    if np.ndim(losses) != 1 or len(losses) != num_epochs:
        _fail(f"{name} should return one loss per epoch ({num_epochs}), "
              f"got {np.shape(losses)}")
    return params, [float(v) for v in losses]


def reference_run(X, y, layer_sizes, *, lr, num_epochs, batch_size, seed,
                  shuffle=True):
    """(params, losses) of a correct train_mlp with rng = default_rng(seed).

    Computed by course_utils.nn's MLP and train, drawing from that one
    generator as train_mlp does (first the weights, then one shuffle per
    epoch).  shuffle=False: the same network trained on the samples in
    their given order every epoch.
    """
    gen = np.random.default_rng(seed)
    binary = layer_sizes[-1] == 1
    model = nn.MLP(layer_sizes, activation="sigmoid",
                   output="sigmoid" if binary else "softmax", seed=gen)
    y = np.asarray(y)
    history = nn.train(model, X, y.reshape(-1, 1) if binary else y,
                       optimizer=nn.SGD(lr), batch_size=batch_size,
                       num_epochs=num_epochs, progress=False, seed=gen,
                       shuffle=shuffle)
    return model.params, history["loss"]


def _all_close(params, ref_params):
    return all(np.allclose(np.asarray(params[k], dtype=float), v,
                           rtol=1e-6, atol=1e-9)
               for k, v in ref_params.items())


def check_against_reference(params, losses, X, y, layer_sizes, *, lr,
                            num_epochs, batch_size, seed, name):
    """Compare train_mlp's (params, losses) with reference_run's.

    params, losses: what check_trained returned for the student's call
    `name`; the other arguments are those of that call (rng =
    default_rng(seed)).  Fails naming the usual cause: the biases never
    stepped, the same sample order every epoch, or losses that are not
    the per-sample mean of the epoch; else says which array differs.
    """
    __tracebackhide__ = True
    from course_utils.checks import _fail, assert_close

    ref_params, ref_losses = reference_run(
        X, y, layer_sizes, lr=lr, num_epochs=num_epochs,
        batch_size=batch_size, seed=seed)
    if sorted(params) != sorted(ref_params):
        _fail(f"{name} should give back params with keys "
              f"{sorted(ref_params)}, not {sorted(params)}")
    if not _all_close(params, ref_params):
        biases = [k for k in ref_params if k.startswith("b")]
        if all(np.all(np.asarray(params[k]) == 0) for k in biases):
            _fail(f"after {name} every bias is still zero: the biases "
                  f"never took a step. Compute grads['b1'], ... (the sum "
                  f"of dL/dZ over the batch's samples) and update them "
                  f"like the weights.")
        ordered, _ = reference_run(
            X, y, layer_sizes, lr=lr, num_epochs=num_epochs,
            batch_size=batch_size, seed=seed, shuffle=False)
        if _all_close(params, ordered):
            _fail(f"{name} visits the samples in the same order every "
                  f"epoch: take each epoch's batches from "
                  f"minibatches(N, batch_size, rng), a fresh shuffle per "
                  f"epoch.")
        for k, v in ref_params.items():
            assert_close(params[k], v, f"params[{k!r}] of {name}",
                         rtol=1e-6, atol=1e-9)
    if not np.allclose(losses, ref_losses, rtol=1e-6, atol=1e-12):
        _fail(f"{name} trains the right weights, but its losses are not "
              f"the epoch's mean loss per sample: add up each batch's "
              f"loss (taken before its update) times its number of "
              f"samples and divide by N. The last batch can be smaller, "
              f"so a plain mean of the batch losses counts its samples "
              f"too much.")
