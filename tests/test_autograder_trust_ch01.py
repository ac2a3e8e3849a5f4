"""Chapter 01's own test cells under the trusted grader, unchanged.

`course-autograder grade` runs every graded test cell in the grader's
process with proxies for the student's answers (autograder.trusted.verdicts).
This grades chapter 01's blank release, its solution and some of
tests/test_ch01_grading.py's wrong students that way and pins each
exercise's score to the one plain nbgrader gives.
"""
import fcntl
import json
import os
from pathlib import Path

import nbformat
import pytest

import test_ch01_grading as ch01
from autograder.cli import main
from autograder.course import Course
from autograder.grading import grade
from nbgrader_course import ROOT, failure_messages, fill, make_course
from nbgrader_course import solution_sources, submit

# Wrong students with delegation (3 and 5), in-place changes (3, 4)
# and shape mistakes (5, 6).
WRONG_STUDENTS = (3, 4, 5, 6)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the batch once, shared by xdist workers (file lock)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, shared by its workers
    shared = base / "ag-trust-ch01"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "rows.json"
        if not done.exists():
            done.write_text(json.dumps(_grade(shared)))
        rows = json.loads(done.read_text())
    return shared / "course", rows


def _grade(base):
    course = make_course(base / "course", ch01.ASSIGNMENT)
    assert main(["--course-root", str(course), "release"]) == 0
    release = nbformat.read(ROOT / "notebooks" / ch01.ASSIGNMENT /
                            ch01.NOTEBOOK, 4)
    source = nbformat.read(ROOT / "solutions" / ch01.ASSIGNMENT /
                           ch01.NOTEBOOK, 4)
    right = solution_sources(source)
    submit(course, ch01.ASSIGNMENT, "stub", {ch01.NOTEBOOK: release})
    submit(course, ch01.ASSIGNMENT, "solution",
           {ch01.NOTEBOOK: fill(release, right)})
    for k in WRONG_STUDENTS:
        sources = dict(right, choose_h=ch01.RIGHT_CHOOSE_H)
        for ex, variants in ch01.WRONG.items():
            if k < len(variants):
                sources[ch01.SOLUTION_CELL[ex]] = variants[k][1].strip() \
                    + "\n"
        submit(course, ch01.ASSIGNMENT, f"wrong{k}", {ch01.NOTEBOOK: fill(
            release, sources, drop_ungraded_code=True)})
    # Correct answers that print inside forward_difference: a line per
    # call, or 300 kB per call (more than a cell may keep).
    for student, text in (("chatty", "'checking forward_difference'"),
                          ("flood", "'x' * 300_000")):
        sources = dict(right)
        sources["forward_difference"] = _print_first(
            right["forward_difference"], "forward_difference", text)
        submit(course, ch01.ASSIGNMENT, student,
               {ch01.NOTEBOOK: fill(release, sources)})
    summary = grade(Course(course), ch01.ASSIGNMENT, jobs=2,
                    progress=False)
    return {r["student"]: {"score": r["score"], "flags": r["flags"]}
            for r in summary.rows}


def _print_first(source, name, text):
    """``source`` with ``print(text)`` as the first statement of the
    function ``name``."""
    head = next(line for line in source.splitlines()
                if line.startswith(f"def {name}("))
    return source.replace(head, f"{head}\n    print({text})", 1)


def _cell_points(path):
    nb = nbformat.read(path, 4)
    errors = failure_messages(path)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = 0 if meta["grade_id"] in errors \
                else meta["points"]
    return out, errors


@pytest.mark.parametrize("student", ["stub", "solution"] + [
    f"wrong{k}" for k in WRONG_STUDENTS])
def test_chapter01_scores_as_with_nbgrader(graded, student):
    """Does every exercise score what plain nbgrader gives it?"""
    course, rows = graded
    path = Path(course) / "autograded" / student / ch01.ASSIGNMENT / \
        ch01.NOTEBOOK
    points, errors = _cell_points(path)
    for ex, cells in ch01.EXERCISES.items():
        got = sum(points[c] for c in cells)
        assert got == ch01._expected(student)[ex], (ex, errors)
    assert rows[student]["score"] == sum(ch01._expected(student).values())
    codes = {f.split(":", 1)[0] for f in rows[student]["flags"]}
    assert "tamper" not in codes, rows[student]


def test_messages_name_the_problem(graded):
    """Do students read the stub and delegation messages?"""
    course, _ = graded

    def messages(student):
        return failure_messages(Path(course) / "autograded" / student /
                                ch01.ASSIGNMENT / ch01.NOTEBOOK)
    assert "NotImplementedError" in messages("stub")[
        "test_forward_difference_values"]
    # The test cell runs in the student's kernel first, as under
    # nbgrader: the student reads the delegation check's own message.
    assert "calling a ready-made version does not count" in " ".join(
        messages("wrong3")["test_forward_difference_values"].split())
    assert "numpy.gradient" in messages("wrong5")[
        "test_central_difference_values"]


def test_prints_inside_a_call_reach_the_test_cell(graded):
    """What the student's function prints while a test calls it shows in
    that test cell's output (as in the student's own kernel), and a
    flood of it is cut at the cell's limit without costing a point."""
    course, rows = graded
    full = sum(ch01._expected("solution").values())
    for student in ("chatty", "flood"):
        assert rows[student]["score"] == full, rows[student]
    nb = nbformat.read(Path(course) / "autograded" / "chatty" /
                       ch01.ASSIGNMENT / ch01.NOTEBOOK, 4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") == "test_forward_difference_values")
    text = "".join(o.get("text", "") for o in cell.outputs
                   if o.get("name") == "stdout")
    assert "checking forward_difference" in text
    assert "\u2713" in text  # the passing line comes after the prints
    codes = {f.split(":", 1)[0] for f in rows["flood"]["flags"]}
    assert "output-truncated" in codes, rows["flood"]
    assert "tamper" not in codes, rows["flood"]
