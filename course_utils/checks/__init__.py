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

The modules: ``core`` (the failure block and the diagnosis every chapter
uses), ``delegation`` (what a student's function reaches: the reference
kernels, a framework), ``chapter02`` (values returned in the wrong
order), ``chapter04`` (layer gradients, shapes, the two-layer network).
Chapter 05's helpers are in ``course_utils.mlp`` and chapter 06's in
``course_utils.tensorcore_checks``.  Import from here: the names below
are the package's interface, whichever module defines them.

A failure is raised as ``CheckFailed`` (an AssertionError, so nbgrader
and pytest see a failed cell).  In a notebook it renders itself as one
short block (IPython's ``_render_traceback_``): the graded cell's question
(its docstring) and the diagnosis, wrapped to fit nbgrader's Validate
dialog, with no frames from this package.  Errors raised inside the
student's own function keep their normal traceback, minus the frames of
these helpers (``__tracebackhide__``).
"""
from .chapter02 import unpack_in_order
# _central_gradient: the course helper a graded answer must not reach
# (its loop is the reference's); read here by name, as a student could.
from .chapter04 import (_central_gradient,  # noqa: F401
                        assert_backward_matches_forward,
                        assert_gradient_close, assert_network_not_delegating,
                        call_network, call_shaped)
# _fail: the one-block failure, used by the chapter helpers outside this
# package (course_utils.mlp, course_utils.tensorcore_checks).
from .core import (CheckFailed, _fail, answered,  # noqa: F401
                   assert_close, call_checked, check, fail, passed, unpack)
from .delegation import assert_no_framework, assert_not_delegating

__all__ = ["answered", "assert_close", "assert_not_delegating",
           "call_checked", "check", "fail", "passed", "CheckFailed",
           "unpack", "assert_gradient_close",
           "assert_backward_matches_forward", "assert_no_framework",
           "call_shaped", "call_network", "assert_network_not_delegating",
           "unpack_in_order"]
