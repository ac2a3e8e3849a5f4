"""The instructor CLI: release, check, collect, grade, report, export."""
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from autograder.sandbox import isolation as sandbox
from autograder.cli import main
from autograder.course import Course
from autograder.gradebook.status import StatusStore
from redteam.course import ASSIGNMENT, NOTEBOOK, REPO, make_course, submit
from redteam.submissions import WRONG, notebook


@pytest.fixture
def course_root(tmp_path):
    """A released copy of the fixture course."""
    root = make_course(tmp_path / "course")
    assert main(["--course-root", str(root), "release"]) == 0
    return root


def cli(root, *args, timeout=300):
    """Run the CLI in a subprocess, as an instructor would."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", "--course-root", str(root),
         *args], capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_command():
    """Does --help name each command an instructor needs?"""
    out = subprocess.run([sys.executable, "-m", "autograder", "--help"],
                         capture_output=True, text=True).stdout
    for command in ("release", "check", "collect", "grade", "feedback",
                    "export", "report", "--course-root"):
        assert command in out


def test_unknown_assignment_is_a_usage_error(course_root, capsys):
    """Does a typo in an assignment name exit 2 with the known names?"""
    assert main(["--course-root", str(course_root), "grade", "nope"]) == 2
    assert "known: fx01_basics" in capsys.readouterr().err


def test_not_a_course_is_a_usage_error(tmp_path, capsys):
    """Does running outside a course explain --course-root?"""
    assert main(["--course-root", str(tmp_path), "report"]) == 2
    assert "--course-root" in capsys.readouterr().err


def test_release_and_check(course_root):
    """Do the fixture's solutions pass and its release fail the tests?"""
    done = cli(course_root, "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "solutions pass, releases fail" in done.stdout


def test_check_catches_a_broken_solution(course_root):
    """Does check fail when a solution no longer passes its tests?"""
    path = course_root / "solutions" / ASSIGNMENT / NOTEBOOK
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "mean":
            cell["source"] = "def mean(xs):\n    return 0.0"
    path.write_text(json.dumps(nb))
    done = cli(course_root, "check")
    assert done.returncode == 1
    assert "test_mean fails" in done.stdout


def test_collect_maps_students_and_reports_strays(course_root, tmp_path):
    """Does collect import LMS and nbgrader layouts and report the rest?"""
    archive = tmp_path / "subs.zip"
    body = json.dumps(notebook(str(course_root)))
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"ann_{NOTEBOOK}", body)
        zf.writestr(f"bob/{ASSIGNMENT}/{NOTEBOOK}", body)
        zf.writestr(f"{ASSIGNMENT}/cy/{NOTEBOOK}", body)
        zf.writestr("homework.ipynb", body)
        zf.writestr("../escape_fx01_basics.ipynb", body)
    done = cli(course_root, "collect", str(archive))
    assert done.returncode == 1
    assert "homework.ipynb: not imported" in done.stderr
    students = Course(course_root).students(ASSIGNMENT)
    assert students == ["ann", "bob", "cy"]
    assert not (tmp_path / "escape_fx01_basics.ipynb").exists()


def test_grade_report_feedback_export(course_root, tmp_path):
    """Does the full loop produce feedback and a CSV with statuses?"""
    submit(course_root, "ann", notebook(str(course_root)))
    submit(course_root, "bob", notebook(str(course_root), **WRONG))
    done = cli(course_root, "grade", ASSIGNMENT, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "ann: 5/5" in done.stdout and "bob: 0/5" in done.stdout
    again = cli(course_root, "grade", ASSIGNMENT)
    assert "2 unchanged submission(s) already graded" in again.stdout
    assert cli(course_root, "feedback", ASSIGNMENT).returncode == 0
    assert (course_root / "feedback" / "ann" / ASSIGNMENT /
            "fx01_basics.html").is_file()
    out = tmp_path / "grades.csv"
    assert cli(course_root, "export", "--output", str(out)).returncode == 0
    text = out.read_text()
    assert "ann" in text and ",graded," in text
    assert cli(course_root, "report").returncode == 0


def test_export_mid_term_writes_what_is_released(tmp_path):
    """With a chapter not released yet, does export write the released
    one (nbgrader's columns first), name the other on stderr and exit 0;
    and refuse an explicit unreleased one with a usage error?"""
    import csv
    from autograder.gradebook.reports import NBGRADER_CSV_FIELDS
    root = make_course(tmp_path / "course")
    later = root / "solutions" / "fx02_later"
    later.mkdir()
    (later / "fx02_later.ipynb").write_bytes(
        (root / "solutions" / ASSIGNMENT / NOTEBOOK).read_bytes())
    assert main(["--course-root", str(root), "release", ASSIGNMENT]) == 0
    submit(root, "ann", notebook(str(root)))
    done = cli(root, "grade", ASSIGNMENT, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "grades.csv"
    done = cli(root, "export", "--output", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fx02_later" in done.stderr and "not released" in done.stderr
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0])[:len(NBGRADER_CSV_FIELDS)] == NBGRADER_CSV_FIELDS
    assert [(r["assignment"], r["student_id"]) for r in rows] == [
        (ASSIGNMENT, "ann")]
    assert float(rows[0]["score"]) == 5.0
    assert rows[0]["timestamp"] == "2026-01-01 12:00:00"
    assert rows[0]["status"] == "graded"
    explicit = cli(root, "export", "--assignment", "fx02_later",
                   "--output", str(tmp_path / "later.csv"))
    assert explicit.returncode == 2
    assert "fx02_later is not released" in explicit.stderr


def test_rlimits_fallback_grades(tmp_path):
    """Does grading work with resource limits alone (no bubblewrap)?"""
    root = make_course(tmp_path / "course", isolation="rlimits")
    assert main(["--course-root", str(root), "release"]) == 0
    submit(root, "ann", notebook(str(root)))
    done = cli(root, "grade", ASSIGNMENT, "--quiet")
    assert done.returncode == 0, done.stderr
    row = StatusStore(Course(root).db_url).get(ASSIGNMENT, "ann")
    assert (row["score"], row["isolation"]) == (5, "rlimits")


@pytest.mark.sandbox
@pytest.mark.skipif(not sandbox.bwrap_works(),
                    reason="needs bubblewrap: apt-get install bubblewrap")
def test_sigkill_mid_run_loses_and_doubles_nothing(course_root):
    """After SIGKILL mid-run, does a rerun grade all, each exactly once?"""
    slow = notebook(str(course_root), clip="import time\ntime.sleep(2)\n"
                    "def clip(x, lo, hi):\n"
                    "    return np.minimum(np.maximum(x, lo), hi)")
    students = [f"s{i}" for i in range(6)]
    for student in students:
        submit(course_root, student, slow)
    args = [sys.executable, "-m", "autograder", "--course-root",
            str(course_root), "grade", ASSIGNMENT, "--jobs", "2", "--quiet"]
    proc = subprocess.Popen(args, start_new_session=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    store = StatusStore(Course(course_root).db_url)
    deadline = time.monotonic() + 120
    while len(store.rows(ASSIGNMENT)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(store.rows(ASSIGNMENT))
    assert 2 <= before < 6
    done = cli(course_root, "grade", ASSIGNMENT, "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"{before} unchanged submission(s)" in done.stdout
    rows = store.rows(ASSIGNMENT)
    assert [r["student"] for r in rows] == students
    assert all(r["score"] == 5 for r in rows)
    with Course(course_root).gradebook() as gb:
        subs = gb.assignment_submissions(ASSIGNMENT)
        assert sorted(s.student_id for s in subs) == students
        assert all(s.score == 5 for s in subs)
        grades = [g for s in subs for n in s.notebooks for g in n.grades]
        assert len(grades) == 6 * 3


def test_grade_refuses_a_missing_gradebook(course_root, capsys):
    """Does grading a fresh clone (no gradebook yet) say to release?"""
    (course_root / "gradebook.db").unlink()
    submit(course_root, "ann", notebook(str(course_root)))
    assert main(["--course-root", str(course_root), "grade",
                 ASSIGNMENT]) == 2
    assert "course-autograder release fx01_basics" in \
        capsys.readouterr().err


# Every chapter's solution and blank release go through the production
# grader in its grading batch (tests/test_chapters.py: full marks, 0, no
# flag); `check` itself runs here on the fixture course and on chapter
# 05, whose natural answers read like the reference kernels.
CHAPTERS = ["05_mlp"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_course_chapter_checks_in_the_sandbox(chapter, tmp_path):
    """Does the chapter's solution pass and release fail when sandboxed?"""
    import shutil
    # The course's own notebook limit is 600 s (autograder/
    # nbgrader_config.py); 300 s here: under the trusted test path
    # every call of a student's function is one request to its
    # kernel, and chapter 06's hidden tests make about 11,000 of them.
    root = make_course(tmp_path / "course", cell_timeout=60,
                       notebook_timeout=300)
    shutil.rmtree(root / "solutions")
    shutil.copytree(REPO / "solutions" / chapter,
                    root / "solutions" / chapter,
                    ignore=shutil.ignore_patterns("__pycache__",
                                                  ".ipynb_checkpoints"))
    assert main(["--course-root", str(root), "release", chapter]) == 0
    done = cli(root, "check", chapter)
    assert done.returncode == 0, done.stdout + done.stderr
