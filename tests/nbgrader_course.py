"""A throw-away copy of the course for grading tests (nbgrader 0.9).

``make_course(dest)`` copies what nbgrader needs (the two config files,
autograder/, one assignment's solutions/) into ``dest``: the copied
autograder/nbgrader_config.py puts the gradebook and the exchange inside
``dest``, never in the real course.  ``grade(dest, ...)`` then runs, in ONE
Python process per course (nbgrader's start-up costs seconds),
generate_assignment, autograde for every submitted student,
generate_feedback and the CSV export, and returns every graded cell's
score.  Several course copies are graded concurrently, one per core.

The notebook helpers build submissions the way a student would: take the
release and fill in its solution cells.

Run as a script (what ``grade`` does in a subprocess):
    python tests/nbgrader_course.py COURSE_ROOT ASSIGNMENT OUT_JSON
"""
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")


# --------------------------------------------------------------------------
# Course copies and submissions
# --------------------------------------------------------------------------
def make_course(dest, assignment):
    """Copy the configuration and one assignment's source into dest."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    shutil.copytree(ROOT / "autograder", dest / "autograder", ignore=IGNORE,
                    dirs_exist_ok=True)
    shutil.copytree(ROOT / "solutions" / assignment,
                    dest / "solutions" / assignment, ignore=IGNORE)
    return dest


def submit(course, assignment, student, notebooks):
    """Write {filename: notebook} as student's submission."""
    folder = Path(course) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for filename, nb in notebooks.items():
        nbformat.write(nb, folder / filename)


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_solution(cell):
    return cell.metadata.get("nbgrader", {}).get("solution", False)


def solution_sources(source_nb):
    """{grade_id: source} of the solution cells, markers removed."""
    out = {}
    for cell in source_nb.cells:
        if is_solution(cell) and cell.cell_type == "code":
            lines = [
                line for line in cell.source.splitlines()
                if line.strip() not in ("### BEGIN SOLUTION",
                                        "### END SOLUTION")
            ]
            out[grade_id(cell)] = "\n".join(lines)
    return out


def fill(release_nb, sources, drop_ungraded_code=False):
    """A copy of release_nb with solution cells replaced by sources.

    sources: {grade_id: code}; cells not named keep the release stub.
    drop_ungraded_code: also remove unlocked, ungraded code cells (demos
    and plots): they do not affect grading and cost time to execute.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    kept = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grade_id(cell) in sources:
            cell.source = sources[grade_id(cell)]
        elif (drop_ungraded_code and cell.cell_type == "code"
              and not meta.get("locked") and not meta.get("solution")):
            continue
        kept.append(cell)
    nb.cells = kept
    return nb


# --------------------------------------------------------------------------
# Grading, in one subprocess
# --------------------------------------------------------------------------
def grade(courses, assignment, timeout=600, tool="nbgrader", jobs=1):
    """Release, autograde every submission, feedback, CSV; return scores.

    courses: one course folder, or several graded concurrently (one
    process each, each with its own gradebook: use one per core).
    ``tool``: "nbgrader" (stock ``nbgrader autograde``, the reference)
    or "autograder" (``course-autograder grade`` with ``jobs`` workers,
    the production grader; its result also has "rows", the report's
    {student: {"score", "flags", "status"}}).
    Returns {"scores": {student: {notebook: {cell: [score, max]}}},
             "feedback": [html paths], "csv": [paths], "errors": {...},
             "autograded": [autograded notebook paths]}.
    ``failure_messages(path)`` reads what a student sees in each cell.
    """
    if isinstance(courses, (str, Path)):
        courses = [courses]
    running = [_start(course, assignment, tool, jobs) for course in courses]
    return _merge([_finish(run, timeout) for run in running])


def grade_both(autograder_course, nbgrader_courses, assignment, jobs=1,
               timeout=900):
    """``course-autograder grade`` of one course and stock nbgrader of
    others, all at once; returns (autograder result, nbgrader result).
    nbgrader is the reference for the scores only: it writes no feedback
    and no CSV (nobody reads them, and feedback costs a second or so a
    notebook)."""
    ours = _start(autograder_course, assignment, "autograder", jobs)
    theirs = [_start(c, assignment, "nbgrader-scores", 1)
              for c in nbgrader_courses]
    ours = _merge([_finish(ours, timeout)])
    return ours, _merge([_finish(run, timeout) for run in theirs])


def _start(course, assignment, tool, jobs):
    course = Path(course)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    out_json = course / "grading.json"
    # The copied config already points inside `course`; these make sure
    # an instructor's environment cannot redirect it elsewhere.
    env.update(
        NBGRADER_COURSE_ROOT=str(course),
        NBGRADER_DB_URL=f"sqlite:///{course / 'gradebook.db'}",
        NBGRADER_EXCHANGE=str(course / "exchange"),
    )
    proc = subprocess.Popen(
        [sys.executable, __file__, str(course), assignment, str(out_json),
         tool, str(jobs)],
        cwd=course, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        # its own process group: a timeout stops the grader's workers too
        start_new_session=True,
    )
    return proc, out_json


def _finish(run, timeout):
    proc, out_json = run
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
    if proc.returncode != 0 or not out_json.exists():
        raise RuntimeError(f"grading failed: {out_json.parent} "
                           f"({proc.returncode}):\n{stdout[-3000:]}\n"
                           f"{stderr[-5000:]}")
    return json.loads(out_json.read_text())


def _merge(results):
    merged = {"scores": {}, "feedback": [], "csv": [], "errors": {},
              "autograded": [], "rows": {}}
    for result in results:
        merged["scores"].update(result["scores"])
        merged["feedback"] += result["feedback"]
        merged["csv"].append(result["csv"])
        merged["errors"].update(result["errors"])
        merged["autograded"] += result["autograded"]
        merged["rows"].update(result.get("rows", {}))
    return merged


def _run_nbgrader(course, assignment, out_json, scores_only=False):
    """The subprocess side of grade(): nbgrader's Python API, once;
    ``scores_only``: autograde only (no feedback, no CSV)."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.plugins import CsvExportPlugin
    from traitlets.config.loader import PyFileConfigLoader

    course = Path(course).resolve()
    os.chdir(course)
    # As `python -m nbgrader` run from the course root: a configuration
    # may import a module beside it.
    sys.path.insert(0, str(course))
    config = PyFileConfigLoader("nbgrader_config.py",
                                path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    config.Application.log_level = "WARN"
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    errors = {}

    result = api.generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(result.get("error", result.get("log")))
    students = sorted(p.name for p in (course / "submitted").iterdir())
    for student in students:
        # The reference must not be the flaky side: a run that fails (a
        # kernel that did not start in time on a loaded machine) gets one
        # more try, and a failure keeps nbgrader's log, which says why.
        for _ in range(2):
            result = api.autograde(assignment, student, force=True,
                                   create=True)
            if result["success"]:
                errors.pop(student, None)
                break
            errors[student] = "\n".join(
                str(result.get(key) or "") for key in ("log", "error"))
    csv_path = course / "grades.csv"
    if not scores_only:
        result = api.generate_feedback(assignment, force=True)
        if not result["success"]:
            errors["feedback"] = result.get("error") or result.get("log")
        with Gradebook(coursedir.db_url) as gb:
            CsvExportPlugin(config=config, to=str(csv_path)).export(gb)
    _write_result(course, coursedir.db_url, assignment, students, csv_path,
                  errors, out_json)


def _run_autograder(course, assignment, out_json, jobs):
    """The subprocess side of grade(tool="autograder"): the instructor's
    commands, as a term would run them."""
    from autograder.cli import main
    from autograder.course import Course
    from autograder.gradebook.reports import status_rows

    course = Path(course).resolve()
    os.chdir(course)
    root = ["--course-root", str(course)]
    errors = {}
    if main(root + ["release", assignment]) != 0:
        raise RuntimeError("course-autograder release failed")
    status = main(root + ["grade", assignment, "--jobs", str(jobs),
                          "--quiet"])
    if status not in (0, 1):
        errors["grade"] = f"exit {status}"
    if main(root + ["feedback", assignment]) != 0:
        errors["feedback"] = "course-autograder feedback failed"
    csv_path = course / "grades.csv"
    if main(root + ["export", "--output", str(csv_path)]) != 0:
        errors["export"] = "course-autograder export failed"
    rows = {r["student"]: {"score": r["score"], "flags": r["flags"],
                           "status": r["status"]}
            for r in status_rows(Course(str(course)), assignment)}
    students = sorted(p.name for p in (course / "submitted").iterdir())
    _write_result(course, Course(str(course)).db_url, assignment, students,
                  csv_path, errors, out_json, rows)


def _write_result(course, db_url, assignment, students, csv_path, errors,
                  out_json, rows=None):
    from nbgrader.api import Gradebook
    scores = {}
    with Gradebook(db_url) as gb:
        for student in students:
            submission = gb.find_submission(assignment, student)
            scores[student] = {
                nb.name: {g.name: [g.score, g.max_score] for g in nb.grades}
                for nb in submission.notebooks
            }
    feedback = sorted(
        str(p) for p in (course / "feedback").rglob("*.html")
    )
    autograded = sorted(
        str(p) for p in (course / "autograded").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )
    Path(out_json).write_text(json.dumps(
        {"scores": scores, "feedback": feedback, "csv": str(csv_path),
         "errors": errors, "autograded": autograded, "rows": rows or {}},
        indent=1))


def failure_messages(notebook_path):
    """{grade_id: text} of every cell's error output in a graded notebook.

    The text is the traceback as the student sees it (ANSI colours
    removed); a cell without an error output is left out.
    """
    import re

    nb = nbformat.read(notebook_path, 4)
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = "\n".join(output.get("traceback", []))
                out[grade_id(cell)] = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return out


if __name__ == "__main__":
    if sys.argv[4:5] == ["autograder"]:
        _run_autograder(*sys.argv[1:4], int(sys.argv[5]))
    else:
        _run_nbgrader(*sys.argv[1:4],
                      scores_only=sys.argv[4:5] == ["nbgrader-scores"])


def graded_once(request, tmp_path_factory, name, build):
    """build(folder)'s result (JSON data), computed once per test session.

    Under pytest-xdist every worker that asks for it gets the same result:
    the first builds it (grading is the slow part) while the others wait
    on a lock, then read the cached JSON.  A failure is cached too, so the
    other workers fail fast instead of grading again.  Without xdist the
    cache still holds: a module-scoped fixture set up again after tests
    of other modules (tests/conftest.py orders them so) grades nothing.
    """
    import fcntl

    import pytest

    shared = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # this run's, not a worker's
        shared = shared.parent
    cache = shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            try:
                result = build(shared / name)
            except Exception as err:  # other workers fail fast, not retry
                cache.write_text(json.dumps({"failed": repr(err)}))
                raise
            cache.write_text(json.dumps(result))
        result = json.loads(cache.read_text())
    if "failed" in result:
        pytest.fail(f"grading failed in another worker: {result['failed']}")
    return result
