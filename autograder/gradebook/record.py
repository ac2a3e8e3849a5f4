"""Write one worker result into nbgrader's gradebook and the status table.

Only the parent process calls this, one result at a time, so SQLite
never sees two writers from one grading run.
"""
import warnings

import nbformat
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.utils import parse_utc

from autograder.grading import flags as flagtable
from autograder.grading.flags import Flag


def _timestamp(course, student, assignment):
    path = course.submission_dir(student, assignment) / "timestamp.txt"
    if path.is_file():
        try:
            return parse_utc(path.read_text().strip())
        except Exception:  # an unreadable timestamp is not worth a failure
            return None
    return None


def _save_autogrades(course, result, nb_result):
    """Let nbgrader score the executed notebook."""
    nb = nb_result.get("executed") or nbformat.read(
        nb_result["autograded"], as_version=4)
    resources = {"nbgrader": {
        "notebook": nb_result["notebook"], "db_url": course.db_url,
        "assignment": result["assignment"], "student": result["student"]}}
    SaveAutoGrades(config=course.config).preprocess(nb, resources)


def _test_grades(course, gb, result, nb_name):
    """The gradebook grades of the notebook's autograded test cells.

    Manually graded answers (written or code) and task cells are never
    touched by the grader: their scores are the instructor's.
    """
    tests = set()
    for master in course.masters(result["assignment"]):
        if master.name == nb_name:
            tests = set(master.tests)
    notebook = gb.find_submission_notebook(
        nb_name, result["assignment"], result["student"])
    return [g for g in notebook.grades if g.name in tests]


def _fail_grades(course, gb, result, nb_name):
    """A run that failed: its test cells score 0, marked for review."""
    for grade in _test_grades(course, gb, result, nb_name):
        grade.auto_score = 0.0
        grade.needs_manual_grade = True
    gb.db.commit()


def _hold(course, gb, result, nb_name, saved):
    """Hold the test cells' points at 0 (manual score 0, needs manual
    grade); ``saved`` keeps each manual score the hold replaced."""
    for grade in _test_grades(course, gb, result, nb_name):
        saved.setdefault(grade.name, grade.manual_score)
        grade.manual_score = 0.0
        grade.needs_manual_grade = True
    gb.db.commit()


def _release(course, gb, result, nb_name, saved):
    """Undo a hold: put back the manual scores it replaced, and only
    where the hold's 0 is still there (an instructor's review stays)."""
    for grade in _test_grades(course, gb, result, nb_name):
        if grade.name in saved and grade.manual_score == 0.0:
            grade.manual_score = saved[grade.name]
            grade.needs_manual_grade = grade.manual_score is not None
    gb.db.commit()


def pending_points(submission):
    """Points of cells that wait for a manual grade (written answers,
    manually graded code, tasks) and have none yet."""
    return sum(float(g.max_score) for nb in submission.notebooks
               for g in nb.grades
               if g.auto_score is None and g.manual_score is None)


def record(course, gb, store, result):
    """Record a worker result; return the status row written."""
    with warnings.catch_warnings():
        # nbgrader's add_submission trips a harmless SQLAlchemy warning.
        warnings.simplefilter("ignore")
        return _record(course, gb, store, result)


def _record(course, gb, store, result):
    student, assignment = result["student"], result["assignment"]
    previous = store.get(assignment, student)
    gb.update_or_create_student(student)
    gb.update_or_create_submission(
        assignment, student,
        timestamp=_timestamp(course, student, assignment))
    flags, messages, failed = [], [], bool(result["error"])
    if result["error"]:
        messages.append("internal error: " +
                        result["error"].strip().splitlines()[-1])
        flags.append(Flag.ERROR.text("the grader failed; see the log and "
                                     "regrade"))
    for nb_result in result["notebooks"]:
        flags += nb_result["flags"]
        if nb_result["status"] == "graded":
            _save_autogrades(course, result, nb_result)
        else:
            failed = True
            messages.append(f"{nb_result['notebook']}: "
                            f"{nb_result['message']}")
            _fail_grades(course, gb, result, nb_result["notebook"])
    codes = flagtable.codes(flags)
    hold = Flag.TAMPER.value in codes
    was_held = bool(previous and previous.get("held") == "yes")
    held_cells = previous.get("held_cells", {}) if was_held else {}
    for nb_result in result["notebooks"]:
        name = nb_result["notebook"]
        if hold:
            _hold(course, gb, result, name, held_cells.setdefault(name, {}))
        elif was_held:
            _release(course, gb, result, name, held_cells.get(name, {}))
    if not hold:
        held_cells = {}
    submission = gb.find_submission(assignment, student)
    if failed:
        status = "failed"
    elif codes & flagtable.REVIEW:
        status = "flagged"
    else:
        status = "graded"
    row = {"assignment": assignment, "student": student,
           "status": status, "isolation": result["isolation"],
           "score": submission.score, "max_score": submission.max_score,
           "flags": flags, "message": "; ".join(messages),
           "checksum": result["checksum"], "held": "yes" if hold else "no",
           "held_cells": held_cells, "tests": result.get("tests")}
    store.put(row)
    return dict(row, pending=pending_points(submission),
                seconds=result.get("seconds"),
                peak_mb=result.get("peak_mb"))
