"""Write one worker result into nbgrader's gradebook and the status table.

Only the parent process calls this, one result at a time, so SQLite
never sees two writers from one grading run.
"""
import warnings

import nbformat
from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.utils import parse_utc

from .worker import REVIEW_FLAGS, grading_copy


def _timestamp(course, student, assignment):
    path = course.submission_dir(student, assignment) / "timestamp.txt"
    if path.is_file():
        try:
            return parse_utc(path.read_text().strip())
        except Exception:  # an unreadable timestamp is not worth a failure
            return None
    return None


def _save_autogrades(course, result, nb_result):
    """Let nbgrader score the executed notebook (stderr ignored)."""
    nb = nb_result.get("executed") or nbformat.read(
        nb_result["autograded"], as_version=4)
    resources = {"nbgrader": {
        "notebook": nb_result["notebook"], "db_url": course.db_url,
        "assignment": result["assignment"], "student": result["student"]}}
    SaveAutoGrades(config=course.config).preprocess(grading_copy(nb),
                                                    resources)


def _set_grades(gb, result, nb_name, score=None, hold=False,
                release=False):
    """Force auto scores (failed runs) or hold/release manual scores."""
    notebook = gb.find_submission_notebook(
        nb_name, result["assignment"], result["student"])
    for grade in notebook.grades:
        if grade.cell_type != "code" or grade.max_score_gradecell is None:
            continue
        if score is not None:
            grade.auto_score = score
            grade.needs_manual_grade = True
        if hold:
            grade.manual_score = 0.0
            grade.needs_manual_grade = True
        elif release:
            grade.manual_score = None
    gb.db.commit()


def flag_codes(flags):
    return {f.split(":", 1)[0] for f in flags}


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
        flags.append("error: the grader failed; see the log and regrade")
    for nb_result in result["notebooks"]:
        flags += nb_result["flags"]
        if nb_result["status"] == "graded":
            _save_autogrades(course, result, nb_result)
        else:
            failed = True
            messages.append(f"{nb_result['notebook']}: "
                            f"{nb_result['message']}")
            _set_grades(gb, result, nb_result["notebook"], score=0.0)
    codes = flag_codes(flags)
    hold = "tamper" in codes
    was_held = bool(previous and previous.get("held") == "yes")
    for nb_result in result["notebooks"]:
        if hold or was_held:
            _set_grades(gb, result, nb_result["notebook"], hold=hold,
                        release=not hold)
    submission = gb.find_submission(assignment, student)
    if failed:
        status = "failed"
    elif codes & REVIEW_FLAGS:
        status = "flagged"
    else:
        status = "graded"
    row = {"assignment": assignment, "student": student,
           "status": status, "isolation": result["isolation"],
           "score": submission.score, "max_score": submission.max_score,
           "flags": flags, "message": "; ".join(messages),
           "checksum": result["checksum"], "held": "yes" if hold else "no"}
    store.put(row)
    return row

