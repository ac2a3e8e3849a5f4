"""Chapter 04's checks: layer gradients, shapes and the two-layer network.

A wrong gradient is named by its layout mistake (a transpose, a batch
not summed, (n,) vs (n, 1), a factor N); a layer's backward is checked
against central differences of the student's own forward; a NumPy shape
error becomes a message about the shapes of the product.
"""
import numpy as np

from .core import (_close, _diagnose_type, _fail, _shape_text,
                   assert_close, call_checked, unpack)
from .delegation import assert_not_delegating


def _wrt_text(wrt):
    return f", the shape of {wrt}" if wrt else ""


def _gradient_shape_mistake(arr, exp, name, wrt, rtol, atol):
    """Fail with a layout diagnosis when arr is exp laid out wrongly."""
    got, want = arr.shape, exp.shape
    head = (f"{name} has {_shape_text(got)} but should have "
            f"{_shape_text(want)}{_wrt_text(wrt)}")
    values = arr.astype(float) if arr.dtype.kind in "biuf" else None
    if values is None:
        return
    if (arr.ndim == 2 and exp.ndim == 2 and got == want[::-1]
            and _close(values.T, exp, rtol, atol) and not wrt):
        _fail(
            f"{head}: it is the transpose of the right answer, the "
            f"denominator layout. In numerator layout rows run over the "
            f"outputs and columns over the inputs."
        )
    if (arr.ndim == 2 and exp.ndim == 2 and got == want[::-1]
            and _close(values.T, exp, rtol, atol)):
        _fail(
            f"{head}: it is the transpose of the right gradient. A "
            f"gradient has the shape of what it differentiates: write "
            f"down the shapes of the factors of your product and put "
            f"them in the order (and transposed) so that the result has "
            f"shape {want}."
        )
    if (arr.ndim == exp.ndim + 1 and got[1:] == want and got[0] > 1
            and _close(values.sum(axis=0), exp, rtol, atol)):
        _fail(
            f"{head}: it has one row per sample. Every sample of the "
            f"batch uses the same {wrt or 'parameter'}, so its gradient "
            f"is the SUM of the per-sample contributions: sum over the "
            f"batch axis (axis=0)."
        )
    if (arr.size == exp.size and tuple(d for d in got if d != 1)
            == tuple(d for d in want if d != 1)
            and _close(values.reshape(want), exp, rtol, atol)):
        if arr.ndim > exp.ndim:
            fix = ("it has an extra axis of length 1 (keepdims=True, or "
                   "a (1, H) array where (H,) is wanted?): drop it with "
                   ".ravel() or .reshape")
        elif arr.ndim < exp.ndim:
            fix = ("it lost an axis of length 1: keep it with "
                   "keepdims=True, [:, None] or .reshape")
        else:
            fix = "its axis of length 1 is in the wrong place"
        _fail(f"{head}: the values are right but {fix}. Check (n,) vs "
              f"(n, 1).")


def _gradient_value_mistake(values, exp, name, wrt, n_samples, rtol, atol):
    """Fail naming the mistake when same-shape values are exp altered."""
    meaningful = np.any(np.abs(exp) > atol)
    if not meaningful:
        return
    if not np.any(values):
        _fail(
            f"{name} is zero everywhere: did you return the array you "
            f"started from (np.zeros...) without filling it in, or "
            f"multiply by a mask that is never true?"
        )
    if (values.ndim == 2 and values.shape[0] == values.shape[1] > 1
            and not np.allclose(exp, exp.T, rtol=rtol, atol=atol)
            and _close(values.T, exp, rtol, atol)):
        _fail(
            f"{name} holds the transpose of the right gradient ({wrt or 'it'}"
            f" is square here, so the shape could not tell). Check the "
            f"order of the factors of your product and which of them is "
            f"transposed."
        )
    if _close(-values, exp, rtol, atol):
        _fail(
            f"{name} has the right size but the wrong sign everywhere: "
            f"(a - y) written as (y - a), or a minus sign lost in the "
            f"chain rule?"
        )
    if n_samples is not None and n_samples > 1:
        factor = float(np.vdot(exp, values) / np.vdot(exp, exp))
        scaled = max(rtol, 1e-6)
        if (np.isclose(factor, n_samples, rtol=1e-3)
                and _close(values, factor * exp, scaled, atol)):
            _fail(
                f"{name} is N = {n_samples} times too large: the 1/N of "
                f"the mean over the batch is missing."
            )
        if (np.isclose(factor, 1 / n_samples, rtol=1e-3)
                and _close(values, factor * exp, scaled, atol)):
            _fail(
                f"{name} is N = {n_samples} times too small: an extra "
                f"1/N, e.g. a mean over the batch where a sum is wanted "
                f"(the 1/N of the loss is already inside the upstream "
                f"gradient)."
            )


def assert_gradient_close(actual, expected, name, wrt=None, n_samples=None,
                          mistakes=(), rtol=1e-6, atol=1e-8):
    """Assert that a gradient is right, naming the layout mistake if not.

    actual: the student's gradient (array, list or number).
    expected: the right gradient, array (...).
    name: how to call it in a message, e.g. "dW of affine_backward".
    wrt: the variable it differentiates, e.g. "W": a gradient must have
      its shape, and the messages say so.
    n_samples: the batch size N when the gradient comes from a batch; a
      result N times too large or too small is then named as a missing
      or an extra 1/N.
    mistakes: (wrong, explanation) pairs: plausible wrong gradients
      computed by the test for this case (e.g. dZ @ W for dX) and what to
      tell a student whose result matches one.
    rtol, atol: tolerances as in np.allclose.
    Checks, in order: a missing return or a non-numeric result, the given
    mistakes, the transpose, a batch not summed (one row per sample),
    (n,) vs (n, 1), all zeros, the transpose of a square gradient, the
    sign, a factor N or 1/N; then assert_close's own diagnosis.  The
    expected values are never shown.
    """
    arr = _diagnose_type(actual, name)
    exp = np.asarray(expected, dtype=float)
    if arr.shape == exp.shape and arr.dtype.kind in "biuf" and np.allclose(
            arr.astype(float), exp, rtol=rtol, atol=atol):
        return
    if arr.dtype.kind in "biuf":
        for wrong, explanation in mistakes:
            wrong = np.asarray(wrong, dtype=float)
            if (wrong.shape == arr.shape
                    and not _close(wrong, exp, rtol, atol)
                    and _close(arr.astype(float), wrong, rtol, atol)):
                _fail(f"{name} is wrong: {explanation}")
    if arr.shape != exp.shape:
        _gradient_shape_mistake(arr, exp, name, wrt, rtol, atol)
        if wrt:
            _fail(
                f"{name} has {_shape_text(arr.shape)} but should have "
                f"{_shape_text(exp.shape)}{_wrt_text(wrt)}: a gradient "
                f"always has the shape of the variable it differentiates. "
                f"Check the order of the factors of each product and "
                f"which axis you sum over."
            )
    elif arr.dtype.kind in "f" and np.all(np.isfinite(arr)):
        _gradient_value_mistake(arr.astype(float), exp, name, wrt,
                                n_samples, rtol, atol)
    assert_close(arr, exp, name, rtol=rtol, atol=atol)


def _central_gradient(loss, x, h):
    """Central differences of loss() in every entry of x (changed, then
    restored in place)."""
    # The perturbation loop is the reference kernels' own: while those
    # are not available (grading an exercise that asks for them), this
    # helper is not either.
    from course_utils.derivatives import _perturbed_values
    grad = np.zeros(x.shape)
    for idx, plus, minus in _perturbed_values(lambda _x: loss(), x, h,
                                              lambda v: v):
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def assert_backward_matches_forward(forward, backward, inputs, name,
                                    wrt=None, seed=0, h=1e-5, rtol=1e-5,
                                    atol=1e-7):
    """Check a layer's backward against central differences of its forward.

    forward: the student's f(*inputs) -> (out, cache).
    backward: the student's g(dout, cache) -> one gradient per input, in
      the order of inputs (a single array when there is one input).
    inputs: {name: array}, the forward's arguments in order, e.g.
      {"X": X, "W": W, "b": b}; they are copied, never changed.
    name: the layer's name for messages, e.g. "affine".
    wrt: the names of the inputs whose gradients to check (default all),
      e.g. ("W",) for a test of dW alone.
    seed: for the random upstream gradient dout.
    With dout random, L = sum(out * dout) has dL/d(input) = what backward
    must return, so each returned gradient is compared with central
    differences of L computed from the student's own forward.
    """
    args = [np.array(v, dtype=float) for v in inputs.values()]
    names = list(inputs)
    fwd = f"{name}_forward"
    out, cache = unpack(forward(*[a.copy() for a in args]),
                              ("out", "cache"), fwd)
    out = np.asarray(out, dtype=float)
    dout = np.random.default_rng(seed).normal(size=out.shape)
    grads = backward(dout.copy(), cache)
    if len(names) == 1:
        grads = (grads,)
    else:
        grads = unpack(
            grads, tuple(f"d{n}" for n in names), f"{name}_backward")
    for i, (var, grad) in enumerate(zip(names, grads)):
        if wrt is not None and var not in wrt:
            continue

        def loss():
            res = forward(*args)
            return float(np.sum(np.asarray(res[0], dtype=float) * dout))
        numeric = _central_gradient(loss, args[i], h)
        assert_gradient_close(
            grad, numeric,
            f"d{var} from {name}_backward (compared with central "
            f"differences of your {fwd})", wrt=var, rtol=rtol, atol=atol)


# NumPy's words when the shapes of a product or a sum do not fit.
_SHAPE_WORDS = ("shape", "mismatch", "broadcast", "aligned",
                "does not match", "dimension")


_SHAPE_HINT = ("Write the shape of each factor next to every product: a "
               "transpose forgotten, or the factors in the wrong order, is "
               "the usual cause.")


def call_shaped(func, *args, name=None, shapes="", hint=_SHAPE_HINT,
                **kwargs):
    """call_checked, with a message about shapes instead of NumPy's error.

    func, args, kwargs, name: as for call_checked.
    shapes: what the shapes are in this call and what the results must
      be, e.g. "Here dZ is (2, 2), X (2, 3) and W (3, 2): ...".
    hint: the usual causes, for the end of the message.
    When the student's code stops with NumPy's ValueError about arrays
    whose shapes do not fit (a forgotten transpose, the wrong factor
    order), the cell fails with one short block that says so, rather
    than with a traceback.
    """
    __tracebackhide__ = True
    try:
        return call_checked(func, *args, name=name, **kwargs)
    except ValueError as err:
        if not any(w in str(err).lower() for w in _SHAPE_WORDS):
            raise
        call = name or f"{getattr(func, '__name__', 'your function')}(...)"
    _fail(
        f"{call} stopped with an error about shapes: two arrays that "
        f"do not fit together in a product or a sum. {shapes} "
        f"{hint}".replace("  ", " ")
    )


def call_network(func, X, y, params, name=None):
    """(loss, grads) from chapter 04's two-layer network, or a message.

    func: the student's two_layer_loss_and_grads(X, y, params).
    X: (N, D); y: (N,) labels; params: {"W1": (D, H), "b1": (H,),
      "W2": (H, C), "b2": (C,)}.  name: how to call the call.
    A shape error names the shapes Z1, A1 and S must have; a return
    that is not a pair (loss, grads) is named as unpack does.
    """
    __tracebackhide__ = True
    name = name or "two_layer_loss_and_grads(X, y, params)"
    N, (D, H), C = len(X), np.shape(params["W1"]), np.shape(params["W2"])[1]
    shapes = (f"Here X is {(N, D)}, W1 {(D, H)} and W2 {(H, C)}, so Z1 "
              f"and A1 must be {(N, H)}, S {(N, C)}, and every gradient "
              f"the shape of its parameter.")
    hint = ("The usual causes: a layer's backward given another layer's "
            "cache, or a transpose forgotten.")
    return unpack(call_shaped(func, X, y, params, name=name, shapes=shapes,
                              hint=hint), ("loss", "grads"), name)


def _calls_forbidden(own, forbidden):
    """Does the student's function `own` reach `forbidden` itself?"""
    if own is forbidden:           # an alias of the reference
        return True
    try:
        assert_not_delegating(own, forbidden)
    except AssertionError:
        return True
    return False


def assert_network_not_delegating(func, layers, *forbidden):
    """assert_not_delegating for a network built from the student's layers.

    func: the student's network function (it calls the layers).
    layers: the student's own layer functions it is built from.
    forbidden: what func must not call (reference layers, ready-made
      networks).
    A forbidden function that one of the student's layers already calls
    is a mistake of that layer, charged by the layer's own tests; it is
    left out here, so that one mistake costs points once.  Every other
    use, in func or in a helper next to it, fails as
    assert_not_delegating does.
    """
    __tracebackhide__ = True
    reached = [own for own in layers if not _layer_clean(own, forbidden)]
    kept = [bad for bad in forbidden
            if not any(_calls_forbidden(own, bad) for own in reached)]
    assert_not_delegating(func, *kept)


def _layer_clean(own, forbidden):
    """Does `own` reach none of `forbidden` (one check for all)?"""
    try:
        assert_not_delegating(own, *forbidden)
    except AssertionError:
        return False
    return not any(own is bad for bad in forbidden)
