"""A term for one chapter with real Unix accounts, the way nbgrader's
exchange is meant to be used: one instructor and three students, each a
separate user, and a shared exchange outside the course folder.

release -> fetch -> submit (one student twice, one after the due date)
-> course-autograder collect / grade / feedback -> nbgrader
release_feedback -> fetch_feedback -> export.  Every student must get
their own feedback and nobody else's, submission times must survive, the
late submission must be marked late, and the CSV must say so.

Needs root (``useradd``), and a course Python every user may run (a
.venv made from a Python under /root, mode 0700, is not): the test skips
and says why otherwise.  The accounts it creates are removed after.
"""
import csv
import datetime as dt
import os
import pwd
import secrets
import shutil
import subprocess
import sys
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
BIN = Path(sys.executable).parent


def _why_not():
    """The reason this machine cannot run the test, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "creating Unix accounts needs root"
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None,
                                reason=str(_why_not()))


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

    def __init__(self, base):
        tag = secrets.token_hex(3)
        self.base = base
        self.instructor = f"ci{tag}"
        self.students = [f"cs{tag}{n}" for n in "abc"]
        self.users = []
        self.course = base / "course"
        self.exchange = base / "exchange"

    def add_users(self):
        for user in [self.instructor, *self.students]:
            subprocess.run(
                ["useradd", "--create-home", "--home-dir",
                 str(self.base / "home" / user), "--user-group",
                 "--shell", "/bin/sh", user],
                check=True, capture_output=True, timeout=60)
            self.users.append(user)

    def remove_users(self):
        """Delete the accounts; fail (a teardown error) if one is left."""
        for user in self.users:
            subprocess.run(["userdel", "--remove", "--force", user],
                           capture_output=True, timeout=60)
            subprocess.run(["groupdel", user], capture_output=True,
                           timeout=60)
        left = []
        for user in self.users:
            try:
                pwd.getpwnam(user)
                left.append(user)
            except KeyError:
                pass
        assert not left, f"could not remove the accounts {left}"

    def home(self, user):
        return self.base / "home" / user

    def env(self, user):
        return {"HOME": str(self.home(user)), "USER": user,
                "LOGNAME": user, "LANG": "C.UTF-8",
                "PATH": f"{BIN}:/usr/bin:/bin",
                "NBGRADER_EXCHANGE": str(self.exchange),
                "JUPYTER_PLATFORM_DIRS": "1"}

    def teacher(self, *args, check=True):
        """A command of the instructor, in the course folder."""
        return _run(self.instructor, args, self.course,
                    self.env(self.instructor), check)

    def autograder(self, *args, check=True):
        return self.teacher(sys.executable, "-m", "autograder",
                            "--course-root", self.course, *args,
                            check=check)

    def student(self, user, *args, check=True):
        """nbgrader as a student, from their home folder."""
        return _run(user, [sys.executable, "-m", "nbgrader", *args,
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


def _usable_python(user, home):
    """Can ``user`` run the course's Python (nbgrader and the course)?"""
    done = subprocess.run(
        ["runuser", "-u", user, "--", sys.executable, "-c",
         "import nbgrader, autograder, course_utils"],
        cwd=home, capture_output=True, text=True, timeout=120)
    return done.returncode == 0, done.stderr[-500:]


@pytest.fixture(scope="module")
def term():
    base = Path(tempfile.mkdtemp(prefix="course-term-"))
    base.chmod(0o755)
    (base / "home").mkdir(mode=0o755)
    t = Term(base)
    try:
        t.add_users()
        ok, why = _usable_python(t.instructor, t.home(t.instructor))
        if not ok:
            pytest.skip(f"other users cannot run {sys.executable} (a .venv "
                        "made from a Python in a folder they cannot enter, "
                        f"e.g. /root): {why.strip()[-200:]}")
        _run_term(t)
        yield t
    finally:
        t.remove_users()
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
    t.teacher(sys.executable, "-m", "nbgrader", "release_assignment",
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
    t.teacher(sys.executable, "-c", (
        "import datetime, sys; from autograder.course import Course\n"
        "with Course(sys.argv[1]).gradebook() as gb:\n"
        "    gb.update_or_create_assignment(sys.argv[2], duedate="
        "datetime.datetime.fromisoformat(sys.argv[3]))"),
        t.course, CHAPTER, t.due.isoformat())
    t.collected = t.autograder("collect", t.exchange)
    t.graded = t.autograder("grade", CHAPTER, "--jobs", "2", "--quiet")
    t.autograder("feedback", CHAPTER)
    t.teacher(sys.executable, "-m", "nbgrader", "release_feedback",
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
    peek = _run(user, ["cat", term.course / "solutions" / CHAPTER /
                       NOTEBOOK], home, env, check=False)
    assert peek.returncode != 0 and "BEGIN SOLUTION" not in peek.stdout


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

