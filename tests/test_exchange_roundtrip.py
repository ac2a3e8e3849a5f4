"""nbgrader's exchange with the course configuration, one Unix user.

The instructor releases to an exchange outside the course folder; a
student fetches and submits twice with nbgrader's own commands; a second
(late) student's submission is placed in the inbound folder the way
`nbgrader submit` names it.  Both `nbgrader collect` and
`course-autograder collect` must keep nbgrader's timestamp.txt and
submission_secret.txt (the course's ``CourseDirectory.ignore`` once
dropped every .txt), so that the late submission is marked late and
`nbgrader release_feedback` / `fetch_feedback` hand each student their
feedback.  The export has nbgrader's CSV columns, then the course's.
"""
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.course import Course
from autograder.gradebook.reports import COURSE_CSV_FIELDS, NBGRADER_CSV_FIELDS
from redteam.course import ASSIGNMENT, NOTEBOOK, make_course
from redteam.submissions import WRONG, notebook

COURSE_ID = "nn-from-the-derivative-up"
# Due tomorrow: the real submissions are on time, the placed one late.
DUE = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).replace(
    tzinfo=None, microsecond=0)
LATE = DUE + dt.timedelta(hours=21.5)
LATE_STAMP = LATE.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _env(exchange, home, root=None):
    env = dict(os.environ)
    if root is not None:  # the course copy, never this repository
        env["NBGRADER_COURSE_ROOT"] = str(root)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["NBGRADER_EXCHANGE"] = str(exchange)
    env["JUPYTER_DATA_DIR"] = str(home / "data")  # nbgrader's submit cache
    env["JUPYTER_CONFIG_DIR"] = str(home / "config")
    env.pop("NBGRADER_DB_URL", None)
    return env


def nbgrader(cwd, env, *args):
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=INFO"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _student_args(exchange):
    return [f"--Exchange.root={exchange}",
            f"--CourseDirectory.course_id={COURSE_ID}",
            "--Exchange.path_includes_course=True"]


def _answer(path, root, **answers):
    path.write_text(json.dumps(notebook(str(root), **answers)))


def test_configuration_keeps_nbgraders_own_files():
    """Does the course's ignore list spare nbgrader's submission files
    (and release a chapter's .txt data) while dropping caches and text
    twins of solutions?"""
    from nbgrader.utils import ignore_patterns, is_ignored
    course = Course(Path(__file__).resolve().parent.parent)
    globs = list(course.coursedir.ignore)
    names = ["timestamp.txt", "submission_secret.txt", "data.txt",
             "answers.ipynb", "helpers.py", "notes.md", "x.pyc",
             "__pycache__", ".ipynb_checkpoints"]
    dropped = ignore_patterns(exclude=globs)("/nowhere", names)
    assert set(dropped) == {"helpers.py", "notes.md", "x.pyc",
                            "__pycache__", ".ipynb_checkpoints"}
    assert not is_ignored("/a/timestamp.txt", globs)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """One assignment's term through nbgrader's exchange."""
    base = tmp_path_factory.mktemp("term")
    root = make_course(base / "course")
    exchange = base / "exchange"  # outside the course folder
    exchange.mkdir()
    instructor = _env(exchange, base / "instructor", root)
    student_home = base / "student"
    student_home.mkdir()
    student = _env(exchange, student_home)
    old = dict(os.environ)
    os.environ["NBGRADER_EXCHANGE"] = str(exchange)
    try:
        assert main(["--course-root", str(root), "release"]) == 0
        with Course(root).gradebook() as gb:
            gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
    finally:
        os.environ.clear()
        os.environ.update(old)
    nbgrader(root, instructor, "release_assignment", ASSIGNMENT)
    args = _student_args(exchange)
    nbgrader(student_home, student, "fetch_assignment", ASSIGNMENT, *args)
    mine = student_home / COURSE_ID / ASSIGNMENT / NOTEBOOK
    _answer(mine, root, **WRONG)
    nbgrader(student_home, student, "submit", ASSIGNMENT, *args)
    _answer(mine, root)  # the second, right, submission must win
    nbgrader(student_home, student, "submit", ASSIGNMENT, *args)
    inbound = exchange / COURSE_ID / "inbound"
    own = sorted(inbound.iterdir())
    assert len(own) == 2
    me = own[0].name.split("+")[0]
    # A second student who submitted after the due date, named the way
    # `nbgrader submit` names an inbound folder.
    late_time = LATE_STAMP
    late = inbound / f"bea+{ASSIGNMENT}+{late_time}+0123456789abcdef"
    shutil.copytree(own[0], late)
    (late / "timestamp.txt").write_text(late_time)
    (late / "submission_secret.txt").write_text("bea-secret")
    (late / NOTEBOOK).write_text(json.dumps(notebook(str(root))))
    return {"root": root, "exchange": exchange, "instructor": instructor,
            "student": student, "student_home": student_home, "me": me,
            "own": own, "late": late, "args": args}


def test_nbgrader_collect_keeps_timestamp_and_secret(term, tmp_path):
    """Does `nbgrader collect` with the course configuration keep the
    submission time and secret of each submission?"""
    copy = tmp_path / "course"
    shutil.copytree(term["root"], copy)
    shutil.rmtree(copy / "submitted", ignore_errors=True)
    env = dict(term["instructor"], NBGRADER_COURSE_ROOT=str(copy))
    nbgrader(copy, env, "collect", ASSIGNMENT)
    for student in (term["me"], "bea"):
        folder = copy / "submitted" / student / ASSIGNMENT
        assert (folder / NOTEBOOK).is_file()
        assert (folder / "timestamp.txt").read_text().strip()
        assert (folder / "submission_secret.txt").read_text().strip()
    newest = term["own"][-1]
    assert (copy / "submitted" / term["me"] / ASSIGNMENT /
            "timestamp.txt").read_text() == \
        (newest / "timestamp.txt").read_text()


@pytest.fixture(scope="module")
def graded(term):
    """course-autograder collect (from the exchange), grade, feedback,
    then nbgrader's release_feedback."""
    root, env = term["root"], term["instructor"]

    def cli(*args):
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "--course-root", str(root),
             *args], capture_output=True, text=True, env=env, timeout=300)
        return done

    collected = cli("collect", str(term["exchange"]))
    assert collected.returncode == 0, collected.stdout + collected.stderr
    graded = cli("grade", ASSIGNMENT, "--jobs", "2", "--quiet")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    feedback = cli("feedback", ASSIGNMENT)
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    released = nbgrader(root, env, "release_feedback", ASSIGNMENT)
    out = term["root"].parent / "grades.csv"
    exported = cli("export", "--output", str(out))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    return {"collect": collected, "released": released, "csv": out}


def test_collect_reads_the_inbound_folder(term, graded):
    """Does course-autograder collect map student+assignment+time+random
    folders, keep the latest of a student's submissions with its time,
    and carry the secret of that submission?"""
    root = term["root"]
    out = graded["collect"].stdout
    assert f"imported {ASSIGNMENT} for {term['me']}" in out
    assert f"imported {ASSIGNMENT} for bea" in out
    assert "superseded" in out
    folder = root / "submitted" / term["me"] / ASSIGNMENT
    newest = term["own"][-1]
    assert (folder / NOTEBOOK).read_bytes() == \
        (newest / NOTEBOOK).read_bytes()
    assert (folder / "submission_secret.txt").read_bytes() == \
        (newest / "submission_secret.txt").read_bytes()
    assert (root / "submitted" / "bea" / ASSIGNMENT /
            "timestamp.txt").read_text() == LATE_STAMP


def test_late_submission_is_late_and_times_survive(term, graded):
    """Does the gradebook hold each submission's time, the late one
    marked late and the right answers scored?"""
    course = Course(term["root"])
    with course.gradebook() as gb:
        subs = {s.student_id: (s.timestamp, s.total_seconds_late, s.score)
                for s in gb.assignment_submissions(ASSIGNMENT)}
    stamp = (term["own"][-1] / "timestamp.txt").read_text().strip()
    assert str(subs[term["me"]][0]) == stamp.replace(" UTC", "")
    assert subs["bea"][0] == LATE
    assert subs["bea"][1] == 21.5 * 3600
    assert subs[term["me"]][1] == 0
    assert subs[term["me"]][2] == 5 and subs["bea"][2] == 5


def test_feedback_reaches_the_exchange_and_the_student(term, graded):
    """Does release_feedback publish every student's feedback, and does
    fetch_feedback bring the student theirs?"""
    root = term["root"]
    for student in (term["me"], "bea"):
        folder = root / "feedback" / student / ASSIGNMENT
        assert (folder / "fx01_basics.html").is_file()
        assert (folder / "submission_secret.txt").is_file()
    published = list((term["exchange"] / COURSE_ID / "feedback").iterdir())
    assert len(published) == 2, graded["released"]
    nbgrader(term["student_home"], term["student"], "fetch_feedback",
             ASSIGNMENT, *term["args"])
    got = list((term["student_home"] / COURSE_ID / ASSIGNMENT /
                "feedback").rglob("*.html"))
    assert len(got) == 1 and got[0].name == "fx01_basics.html"
    stamp = (term["own"][-1] / "timestamp.txt").read_text().strip()
    assert got[0].parent.name == stamp


def test_export_has_nbgraders_columns_then_ours(term, graded):
    """Does the CSV start with nbgrader's CSV export columns, in its
    order, with the submission times and the course's status after?"""
    with open(graded["csv"], newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == NBGRADER_CSV_FIELDS + COURSE_CSV_FIELDS
        rows = {r["student_id"]: r for r in reader}
    assert set(rows) == {term["me"], "bea"}
    bea = rows["bea"]
    assert bea["timestamp"] == str(LATE)
    assert bea["duedate"] == str(DUE)
    assert float(bea["raw_score"]) == 5.0 and float(bea["score"]) == 5.0
    assert float(bea["max_score"]) == 5.0
    assert bea["status"] == "graded" and bea["assignment"] == ASSIGNMENT
    assert float(bea["seconds_late"]) == 21.5 * 3600
    assert float(rows[term["me"]]["seconds_late"]) == 0
