"""Assertion helpers for graded cells, with messages written for learners.

A failed check says what looks wrong and what the usual cause is, in plain
words, without printing the expected numbers (they would give the answer
away).  Shapes may be named: they are part of the exercise statement.

- ``assert_close(actual, expected, name)``: values, with a diagnosis of the
  common mistakes (missing return, shape, transpose, sign, constant
  factor, a factor equal to a power of an input, NaN, integer dtype).
- ``assert_not_delegating(func, *forbidden)``: the exercise must not be
  answered by calling the reference kernel it asks you to write.
- ``call_checked(func, *args, name=..., **kwargs)``: call the student's
  function and fail, naming the argument, if it changed an input in place
  (checked before any value is compared).
- ``check(condition, message)`` and ``fail(message)``: a graded cell's
  own tests, failing as the same short block as the helpers above.
- ``unpack(result, names, call)``: a returned tuple of the right length,
  or a message saying what came back instead.
- ``passed(what)``: the one line a graded cell prints when it passes.

A failure is raised as ``CheckFailed`` (an AssertionError, so nbgrader
and pytest see a failed cell).  In a notebook it renders itself as one
short block (IPython's ``_render_traceback_``): the graded cell's question
(its docstring) and the diagnosis, wrapped to fit nbgrader's Validate
dialog, with no frames from this module.  Errors raised inside the
student's own function keep their normal traceback, minus the frames of
these helpers (``__tracebackhide__``).
"""
import ast
import builtins
import copy
import dis
import importlib
import inspect
import linecache
import os
import sys
import textwrap
import types

import numpy as np

__all__ = ["answered", "assert_close", "assert_not_delegating",
           "call_checked", "check", "fail", "passed", "CheckFailed",
           "unpack"]

TINY = np.finfo(np.float64).tiny
WIDTH = 76  # nbgrader's Validate dialog cuts longer lines


# --------------------------------------------------------------------------
# Failures, rendered as one short block
# --------------------------------------------------------------------------
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


def _may_reach(dotted, func):
    """Can func reach the function named `dotted` ("sklearn.a.f")?

    Not when its package was never imported in this process and neither
    func nor a function defined next to it imports it: then no object in
    reach can be it, and importing a large package (scipy, sklearn) only
    to compare against it would cost seconds in every graded cell.
    """
    package = dotted.split(".", 1)[0]
    if package in sys.modules:
        return True
    glb = getattr(func, "__globals__", {})
    funcs = [func] + [v for v in glb.values()
                      if isinstance(v, types.FunctionType)
                      and v.__globals__ is glb]
    for f in funcs:
        code = getattr(f, "__code__", None)
        if code is None:
            return True  # cannot look inside: resolve it to be safe
        for sub in _code_objects(code):
            for ins in dis.get_instructions(sub):
                if (ins.opname == "IMPORT_NAME"
                        and str(ins.argval).split(".", 1)[0] == package):
                    return True
    return False


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
    specs = [_resolve(spec) for spec in forbidden
             if not isinstance(spec, str) or _may_reach(spec, func)]
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
    if not callable(func):
        _fail(
            f"Expected your function, but got {type(func).__name__}. Did "
            f"the cell that defines it run without errors?"
        )
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


# --------------------------------------------------------------------------
# Layer gradients (chapter 04 on): name the layout mistake
# --------------------------------------------------------------------------
__all__ += ["assert_gradient_close", "assert_backward_matches_forward",
            "assert_no_framework", "call_shaped", "call_network",
            "assert_network_not_delegating"]


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
    from .derivatives import _perturbed_values
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


def _framework_hit(func, modules, seen):
    func = _unwrap(func)
    if not isinstance(func, types.FunctionType) or func in seen:
        return None
    seen.add(func)
    for obj, text in _referenced_objects(func):
        target = _unwrap(obj)
        owner = (getattr(target, "__name__", "")
                 if isinstance(target, types.ModuleType)
                 else getattr(target, "__module__", "")) or ""
        if not isinstance(owner, str):
            owner = ""
        root = owner.split(".")[0]
        if root in modules:
            return text, root
        if (isinstance(target, types.FunctionType)
                and target.__globals__ is func.__globals__):
            hit = _framework_hit(target, modules, seen)
            if hit is not None:
                return f"{text} -> {hit[0]}", hit[1]
    return None


def assert_no_framework(func, modules=("torch", "jax", "tensorflow",
                                        "autograd")):
    """Assert that func uses no automatic-differentiation framework.

    func: the student's function.
    modules: top-level module names whose use is refused (anything from
      torch, torch.autograd, ... counts as torch).
    Looks through func's code and the helpers defined next to it, as
    assert_not_delegating does.
    """
    if not callable(func):
        _fail(
            f"Expected your function, but got {type(func).__name__}. Did "
            f"the cell that defines it run without errors?"
        )
    hit = _framework_hit(func, set(modules), set())
    if hit is not None:
        written, module = hit
        fname = getattr(func, "__name__", "your function")
        _fail(
            f"{fname} uses {module} (written as `{written}`). Here the "
            f"gradients are derived by hand with NumPy: a framework's "
            f"automatic differentiation does not count."
        )


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


# --------------------------------------------------------------------------
# unpack_in_order: the right values, returned in the wrong order
# --------------------------------------------------------------------------
__all__ += ["unpack_in_order"]

_KIND_TEXT = {"number": "one number", "array": "an array or a list"}


def _kind_of(value):
    """The kind of a returned value: "number" (one number), "array" (a
    list or an array with at least one axis) or None (anything else:
    None, text, a dict)."""
    if isinstance(value, (str, bytes, dict, set, frozenset)) or value is None:
        return None
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - a ragged list: still a list
        return "array" if isinstance(value, (list, tuple)) else None
    if arr.dtype.kind not in "biufc":
        return "array" if arr.ndim >= 1 and isinstance(
            value, (list, tuple, np.ndarray)) else None
    return "number" if arr.ndim == 0 else "array"


def unpack_in_order(result, names, kinds, call="your function"):
    """Like ``unpack``, and say so when the values come back swapped.

    result: what the student's function returned.
    names: what it should return, in order, e.g. ("x", "num_iters").
    kinds: for each name "number" (one number) or "array" (an array or
      a list), e.g. ("array", "number").
    call: how to call the call in a message.
    Returns the values as a tuple.  Raises AssertionError (CheckFailed)
    when the result is not a tuple or list of len(names) values (as
    ``unpack``), or when its values have the kinds asked for only in
    another order (`return num_iters, x` for `return x, num_iters`): the
    message then says that the order is wrong.
    """
    __tracebackhide__ = True
    values = unpack(result, names, call)
    got = [_kind_of(v) for v in values]
    kinds = tuple(kinds)
    if None in got or tuple(got) == kinds or sorted(got) != sorted(kinds):
        return values
    listed = ", ".join(names)
    where = next(i for i, (g, k) in enumerate(zip(got, kinds)) if g != k)
    nth = ("first", "second", "third", "fourth")
    which = nth[where] if where < len(nth) else f"number {where + 1}"
    _fail(
        f"{call} returned its values in the wrong order: it should return "
        f"({listed}), as in `return {listed}`, but its {which} value is "
        f"{_KIND_TEXT[got[where]]}, where `{names[where]}` "
        f"({_KIND_TEXT[kinds[where]]}) belongs."
    )
