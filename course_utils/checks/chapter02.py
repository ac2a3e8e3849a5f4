"""Chapter 02's check: the right values, returned in the wrong order."""
import numpy as np

from .core import _fail, unpack


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
