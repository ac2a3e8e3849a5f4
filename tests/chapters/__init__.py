"""Every chapter's grading batch, as data (read by tests/test_chapters.py).

A module ``chNN`` describes one chapter; tests/test_chapters.py grades
its batch once through ``course-autograder grade`` (stock nbgrader grades
it too, all but the later wrong students, as the reference for
tests/test_grading_parity.py) and
checks all of it.  What a module holds:

``ASSIGNMENT``   the assignment (and notebook) name.
``POINTS``       the notebook's total, pinned.
``EXERCISES``    {exercise: {graded cell: points}}.
``WRONG``        {exercise: [(what, code, score of the exercise, ...)]}:
                 student ``wrongK`` carries the K-th mistake of every
                 exercise that has one, the solution elsewhere.
``students(right)``  [(name, {solution cell: source})]: the batch besides
                 ``stub`` (the blank release) and ``solution``; ``right``
                 is the solution's sources.
``RIGHT``        the students besides the solution who keep full marks
                 (loops, other names, other containers, another seed).
``PINNED``       {student: {exercise: score}} for the students the wrongK
                 rule does not describe (optional).
``MESSAGES``     [(student, graded cell, words, absent)]: the cell fails
                 for the student and its message (wrapped lines joined)
                 says every one of ``words`` (a string or a tuple) and
                 none of ``absent``.
``BLOCKS``       True: each of those messages is one short block (a
                 check's question and diagnosis, no traceback).
``MESSAGE_SHAPE``  (most lines, widest line) of each message, or None.
``FEEDBACK``     (student, words, absent) of that student's HTML page.
``VALIDATE_AGREES``  True: the release's visible tests, run as Validate
                 runs them on every student, never claim more than
                 grading gives (chapter_grading.run_cells).
``IN_PROCESS``   {exercise: [(what, code, score)]}: more mistakes graded
                 without a grading run, by the solution notebook's graded
                 cells (hidden tests included) run in this process;
                 ``VISIBLE_MISTAKES`` {(exercise, what): (cells, words)}
                 names the visible failure each must show.
``CHECKS``       chapter-specific checks that are code: functions taking
                 the graded result (or nothing, for static checks).
"""
import functools
import importlib

import nbformat

from chapter_grading import Chapter, grade_batch, run_cells
from nbgrader_course import ROOT, graded_once, solution_sources

NAMES = ["ch01", "ch02", "ch03", "ch04", "ch05", "ch06"]
_graded = {}


def load(name):
    """The data module of a chapter ("ch01" ...)."""
    return importlib.import_module(f"chapters.{name}")


def chapter(name):
    """The Chapter describing a chapter's batch."""
    module = load(name)
    return Chapter(module.ASSIGNMENT, module.EXERCISES, module.WRONG,
                   getattr(module, "PINNED", {}))


def graded(request, tmp_path_factory, name):
    """The chapter's batch, graded once per test session by
    course-autograder and by stock nbgrader (shared across xdist
    workers through graded_once, and within one by this cache)."""
    if name not in _graded:
        module = load(name)
        _graded[name] = graded_once(
            request, tmp_path_factory, f"{name}_grading",
            lambda folder: grade_batch(folder, module.ASSIGNMENT,
                                       module.students))
    return _graded[name]


@functools.cache
def right(name):
    """{solution cell: source} of the chapter's solution."""
    assignment = load(name).ASSIGNMENT
    return solution_sources(nbformat.read(
        ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4))


def batch(name):
    """{student: {solution cell: source}} of the batch but the blank
    release."""
    return dict([("solution", right(name))] + load(name).students(right(name)))


@functools.cache
def visible(name):
    """{student: {graded cell: what Validate shows}} for every student of
    the batch but the blank release (chapter_grading.run_cells)."""
    assignment = load(name).ASSIGNMENT
    return {student: run_cells(ROOT / "notebooks" / assignment,
                               f"{assignment}.ipynb", sources)
            for student, sources in batch(name).items()}
