"""A term for one chapter with real Unix accounts, the way nbgrader's
exchange is meant to be used: one instructor and three students, each a
separate user, and a shared exchange outside the course folder.

release -> fetch -> submit (one student twice, one after the due date)
-> course-autograder collect / grade / feedback -> nbgrader
release_feedback -> fetch_feedback -> export.  Every student must get
their own feedback and nobody else's, submission times must survive, the
late submission must be marked late, and the CSV must say so.

Every account runs the class environment (tests/class_env.py: the
course installed outside the instructor's private checkout, the way
docs/instructors.md installs it in /opt), never the checkout's .venv.
Needs root (``useradd``; ``setfacl`` where the venv's Python lies below
/root): the test skips and says why otherwise.  The accounts it creates
are removed after.
"""
import csv
import datetime as dt
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from nbgrader_course import fill, make_course, solution_sources

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "01_numerical_derivatives"
NOTEBOOK = f"{CHAPTER}.ipynb"
COURSE_ID = "nn-from-the-derivative-up"


def _run(user, args, cwd, env, check=True, timeout=300):
    done = subprocess.run(
        ["runuser", "-u", user, "--", "env", "-i",
         *[f"{k}={v}" for k, v in env.items()], *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, (
            f"{user}: {' '.join(map(str, args))}\n{done.stdout}\n"
            f"{done.stderr[-4000:]}")
    return done


class Term:
    """The accounts, folders and commands of one term."""

    def __init__(self, base, classenv):
        tag = secrets.token_hex(3)
        self.base = base
        self.classenv = classenv
        self.python = classenv.python
        self.instructor = f"ci{tag}"
        self.students = [f"cs{tag}{n}" for n in "abc"]
        self.users = []
        self.course = base / "course"
        self.exchange = base / "exchange"

    def add_users(self):
        for user in [self.instructor, *self.students]:
            self.users.append(self.classenv.add_user(user, self.home(user)))

    def remove_users(self):
        """Delete the accounts; fail (a teardown error) if one is left."""
        self.classenv.remove_users(self.users)

    def home(self, user):
        return self.base / "home" / user

    def env(self, user):
        return {"HOME": str(self.home(user)), "USER": user,
                "LOGNAME": user, "LANG": "C.UTF-8",
                "PATH": f"{self.classenv.bin}:/usr/bin:/bin",
                "NBGRADER_EXCHANGE": str(self.exchange),
                "JUPYTER_PLATFORM_DIRS": "1"}

    def teacher(self, *args, check=True):
        """A command of the instructor, in the course folder."""
        return _run(self.instructor, args, self.course,
                    self.env(self.instructor), check)

    def autograder(self, *args, check=True):
        return self.teacher(self.python, "-m", "autograder",
                            "--course-root", self.course, *args,
                            check=check)

    def student(self, user, *args, check=True):
        """nbgrader as a student, from their home folder."""
        return _run(user, [self.python, "-m", "nbgrader", *args,
                           f"--Exchange.root={self.exchange}",
                           f"--CourseDirectory.course_id={COURSE_ID}",
                           "--Exchange.path_includes_course=True"],
                    self.home(user), self.env(user), check)

    def answer(self, user, right=True):
        """Write the student's answers into their fetched notebook: the
        reference answers (or none), signed with their name."""
        path = self.home(user) / COURSE_ID / CHAPTER / NOTEBOOK
        release = nbformat.read(path, 4)
        sources = solution_sources(nbformat.read(
            ROOT / "solutions" / CHAPTER / NOTEBOOK, 4)) if right else {}
        nb = fill(release, sources)
        for cell in nb.cells:
            if cell.cell_type == "code" and \
                    cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = f"# answers by {user}\n" + cell.source
        nbformat.write(nb, path)
        shutil.chown(path, user, user)


@pytest.fixture(scope="module")
def term(class_env):
    base = Path(tempfile.mkdtemp(prefix="course-term-"))
    base.chmod(0o755)
    (base / "home").mkdir(mode=0o755)
    t = Term(base, class_env)
    try:
        t.add_users()
        _run_term(t)
        yield t
    finally:
        try:
            t.remove_users()
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _run_term(t):
    # The instructor's course: readable by the instructor only.
    make_course(t.course, CHAPTER)
    subprocess.run(["chown", "-R", f"{t.instructor}:{t.instructor}",
                    str(t.course)], check=True)
    t.course.chmod(0o700)
    # The shared exchange, outside the course (what nbgrader would make).
    t.exchange.mkdir(mode=0o777)
    t.exchange.chmod(0o1777)
    t.autograder("release", CHAPTER)
    t.teacher(t.python, "-m", "nbgrader", "release_assignment",
              CHAPTER)
    ann, bob, cy = t.students
    for user in t.students:
        t.student(user, "fetch_assignment", CHAPTER)
    t.answer(ann)
    t.student(ann, "submit", CHAPTER)
    t.answer(bob, right=False)  # a first, blank submission...
    t.student(bob, "submit", CHAPTER)
    time.sleep(1.1)
    t.answer(bob)  # ...replaced by a right one
    t.student(bob, "submit", CHAPTER)
    time.sleep(1.1)
    t.due = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None,
                                                     microsecond=0)
    time.sleep(1.1)
    t.answer(cy)  # after the due date
    t.student(cy, "submit", CHAPTER)
    t.teacher(t.python, "-c", (
        "import datetime, sys; from autograder.course import Course\n"
        "with Course(sys.argv[1]).gradebook() as gb:\n"
        "    gb.update_or_create_assignment(sys.argv[2], duedate="
        "datetime.datetime.fromisoformat(sys.argv[3]))"),
        t.course, CHAPTER, t.due.isoformat())
    t.collected = t.autograder("collect", t.exchange)
    t.graded = t.autograder("grade", CHAPTER, "--jobs", "2", "--quiet")
    t.autograder("feedback", CHAPTER)
    t.teacher(t.python, "-m", "nbgrader", "release_feedback",
              CHAPTER)
    for user in t.students:
        t.student(user, "fetch_feedback", CHAPTER)
    t.autograder("export", "--output", t.course / "grades.csv")


def _inbound(t, user):
    """The student's inbound folders, oldest first."""
    return sorted(p for p in (t.exchange / COURSE_ID / "inbound").iterdir()
                  if p.name.startswith(user + "+"))


def test_every_student_gets_their_own_feedback_only(term):
    """Does each student fetch exactly their (latest) feedback, showing
    their answers and nobody else's?"""
    for user in term.students:
        got = sorted((term.home(user) / COURSE_ID / CHAPTER /
                      "feedback").rglob("*.html"))
        assert len(got) == 1, (user, got)
        latest = (_inbound(term, user)[-1] / "timestamp.txt").read_text()
        assert got[0].parent.name == latest.strip()
        text = got[0].read_text()
        assert f"answers by {user}" in text
        for other in term.students:
            if other != user:
                assert f"answers by {other}" not in text


def test_students_cannot_look_into_each_others_submissions(term):
    """Can a student list the exchange's submissions or feedback, or
    read the instructor's course (solutions, gradebook)?"""
    user = term.students[0]
    env = term.env(user)
    home = term.home(user)
    for folder in ("inbound", "feedback"):
        listing = _run(user, ["ls", term.exchange / COURSE_ID / folder],
                       home, env, check=False)
        assert listing.returncode != 0, listing.stdout
    for secret in (term.course / "solutions" / CHAPTER / NOTEBOOK,
                   term.course / "gradebook.db"):
        assert secret.is_file(), secret
        peek = _run(user, ["cat", secret], home, env, check=False)
        assert peek.returncode != 0 and not peek.stdout, secret


def test_students_run_the_class_environment_not_the_checkout(term):
    """Does a student's Python import the course from the class
    environment, with no path into the instructor's checkout left in it,
    and (where the checkout is private, as in CI) no way to read its
    solutions or gradebook?"""
    user = term.students[0]
    env = term.env(user)
    done = _run(user, [term.python, "-c",
                       "import autograder, course_utils, nbgrader\n"
                       "print(autograder.__file__)\n"
                       "print(course_utils.__file__)"],
                term.home(user), env)
    for path in done.stdout.split():
        assert path.startswith(str(term.classenv.prefix) + os.sep), path
    assert term.classenv.leaks() == []
    if not os.stat(ROOT).st_mode & 0o001 or \
            not all(os.stat(p).st_mode & 0o001 for p in ROOT.parents):
        for secret in sorted((ROOT / "solutions").glob("*/*.ipynb"))[:1] + \
                [ROOT / "gradebook.db"]:
            peek = _run(user, ["cat", secret], term.home(user), env,
                        check=False)
            assert peek.returncode != 0 and not peek.stdout, secret


def test_submission_times_survive_and_the_late_one_is_late(term):
    """Do the gradebook's times equal nbgrader submit's, with only the
    submission after the due date late, and the latest of two kept?"""
    from nbgrader.api import Gradebook
    out = term.collected.stdout
    assert "superseded" in out
    with Gradebook(f"sqlite:///{term.course / 'gradebook.db'}",
                   course_id=COURSE_ID) as gb:
        subs = {s.student_id: (str(s.timestamp), s.total_seconds_late,
                               s.score, s.max_score)
                for s in gb.assignment_submissions(CHAPTER)}
    assert set(subs) == set(term.students)
    for user in term.students:
        stamp = (_inbound(term, user)[-1] / "timestamp.txt").read_text()
        assert subs[user][0] == stamp.strip().replace(" UTC", "")
    ann, bob, cy = term.students
    assert subs[ann][1] == 0 and subs[bob][1] == 0
    assert subs[cy][1] > 0
    for user in term.students:  # all right answers, bob's second kept
        assert subs[user][2] == subs[user][3] > 0, (user, subs[user])
    assert len(_inbound(term, bob)) == 2


def test_csv_has_every_student_with_times_and_lateness(term):
    """Is the export right: nbgrader's columns, one row per student, the
    times, the due date and the late one marked late?"""
    from autograder.gradebook.reports import CSV_FIELDS
    with open(term.course / "grades.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == CSV_FIELDS
        rows = {r["student_id"]: r for r in reader}
    assert set(rows) == set(term.students)
    ann, bob, cy = term.students
    for user, row in rows.items():
        assert row["assignment"] == CHAPTER and row["status"] == "graded"
        assert row["duedate"] == str(term.due)
        assert float(row["score"]) == float(row["max_score"]) > 0
        stamp = (_inbound(term, user)[-1] / "timestamp.txt").read_text()
        assert row["timestamp"] == stamp.strip().replace(" UTC", "")
    assert float(rows[cy]["seconds_late"]) > 0
    assert float(rows[ann]["seconds_late"]) == 0
    assert float(rows[bob]["seconds_late"]) == 0

