"""The shared diagnosis core: failures as one short block, and the
checks every chapter uses.

A failure is raised as ``CheckFailed`` (an AssertionError, so nbgrader
and pytest see a failed cell).  In a notebook it renders itself as one
short block (IPython's ``_render_traceback_``): the graded cell's
question (its docstring) and the diagnosis, wrapped to fit nbgrader's
Validate dialog, with no frames from this package.

- ``assert_close``: values, with a diagnosis of the common mistakes
  (missing return, shape, transpose, sign, constant factor, a factor
  equal to a power of an input, NaN, integer dtype);
- ``call_checked``: call the student's function and fail, naming the
  argument, if it changed an input in place;
- ``check``, ``fail``, ``answered``, ``unpack``, ``passed``.
"""
import ast
import copy
import inspect
import linecache
import os
import sys
import textwrap

import numpy as np


TINY = np.finfo(np.float64).tiny
WIDTH = 76  # nbgrader's Validate dialog cuts longer lines


def _cell_question():
    """The docstring question of the notebook cell running this check.

    Walks out from the caller to the innermost module-level frame whose
    code is not a file on disk (an IPython cell) and reads the cell's
    first string.  None outside a notebook or for a cell without one.
    """
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "<module>" and not os.path.isfile(
                code.co_filename):
            lines = linecache.getlines(code.co_filename, frame.f_globals)
            try:
                doc = ast.get_docstring(ast.parse("".join(lines)))
            except (SyntaxError, ValueError):
                doc = None
            return doc.strip().splitlines()[0] if doc else None
        frame = frame.f_back
    return None


class CheckFailed(AssertionError):
    """A graded check that failed; str() is the diagnosis.

    In IPython it shows as one short block (_render_traceback_): the
    graded cell's question and the diagnosis, without a traceback.
    """

    def __init__(self, message, question=None):
        super().__init__(message)
        self.question = question

    def _render_traceback_(self):
        head = f"\u2717 Test failed: {self.question}" if self.question \
            else "\u2717 Test failed"
        lines = textwrap.wrap(head, WIDTH, subsequent_indent="  ")
        for par in str(self).split("\n"):
            lines += textwrap.wrap(par, WIDTH, initial_indent="  ",
                                   subsequent_indent="  ") or [""]
        return lines


def _fail(message):
    """Raise the learner's one-block failure (no chained traceback)."""
    raise CheckFailed(message, _cell_question()) from None


def _require_function(func):
    """Fail unless func is callable: the cell defining it did not run, or
    the name holds something else."""
    if not callable(func):
        _fail(
            f"Expected your function, but got {type(func).__name__}. Did "
            f"the cell that defines it run without errors?"
        )


def _shape_text(shape):
    return "a single number (shape ())" if shape == () else f"shape {shape}"


def _close(a, b, rtol, atol):
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


# What the last call_checked call was given and returned, so that a check
# of that result can name the inputs (a factor h**2, integer inputs).
_LAST_CALL = {"result": None, "label": None, "inputs": ()}


def _call_context(actual):
    """(label, [(argument, value)]) when actual came from call_checked."""
    if _LAST_CALL["label"] is not None and actual is _LAST_CALL["result"]:
        return _LAST_CALL["label"], list(_LAST_CALL["inputs"])
    return None, []


def _diagnose_type(actual, name):
    if actual is None:
        _fail(
            f"{name} is None. Did you forget to `return` the result at the "
            f"end of your function (or return inside a loop too early)?"
        )
    if callable(actual):
        _fail(
            f"{name} is a function, not a number or an array. Did you "
            f"forget the parentheses when calling it, e.g. f(x) not f?"
        )
    if isinstance(actual, (str, bytes)):
        _fail(f"{name} is text ({type(actual).__name__}); expected numbers.")
    if isinstance(actual, (dict, set)):
        _fail(f"{name} is a {type(actual).__name__}; expected numbers.")
    try:
        arr = np.asarray(actual)
    except ValueError:
        arr = None
    if arr is None or arr.dtype == object:
        _fail(
            f"{name} could not be read as an array of numbers (it is a "
            f"{type(actual).__name__}; a list of arrays of different "
            f"lengths, or a list holding None?)."
        )
    if arr.dtype.kind not in "biufc":
        _fail(f"{name} holds {arr.dtype} values; expected numbers.")
    return arr


def _with_hint(text, hint, kind):
    """text and the check's hint for this kind of failure, if any.

    hint: a sentence for every wrong shape, sign, factor or value, or a
    dict {"shape": ..., "values": ...} naming the kinds it applies to.
    """
    if isinstance(hint, dict):
        hint = hint.get(kind)
    return f"{text} {hint}" if hint else text


def _diagnose_shape(arr, exp, name, rtol, atol, hint):
    got, want = arr.shape, exp.shape
    head = f"{name} has {_shape_text(got)} but should have {_shape_text(want)}"
    if want == ():
        _fail(_with_hint(f"{head}: return one number, not an array.", hint,
                         "shape"))
    if got == ():
        _fail(_with_hint(
            f"{head}: return an array with one entry per input entry.", hint,
            "shape"))
    if arr.size == exp.size:
        values = arr.astype(np.complex128 if arr.dtype.kind == "c" else float)
        if (
            arr.ndim == 2
            and exp.ndim == 2
            and got == want[::-1]
            and _close(values.T, exp, rtol, atol)
        ):
            _fail(
                f"{head}. It looks like the transpose of the right answer: "
                f"numerator vs denominator layout. Rows should run over "
                f"the outputs and columns over the inputs (or use .T)."
            )
        if tuple(d for d in got if d != 1) == tuple(d for d in want if d != 1):
            if arr.ndim > exp.ndim:
                what = "an extra axis of length 1"
            elif arr.ndim < exp.ndim:
                what = "a missing axis of length 1"
            else:
                what = "its axis of length 1 in the wrong place"
            _fail(
                f"{head}: it has {what}. Check (n,) vs (n, 1): use "
                f".reshape(...), [:, None] or keepdims=True, or avoid "
                f"np.newaxis where none is wanted."
            )
        if arr.ndim == 1 and exp.ndim > 1:
            _fail(
                f"{head}: the result looks flattened. Keep the shape of "
                f"the input (np.zeros_like(x), or .reshape(x.shape))."
            )
        _fail(
            f"{head}: the number of entries is right but they are "
            f"arranged differently. Check reshape and transpose."
        )
    _fail(_with_hint(
        f"{head}. Check which axis you loop or sum over and that the "
        f"result has one entry per entry of the input.", hint, "shape"))


def _scalar_inputs(inputs):
    """(argument, value) of the positive numbers a call was given."""
    out = []
    for arg, value in inputs:
        if isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            continue
        value = float(value)
        if np.isfinite(value) and value > 0:
            out.append((arg, value))
    return out


def _power_of_input(factor, inputs):
    """'h**2 (h = 0.001 here)' when factor is a power of an input."""
    for arg, value in _scalar_inputs(inputs):
        if abs(np.log10(value)) < 0.25:  # too close to 1 to tell apart
            continue
        for k in (1, 2, 3, -1, -2):
            if np.isclose(factor, value ** k, rtol=1e-3):
                power = arg if k == 1 else f"{arg}**{k}" if k > 0 \
                    else f"1/{arg}" if k == -1 else f"1/{arg}**{-k}"
                return power, arg, value, k
    return None


def _count_of_input(factor, inputs):
    """(what, N, larger) when factor is N or 1/N, N > 2 the number of
    samples (entries along the first axis) of an array or list input;
    what: "entries in `y`", or "rows of `A`" for a matrix.  Vectors are
    tried first: a count they explain is the simpler reading."""
    def ndim(value):
        try:
            return np.ndim(value)
        except Exception:  # noqa: BLE001 - a ragged list
            return 1
    found = [(arg, value) for arg, value in inputs
             if isinstance(value, (np.ndarray, list, tuple))]
    for arg, value in sorted(found, key=lambda item: ndim(item[1]) > 1):
        try:
            count = len(value)
        except TypeError:  # a 0-d array
            continue
        if count <= 2:
            continue
        what = (f"rows of `{arg}`" if ndim(value) > 1
                else f"entries in `{arg}`")
        if np.isclose(factor, count, rtol=1e-3):
            return what, count, True
        if np.isclose(factor * count, 1.0, rtol=1e-3):
            return what, count, False
    return None


def _integer_inputs(inputs):
    """Names of the integer arrays or lists of integers a call was given."""
    names = []
    for arg, value in inputs:
        if isinstance(value, (np.ndarray, list, tuple)):
            try:
                kind = np.asarray(value).dtype.kind
            except Exception:  # noqa: BLE001 - a ragged list
                continue
            if kind in "iu":
                names.append(arg)
    return names


def _factor_message(name, factor, n, inputs):
    """A sentence naming the factor, or None when it may be a coincidence.

    A power of an input (h**2 from `/ 2*h`) is named first; then 2 and
    1/2; an integer factor N only for several entries at once (one number
    is always some factor off, so N would be a coincidence there).
    """
    power = _power_of_input(factor, inputs)
    if power is not None:
        text, arg, value, k = power
        why = {
            1: f"a division by {arg} missing?",
            2: f"missing brackets? `a/2*{arg}` is `(a/2)*{arg}`; "
               f"write `a/(2*{arg})`.",
            -1: f"a division by {arg} too many?",
        }.get(k, f"a misplaced {arg} or missing brackets?")
        return (f"{name} equals the right value times {text} ({arg} = "
                f"{value:g} here): {why}")
    count = _count_of_input(factor, inputs)
    if count is not None:
        what, N, larger = count
        if larger:
            return (f"{name} is {N} times too large, and {N} is the number "
                    f"of {what}: a sum where a mean (1/N) is wanted?")
        return (f"{name} is {N} times too small, and {N} is the number of "
                f"{what}: a mean (an extra 1/N) where a sum is wanted?")
    if np.isclose(factor, 2.0, rtol=1e-3):
        return (f"{name} is twice as large as it should be: there is a "
                f"factor 2 too many in your formula.")
    if np.isclose(factor, 0.5, rtol=1e-3):
        return (f"{name} is half as large as it should be: a factor 2 is "
                f"missing from your formula (or you divide by 2 once too "
                f"often).")
    if n == 1:
        return None
    if factor > 2.5 and np.isclose(factor, round(factor), rtol=1e-3):
        return (f"every entry of {name} is {round(factor)} times too "
                f"large: a constant factor in your formula is off.")
    if 0 < factor < 0.4 and np.isclose(1 / factor, round(1 / factor),
                                       rtol=1e-3):
        return (f"every entry of {name} is {round(1 / factor)} times too "
                f"small: a constant factor in your formula is off.")
    if abs(factor - 1) > 0.05:
        return (f"{name} is off by a constant factor of about "
                f"{factor:.3g} in every entry: check the constants in your "
                f"formula.")
    return None


def _error_text(values, exp, rtol, atol):
    """The worst entry's error, measured the way the tolerance measures it.

    np.isclose allows |actual - expected| <= atol + rtol * |expected|, so
    a failed entry always has a relative error above rtol: that is
    reported, except where the right value is (close to) 0 and only the
    absolute error means anything.
    """
    diff = np.abs(values - exp)
    allowed = atol + rtol * np.abs(exp)
    worst = np.unravel_index(np.argmax(diff / np.maximum(allowed, TINY)),
                             exp.shape)
    size = abs(exp[worst])
    if size > atol:
        return (f"relative error {diff[worst] / size:.2g}, more than the "
                f"{rtol:g} allowed")
    return (f"absolute error {diff[worst]:.2g}, more than the {atol:g} "
            f"allowed")


def _diagnose_values(values, exp, name, rtol, atol, inputs, hint):
    n = exp.size
    bad = ~np.isclose(values, exp, rtol=rtol, atol=atol)
    k = int(np.count_nonzero(bad))
    meaningful = np.any(np.abs(exp) > atol)
    ints = _integer_inputs(inputs)
    if ints:
        # The integers are the simplest explanation: say that first.
        names = ", ".join(f"`{a}`" for a in ints)
        _fail(
            f"{name} has wrong values; it was given integers ({names}, "
            f"e.g. np.array([1, 2])). Storing x + h into an integer array "
            f"rounds it: work on a float copy, e.g. x = np.array(x, "
            f"dtype=float)."
        )
    if meaningful and _close(-values, exp, rtol, atol):
        _fail(_with_hint(
            f"{name} has the right size but the wrong sign everywhere: is "
            f"a subtraction the wrong way round?", hint, "values"))
    if meaningful and np.all(np.isfinite(values)):
        factor = float(np.vdot(exp, values).real / np.vdot(exp, exp).real)
        if (
            np.isfinite(factor)
            and factor > 0
            and _close(values, factor * exp, max(rtol, 1e-6), atol)
        ):
            text = _factor_message(name, factor, n, inputs)
            if text is not None:
                _fail(_with_hint(text, hint, "values"))
    err = _error_text(values, exp, rtol, atol)
    if n == 1:
        _fail(_with_hint(
            f"{name} has the wrong value ({err}). Check the formula "
            f"against the text.", hint, "values"))
    _fail(_with_hint(
        f"{name} has the right shape but wrong values in {k} of {n} "
        f"entries ({err}). Check the formula against the text.", hint,
        "values"))


def assert_close(actual, expected, name="your result", rtol=1e-6, atol=1e-8,
                 *, hint=None):
    """Assert that actual matches expected, explaining mistakes to a learner.

    actual: what the student's code returned (number, list or array);
      when it came from call_checked, the call's inputs inform the
      diagnosis (a factor equal to a power of h, integer inputs).
    expected: the reference value (number or array (...)).
    name: how to call the value in a message, e.g. "forward_difference(f,
      2.0, h=0.5)"; by default the call_checked label.
    rtol, atol: tolerances as in np.allclose.
    hint: optional sentence added where a wrong shape, sign, factor or
      value is reported: the likely cause in this exercise; or a dict
      {"shape": ..., "values": ...} for one kind only (e.g. {"shape": "A
      gradient returned where its dot product with v was asked?"}).
    Raises CheckFailed (an AssertionError) with a diagnosis (missing
    return, wrong type, shape, transpose, integer dtype, NaN/inf, sign
    flip, constant factor, or how many entries differ and by how much);
    the expected values are never shown.
    """
    __tracebackhide__ = True
    label, inputs = _call_context(actual)
    if name == "your result" and label:
        name = label
    arr = _diagnose_type(actual, name)
    exp = np.asarray(expected)
    if arr.shape != exp.shape:
        _diagnose_shape(arr, exp, name, rtol, atol, hint)
    if arr.dtype.kind == "c" and exp.dtype.kind != "c":
        _fail(
            f"{name} holds complex numbers; expected real ones. With the "
            f"complex step take the imaginary part: f(x + 1j*h).imag / h."
        )
    if arr.dtype.kind in "biu" and exp.dtype.kind in "fc":
        _fail(
            f"{name} holds integers (dtype {arr.dtype}) where real numbers "
            f"are expected, so fractions were lost. np.zeros_like(x) of an "
            f"integer array is integer too: make it float, e.g. "
            f"np.zeros(x.shape) or x.astype(float)."
        )
    values = arr.astype(np.complex128 if arr.dtype.kind == "c" else float)
    exp = exp.astype(np.complex128 if exp.dtype.kind == "c" else float)
    finite = np.isfinite(values)
    if not np.all(finite[np.isfinite(exp)]):
        n_bad = int(np.count_nonzero(~finite & np.isfinite(exp)))
        _fail(
            f"{name} contains NaN or infinity in {n_bad} of {exp.size} "
            f"entries. A division by zero (h = 0?), log of 0 or an "
            f"overflow (a step size or learning rate too large)?"
        )
    if np.allclose(values, exp, rtol=rtol, atol=atol, equal_nan=True):
        return
    _diagnose_values(values, exp, name, rtol, atol, inputs, hint)


def _snapshot(value):
    """A deep copy of an argument, or None when it is not to be checked:
    functions, objects that cannot be copied, and random generators
    (drawing from `rng` is what they are passed for)."""
    if callable(value) and not isinstance(value, np.ndarray):
        return None
    if isinstance(value, (np.random.Generator, np.random.BitGenerator,
                          np.random.RandomState)):
        return None
    try:
        return copy.deepcopy(value)
    except Exception:  # an object that refuses to be copied: not checked
        return None


def _same_value(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return (a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(
            _same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same_value(x, y) for x, y in zip(a, b)))
    try:
        return bool(a == b)
    except Exception:
        return True


def _argument_names(func, args, kwargs):
    try:
        bound = inspect.signature(func).bind(*args, **kwargs)
    except (TypeError, ValueError):
        names = [f"argument {i + 1}" for i in range(len(args))]
        return list(zip(names, args)) + list(kwargs.items())
    return list(bound.arguments.items())


def call_checked(func, *args, name=None, **kwargs):
    """Call func(*args, **kwargs) and check that it left its inputs alone.

    func: the student's function; args, kwargs: what to pass it.
    name: how to call the call in a message, e.g. "lls_gradient(A, b, x)".
    Returns what func returned.  Raises AssertionError (CheckFailed)
    naming the argument when an array, list or dict argument was changed
    in place; this comes before any check of the returned values, because
    a changed input is the cause of the wrong values that usually follow.
    An assert_close of the returned object then also knows the inputs.
    """
    __tracebackhide__ = True
    _require_function(func)
    named = _argument_names(func, args, kwargs)
    before = [(arg, value, _snapshot(value)) for arg, value in named]
    _LAST_CALL.update(result=None, label=None, inputs=())
    fname = getattr(func, "__name__", "your function")
    try:
        result = func(*args, **kwargs)
    except NotImplementedError:
        _fail(
            f"{fname} is not written yet: replace `raise "
            f"NotImplementedError()` in its cell with your code, run that "
            f"cell, then this test again."
        )
    call = name or f"{fname}(...)"
    for arg, value, snap in before:
        if snap is not None and not _same_value(value, snap):
            _fail(
                f"{call} changed its input `{arg}` in place. Work on a "
                f"copy instead (for an array: {arg} = np.array({arg}, "
                f"dtype=float)), so the caller's data stays as it was."
            )
    _LAST_CALL.update(result=result, label=call,
                      inputs=tuple((arg, snap) for arg, _, snap in before))
    return result


def passed(what):
    """Print the one line a graded cell shows when all of its checks pass.

    what: the behaviour checked, e.g. "central_difference: values right".
    """
    print(f"\u2713 {what}")


def check(condition, message):
    """Fail with message, as one short block, unless condition holds.

    condition: what a graded cell requires (e.g. 3.8 < ratio < 4.2).
    message: what is wrong and the likely cause, in plain words.
    Like `assert condition, message`, but shown like assert_close's
    failures: the cell's question and the message, without the cell's
    source around it.
    """
    __tracebackhide__ = True
    if not condition:
        _fail(message)


def fail(message):
    """Fail the graded cell with message, as one short block.

    message: what is wrong and the likely cause, in plain words.  For a
    test that has already found the mistake, e.g. `if not ok: fail(...)`.
    """
    __tracebackhide__ = True
    _fail(message)


def answered(get, name):
    """The value of an answer the student sets in a cell (not a
    function), or a short failure saying the exercise is not answered.

    get: a lambda that reads the answer, ``lambda: best_h_forward`` (the
    name is read where the test runs, so the same line works in the
    student's kernel and when graded).  name: the answer's name.
    """
    __tracebackhide__ = True
    try:
        return get()
    except NameError:
        _fail(f"`{name}` is not set yet: this exercise is not answered. "
              f"Write the answer in the exercise's cell above, run that "
              f"cell, then run this test again.")


def _describe(value):
    if value is None:
        return "None (a missing `return`?)"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def unpack(result, names, call="your function"):
    """result as a tuple of len(names) values, or a message for a learner.

    result: what the student's function returned.
    names: what it should return, e.g. ("w", "costs").
    call: how to call the call in a message, e.g. "fit_w(x, y, ...)".
    A tuple or list (or an array with one entry per name) of the right
    length is accepted.  Raises AssertionError saying what came back
    instead, so a wrong return never ends in a bare unpacking error.
    """
    names = tuple(names)
    ok = (isinstance(result, (tuple, list)) or (
        isinstance(result, np.ndarray) and result.ndim >= 1))
    if ok and len(result) == len(names):
        return tuple(result)
    listed = ", ".join(names)
    _fail(
        f"{call} should return {len(names)} values, ({listed}), as in "
        f"`return {listed}`, but it returned {_describe(result)}."
    )
