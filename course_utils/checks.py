"""Assertion helpers for graded cells, with messages written for learners.

A failed check says what looks wrong and what the usual cause is, in plain
words, without printing the expected numbers (they would give the answer
away).  Shapes may be named: they are part of the exercise statement.

- ``assert_close(actual, expected, name)``: values, with a diagnosis of the
  common mistakes (missing return, shape, transpose, sign, constant
  factor, NaN, integer dtype).
- ``assert_not_delegating(func, *forbidden)``: the exercise must not be
  answered by calling the reference kernel it asks you to write.
- ``call_checked(func, *args, name=..., **kwargs)``: call the student's
  function and fail, naming the argument, if it changed an input in place
  (checked before any value is compared).
- ``passed(what)``: the one line a graded cell prints when it passes.
"""
import builtins
import copy
import dis
import importlib
import inspect
import types

import numpy as np

__all__ = ["assert_close", "assert_not_delegating", "call_checked", "passed"]

TINY = np.finfo(np.float64).tiny


def _fail(message):
    # `from None`: the learner sees one message, not a chained traceback.
    raise AssertionError(message) from None


def _shape_text(shape):
    return "a single number (shape ())" if shape == () else f"shape {shape}"


def _close(a, b, rtol, atol):
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------
# assert_close
# --------------------------------------------------------------------------
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


def _diagnose_shape(arr, exp, name, rtol, atol):
    got, want = arr.shape, exp.shape
    head = f"{name} has {_shape_text(got)} but should have {_shape_text(want)}"
    if want == ():
        _fail(
            f"{head}: return one number, not an array. (A gradient "
            f"returned where its dot product with a vector was asked?)"
        )
    if got == ():
        _fail(f"{head}: return an array with one entry per input entry.")
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
                hint = "an extra axis of length 1"
            elif arr.ndim < exp.ndim:
                hint = "a missing axis of length 1"
            else:
                hint = "its axis of length 1 in the wrong place"
            _fail(
                f"{head}: it has {hint}. Check (n,) vs (n, 1): use "
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
    _fail(
        f"{head}. Check which axis you loop or sum over and that the "
        f"result has one entry per entry of the input."
    )


def _nice_factor(factor):
    """2, 1/2, an integer N >= 3 or 1/N, if factor is one of them."""
    for nice in (2.0, 0.5):
        if np.isclose(factor, nice, rtol=1e-3):
            return nice
    if factor > 2.5 and np.isclose(factor, round(factor), rtol=1e-3):
        return float(round(factor))
    if 0 < factor < 0.4 and np.isclose(1 / factor, round(1 / factor),
                                       rtol=1e-3):
        return 1 / round(1 / factor)
    return None


def _factor_hint(factor):
    nice = _nice_factor(factor)
    if nice == 2.0:
        return (
            "twice as large as it should be: a stray factor 2, e.g. "
            "dividing by h where 2h is needed?"
        )
    if nice == 0.5:
        return (
            "half as large as it should be: a missing factor 2 or an "
            "extra 1/2 (e.g. dividing by 2h where h is needed)?"
        )
    if nice is not None and nice > 1:
        return (
            f"{round(nice)} times too large: a missing division, e.g. a "
            f"sum where a mean (1/N) is wanted?"
        )
    if nice is not None:
        return (
            f"{round(1 / nice)} times too small: an extra division, e.g. "
            f"a mean (1/N) where a sum is wanted, or a vector normalised "
            f"that should not be?"
        )
    return (
        f"off by a constant factor of about {factor:.3g}: check the "
        f"constants (1/N, 2, 1/2, the step h) in your formula."
    )


def _diagnose_values(values, exp, name, rtol, atol):
    n = exp.size
    bad = ~np.isclose(values, exp, rtol=rtol, atol=atol)
    k = int(np.count_nonzero(bad))
    scale = np.maximum(np.abs(values) + np.abs(exp), TINY)
    rel = float(np.max(np.abs(values - exp) / scale)) if n else 0.0
    meaningful = np.any(np.abs(exp) > atol)
    if meaningful and _close(-values, exp, rtol, atol):
        _fail(
            f"{name} has the right size but the wrong sign everywhere: is "
            f"a subtraction the wrong way round, e.g. f(x) - f(x + h)?"
        )
    if meaningful and np.all(np.isfinite(values)):
        factor = float(np.vdot(exp, values).real / np.vdot(exp, exp).real)
        if (
            np.isfinite(factor)
            and factor > 0
            # One number is always "a factor" off: name only the telling
            # factors there; for arrays, any factor clearly not 1.
            and (_nice_factor(factor) is not None
                 or (n > 1 and abs(factor - 1) > 0.05))
            and _close(values, factor * exp, max(rtol, 1e-6), atol)
        ):
            _fail(f"{name} is {_factor_hint(factor)}")
    if n == 1:
        _fail(
            f"{name} has the wrong value (relative error {rel:.2g}). Check "
            f"the formula against the text."
        )
    _fail(
        f"{name} has the right shape but wrong values in {k} of {n} "
        f"entries (largest relative error {rel:.2g}). Check the formula "
        f"against the text."
    )


def assert_close(actual, expected, name="your result", rtol=1e-6, atol=1e-8):
    """Assert that actual matches expected, explaining mistakes to a learner.

    actual: what the student's code returned (number, list or array).
    expected: the reference value (number or array (...)).
    name: how to call the value in a message, e.g. "forward_difference(f,
      2.0, h=0.5)".
    rtol, atol: tolerances as in np.allclose.
    Raises AssertionError with a diagnosis (missing return, wrong type,
    shape, transpose, integer dtype, NaN/inf, sign flip, constant factor,
    or how many entries differ); the expected values are never shown.
    """
    arr = _diagnose_type(actual, name)
    exp = np.asarray(expected)
    if arr.shape != exp.shape:
        _diagnose_shape(arr, exp, name, rtol, atol)
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
    _diagnose_values(values, exp, name, rtol, atol)


# --------------------------------------------------------------------------
# assert_not_delegating
# --------------------------------------------------------------------------
def _resolve(spec):
    """A forbidden spec (object or dotted name) as (object, qualified name)."""
    if isinstance(spec, str):
        module_name, _, attr = spec.rpartition(".")
        obj = getattr(importlib.import_module(module_name), attr)
        return obj, spec
    module = getattr(spec, "__module__", None)
    qualname = getattr(spec, "__qualname__", None) or getattr(
        spec, "__name__", repr(spec)
    )
    return spec, f"{module}.{qualname}" if module else qualname


def _qualified(obj):
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module is None or qualname is None:
        return None
    return f"{module}.{qualname}"


def _code_objects(code):
    """code and every code object nested in it (lambdas, inner functions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


_LOAD_BASE = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_FAST",
              "LOAD_CLASSDEREF", "LOAD_FAST_CHECK"}
_LOAD_ATTR = {"LOAD_ATTR", "LOAD_METHOD"}


def _referenced_objects(func):
    """Objects func's code can reach by name or attribute access.

    Follows `name`, `name.attr.attr` (module attributes such as
    cu.derivatives.central_difference) and imports inside the function.
    Yields (object, how it was written) pairs.
    """
    glb = getattr(func, "__globals__", {})
    closure = {}
    code = func.__code__
    if func.__closure__:
        for var, cell in zip(code.co_freevars, func.__closure__):
            try:
                closure[var] = cell.cell_contents
            except ValueError:  # empty cell
                pass
    for sub in _code_objects(code):
        local_imports = {}
        chain_obj, chain_text, pending_import = None, None, None
        for ins in dis.get_instructions(sub):
            name = ins.argval if isinstance(ins.argval, str) else None
            if ins.opname == "IMPORT_NAME":
                try:
                    pending_import = importlib.import_module(name)
                except Exception:  # noqa: BLE001 - student code may be odd
                    pending_import = None
                chain_obj, chain_text = pending_import, name
                if pending_import is not None:
                    yield pending_import, name
                continue
            if ins.opname == "IMPORT_FROM" and pending_import is not None:
                obj = getattr(pending_import, name, None)
                if obj is None:
                    try:
                        obj = importlib.import_module(
                            f"{pending_import.__name__}.{name}"
                        )
                    except Exception:  # noqa: BLE001
                        obj = None
                if obj is not None:
                    yield obj, f"{pending_import.__name__}.{name}"
                chain_obj, chain_text = obj, name
                continue
            if ins.opname in {"STORE_FAST", "STORE_NAME", "STORE_DEREF"}:
                if chain_obj is not None and name:
                    local_imports[name] = chain_obj
                chain_obj, chain_text = None, None
                continue
            if ins.opname in _LOAD_BASE and name is not None:
                pending_import = None
                found = False
                if ins.opname in {"LOAD_FAST", "LOAD_FAST_CHECK"}:
                    scopes = (local_imports,)
                elif ins.opname in {"LOAD_DEREF", "LOAD_CLASSDEREF"}:
                    scopes = (local_imports, closure)
                else:
                    scopes = (local_imports, glb, vars(builtins))
                for scope in scopes:
                    if name in scope:
                        chain_obj, chain_text, found = scope[name], name, True
                        break
                if not found:
                    chain_obj, chain_text = None, None
                else:
                    yield chain_obj, chain_text
                continue
            if ins.opname in _LOAD_ATTR and name is not None:
                if chain_obj is not None:
                    chain_obj = getattr(chain_obj, name, None)
                    chain_text = f"{chain_text}.{name}"
                    if chain_obj is not None:
                        yield chain_obj, chain_text
                continue
            if ins.opname in {"PRECALL", "CACHE", "PUSH_NULL", "EXTENDED_ARG"}:
                continue
            if ins.opname != "POP_TOP":
                chain_obj, chain_text = None, None
    for var, value in closure.items():
        yield value, var
    for default in func.__defaults__ or ():
        yield default, "a default argument"


def _unwrap(obj):
    """The function behind functools.partial / bound methods / wrappers."""
    seen = 0
    while seen < 10:
        seen += 1
        if hasattr(obj, "func") and callable(getattr(obj, "func")):
            obj = obj.func
        elif inspect.ismethod(obj):
            obj = obj.__func__
        elif hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__
        else:
            break
    return obj


def _same_function(obj, bad_obj):
    """Is obj the forbidden function (or a wrapper of it, or a reload)?"""
    try:
        mine = {id(obj), id(_unwrap(obj))}
        theirs = {id(bad_obj), id(_unwrap(bad_obj))}
        if mine & theirs:
            return True
        names = {_qualified(obj), _qualified(_unwrap(obj))} - {None}
        bad_names = {_qualified(bad_obj), _qualified(_unwrap(bad_obj))}
        return bool(names & bad_names) and callable(obj)
    except Exception:  # noqa: BLE001 - odd objects compare badly
        return False


def _find_delegation(func, forbidden, seen):
    """(how it is written, forbidden qualified name) or None."""
    func = _unwrap(func)
    if not isinstance(func, types.FunctionType) or func in seen:
        return None
    seen.add(func)
    for obj, text in _referenced_objects(func):
        target = _unwrap(obj)
        for bad_obj, bad_name in forbidden:
            if _same_function(obj, bad_obj):
                return text, bad_name
        # A helper written in the same notebook (same globals) is followed.
        if (
            isinstance(target, types.FunctionType)
            and target.__globals__ is func.__globals__
        ):
            hit = _find_delegation(target, forbidden, seen)
            if hit is not None:
                return f"{text} -> {hit[0]}", hit[1]
    return None


def assert_not_delegating(func, *forbidden):
    """Assert that func does not call any of the forbidden functions.

    func: the student's function.
    forbidden: functions (e.g. course_utils.derivatives.central_difference,
      np.gradient) or their dotted names ("numpy.gradient").
    Looks through func's code, its inner functions and lambdas, its closure
    and default arguments, and helper functions defined next to it, for a
    reference to a forbidden function, however it was imported or renamed
    (`from ... import x as y`, `cu.derivatives.x`).  Raises
    AssertionError explaining that the exercise is to write it yourself.
    """
    if not callable(func):
        _fail(
            f"Expected your function, but got {type(func).__name__}. Did "
            f"the cell that defines it run without errors?"
        )
    specs = [_resolve(spec) for spec in forbidden]
    hit = _find_delegation(func, specs, set())
    if hit is not None:
        written, bad_name = hit
        fname = getattr(func, "__name__", "your function")
        _fail(
            f"{fname} uses {bad_name} (written as `{written}`). The point "
            f"of this exercise is to compute the result yourself with "
            f"NumPy arithmetic, so calling a ready-made version does not "
            f"count. Remove that call and implement the formula from the "
            f"text."
        )


# --------------------------------------------------------------------------
# call_checked and passed
# --------------------------------------------------------------------------
def _snapshot(value):
    """A deep copy of an argument, or None when it cannot be copied."""
    if callable(value) and not isinstance(value, np.ndarray):
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
    Returns what func returned.  Raises AssertionError naming the argument
    when an array, list or dict argument was changed in place; this comes
    before any check of the returned values, because a changed input is
    the cause of the wrong values that usually follow.
    """
    if not callable(func):
        _fail(
            f"Expected your function, but got {type(func).__name__}. Did "
            f"the cell that defines it run without errors?"
        )
    named = _argument_names(func, args, kwargs)
    before = [(arg, value, _snapshot(value)) for arg, value in named]
    result = func(*args, **kwargs)
    fname = getattr(func, "__name__", "your function")
    call = name or f"{fname}(...)"
    for arg, value, snap in before:
        if snap is not None and not _same_value(value, snap):
            _fail(
                f"{call} changed its input `{arg}` in place. Work on a "
                f"copy instead (for an array: {arg} = np.array({arg}, "
                f"dtype=float)), so the caller's data stays as it was."
            )
    return result


def passed(what):
    """Print the one line a graded cell shows when all of its checks pass.

    what: the behaviour checked, e.g. "central_difference: values right".
    """
    print(f"\u2713 {what}")


# --------------------------------------------------------------------------
# unpack
# --------------------------------------------------------------------------
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
